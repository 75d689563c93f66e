"""The run-time state of one queue in one session: a bounded buffer that blocks, closes and cancels.

Waiting happens on the queue's own condition, never under a session lock, so other
``Session.run`` calls (the enqueue that would wake a blocked dequeue) go on meanwhile.
"""
from __future__ import annotations

import threading
from collections import deque

import numpy as np

from .. import errors


class QueueState:
    """Elements are tuples of NumPy arrays. ``min_after_dequeue`` and ``rng`` make it a random
    shuffle queue: a dequeue takes a random element and waits while fewer than
    ``min_after_dequeue + n`` remain (until the queue closes)."""

    def __init__(self, name, capacity, min_after_dequeue=0, rng=None):
        self.name = name
        self.capacity = capacity
        self.min_after_dequeue = min_after_dequeue
        self.rng = rng
        self._items = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._cancelled = False           # the session closed: every waiting op ends
        self._enqueues_cancelled = False  # close(cancel_pending_enqueues=True): waiting enqueues end
        self.waiting_enqueues = 0         # enqueues waiting for room now

    def size(self) -> int:
        return len(self._items)

    def enqueue(self, elements, op=None):
        """Adds the elements one by one, waiting for room. A closed queue refuses a new enqueue; one
        already waiting finishes unless the close cancelled pending enqueues (as TF1)."""
        with self._cond:
            self._check_open_for_enqueue(op)
            for element in elements:
                while len(self._items) >= self.capacity:
                    self.waiting_enqueues += 1
                    try:
                        self._cond.wait()
                    finally:
                        self.waiting_enqueues -= 1
                    self._check_cancelled(op)
                    if self._enqueues_cancelled:
                        raise errors.CancelledError(None, op, f"{_describe(self)} is closed.")
                self._items.append(element)
                self._cond.notify_all()

    def dequeue(self, n, allow_smaller, op=None) -> list:
        """``n`` elements, waiting for them. Closed: fewer when ``allow_smaller`` (at least one),
        else OutOfRangeError."""
        with self._cond:
            while True:
                self._check_cancelled(op)
                if len(self._items) >= n + (0 if self._closed else self.min_after_dequeue):
                    return [self._take() for _ in range(n)]
                if self._closed:
                    if allow_smaller and self._items:
                        return [self._take() for _ in range(len(self._items))]
                    raise errors.OutOfRangeError(None, op, (
                        f"{_describe(self)} is closed and has insufficient elements (requested {n}, current size "
                        f"{len(self._items)})"))
                self._cond.wait()

    def _take(self):
        if self.rng is None:
            element = self._items.popleft()
        else:
            index = int(self.rng.integers(len(self._items)))
            self._items.rotate(-index)
            element = self._items.popleft()
        self._cond.notify_all()
        return element

    def close(self, cancel_pending_enqueues=False):
        """No more enqueues; waiting ones finish, or end with CancelledError when
        ``cancel_pending_enqueues``; dequeues drain what is left."""
        with self._cond:
            self._closed = True
            self._enqueues_cancelled |= bool(cancel_pending_enqueues)
            self._cond.notify_all()

    def cancel(self):
        """The session closed: every waiting op ends with CancelledError."""
        with self._cond:
            self._cancelled = self._closed = True
            self._cond.notify_all()

    def _check_cancelled(self, op):
        if self._cancelled:
            raise errors.CancelledError(None, op, f"{_describe(self)}: its session was closed")

    def _check_open_for_enqueue(self, op):
        self._check_cancelled(op)
        if self._closed:
            raise errors.CancelledError(None, op, f"{_describe(self)} is closed.")


def _describe(queue) -> str:
    return f"Queue '{queue.name}'"


def pad_stack(arrays, padded):
    """The arrays stacked on a new first axis; with ``padded``, each padded (zeros, b'') to the
    largest size per axis first, as PaddingFIFOQueue's dequeue_many."""
    if not padded or all(a.shape == arrays[0].shape for a in arrays):
        return np.stack(arrays) if arrays else None
    shape = tuple(max(sizes) for sizes in zip(*(a.shape for a in arrays)))
    fill = b"" if arrays[0].dtype == object else 0
    out = np.full((len(arrays),) + shape, fill, dtype=arrays[0].dtype)
    for i, a in enumerate(arrays):
        out[(i,) + tuple(slice(0, d) for d in a.shape)] = a
    return out
