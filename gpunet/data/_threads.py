"""``prefetch``: elements produced ahead by a background thread, and ``threaded``, the producer it runs.

``threaded`` hands on a source's elements through a bounded ``Handoff`` (gpunet/data/_handoff.py)
filled by a daemon thread, raises the source's errors in the consumer, and registers a closer that stops
the thread (waiting for it a bounded time); prefetch_to_device (gpunet/data/device.py) uses it too.
Producers hand a source's errors over as ``Failed`` items in their place and read on
(gpunet/data/_resumable.py): the consumer raises them and goes on, as TF's prefetch and interleave do.
``Readers`` runs such producers for a parallel interleave (gpunet/data/_interleaving.py): one per open
inner dataset, a shared gate bounding how many produce at once, one stop for all. Imports the base
classes from gpunet/data/dataset.py, whose methods import this lazily.
"""
from __future__ import annotations

import sys
import threading
import time

import numpy as np

from .. import errors
from ._handoff import POLL_S, Handoff
from ._resumable import Failed
from .dataset import _Unary

__all__ = ["Readers", "Watched", "_Prefetch", "threaded"]


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
    waiting) that ``env``'s closers stop; an error is raised in its place, and the next element follows."""
    return _Prefetched(source, buffer_size, env)


class _Prefetched:
    """The iterator of ``threaded``: its thread starts with the first element asked for."""

    __slots__ = ("_start_args", "_elements")

    def __init__(self, source, buffer_size, env):
        self._start_args, self._elements = (source, buffer_size, env), None

    def __iter__(self):
        return self

    def __next__(self):
        if self._elements is None:
            self._elements = _handed(*self._start_args)
        item = next(self._elements)
        if item.__class__ is Failed:
            raise item.error
        return item


def _handed(source, buffer_size, env):
    """The elements the thread it starts hands over (a ``Failed`` one for an error)."""
    stop = threading.Event()
    handoff = Handoff(buffer_size, stop)
    thread = _start(_produce, (source, handoff), "gn.data.prefetch")
    env.closers.append(lambda: _stop(stop, [thread]))
    return handoff.elements()


def _start(target, args, name):
    thread = threading.Thread(target=target, args=args, daemon=True, name=name)
    thread.start()
    return thread


def _produce(source, handoff):
    """Hands ``source``'s elements (an error as a ``Failed`` one), then its end, over."""
    try:
        while not _handed_over(source, handoff):
            pass
        handoff.finish()
    except _Stopped:
        return
    except Exception as exc:  # noqa: BLE001 — raised again by the consumer, in its run
        handoff.finish(exc)


class _Stopped(Exception):
    """The hand-off was stopped: the producer ends."""


def _handed_over(source, handoff) -> bool:
    """Hands ``source``'s elements over up to its end (True) or an error (handed over as ``Failed``: False, to
    go on after it). A plain loop per element: the error costs the loop a restart, the elements nothing."""
    try:
        for element in source:
            if not handoff.put(element):
                raise _Stopped
    except _Stopped:
        raise
    except errors.OutOfRangeError:  # the end, as TF reads it from a function
        pass
    except Exception as exc:  # noqa: BLE001 — carried to the consumer, which raises it in its place
        if not handoff.put(Failed(exc)):
            raise _Stopped from None
        return False
    return True


def _stop(stop, threads):
    """Sets ``stop`` and waits for ``threads``, all together at most ``_JOIN_TIMEOUT`` seconds (a thread
    inside a call that never returns is left to end by itself rather than hang the caller)."""
    stop.set()
    deadline = time.monotonic() + _JOIN_TIMEOUT
    for thread in threads:
        if thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))


_JOIN_TIMEOUT = 10.0


class Readers:
    """The reader threads of one parallel interleave, one per open inner dataset, each ``buffer_size``
    elements ahead (refilled once the consumer has taken half), or, ``fitted``, as many as fit in
    ``_BYTES_AHEAD`` by the size of its first element (at least ``buffer_size``, at most ``_MOST_AHEAD``:
    small elements travel in large groups, large ones take no more memory); at most ``calls`` of them
    produce at once (a shared ``_Gate``); ``close`` stops them all."""

    def __init__(self, calls, buffer_size, fitted=False):
        self._gate, self._fitted = _Gate(calls), fitted
        self._stop, self._buffer_size, self._threads = threading.Event(), buffer_size, []

    def read(self, source, watched=False):
        """``source``'s elements (an error as a ``Failed`` one, in its place), read ahead by a new thread of these
        readers; ``watched``: as a ``Watched`` iterator, which says whether one is ready."""
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        handoff = Handoff(self._buffer_size, self._stop, self._buffer_size // 2, self._gate.awaited)
        fit = self._buffer_size if self._fitted else None
        self._threads.append(_start(_read, (source, handoff, self._gate, self._stop, fit), "gn.data.interleave"))
        return Watched(handoff) if watched else handoff.elements()

    def close(self):
        """Stops the threads and waits for them, a bounded time (see ``_stop``)."""
        _stop(self._stop, self._threads)


class Watched:
    """The elements a reader hands over (an iterator); ``ready()``: whether one, or their end, waits now."""

    __slots__ = ("_elements", "ready")

    def __init__(self, handoff):
        self._elements, self.ready = handoff.elements(), handoff.ready

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._elements)


