"""``prefetch``: elements produced ahead by a background thread, and ``threaded``, the producer it runs.

``threaded`` hands on a source's elements through a bounded ``Handoff`` filled by a daemon thread, raises
the source's errors in the consumer, and registers a closer that stops the thread (waiting for it a
bounded time); prefetch_to_device (gpunet/data/device.py) uses it too. ``Readers`` runs such producers
for a parallel interleave (gpunet/data/_combining.py): one per open inner dataset, a shared gate
bounding how many produce at once, one stop for all. Imports the base classes from
gpunet/data/dataset.py, whose methods import this lazily.
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
    env.closers.append(lambda: _stop(stop, [thread]))
    yield from handoff.elements()


def start_producer(source, handoff, name):
    """A started daemon thread that hands ``source``'s elements, then its end or its error, over."""
    thread = threading.Thread(target=_produce, args=(source, handoff), daemon=True, name=name)
    thread.start()
    return thread


class Handoff:
    """Elements handed from one producer thread to one consumer, at most ``capacity`` waiting; either
    wait ends once ``stop`` is set.

    An element moves by one C call on each side (deque append and popleft, atomic under the GIL). A side
    that must wait says so in a flag, then looks at the deque again, then waits for a token in its own
    SimpleQueue; the other side, seeing the flag after changing the deque, clears it and puts a token (so
    no wake-up is lost; a token left over only makes the next wait look again). A waiting consumer is
    woken by the first element, so a slow source's element is handed over at once; a producer waiting
    for room is woken once the consumer has taken the deque down to half the capacity, so a fast
    source's elements cost a wake-up per half a buffer rather than one each."""

    def __init__(self, capacity, stop):
        self._items, self._capacity, self._low, self._stop = collections.deque(), capacity, capacity // 2, stop
        self._consumer_waits = self._producer_waits = False
        self._consumer_tokens, self._producer_tokens = queue.SimpleQueue(), queue.SimpleQueue()

    def put(self, element) -> bool:
        """Hands ``element`` over once there is room; False if stopped first."""
        if len(self._items) >= self._capacity and not self._room():
            return False
        if self._stop.is_set():
            return False
        self._items.append(element)
        if self._consumer_waits:
            self._consumer_waits = False
            self._consumer_tokens.put(None)
        return True

    def finish(self, error=None):
        """Hands the end over, or ``error`` to raise there, after the elements (beyond the capacity: the
        producer need not wait to end)."""
        self._items.append(_Final(error))
        if self._consumer_waits:
            self._consumer_waits = False
            self._consumer_tokens.put(None)

    def elements(self):
        """The elements handed over, in order, up to the end; an error handed over is raised here."""
        items = self._items
        while True:
            if not items:
                self._await_element()
            item = items.popleft()
            if self._producer_waits and len(items) <= self._low:
                self._producer_waits = False
                self._producer_tokens.put(None)
            if item.__class__ is _Final:
                if item.error is None:
                    return
                raise item.error
            yield item

    def _room(self) -> bool:
        """Waits until the consumer has taken the deque down to half the capacity; False if stopped first."""
        while not self._stop.is_set():
            self._producer_waits = True
            if len(self._items) <= self._low:
                self._producer_waits = False
                return True
            _wait(self._producer_tokens)
        return False

    def _await_element(self):
        while True:
            self._consumer_waits = True
            if self._items:
                self._consumer_waits = False
                return
            if self._stop.is_set():  # the iterator closed under a waiting get-next: no hang
                raise errors.CancelledError(None, None, "The iterator was closed while an element was awaited")
            _wait(self._consumer_tokens)


def _wait(tokens):
    """Waits for a token, at most ``_POLL_S`` seconds (the caller then looks at its stop event)."""
    try:
        tokens.get(timeout=_POLL_S)
    except queue.Empty:
        pass


class _Final:
    """The last item of a hand-off: its end (``error`` None) or the error to raise there."""

    __slots__ = ("error",)

    def __init__(self, error):
        self.error = error


_POLL_S = 0.05  # how often a waiting thread looks at its stop event


def _produce(source, handoff):
    try:
        for element in source:
            if not handoff.put(element):
                return
        handoff.finish()
    except Exception as exc:  # noqa: BLE001 — raised again by the consumer, in its run
        handoff.finish(exc)


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
    elements ahead; at most ``calls`` of them produce an element at once (a shared gate); ``close``
    stops them all."""

    def __init__(self, calls, buffer_size):
        self._gate = _Gate(calls)
        self._stop, self._buffer_size, self._threads = threading.Event(), buffer_size, []

    def read(self, source):
        """``source``'s elements (errors included, in order), read ahead by a new thread of these readers."""
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        handoff = Handoff(self._buffer_size, self._stop)
        gated = self._gate.passing(source, self._stop)
        self._threads.append(start_producer(gated, handoff, "gn.data.interleave"))
        return handoff.elements()

    def close(self):
        """Stops the threads and waits for them, a bounded time (see ``_stop``)."""
        _stop(self._stop, self._threads)


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
