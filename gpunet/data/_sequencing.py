"""``concatenate`` and ``enumerate``: the elements of one dataset followed by another's, or numbered.

``_Concatenate`` needs the two datasets' elements to have the same nesting and dtypes (TF's TypeError names
both element specs); each component's static shape is the most specific one both shapes are compatible with.
``_Enumerate`` pairs each element with its int64 index from ``start``. Both keep an input in memory in memory
(their columns are the inputs' columns, joined or numbered). Imports the base classes from
gpunet/data/dataset.py, whose methods import this lazily.
"""
from __future__ import annotations

import itertools

import numpy as np

from ..graph import Tensor
from ..graph.dtypes import int64
from .dataset import Dataset, _Unary, refuse_windows
from .sources import column_rows
from .structure import Structure, most_specific_shape, nesting

__all__ = ["_Concatenate", "_Enumerate", "spec_repr"]


class _Concatenate(Dataset):
    """The elements of ``first``, then those of ``second`` (started once ``first`` has ended)."""

    def __init__(self, first, second):
        if not isinstance(second, Dataset):
            raise TypeError(f"Dataset.concatenate takes a Dataset, got {type(second).__name__}")
        for dataset in (first, second):
            refuse_windows(dataset, "Dataset.concatenate")
        a, b = first._structure, second._structure
        if a.flat_dtypes != b.flat_dtypes or nesting(a) != nesting(b):
            raise TypeError(f"Incompatible dataset elements:\n  {spec_repr(a)} vs.   {spec_repr(b)}")
        shapes = [most_specific_shape([s, t]) for s, t in zip(a.flat_shapes, b.flat_shapes)]
        super().__init__(Structure(a.template, a.flat_dtypes, shapes), first._captures + second._captures)
        self._first, self._second = first, second

    def _inputs(self):
        return [self._first, self._second]

    @property
    def _in_memory(self) -> bool:
        return self._first._in_memory and self._second._in_memory

    def _columns(self, env):
        """The inputs' columns joined, when both have columns whose rows have the same shape. Else the columns
        drawn are kept for the ``_elements`` that reads this pass next: drawing them again would draw another
        order from a seeded shuffle than the element path gives."""
        first = self._first._columns(env)
        second = None if first is None else self._second._columns(env)
        if second is None or any(a.shape[1:] != b.shape[1:] for a, b in zip(first, second)):
            if first is not None:
                env.state(self, dict)["drawn"] = (first, second)
            return None
        return [np.concatenate([a, b]) for a, b in zip(first, second)]

    def _elements(self, env):
        drawn = env.state(self, dict).pop("drawn", (None, None))
        return self._in_turn(env, *drawn)

    def _in_turn(self, env, first_columns, second_columns):
        # itertools.chain, not a generator: an input's error leaves it usable (ignore_errors goes on)
        return itertools.chain.from_iterable(self._inputs_in_turn(env, first_columns, second_columns))

    def _inputs_in_turn(self, env, first_columns, second_columns):
        for dataset, columns in ((self._first, first_columns), (self._second, second_columns)):
            yield dataset._elements(env) if columns is None else column_rows(columns)


class _Enumerate(_Unary):
    """``(index, element)``: ``index`` an int64 scalar counting from ``start`` (a Python int or a scalar int64
    tensor, read when the iterator is initialized)."""

    def __init__(self, input_dataset, start):
        self._start = _start(start)
        structure = input_dataset._structure
        super().__init__(input_dataset, Structure((0, structure.template), [int64] + structure.flat_dtypes,
                                                  [()] + structure.flat_shapes),
                         [self._start] if isinstance(self._start, Tensor) else [])

    def _first_index(self, env):
        return int(env.values[self._start]) if isinstance(self._start, Tensor) else self._start

    def _columns(self, env):
        columns = self._input._columns(env)
        if columns is None:
            return None
        start = self._first_index(env)
        return [np.arange(start, start + len(columns[0]), dtype=np.int64)] + list(columns)

    def _elements(self, env):
        # map, not a generator: an input's error leaves it usable, its index used up (TF's zip with a range)
        return map(_numbered, itertools.count(self._first_index(env)), self._input._elements(env))


def _numbered(index, element):
    return (np.array(index, dtype=np.int64),) + element


def _start(start):
    """``start`` checked as TF converts it to an int64 scalar."""
    if isinstance(start, Tensor):
        if start.dtype != int64:
            raise ValueError(f"start: Tensor conversion requested dtype int64 for Tensor with dtype "
                             f"{start.dtype.name}: {start!r}")
        if start.shape.ndims not in (None, 0):
            raise ValueError(f"start must be a scalar, got shape {start.shape}")
        return start
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)):
        raise TypeError(f"Expected int64, but got {start!r} of type '{type(start).__name__}'.")
    return int(start)


def spec_repr(structure):
    """The element spec as TF writes it in errors: ``TensorSpec(shape=(2,), dtype=tf.float32, name=None)`` per
    component, nested as the element is."""
    return repr(structure.pack([_Spec(d, s) for d, s in zip(structure.flat_dtypes, structure.flat_shapes)]))


class _Spec:
    def __init__(self, dtype, shape):
        self.dtype, self.shape = dtype, shape

    def __repr__(self):
        shape = "<unknown>" if self.shape is None else repr(tuple(self.shape))
        return f"TensorSpec(shape={shape}, dtype=tf.{self.dtype.name}, name=None)"
