"""``prefetch``: elements produced ahead by a background thread, and ``threaded``, the producer it runs.

``threaded`` hands on a source's elements through a bounded queue filled by a daemon thread, raises the
source's errors in the consumer, and registers a closer that stops the thread; prefetch_to_device
(gpunet/data/device.py) uses it too. ``Readers`` runs such producers for a parallel interleave
(gpunet/data/_combining.py): one per open inner dataset, a shared gate bounding how many produce at
once, one stop for all. Imports the base classes from gpunet/data/dataset.py, whose
methods import this lazily.
"""
from __future__ import annotations

import queue as _queue
import threading
import time

from .. import errors
from .dataset import _Unary

__all__ = ["Readers", "_Prefetch", "drained", "start_producer", "threaded"]


class _Prefetch(_Unary):
    """Elements produced ahead by a background thread, at most ``buffer_size`` waiting; the thread
    ends when the iterator restarts or its session closes."""

    def __init__(self, input_dataset, buffer_size):
        super().__init__(input_dataset)
        self._buffer_size = buffer_size

    def _elements(self, env):
        if self._input._in_memory:
            return self._input._elements(env)
        return threaded(self._input._elements(env), self._buffer_size, env)


def threaded(source, buffer_size, env):
    """The elements of ``source``, produced ahead by a background thread (at most ``buffer_size``
    waiting) that ``env``'s closers stop."""
    stop = threading.Event()
    buffer, thread = start_producer(source, buffer_size, stop, "gn.data.prefetch")
    env.closers.append(lambda: _stop(stop, thread))
    yield from drained(buffer, stop)


def start_producer(source, buffer_size, stop, name):
    """A daemon thread that puts ``source``'s elements, then its end or its error, into a queue of
    ``buffer_size``; it gives up when ``stop`` is set. Returns the queue and the thread."""
    buffer = _queue.Queue(buffer_size)
    thread = threading.Thread(target=_produce, args=(source, buffer, stop), daemon=True, name=name)
    thread.start()
    return buffer, thread


def drained(buffer, stop):
    """The elements a producer puts into ``buffer`` up to its end; its error is raised here, in order.
    A wait ends with CancelledError once ``stop`` is set (the iterator closed under a reader)."""
    while True:
        try:
            kind, value = buffer.get(timeout=0.05)
        except _queue.Empty:
            if stop.is_set():
                raise errors.CancelledError(None, None, _CLOSED) from None
            continue
        if kind == "end":
            return
        if kind == "error":
            raise value
        yield value


_END = ("end", None)
_CLOSED = "The iterator was closed while an element was awaited"


def _produce(source, buffer, stop):
    try:
        for element in source:
            if not _put(buffer, ("element", element), stop):
                return
        _put(buffer, _END, stop)
    except Exception as exc:  # noqa: BLE001 — raised again by the consumer, in its run
        _put(buffer, ("error", exc), stop)


def _put(buffer, item, stop) -> bool:
    while not stop.is_set():
        try:
            buffer.put(item, timeout=0.05)
            return True
        except _queue.Full:
            continue
    return False


def _stop(stop, thread):
    stop.set()
    if thread is not threading.current_thread():
        thread.join()


class Readers:
    """The reader threads of one parallel interleave, one per open inner dataset, each ``buffer_size``
    elements ahead; at most ``calls`` of them produce an element at once (a shared gate); ``close``
    stops them all."""

    def __init__(self, calls, buffer_size):
        self._gate, self._stop = threading.BoundedSemaphore(calls), threading.Event()
        self._buffer_size, self._threads = buffer_size, []

    def read(self, source):
        """``source``'s elements (errors included, in order), read ahead by a new thread of these readers."""
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        gated = _gated(source, self._gate, self._stop)
        buffer, thread = start_producer(gated, self._buffer_size, self._stop, "gn.data.interleave")
        self._threads.append(thread)
        return drained(buffer, self._stop)

    def close(self):
        """Stops the threads and waits for them, all together at most ``_JOIN_TIMEOUT`` seconds (a thread
        inside a call that never returns is left to end by itself rather than hang the caller)."""
        self._stop.set()
        deadline = time.monotonic() + _JOIN_TIMEOUT
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))


_JOIN_TIMEOUT = 10.0


def _gated(source, gate, stop):
    """``source``'s elements, each produced while holding a place at ``gate``; ends when ``stop`` is set."""
    while _acquire(gate, stop):
        try:
            element = next(source, None)
        finally:
            gate.release()
        if element is None:
            return
        yield element


def _acquire(gate, stop) -> bool:
    while not stop.is_set():
        if gate.acquire(timeout=0.05):
            return True
    return False
