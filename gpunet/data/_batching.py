"""``Dataset.batch`` and ``padded_batch``: consecutive elements stacked into one array per component.

``_Batch`` takes the input's ``_blocks`` (one array per component, ``size`` elements at a time) or, padded,
its elements ``size`` at a time, padded to a common shape first; ``stacked_blocks`` is ``Dataset._blocks``'
default (slices of the input's columns, else its elements stacked). Like every transformation module it
imports the base classes from gpunet/data/dataset.py, whose methods import it lazily: imports point one way.
"""
from __future__ import annotations

import itertools

import numpy as np

from .. import errors
from ._resumable import Failed, Resumable, caught
from .dataset import _Unary

__all__ = ["_Batch", "stacked_blocks"]


class _Batch(_Unary):
    """``size`` consecutive elements stacked; ``padded``: each component padded first (to
    ``padded_shapes``, else to the largest element) with its padding value (0, b'', or ``padding_values``)."""

    def __init__(self, input_dataset, size, drop_remainder, padded=None, padding_values=None):
        structure = input_dataset._structure
        if padded not in (None, True):
            shapes = [tuple(s.as_list()) for s in _flat_shapes(padded, structure)]
            structure = structure.with_shapes(shapes)
        fills = [] if padded is None else _padding_values(padding_values, input_dataset._structure)
        super().__init__(input_dataset, structure.batched(size if drop_remainder else None),
                         [f.tensor for f in fills if f.tensor is not None])
        self._size, self._drop, self._padded, self._fills = size, drop_remainder, padded, fills
        self._pad_to = None if padded in (None, True) else shapes

    def _elements(self, env):
        # iterators, not generators: an error producing one batch leaves them usable (ignore_errors goes on)
        if self._padded is None and self._fused(env):
            blocks = stacked_blocks(self._input, env, self._size, whole=True)
        elif self._padded is None:
            blocks = self._input._blocks(env, self._size)
        else:
            fills = [f.value(env) for f in self._fills]
            blocks = map(lambda rows: [self._pad([row[i] for row in rows], i, fills[i]) for i in range(len(rows[0]))],
                         _row_blocks(self._input._elements(env), self._size))
        if self._drop:
            blocks = itertools.takewhile(lambda columns: len(columns[0]) == self._size, blocks)
        return map(tuple, blocks)

    def _fused(self, env) -> bool:
        """Whether TF would fuse this batch with the map before it (``map_and_batch_fusion``, on unless the
        options say False), which reads a batch whole even when an element fails, and drops it: an unfused
        batch stops at the error and drops the part it assembled."""
        from ._mapping import _Map
        fusion = env.options and env.options.experimental_optimization.map_and_batch_fusion
        return isinstance(self._input, _Map) and fusion is not False

    def _pad(self, arrays, index, fill):
        if len({a.ndim for a in arrays}) > 1:
            raise errors.InvalidArgumentError(None, None, f"padded_batch: component {index} has elements of ranks "
                                                          f"{sorted({a.ndim for a in arrays})}")
        largest = tuple(max(sizes) for sizes in zip(*(a.shape for a in arrays)))
        target = self._pad_to[index] if self._pad_to else None
        full = largest if not target else tuple(largest[i] if t is None else t for i, t in enumerate(target))
        if any(f < d for f, d in zip(full, largest)):
            raise errors.InvalidArgumentError(None, None, f"padded_shapes {list(target)} of component {index} is "
                                                          f"smaller than an element of shape {list(largest)}")
        out = np.full((len(arrays),) + full, fill, dtype=arrays[0].dtype)
        for i, a in enumerate(arrays):
            out[(i,) + tuple(slice(0, d) for d in a.shape)] = a
        return out


def stacked_blocks(dataset, env, size, whole=False):
    """Consecutive elements of ``dataset``, ``size`` at a time, as one array per component: slices of its
    columns when it has them, else its elements stacked (``Dataset._blocks``' default). An element's error
    drops the block assembled; ``whole``: once the block is read whole (TF's fused map and batch)."""
    columns = dataset._columns(env)
    if columns is not None:
        return _slices(columns, size)
    return map(lambda rows: [_stack([row[i] for row in rows], i) for i in range(len(rows[0]))],
               (_whole_blocks if whole else _row_blocks)(dataset._elements(env), size))


def _padding_values(padding_values, structure):
    """One padding value per component: a scalar of its dtype (a Python value or a scalar tensor)."""
    from .sources import Component
    from .structure import flatten
    dtypes = structure.flat_dtypes
    if padding_values is None:
        return [Component(b"" if d.name == "string" else 0, d) for d in dtypes]
    leaves = flatten(padding_values) if isinstance(padding_values, (tuple, dict)) else [padding_values]
    if len(leaves) != len(dtypes):
        raise ValueError(f"padding_values has {len(leaves)} components, the dataset {len(dtypes)}")
    fills = [Component(v, d) for v, d in zip(leaves, dtypes)]
    for i, (fill, dtype) in enumerate(zip(fills, dtypes)):
        if fill.dtype != dtype:
            raise TypeError(f"padding_values component {i} has dtype {fill.dtype.name}; the dataset's is {dtype.name}")
        if fill.shape != ():
            raise ValueError(f"padding_values component {i} must be a scalar, got shape {list(fill.shape or [])}")
    return fills


def _row_blocks(source, size):
    """Lists of ``size`` consecutive elements (fewer at the end). An error reading one drops the rows taken
    for its list, as TF's batch drops that batch, and leaves the iterator usable."""
    return iter(lambda: list(itertools.islice(source, size)), [])


def _whole_blocks(source, size):
    """Lists of ``size`` consecutive elements (fewer at the end), each read whole even when one fails, its
    first error raised then (TF's map_and_batch drops the whole batch; _row_blocks stops at the error)."""
    return Resumable(iter(lambda: _first_failed(list(itertools.islice(caught(source), size))), []))


def _first_failed(rows):
    return next((row for row in rows if row.__class__ is Failed), rows)


def _slices(columns, size):
    for start in range(0, len(columns[0]), size):
        yield [np.array(c[start:start + size]) for c in columns]


def _stack(arrays, index):
    try:
        return np.stack(arrays)
    except ValueError:
        raise errors.InvalidArgumentError(None, None, (
            f"Cannot batch tensors with different shapes in component {index}. First element had shape "
            f"{list(arrays[0].shape)} and element {next(i for i, a in enumerate(arrays) if a.shape != arrays[0].shape)}"
            f" had shape {list(next(a.shape for a in arrays if a.shape != arrays[0].shape))}.")) from None


def _flat_shapes(padded, structure):
    from ..graph import TensorShape
    from .structure import flatten
    shapes = flatten(padded) if isinstance(padded, (tuple, dict)) else [padded]
    if len(shapes) != len(structure.flat_dtypes):
        raise ValueError(f"padded_shapes has {len(shapes)} components, the dataset {len(structure.flat_dtypes)}")
    return [TensorShape(s) for s in shapes]
