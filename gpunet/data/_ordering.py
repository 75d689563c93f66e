"""``shuffle``, ``repeat``, ``take``/``skip``/``shard`` and ``cache``: the input's elements handed on unchanged.

Each chooses which of the input's elements come out and in what order (a shuffle buffer, epochs, one
slice, a replay of the first complete pass); none runs code per element, so an input in memory stays
in memory. An input's error passes through each at its place, as TF returns it, and leaves it usable
(gpunet/data/_resumable.py). Imports the base classes from gpunet/data/dataset.py, whose methods import this
lazily.
"""
from __future__ import annotations

import itertools
import sys

import numpy as np

from ..ops.random_ops import get_seed
from ._resumable import Failed, caught, resumable
from .dataset import _Unary

__all__ = ["_Cache", "_Repeat", "_Shuffle", "_Slice"]


class _Shuffle(_Unary):
    def __init__(self, input_dataset, buffer_size, seed, reshuffle):
        super().__init__(input_dataset)
        self._buffer_size, self._reshuffle = buffer_size, reshuffle
        self._seeds = get_seed(seed)

    def _rng(self, env):
        seeds = self._seeds
        if seeds == (None, None):
            return np.random.default_rng()
        if not self._reshuffle:  # the same order every epoch
            return np.random.default_rng([seeds[0] or 0, seeds[1] or 0])
        # one generator per initialization: each epoch continues it (a new order), and a new
        # initialization starts from the seed again (the same sequence of orders)
        return env.state(self, lambda: np.random.default_rng([seeds[0] or 0, seeds[1] or 0]))

    def _columns(self, env):
        """A buffer as large as the input shuffles it whole: one permutation of its columns."""
        columns = self._input._columns(env)
        if columns is None or len(columns[0]) > self._buffer_size:
            return None
        order = self._rng(env).permutation(len(columns[0]))
        return [c[order] for c in columns]

    def _elements(self, env):
        columns = self._columns(env)
        if columns is not None:
            from .sources import column_rows
            return column_rows(columns)
        return self._buffered(env)

    @resumable
    def _buffered(self, env):
        """An input's error is handed on at once and draws nothing from the generator, so the order is that of
        the input without the failed elements, as in TF. (gpunet reads the next element before it hands one out,
        TF after: without ignore_errors the error comes one element earlier than TF's.)"""
        rng, size = self._rng(env), self._buffer_size
        buffer = []
        for element in caught(self._input._elements(env)):
            if element.__class__ is Failed or len(buffer) < size:
                yield from _kept(element, buffer)
                continue
                buffer.append(element)
                continue
            index = int(rng.integers(size))
            yield buffer[index]
            buffer[index] = element
        order = rng.permutation(len(buffer))
        for index in order:
            yield buffer[index]


def _kept(element, buffer):
    """A failed element handed on at once (yielded), another one kept in ``buffer``."""
    if element.__class__ is Failed:
        yield element
    else:
        buffer.append(element)


class _Cache(_Unary):
    """The input's elements, recorded by the first pass that reaches its end and replayed after (without the
    elements that failed, which TF's cache leaves out too)."""

    def _elements(self, env):
        cache = env.state(self, dict)
        if "elements" in cache:
            return iter(cache["elements"])
        return self._filling(env, cache)

    @resumable
    def _filling(self, env, cache):
        seen = []
        for element in caught(self._input._elements(env)):
            if element.__class__ is Failed:
                yield element
                continue
            for array in element:
                array.flags.writeable = False  # replayed later: a fetch copies it rather than hand it out
            seen.append(element)
            yield element
        cache["elements"] = seen


class _Repeat(_Unary):
    def __init__(self, input_dataset, count):
        super().__init__(input_dataset)
        self._count = count

    @resumable
    def _elements(self, env):
        """Epoch after epoch; an epoch that gives no element (failed ones do not count, as in TF) ends it."""
        for _ in itertools.count() if self._count is None else range(self._count):
            produced = False
            for element in caught(self._input._elements(env)):
                produced = produced or element.__class__ is not Failed
                yield element
            if not produced:
                return


class _Slice(_Unary):
    def __init__(self, input_dataset, start, stop, step):
        super().__init__(input_dataset)
        self._start, self._stop, self._step = start, stop, step

    def _elements(self, env):
        if self._start is None:  # skip(-1): skips everything
            return iter(())
        stop = None if self._stop is None else self._start + self._stop
        return _Sliced(self._input._elements(env), self._start, stop, self._step)


class _Sliced:
    """The input's elements at ``start``, ``start + step``, ... before ``stop``, read as TF's take, skip and
    shard read them: ``position`` counts the elements consumed, and each output skips to the ``wanted`` one,
    then reads it. An iterator, not a generator: an error passes through uncounted and leaves it usable; one met
    while skipping loses that skip's count (TF's Skip returns before counting), so the skip starts again."""

    def __init__(self, source, start, stop, step):
        self._source, self._wanted, self._position = iter(source), start, 0
        self._stop, self._step = sys.maxsize if stop is None else stop, step

    def __iter__(self):
        return self

    def __next__(self):
        wanted = self._wanted
        if wanted >= self._stop:
            self._source = iter(())  # let the input go (as islice does): its threads stop as it is collected
            raise StopIteration
        if wanted != self._position:
            for _ in range(wanted - self._position):
                next(self._source)
            self._position = wanted
        element = next(self._source)
        self._position, self._wanted = wanted + 1, wanted + self._step
        return element
