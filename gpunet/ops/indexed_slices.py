"""TF1's ``tf.IndexedSlices`` (some rows of a tensor: ``values[i]`` is row ``indices[i]`` of a tensor of
shape ``dense_shape``) and the ``Variable.scatter_*`` methods of TF1's reference variables that take one.

The methods are attached to gn.Variable here, in the ops layer, as operators.py attaches the operators:
gpunet/graph does not import the ops."""
from __future__ import annotations

import warnings
from collections import namedtuple

import numpy as np

from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import as_dtype
from ..graph.variables import Variable
from . import scatter_ops
from ._helpers import constant_value
from .math_ops import negative
from .segment_ops import unsorted_segment_sum

__all__ = ["IndexedSlices", "IndexedSlicesValue"]

IndexedSlicesValue = namedtuple("IndexedSlicesValue", ["values", "indices", "dense_shape"])
IndexedSlicesValue.__doc__ = "What ``sess.run`` gives for an IndexedSlices: its parts' values (no dense_shape: None)."

_LARGE_SPARSE_NUM_ELEMENTS = 100_000_000  # TF1 warns when a conversion makes a dense tensor this large


class IndexedSlices:
    """Rows ``indices`` (1-D, int32 or int64) of a tensor of shape ``dense_shape`` (1-D, optional), their
    values ``values`` (``[len(indices)] + dense_shape[1:]``). ``gn.convert_to_tensor`` (and any op given one)
    makes it dense, summing the values of repeated indices, as TF1 does; that needs ``dense_shape``.
    Unlike TF1, the three parts are converted to tensors when the object is made."""

    def __init__(self, values, indices, dense_shape=None):
        self._values = convert_to_tensor(values)
        self._indices = convert_to_tensor(indices)
        self._dense_shape = None if dense_shape is None else convert_to_tensor(dense_shape)

    @property
    def values(self):
        """The rows' values."""
        return self._values

    @property
    def indices(self):
        """Which row of the dense tensor each row of ``values`` is."""
        return self._indices

    @property
    def dense_shape(self):
        """The dense tensor's shape (a 1-D int tensor), or None."""
        return self._dense_shape

    @property
    def name(self):
        """The name of ``values``."""
        return self._values.name

    @property
    def dtype(self):
        """The dtype of ``values``."""
        return self._values.dtype

    @property
    def op(self):
        """The op producing ``values``."""
        return self._values.op

    @property
    def graph(self):
        """The graph of ``values``."""
        return self._values.graph

    @property
    def device(self):
        """The device of ``values``."""
        return self._values.device

    def __neg__(self):
        return IndexedSlices(negative(self._values), self._indices, self._dense_shape)

    def __repr__(self):
        shape = "" if self._dense_shape is None else f", dense_shape={self._dense_shape}"
        return f"IndexedSlices(indices={self._indices}, values={self._values}{shape})"

    def _fetch_parts(self):
        """``sess.run`` fetches the parts and gives an ``IndexedSlicesValue``, as TF1 does."""
        return IndexedSlicesValue, [self._values, self._indices, self._dense_shape]

    def _as_tensor(self):
        return _to_dense(self)


def _to_dense(slices, dtype=None):
    """TF1's conversion: ``unsorted_segment_sum(values, indices, dense_shape[0])``."""
    if dtype is not None and as_dtype(dtype) != slices.dtype:
        raise ValueError(f"Incompatible tensor conversion requested to `dtype` {as_dtype(dtype).name} for "
                         f"IndexedSlices ({slices}) with dtype {slices.dtype.name}")
    if slices.dense_shape is None:
        raise ValueError(f"Tensor conversion requested for IndexedSlices for argument `value` without "
                         f"dense_shape: {slices!s}")
    shape = constant_value(slices.dense_shape)
    if shape is None:
        raise ValueError(f"Tensor conversion of IndexedSlices needs a dense_shape known when the graph is built "
                         f"(Python ints or a constant); {slices.dense_shape.name} is computed")
    shape = np.asarray(shape).reshape(-1)
    if int(np.prod(shape)) >= _LARGE_SPARSE_NUM_ELEMENTS:
        warnings.warn(f"Converting sparse IndexedSlices to a dense Tensor with {int(np.prod(shape))} elements. "
                      f"This may consume a large amount of memory.", stacklevel=3)
    return unsorted_segment_sum(slices.values, slices.indices, int(shape[0]))


# -- Variable.scatter_* (TF1's RefVariable methods) ---------------------------------------------------------------
def _sparse_delta_method(scatter):
    def method(self, sparse_delta, use_locking=False, name=None):
        if not isinstance(sparse_delta, IndexedSlices):
            raise TypeError(f"sparse_delta is not IndexedSlices: {sparse_delta}")
        return scatter(self, sparse_delta.indices, sparse_delta.values, use_locking=use_locking, name=name)
    method.__name__ = scatter.__name__
    method.__doc__ = (f"TF1's ``Variable.{scatter.__name__}(sparse_delta)``: gn.{scatter.__name__} of the "
                      f"IndexedSlices' indices and values (TypeError for anything else); returns the updated variable.")
    return method


def _nd_method(scatter):
    def method(self, indices, updates, name=None):
        return scatter(self, indices, updates, use_locking=True, name=name)  # TF1 always locks these
    method.__name__ = scatter.__name__
    method.__doc__ = (f"TF1's ``Variable.{scatter.__name__}(indices, updates)``: gn.{scatter.__name__} holding "
                      f"the variable's lock; returns the updated variable.")
    return method


def _install_scatter_methods(cls):
    for scatter in (scatter_ops.scatter_add, scatter_ops.scatter_sub, scatter_ops.scatter_mul,
                    scatter_ops.scatter_div, scatter_ops.scatter_max, scatter_ops.scatter_min,
                    scatter_ops.scatter_update):
        setattr(cls, scatter.__name__, _sparse_delta_method(scatter))
    for scatter in (scatter_ops.scatter_nd_add, scatter_ops.scatter_nd_sub, scatter_ops.scatter_nd_update):
        setattr(cls, scatter.__name__, _nd_method(scatter))


_install_scatter_methods(Variable)
