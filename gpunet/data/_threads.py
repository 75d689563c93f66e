"""``prefetch``: elements produced ahead by a background thread, and ``threaded``, the producer it runs.

``threaded`` hands on a source's elements through a bounded ``Handoff`` filled by a daemon thread, raises
the source's errors in the consumer, and registers a closer that stops the thread; prefetch_to_device
(gpunet/data/device.py) uses it too. ``Readers`` runs such producers for a parallel interleave
(gpunet/data/_combining.py): one per open inner dataset, a shared gate bounding how many produce at
once, one stop for all. Imports the base classes from gpunet/data/dataset.py, whose
methods import this lazily.
"""
from __future__ import annotations

import collections
import queue
import threading
import time

from .. import errors
from .dataset import _Unary

__all__ = ["Handoff", "Readers", "_Prefetch", "start_producer", "threaded"]


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
    handoff = Handoff(buffer_size, stop)
    thread = start_producer(source, handoff, "gn.data.prefetch")
    env.closers.append(lambda: _stop(stop, thread))
    yield from handoff.elements()


def start_producer(source, handoff, name):
    """A started daemon thread that hands ``source``'s elements, then its end or its error, over."""
    thread = threading.Thread(target=_produce, args=(source, handoff), daemon=True, name=name)
    thread.start()
    return thread


class Handoff:
    """Elements handed from one producer thread to one consumer, at most ``capacity`` waiting; either
    wait ends once ``stop`` is set. ``batched``: the consumer takes all that wait at once (the producer
    may then refill, so up to twice ``capacity`` are ahead), so the threads wake once per batch rather
    than once per element."""

    def __init__(self, capacity, stop, batched=False):
        self._ready, self._items = threading.Condition(), collections.deque()
        self._capacity, self._stop, self._batched = capacity, stop, batched

    def put(self, item) -> bool:
        """Hands ``item`` (a (kind, value) pair) over once there is room; False if stopped first."""
        with self._ready:
            while len(self._items) >= self._capacity and not self._stop.is_set():
                self._ready.wait(_POLL_S)
            if self._stop.is_set():
                return False
            self._items.append(item)
            self._ready.notify()
        return True

    def elements(self):
        """The elements handed over, in order, up to the end; an error handed over is raised here."""
        while True:
            for kind, value in self._take():
                if kind == "end":
                    return
                if kind == "error":
                    raise value
                yield value

    def _take(self):
        with self._ready:
            while not self._items:
                if self._stop.is_set():  # the iterator closed under a waiting get-next: no hang
                    raise errors.CancelledError(None, None, "The iterator was closed while an element was awaited")
                self._ready.wait(_POLL_S)
            taken = list(self._items) if self._batched else [self._items.popleft()]
            if self._batched:
                self._items.clear()
            self._ready.notify()
        return taken


_POLL_S = 0.05  # how often a waiting thread looks at its stop event
_END = ("end", None)


def _produce(source, handoff):
    try:
        for element in source:
            if not handoff.put(("element", element)):
                return
        handoff.put(_END)
    except Exception as exc:  # noqa: BLE001 — raised again by the consumer, in its run
        handoff.put(("error", exc))


def _stop(stop, thread):
    stop.set()
    if thread is not threading.current_thread():
        thread.join()


class Readers:
    """The reader threads of one parallel interleave, one per open inner dataset, each ``buffer_size``
    elements ahead; at most ``calls`` of them produce an element at once (a shared gate); ``close``
    stops them all."""

    def __init__(self, calls, buffer_size):
        self._gate = _Gate(calls)
        self._stop, self._buffer_size, self._threads = threading.Event(), buffer_size, []

    def read(self, source):
        """``source``'s elements (errors included, in order), read ahead by a new thread of these readers."""
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        handoff = Handoff(self._buffer_size, self._stop, batched=True)
        gated = self._gate.passing(source, self._stop)
        self._threads.append(start_producer(gated, handoff, "gn.data.interleave"))
        return handoff.elements()

    def close(self):
        """Stops the threads and waits for them, all together at most ``_JOIN_TIMEOUT`` seconds (a thread
        inside a call that never returns is left to end by itself rather than hang the caller)."""
        self._stop.set()
        deadline = time.monotonic() + _JOIN_TIMEOUT
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))


_JOIN_TIMEOUT = 10.0


class _Gate:
    """``places`` tokens in a SimpleQueue: a semaphore whose acquire and release cost a C call each
    (threading.Semaphore's cost a Python condition, a few microseconds per element)."""

    def __init__(self, places):
        self._tokens = queue.SimpleQueue()
        for _ in range(places):
            self._tokens.put(None)

    def passing(self, source, stop):
        """``source``'s elements, each produced while holding a place; ends when ``stop`` is set."""
        while self._enter(stop):
            try:
                element = next(source, None)
            finally:
                self._tokens.put(None)
            if element is None:
                return
            yield element

    def _enter(self, stop) -> bool:
        while not stop.is_set():
            try:
                self._tokens.get(timeout=_POLL_S)
                return True
            except queue.Empty:
                continue
        return False
