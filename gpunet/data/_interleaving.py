"""The interleave orders: inner datasets read in turn (TF's ``interleave``), ahead by reader threads (its
parallel version, deterministic or not), and TF1's legacy ``parallel_interleave`` order.

``interleaved`` and ``legacy_interleaved`` take the input's elements, a function opening one as an iterator of
elements, and the cycle and block lengths; an error reading the input, opening an element or reading an inner
dataset is handed on in its place, in the order TF gives it, and the iterator goes on after it
(gpunet/data/_resumable.py). Used by gpunet/data/_combining.py (interleave, flat_map), _experimental.py
(parallel_interleave) and sources.py (TFRecordDataset's parallel reads).
"""
from __future__ import annotations

import collections
import itertools

from .. import errors
from ._resumable import Failed, Resumable, pull, raising
from ._threads import Readers

__all__ = ["interleave_readers", "interleaved", "legacy_interleaved"]


_READ_AHEAD = 16  # the fewest elements a reader reads ahead: fewer wake the threads more often than they work


def interleave_readers(env, calls, block, ahead=None):
    """The reader threads of a parallel interleave (None when ``calls`` is None: read in turn on the
    caller's thread), stopped by ``env``'s closers; each reads ``ahead`` elements (at least a block) ahead,
    or (None) as many as fit its first element's size in Readers' budget, at least ``_READ_AHEAD``."""
    if calls is None:
        return None
    readers = Readers(calls, max(block, ahead or _READ_AHEAD), fitted=ahead is None)
    env.closers.append(readers.close)
    return readers


def interleaved(readers, sources, open_element, cycle, block, chunked=False, in_order=True):
    """TF's interleave order over ``open_element`` of each of ``sources``: read in turn, or ahead by
    ``readers`` (from :func:`interleave_readers`). ``chunked``: ``open_element`` gives lists of elements,
    handed between threads a list at a time (a thread hand-off per element costs more than a cheap
    element); the order is over their elements. Not ``in_order`` (readers, not chunked): a turn whose reader
    has nothing ready takes an element of the next one that has (TF's non-deterministic order)."""
    if readers is None:
        opened = (lambda source: itertools.chain.from_iterable(open_element(source))) if chunked else open_element
        return Resumable(_interleaved(sources, opened, cycle, block))
    return Resumable(_read_ahead(readers, sources, open_element, cycle, block, chunked, in_order or chunked))


def _read_ahead(readers, sources, open_element, cycle, block, chunked=False, in_order=True):
    """The sequential order over inner datasets read ahead by ``readers``: as the order takes the input
    in turn, the next ``cycle`` inputs are opened before their turn; closing stops the readers."""
    def read(source):
        handed = readers.read(open_element(source), watched=not in_order)
        return itertools.chain.from_iterable(map(_listed, handed)) if chunked else handed
    try:
        opened = _opened_ahead(sources, read, cycle)
        yield from _interleaved(opened, lambda reader: reader, cycle, block, errors_take_turns=True,
                                in_order=in_order)
    finally:
        readers.close()


def _listed(chunk):
    """A chunk a reader handed over, or a ``Failed`` one as a chunk of one."""
    return [chunk] if chunk.__class__ is Failed else chunk


def _opened_ahead(sources, open_element, ahead):
    """``open_element`` of each source, ``ahead`` of them opened before they are asked for; an error
    reading the input or opening an element is raised by its reader, when its turn comes."""
    pending, ended = collections.deque(), False
    while True:
        while not ended and len(pending) <= ahead:
            opened, ended = _open_next(sources, open_element)
            if opened is not None:
                pending.append(opened)
        if not pending:
            return
        yield pending.popleft()


def _open_next(sources, open_element):
    """(the next source opened, or a reader raising the error met; whether the input ended)."""
    source = pull(sources)
    if source is None:
        return None, True
    if source.__class__ is Failed:  # raised again in order, by the reader; the input goes on
        return raising(source.error), False
    try:
        return open_element(source), False
    except Exception as exc:  # noqa: BLE001 — raised again in order, by the reader
        return raising(exc), False


def legacy_interleaved(readers, sources, open_element, cycle, block, ahead):
    """TF1's ``parallel_interleave`` order (LegacyParallelInterleaveDatasetV2) over ``open_element`` of each
    of ``sources``, each read ahead by ``readers``; ``ahead`` more inputs are opened before their turn
    (``prefetch_input_elements``); closing stops the readers. An error counts as its slot's element."""
    return Resumable(_legacy_items(readers, sources, open_element, cycle, block, ahead))


def _legacy_items(readers, sources, open_element, cycle, block, ahead):
    try:
        yield from _legacy_order(_opened_ahead(sources, lambda source: readers.read(open_element(source)), ahead),
                                 cycle, block)
    finally:
        readers.close()