def _read(source, handoff, gate, stop, fit):
    """Hands ``source``'s elements, then its end or its error, over, producing them only in a place of
    ``gate``, and never holding one while waiting for room; ``fit`` (not None): the hand-off is resized
    to the first element, at least ``fit`` elements."""
    try:
        while gate.enter(handoff, stop):
            try:
                ended, fit = _fill(source, handoff, gate, stop, fit), None
            finally:
                gate.leave()
            if ended or (handoff.full() and not handoff.room()):
                return
    except Exception as exc:  # noqa: BLE001 — raised again by the consumer, in its run
        handoff.finish(exc)


def _fill(source, handoff, gate, stop, fit=None) -> bool:
    """Hands ``source``'s elements over (the hand-off is not full) until it is full, the gate wants the
    place back or ``stop`` is set (False), or the source ends (True, its end handed over). An error is handed
    over as a ``Failed`` element, and the loop goes on after it (an error costs a restart, elements nothing)."""
    while True:
        try:
            for element in source:
                if fit is not None:  # the first element: the hand-off is empty
                    capacity = max(fit, min(_MOST_AHEAD, _BYTES_AHEAD // _nbytes(element)))
                    handoff.resize(capacity, capacity // 2)
                    fit = None
                handoff.append(element)
                if handoff.full() or gate.wanted is not None or stop.is_set():
                    return False
            break
        except errors.OutOfRangeError:  # the end, as TF reads it from a function
            break
        except Exception as exc:  # noqa: BLE001 — carried to the consumer, in its place
            handoff.append(Failed(exc))
            if handoff.full() or gate.wanted is not None or stop.is_set():
                return False
    handoff.finish()
    return True


_BYTES_AHEAD, _MOST_AHEAD = 1 << 20, 256  # a fitted reader's budget, and the most elements it reads ahead


def _nbytes(value) -> int:
    """About the memory ``value`` takes: its objects' sizes, an array's data (a view's too) and, for an
    object array, its items'."""
    if isinstance(value, (tuple, list)):
        return sys.getsizeof(value) + sum(_nbytes(v) for v in value)
    if isinstance(value, np.ndarray):
        items = sum(_nbytes(v) for v in value.flat) if value.dtype == object else 0
        return sys.getsizeof(value) + (value.nbytes if value.base is not None else 0) + items
    return sys.getsizeof(value)


class _Gate:
    """``places`` places to produce in, each held by a reader across its elements. A reader gives its
    place up when its hand-off is full (before it waits for room), at its end, and, while the consumer
    waits on a reader that waits for a place (``wanted``), after the element it is producing: the
    awaited reader enters before the others, so the consumer does not wait while other readers fill
    buffers it does not need yet. Entering and leaving take a lock; holding a place takes none per element."""

    def __init__(self, places):
        self._free, self._waiting, self._changed = places, set(), threading.Condition(threading.Lock())
        self.wanted = None  # the hand-off the consumer awaits, whose reader waits for a place

    def enter(self, handoff, stop) -> bool:
        """Waits for a place for ``handoff``'s reader; False if ``stop`` was set first."""
        with self._changed:
            self._waiting.add(handoff)
            if handoff.awaited:
                self.wanted = handoff
            while not stop.is_set() and not (self._free and self.wanted in (None, handoff)):
                self._changed.wait(POLL_S)
            self._waiting.discard(handoff)
            if stop.is_set():
                return False
            self._free -= 1
            if self.wanted is handoff:
                self.wanted = None
                self._changed.notify_all()  # the others may enter again
            return True

    def leave(self):
        """Gives a place back."""
        with self._changed:
            self._free += 1
            self._changed.notify_all()

    def awaited(self, handoff):
        """The consumer waits on ``handoff``: if its reader waits for a place, it enters next."""
        with self._changed:
            if handoff in self._waiting:
                self.wanted = handoff
                self._changed.notify_all()
