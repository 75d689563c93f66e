"""gn.TensorArray as TF1's tf.TensorArray, with value semantics.

Design: a TensorArray is a Python object over two tensors, ``storage`` (the elements stacked,
``[size, *element_shape]``) and ``written`` (bool ``[size]``); ``write``/``scatter``/``unstack``/
``split`` return a new TensorArray over new tensors (TF2's TensorList model) instead of mutating a
resource as TF1's TensorArrayV3 does. Why: gpunet has no resource tensors; values flow through
gn.while_loop (a TensorArray loop variable is its two tensors), through gradients (each op's
gradient is an ordinary dense one: no gradient TensorArrays, no accumulation state) and across
devices (planned copies of plain arrays) with no special cases. Dense storage fits because TF1's
default ``infer_shape=True`` requires every element to have the same shape anyway.

Differences from TF1 (value semantics): a read does not clear an element, so ``clear_after_read``
has no effect and reading an index twice is allowed; ``close()`` is a no-op op; elements must have
one shape even with ``infer_shape=False`` (a ragged write fails at run time).

Cost: a write copies the storage (no in-place update of a value another op may hold), and each op
reads its indices and the written flags on the host (on a GPU, one small copy back per op).
"""
from __future__ import annotations

import numpy as np

from ..graph.core_ops import convert_to_tensor, no_op
from ..graph.dtypes import as_dtype, int32
from ..graph.graph import Tensor, get_default_graph
from ..graph.shape import TensorShape, as_shape
from . import _tensor_array_kernels  # noqa: F401  (registers the ops)
from ._helpers import constant_value, out, outs


__all__ = ["TensorArray"]