def _legacy_order(opened, cycle, block):
    """The legacy kernel's deterministic order, which differs from :func:`_interleaved`'s in two ways: the cycle
    has as many slots as the first ``cycle`` inputs fill, and a slot that ends when no input is left passes its
    block count on to the next slot rather than restarting it (TF's order when its reader threads keep ahead,
    as they do unless the consumer outruns them). An ended slot is refilled at once, and the turn moves on."""
    slots = list(itertools.islice(opened, cycle))
    index, taken, open_count = 0, 0, len(slots)
    while open_count:
        if slots[index] is None:
            index = (index + 1) % len(slots)  # `taken` carries over
            continue
        element = pull(slots[index])
        if element is not None:
            taken += 1
            if taken == block:
                index, taken = (index + 1) % len(slots), 0
            yield element
            continue
        slots[index] = next(opened, None)
        if slots[index] is None:
            open_count -= 1
        else:
            taken = 0
        index = (index + 1) % len(slots)


def _interleaved(sources, open_element, cycle, block, errors_take_turns=False, in_order=True):
    """TF's interleave order: slot by slot, ``block`` elements each; an ended slot moves on to the
    next one and is refilled from the input only when the cycle comes back to it. An error reading a slot,
    the input or opening an element is handed on and the turn stays where it was (TF's sequential
    interleave; ``errors_take_turns``: an error counts as the slot's element, as in TF's parallel one). Not
    ``in_order`` (slots are ``Watched`` readers): a turn whose slot has nothing ready first fills the empty slots,
    then takes an element of the next slot that has one ready, the turn staying where it was."""
    cycle = _Cycle(sources, open_element, cycle)
    slots = cycle.slots
    while not cycle.end_of_input or cycle.open_count:
        current = slots[cycle.index]
        if current is None:
            failed = cycle.advance() if cycle.end_of_input else cycle.open_into(cycle.index)
            if failed is not None:
                yield failed
            continue
        if not in_order and not _ready(current):
            element = _out_of_turn(cycle)
            if element is not _WAIT:
                if element is not None:
                    yield element
                continue
        try:  # pull(current), inline: the path of every element
            element = next(current, None)
        except errors.OutOfRangeError:
            element = None
        except Exception as exc:  # noqa: BLE001 — handed on in the element's place
            element = Failed(exc)
        if element is None:
            cycle.close(cycle.index)
            cycle.advance()
        elif element.__class__ is Failed and not errors_take_turns:
            yield element
        else:
            cycle.taken += 1
            if cycle.taken == block:
                cycle.advance()
            yield element


class _Cycle:
    """The slots of an interleave (None: empty), the turn (``index``, ``taken`` elements of its block), and the
    input that fills them."""

    def __init__(self, sources, open_element, length):
        self.slots, self.index, self.taken, self.open_count, self.end_of_input = [None] * length, 0, 0, 0, False
        self._sources, self._open = sources, open_element

    def advance(self):
        """The next slot's turn."""
        self.index, self.taken = (self.index + 1) % len(self.slots), 0

    def open_into(self, at):
        """Opens the next input into slot ``at`` (or notes the input's end): None, or the ``Failed`` met."""
        source = _opened(self._sources, self._open)
        if source.__class__ is Failed:
            return source
        self.end_of_input = source is None
        if source is not None:
            self.slots[at], self.open_count = source, self.open_count + 1
        return None

    def close(self, at):
        self.slots[at], self.open_count = None, self.open_count - 1

    def others(self):
        """The other slots' indices, in turn after the current one."""
        return itertools.chain(range(self.index + 1, len(self.slots)), range(self.index))


_WAIT = object()  # _out_of_turn: nothing is ready elsewhere, wait for the current slot


def _out_of_turn(cycle):
    """The current slot has nothing ready: an input opened into an empty slot (None, or the ``Failed`` met), else
    an element (or ``Failed``) of the next slot in turn that has one ready (None if it ended), else ``_WAIT``."""
    if not cycle.end_of_input and None in cycle.slots:
        return cycle.open_into(cycle.slots.index(None))
    other = next((j for j in cycle.others() if _ready(cycle.slots[j])), None)
    if other is None:
        return _WAIT
    element = pull(cycle.slots[other])
    if element is None:
        cycle.close(other)  # refilled when its turn comes
    return element


def _ready(slot) -> bool:
    """Whether a slot's reader has an element or its end ready; a slot that is no reader (an error to raise) is."""
    if slot is None:
        return False
    ready = getattr(slot, "ready", None)
    return ready is None or ready()


def _opened(sources, open_element):
    """The next input opened, None at the input's end, or the ``Failed`` reading or opening it."""
    source = pull(sources)
    if source is None or source.__class__ is Failed:
        return source
    try:
        return iter(open_element(source))
    except Exception as exc:  # noqa: BLE001 — handed on in the element's place
        return Failed(exc)
