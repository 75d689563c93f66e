"""``prefetch``: elements produced ahead by a background thread, and ``threaded``, the producer it runs.

``threaded`` hands on a source's elements through a bounded queue filled by a daemon thread, raises the
source's errors in the consumer, and registers a closer that stops the thread; prefetch_to_device
(gpunet/data/device.py) uses it too. Imports the base classes from gpunet/data/dataset.py, whose
methods import this lazily.
"""
from __future__ import annotations

import queue as _queue
import threading

from .dataset import _Unary

__all__ = ["_Prefetch", "threaded"]


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
    buffer, stop = _queue.Queue(buffer_size), threading.Event()
    thread = threading.Thread(target=_produce, args=(source, buffer, stop), daemon=True, name="gn.data.prefetch")
    env.closers.append(lambda: _stop(stop, thread))
    thread.start()
    while True:
        kind, value = buffer.get()
        if kind == "end":
            return
        if kind == "error":
            raise value
        yield value


_END = ("end", None)


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