class TensorArray:
    """A list of tensors of one dtype and shape, written and read by index inside or outside
    gn.while_loop, as TF1's tf.TensorArray (every write returns the TensorArray to use next)."""

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None, tensor_array_name=None,
                 handle=None, flow=None, infer_shape=True, element_shape=None, colocate_with_first_write_call=True,
                 name=None):
        if handle is not None or flow is not None:
            raise ValueError("gn.TensorArray holds no resource: it cannot be built from a handle or a flow")
        self._dtype = as_dtype(dtype)
        self._dynamic_size = bool(dynamic_size)
        self._infer_shape = infer_shape
        self._name = tensor_array_name or name or "TensorArray"
        self._cell = [as_shape(element_shape)]
        self._given = _full(self._cell[0]) is not None  # unwritten elements read as zeros
        if size is None:
            raise ValueError("Size must be provided if handle is not provided")
        size = convert_to_tensor(size, dtype=int32)
        self._static_size = None if self._dynamic_size else _static_int(size)
        shape = _full(self._cell[0])
        with get_default_graph().name_scope(name or "TensorArray") as scope:
            self._storage, self._written = outs(
                "TensorArrayNew", [size], {"dtype": self._dtype, "element_shape": shape, "ta_name": self._name,
                                           "shape": self._storage_shape(shape)}, name=scope)

    # -- properties -------------------------------------------------------------------------------
    @property
    def dtype(self):
        """The dtype of the elements."""
        return self._dtype

    @property
    def element_shape(self) -> TensorShape:
        """The static shape of each element (learned from writes when ``infer_shape``)."""
        return TensorShape(self._cell[0])

    @property
    def flow(self) -> Tensor:
        """The tensor holding the elements (``[size, *element_shape]``); a TF1 flow is a scalar."""
        return self._storage

    @property
    def dynamic_size(self) -> bool:
        """Whether writes past the end grow the array."""
        return self._dynamic_size

    # -- writes ---------------------------------------------------------------------------------------
    def write(self, index, value, name=None):
        """A TensorArray with ``value`` at ``index`` (an int32 scalar)."""
        value = self._value(value, "TensorArrayWrite")
        self._learn(value._shape, 0)
        return self._scatter("TensorArrayScatter", [_index(index, "index")], value, True, name or "TensorArrayWrite")

    def scatter(self, indices, value, name=None):
        """A TensorArray with ``value[k]`` at ``indices[k]`` (each index at most once)."""
        value = self._value(value, "TensorArrayScatter")
        self._learn(value._shape, 1)
        return self._scatter("TensorArrayScatter", [_index(indices, "indices")], value, False,
                             name or "TensorArrayScatter")

    def unstack(self, value, name=None):
        """A TensorArray with ``value[k]`` at index ``k``."""
        value = self._value(value, "TensorArrayUnstack")
        self._learn(value._shape, 1)
        return self._scatter("TensorArrayScatterAll", [], value, False, name or "TensorArrayUnstack")

    def split(self, value, lengths, name=None):
        """A TensorArray with ``value`` cut along its first axis into pieces of ``lengths`` (equal
        lengths: every element has one shape)."""
        value = self._value(value, "TensorArraySplit")
        lengths = _index(lengths, "lengths")
        known = constant_value(lengths)
        piece = None if known is None or not np.size(known) else int(np.ravel(known)[0])
        rest = None if value._shape is None else (len(np.ravel(known)) if known is not None else None, piece) + \
            tuple(value._shape[1:])
        with get_default_graph().name_scope(name or "TensorArraySplit") as scope:
            rows = out("TensorArraySplitRows", [value, lengths], {"shape": rest, "ta_name": self._name})
            return self.unstack(rows, name=scope)

    def _value(self, value, what) -> Tensor:
        if isinstance(value, Tensor) and value.dtype != self._dtype:
            raise TypeError(f"{what}: Input value {value.name} has dtype {value.dtype.name}, but the TensorArray "
                            f"holds {self._dtype.name}")
        return convert_to_tensor(value, dtype=self._dtype)

    def _learn(self, shape, drop):
        """Merge the element shape a write shows (``shape[drop:]``) into the shared static shape."""
        if shape is None or not self._infer_shape:
            return
        seen = tuple(shape[drop:])
        if self._cell[0] is not None:
            known = self._cell[0]
            if len(known) != len(seen) or any(a is not None and b is not None and a != b for a, b in zip(known, seen)):
                raise ValueError(f"Inconsistent shapes: saw {_text(seen)} but expected {_text(known)} ")
            seen = tuple(a if a is not None else b for a, b in zip(known, seen))
        self._cell[0] = seen

    def _scatter(self, op_type, indices, value, single, name):
        attrs = {"single": single, "dynamic_size": self._dynamic_size, "ta_name": self._name,
                 "shape_known": self._given, "shape": self._storage_shape(self._cell[0])}
        storage, written = outs(op_type, [self._storage, self._written] + indices + [value], attrs, name=name)
        return self._next(storage, written)

    def _next(self, storage, written):
        ta = object.__new__(TensorArray)
        ta.__dict__.update(self.__dict__)  # TF1: TensorArrays made from one another share their element shape
        ta._storage, ta._written = storage, written
        return ta

    def _storage_shape(self, element):
        return None if element is None else (self._static_size,) + tuple(element)

    # -- reads ----------------------------------------------------------------------------------------
    def read(self, index, name=None):
        """The element at ``index`` (zeros if it was never written but its shape is known)."""
        return self._gather([_index(index, "index")], True, self._cell[0], name or "TensorArrayRead")

    def gather(self, indices, name=None):
        """The elements at ``indices``, stacked."""
        indices = _index(indices, "indices")
        shape = None if self._cell[0] is None or indices._shape is None else tuple(indices._shape) + self._cell[0]
        return self._gather([indices], False, shape, name or "TensorArrayGather")

    def _gather(self, indices, single, shape, name):
        return out("TensorArrayGather", [self._storage, self._written] + indices,
                   {"single": single, "shape": shape, **self._read_attrs()},
                   name=name)

    def stack(self, name=None):
        """All elements stacked: ``[size, *element_shape]``."""
        return self._whole("TensorArrayStack", self._storage_shape(self._cell[0]), name or "TensorArrayStack")

    def concat(self, name=None):
        """All elements concatenated along their first axis."""
        element = self._cell[0]
        if element is not None and not element:
            raise ValueError("Concat saw a scalar shape at index 0 but requires at least vectors.")
        shape = None if element is None else (_product(self._static_size, element[0]),) + tuple(element[1:])
        return self._whole("TensorArrayConcat", shape, name or "TensorArrayConcat")

    def _whole(self, op_type, shape, name):
        return out(op_type, [self._storage, self._written],
                   {"shape": shape, **self._read_attrs()}, name=name)

    def _read_attrs(self):
        return {"ta_name": self._name, "shape_known": self._given, "element_shape": _full(self._cell[0])}

    def size(self, name=None):
        """The number of elements (int32 scalar)."""
        return out("TensorArraySize", [self._storage], name=name or "TensorArraySize")

    def identity(self):
        """This TensorArray (its value cannot change: a new object over the same tensors)."""
        return self._next(self._storage, self._written)

    def close(self, name=None):
        """An op that does nothing: a TensorArray holds no resource to release."""
        return no_op(name=name or "TensorArrayClose")

    # -- as loop variables (gn.while_loop) ----------------------------------------------------------
    def _loop_tensors(self):
        return [self._storage, self._written]

    def _loop_invariants(self):
        return [None, (None,)]  # a write may allocate or grow the storage

    def _from_loop_tensors(self, tensors):
        return self._next(*tensors)


def _index(value, what) -> Tensor:
    if isinstance(value, (float, np.floating)) or (isinstance(value, Tensor) and not value.dtype.is_integer):
        raise TypeError(f"Expected int32 passed to parameter '{what}', got {value!r}")
    return convert_to_tensor(value, dtype=int32)


def _static_int(tensor):
    known = constant_value(tensor)
    return None if known is None else int(known)


def _full(element):
    return element if element is not None and None not in element else None


def _product(a, b):
    return None if a is None or b is None else a * b


def _text(shape):
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
