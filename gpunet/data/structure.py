"""The structure of a dataset's elements: tuples, namedtuples and dicts nest; anything else (a
list too, as in tf.data) is one component with a dtype and a static shape."""
from __future__ import annotations

import numpy as np

from ..graph import TensorShape, convert_to_tensor
from ..graph.dtypes import as_bytes_array, infer_dtype, string
from ..ops import nest

__all__ = ["Structure", "as_array", "compatible", "flatten", "is_nested", "most_specific_shape", "nesting", "pack"]


def is_nested(value) -> bool:
    return isinstance(value, (tuple, dict))


def flatten(value) -> list:
    """The components of an element, in order (a list is one component, as in tf.data)."""
    return nest.flatten(value, lists_nest=False)


def pack(template, leaves):
    """``template`` with its components replaced, in order, by ``leaves``."""
    return nest.pack_as(template, leaves, lists_nest=False)


def as_array(value, dtype=None):
    """A NumPy value of a component (strings as object arrays of bytes, floats float32 by default)."""
    if dtype is None:
        dtype = infer_dtype(value)
    if dtype == string:
        return as_bytes_array(value)
    return np.asarray(value, dtype=dtype.np)


class Structure:
    """A template of the element (its leaves unused) with the dtype and shape of each component."""

    def __init__(self, template, dtypes, shapes):
        self.template = template
        self.flat_dtypes = list(dtypes)
        self.flat_shapes = [None if s is None else tuple(s) for s in shapes]

    @classmethod
    def of_tensors(cls, value):
        tensors = [convert_to_tensor(leaf) for leaf in flatten(value)]
        return cls(value, [t.dtype for t in tensors], [_shape_tuple(t.shape) for t in tensors])

    def pack(self, flat):
        return pack(self.template, flat)

    def with_shapes(self, shapes):
        return Structure(self.template, self.flat_dtypes, shapes)

    @property
    def types(self):
        return self.pack(self.flat_dtypes)

    @property
    def shapes(self):
        return self.pack([TensorShape(s) for s in self.flat_shapes])

    def batched(self, size):
        return self.with_shapes([None if s is None else (size,) + s for s in self.flat_shapes])

    def unbatched(self):
        return self.with_shapes([None if s is None else s[1:] for s in self.flat_shapes])


def _shape_tuple(shape):
    return None if shape.ndims is None else tuple(shape.as_list())


def compatible(shape, actual) -> bool:
    return shape is None or (len(shape) == len(actual) and all(a is None or a == b for a, b in zip(shape, actual)))


def most_specific_shape(shapes):
    """The most specific shape all of ``shapes`` are compatible with (TF's most_specific_compatible_shape): unknown
    rank if the ranks differ, each dimension kept where all agree, else unknown."""
    if any(s is None for s in shapes) or len({len(s) for s in shapes}) > 1:
        return None
    return tuple(dims[0] if len(set(dims)) == 1 else None for dims in zip(*shapes))


def nesting(structure) -> str:
    """The nesting of ``structure``'s elements (tuples, namedtuples, dict keys), comparable between structures."""
    return repr(pack(structure.template, [0] * len(structure.flat_dtypes)))
