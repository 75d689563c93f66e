"""Errors that pass through a transformation and leave it usable: what ``ignore_errors`` relies on.

TF's iterators return an element's error from ``GetNext`` and keep their state, so the next call goes on
after it (``ignore_errors`` drops the error and asks again). gpunet's chains are Python iterators: the builtin
``map``, ``filter``, ``zip`` and ``itertools.chain`` stay usable after an error passes through them (so map,
filter, batch and enumerate need nothing), a generator does not (its frame ends). A transformation written as
a generator therefore reads its input through ``pull`` or ``caught``, which give each error as a ``Failed``
item, hands such an item on where TF returns the error, and is wrapped by ``resumable``, which raises it again
and stays usable. Threads (prefetch, a parallel interleave's readers) hand ``Failed`` items over as elements.
OutOfRangeError ends an input, as TF reads it from a function (a py_func raising StopIteration).
"""
from __future__ import annotations

import functools

from .. import errors

__all__ = ["Failed", "Resumable", "caught", "pull", "raising", "resumable"]


class Failed:
    """An error met producing an element, carried in the element's place."""

    __slots__ = ("error",)

    def __init__(self, error):
        self.error = error


def pull(iterator):
    """``next(iterator)``: an element, None at its end, or a ``Failed`` holding the error it raised."""
    try:
        return next(iterator, None)
    except errors.OutOfRangeError:
        return None
    except Exception as exc:  # noqa: BLE001 — carried to the consumer, which raises it (or ignore_errors drops it)
        return Failed(exc)


def caught(source):
    """``source``'s elements, each error it raises as a ``Failed`` item in its place, up to its end."""
    source = iter(source)
    while True:
        item = pull(source)
        if item is None:
            return
        yield item


def raising(error):
    """An iterator that raises ``error`` with the first element asked for, then ends: in ``itertools.chain``,
    whose current iterator's error leaves it usable, an error raised in its place at no cost to the others; as
    an interleave's inner dataset, an error raised when its turn comes."""
    raise error
    yield  # a generator: the error comes with the first element asked for


class Resumable:
    """The items of ``items``, a ``Failed`` one raised; raising leaves it usable (the next item follows)."""

    __slots__ = ("_items",)

    def __init__(self, items):
        self._items = items

    def __iter__(self):
        return self

    def __next__(self):
        item = next(self._items)
        if item.__class__ is Failed:
            raise item.error
        return item


def resumable(generator_function):
    """Decorates a generator function that yields ``Failed`` items: its iterators raise them and go on."""
    @functools.wraps(generator_function)
    def wrapped(*args, **kwargs):
        return Resumable(generator_function(*args, **kwargs))
    return wrapped
