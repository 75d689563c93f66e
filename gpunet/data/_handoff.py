"""``Handoff``: the elements of one producer thread handed to one consumer (gpunet/data/_threads.py).

An element moves by one C call on each side (a deque's append and popleft, atomic under the GIL); no
lock is taken per element. A side that must wait says so in a flag, looks at the deque again, then waits
for a token in its own SimpleQueue; the other side, seeing the flag after it changed the deque, clears
it and puts a token. So no wake-up is lost (the flag is set before the look), and a token left over
only makes the next wait look again. A waiting consumer is woken by the first element: a slow source's
element is handed over at once. A producer waiting for room is woken once the consumer has taken the
deque down to ``refill_at`` elements (interleave's readers: half the capacity, so a fast source's
elements cost the threads a wake-up per half a buffer; prefetch: as soon as there is room).
Every wait is bounded (``POLL_S``) and ends once the stop event is set.
"""
from __future__ import annotations

import collections
import queue

from .. import errors

__all__ = ["POLL_S", "Handoff"]

POLL_S = 0.05  # how often a waiting thread looks at its stop event


class Handoff:
    """Elements handed from one producer thread to one consumer, at most ``capacity`` waiting; either
    wait ends once ``stop`` is set. A producer waiting for room goes on once at most ``refill_at``
    (default: ``capacity - 1``) wait. ``on_wait(handoff)``, if given, is called when the consumer starts
    to wait for an element."""

    def __init__(self, capacity, stop, refill_at=None, on_wait=None):
        self._items, self._capacity, self._stop = collections.deque(), capacity, stop
        self._low = capacity - 1 if refill_at is None else refill_at
        self._consumer_waits = self._producer_waits = False
        self._consumer_tokens, self._producer_tokens = queue.SimpleQueue(), queue.SimpleQueue()
        self._on_wait = on_wait

    def resize(self, capacity, refill_at):
        """Sets the capacity and ``refill_at`` (by the producer, before it hands anything over)."""
        self._capacity, self._low = capacity, refill_at

    @property
    def awaited(self) -> bool:
        """Whether the consumer waits for an element."""
        return self._consumer_waits

    def ready(self) -> bool:
        """Whether an element, or the end, waits to be taken."""
        return bool(self._items)

    def full(self) -> bool:
        """Whether ``capacity`` elements wait."""
        return len(self._items) >= self._capacity

    def put(self, element) -> bool:
        """Hands ``element`` over once there is room; False if stopped first."""
        if self.full() and not self.room():
            return False
        if self._stop.is_set():
            return False
        self.append(element)
        return True

    def append(self, element):
        """Hands ``element`` over now (the caller has seen that the hand-off is not full)."""
        self._items.append(element)
        if self._consumer_waits:
            self._consumer_waits = False
            self._consumer_tokens.put(None)

    def finish(self, error=None):
        """Hands the end over, or ``error`` to raise there, after the elements (beyond the capacity: the
        producer need not wait to end)."""
        self.append(_Final(error))

    def room(self) -> bool:
        """Waits until the consumer has taken the hand-off down to ``refill_at``; False if stopped first."""
        while not self._stop.is_set():
            self._producer_waits = True
            if len(self._items) <= self._low:
                self._producer_waits = False
                return True
            _wait(self._producer_tokens)
        return False

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

    def _await_element(self):
        self._consumer_waits = True
        if self._on_wait is not None and not self._items:
            self._on_wait(self)
        while True:
            self._consumer_waits = True
            if self._items:
                self._consumer_waits = False
                return
            if self._stop.is_set():  # the iterator closed under a waiting get-next: no hang
                raise errors.CancelledError(None, None, "The iterator was closed while an element was awaited")
            _wait(self._consumer_tokens)


class _Final:
    """The last item of a hand-off: its end (``error`` None) or the error to raise there."""

    __slots__ = ("error",)

    def __init__(self, error):
        self.error = error


def _wait(tokens):
    """Waits for a token, at most ``POLL_S`` seconds (the caller then looks at its stop event)."""
    try:
        tokens.get(timeout=POLL_S)
    except queue.Empty:
        pass
