"""The ops under gn.TensorArray (gpunet/ops/tensor_array_ops.py): a TensorArray's value is two
tensors, ``storage`` (the elements stacked: ``[size, *element_shape]``) and ``written`` (bool
``[size]``). Every op takes them and returns new ones; none mutates its inputs, so a TensorArray
flows through gn.while_loop, gradients and devices as plain tensors do.

Until the first write of a TensorArray whose element shape was not given, ``storage`` is a
placeholder of shape ``[size, 0]``: the first write allocates ``[size, *value.shape]``.
"""
from __future__ import annotations

import numpy as np

from .. import errors
from ..graph.dtypes import bool_, int32
from ..graph.registry import define_op
from ._helpers import out
from .array_ops import reshape_like
from .indexing_ops import gather, gather_grad

__all__: list = []


def _fail(ctx, message):
    raise errors.InvalidArgumentError(None, ctx.op, f"TensorArray {ctx.attrs['ta_name']}: {message}")


def _host(array) -> np.ndarray:
    """A small device array's value on the host (one copy for a GPU's, as TF1's host-memory args)."""
    return np.asarray(array.tolist())


def _host_indices(indices):
    return _host(indices).reshape(-1).astype(np.int64)


def _has_elements(ctx, written) -> bool:
    """Whether ``storage`` holds real elements (some were written, or the shape was given)."""
    return ctx.attrs["shape_known"] or bool(_host(written).any())


def _readable(ctx, storage, written):
    """``storage``, or zeros where nothing was written but a read's static element shape is fully known
    (TF1 then reads zeros); None when the elements' shape is unknown."""
    if _has_elements(ctx, written):
        return storage
    element = ctx.attrs["element_shape"]
    return None if element is None else ctx.xp.zeros((storage.shape[0],) + element, storage.dtype)


# -- TensorArrayNew: fresh storage ----------------------------------------------------------------
def _new_kernel(ctx):
    xp, dtype, element = ctx.xp, ctx.out_dtype(), ctx.attrs["element_shape"]

    def new(size):
        n = int(_host(size))
        if n < 0:
            _fail(ctx, f"Size should be >= 0, got {n}")
        return xp.zeros((n,) + (element if element is not None else (0,)), dtype), xp.zeros(n, bool)
    return new


define_op("TensorArrayNew", lambda i, a: [(a["dtype"], a["shape"]), (bool_, a["shape"] and a["shape"][:1])],
          {"any": _new_kernel}, differentiable=False, doc="A TensorArray's empty storage and written flags.")


# -- TensorArrayScatter: write, scatter, unstack, split ---------------------------------------------
def _check_write_indices(ctx, indices, n, count, held):
    """Fail unless each of ``indices`` is in range and written once (``held``: the written flags)."""
    if len(indices) != count:
        _fail(ctx, f"Expected len(indices) == values.shape[0], but saw: {len(indices)} vs. {count}")
    for i in indices:
        if i < 0 or (i >= n and not ctx.attrs["dynamic_size"]):
            _fail(ctx, f"Tried to write to index {i} but array is not resizeable and size is: {n}")
    seen = set()
    for i in indices.tolist():
        if i in seen or (i < n and held[i]):
            _fail(ctx, f"Could not write to TensorArray index {i} because it has already been written to.")
        seen.add(i)


def _fit_storage(ctx, storage, written, element_shape, first_index):
    """``storage`` able to hold elements of ``element_shape`` (allocated on the first write)."""
    if not _has_elements(ctx, written):
        return ctx.xp.zeros((storage.shape[0],) + element_shape, storage.dtype)
    if storage.shape[1:] != element_shape:
        _fail(ctx, f"Could not write to TensorArray index {first_index} because the value shape is "
                   f"{list(element_shape)} which is incompatible with the TensorArray's inferred element shape: "
                   f"{list(storage.shape[1:])} (consider setting infer_shape=False).")
    return storage


def _grown(xp, storage, written, n):
    """``storage`` and ``written`` padded to ``n`` elements (a dynamic-size TensorArray grows)."""
    if n <= storage.shape[0]:
        return storage.copy(), written.copy()
    pad = n - storage.shape[0]
    return (xp.concatenate([storage, xp.zeros((pad,) + storage.shape[1:], storage.dtype)]),
            xp.concatenate([written, xp.zeros(pad, bool)]))


def _scatter_kernel(ctx):
    xp, single = ctx.xp, ctx.attrs["single"]

    def scatter(storage, written, indices, values):
        values = values[None] if single else values
        where = _host_indices(indices) if indices is not None else np.arange(len(values))
        n = storage.shape[0]
        _check_write_indices(ctx, where, n, len(values), _host(written).reshape(-1))
        storage = _fit_storage(ctx, storage, written, tuple(values.shape[1:]), int(where[0]) if len(where) else 0)
        storage, written = _grown(xp, storage, written, max([n, *(where + 1).tolist()]))
        storage[xp.asarray(where)] = values
        written[xp.asarray(where)] = True
        return storage, written
    return scatter


def _scatter_all_kernel(ctx):
    scatter = _scatter_kernel(ctx)
    return lambda storage, written, values: scatter(storage, written, None, values)


def _scatter_infer(inputs, attrs):
    return [(inputs[0].dtype, attrs["shape"]), (bool_, attrs["shape"] and attrs["shape"][:1])]


def _scatter_grad(op, g, _):
    values_grad = gather(g, op.inputs[2]) if len(op.inputs) == 4 else _leading(g, op.inputs[2])
    return [_clear_rows(g, op), None] + ([None] if len(op.inputs) == 4 else []) + [values_grad]


define_op("TensorArrayScatter", _scatter_infer, {"any": _scatter_kernel}, grad=_scatter_grad,
          doc="A TensorArray with elements written at indices (each index once).")
define_op("TensorArrayScatterAll", _scatter_infer, {"any": _scatter_all_kernel}, grad=_scatter_grad,
          doc="A TensorArray with values[i] written at index i (unstack).")


# -- gradient helpers: the storage's gradient without the rows a scatter wrote --------------------
def _clear_rows_kernel(ctx):
    xp = ctx.xp

    def clear_rows(g, storage, indices):
        if g.shape[1:] != storage.shape[1:]:  # the write allocated the storage: nothing flowed in
            return xp.zeros(storage.shape, storage.dtype)
        result = g[:storage.shape[0]].copy()
        where = _host_indices(indices) if indices is not None else np.arange(g.shape[0])
        result[xp.asarray(where[where < storage.shape[0]])] = 0
        return result
    return clear_rows


def _clear_all_kernel(ctx):
    clear = _clear_rows_kernel(ctx)
    return lambda g, storage: clear(g, storage, None)


define_op("TensorArrayClearRows", lambda i, a: [(i[1].dtype, i[1]._shape)], {"any": _clear_rows_kernel},
          differentiable=False, doc="A TensorArray write's gradient for its old storage.")
define_op("TensorArrayClearLeading", lambda i, a: [(i[1].dtype, i[1]._shape)], {"any": _clear_all_kernel},
          differentiable=False, doc="An unstack's gradient for its old storage.")


def _clear_rows(g, op):
    if len(op.inputs) == 4:
        return out("TensorArrayClearRows", [g, op.inputs[0], op.inputs[2]])
    return out("TensorArrayClearLeading", [g, op.inputs[0]])


def _leading_kernel(ctx):
    return lambda g, values: g[:values.shape[0]]


define_op("TensorArrayLeading", lambda i, a: [(i[0].dtype, i[1]._shape)], {"any": _leading_kernel},
          differentiable=False, doc="An unstack's gradient for its values: the storage's first rows.")


def _leading(g, values):
    return out("TensorArrayLeading", [g, values])


# -- TensorArrayGather: read, gather --------------------------------------------------------------
def _check_readable(ctx, storage, written, where):
    n = storage.shape[0]
    for i in where:
        if i < 0 or i >= n:
            _fail(ctx, f"Tried to read from index {i} but array size is: {n}")
    storage = _readable(ctx, storage, written)
    if storage is None:
        _fail(ctx, f"Could not read from TensorArray index {where[0] if len(where) else 0}.  Furthermore, the "
                   f"element shape is not fully defined: <unknown>.  If you set the full element_shape property "
                   f"on TensorArray construction, zeros will be returned instead.")
    return storage


def _gather_kernel(ctx):
    xp, single = ctx.xp, ctx.attrs["single"]

    def gather_elements(storage, written, indices):
        where = _host_indices(indices)
        storage = _check_readable(ctx, storage, written, where)
        return storage[int(where[0])] if single else xp.take(storage, xp.asarray(where), axis=0)
    return gather_elements


define_op("TensorArrayGather", lambda i, a: [(i[0].dtype, a["shape"])], {"any": _gather_kernel},
          grad=lambda op, g: [gather_grad(g, op.inputs[2], op.inputs[0], 0), None, None],
          doc="The TensorArray's elements at indices (unwritten ones are zeros).")


# -- TensorArrayStack, TensorArrayConcat, TensorArraySize ---------------------------------------------
def _stack_kernel(ctx):
    def stack(storage, written):
        readable = _readable(ctx, storage, written)
        if readable is None:
            if storage.shape[0] == 0:
                _fail(ctx, "TensorArray has size zero, but element shape <unknown> is not fully defined. "
                           "Currently only static shapes are supported when packing zero-size TensorArrays.")
            _fail(ctx, "Could not read from TensorArray index 0.  Furthermore, the element shape is not fully "
                       "defined: <unknown>.")
        return readable
    return stack


def _concat_kernel(ctx):
    stack = _stack_kernel(ctx)

    def concat(storage, written):
        storage = stack(storage, written)
        if storage.ndim < 2:
            _fail(ctx, "Concat saw a scalar shape at index 0 but requires at least vectors.")
        return storage.reshape((-1,) + storage.shape[2:])
    return concat


define_op("TensorArrayStack", lambda i, a: [(i[0].dtype, a["shape"])], {"any": _stack_kernel},
          grad=lambda op, g: [g, None], doc="The TensorArray's elements stacked (unwritten ones are zeros).")
define_op("TensorArrayConcat", lambda i, a: [(i[0].dtype, a["shape"])], {"any": _concat_kernel},
          grad=lambda op, g: [reshape_like(g, op.inputs[0]), None],
          doc="The TensorArray's elements concatenated along their first axis.")
def _size_kernel(ctx):
    return lambda storage: ctx.xp.asarray(storage.shape[0], dtype=np.int32)


define_op("TensorArraySize", lambda i, a: [(int32, ())], {"any": _size_kernel},
          differentiable=False, host_memory=True, doc="The number of elements of a TensorArray.")


# -- TensorArraySplitRows: split's value as [len(lengths), length, ...] ----------------------------------
def _split_rows_kernel(ctx):
    def split_rows(value, lengths):
        lengths = _host(lengths).reshape(-1).astype(np.int64)
        if value.ndim < 1:
            _fail(ctx, "Expected value to be at least a vector, but received shape: []")
        if int(lengths.sum()) != value.shape[0]:
            _fail(ctx, f"Expected sum of lengths to be equal to values.shape[0], but sum of lengths is "
                       f"{int(lengths.sum())} and value's shape is: {list(value.shape)}")
        if len(set(lengths.tolist())) > 1:
            _fail(ctx, f"Could not write to TensorArray index 1 because the value shape is "
                       f"{[int(lengths[1])] + list(value.shape[1:])} which is incompatible with the TensorArray's "
                       f"inferred element shape: {[int(lengths[0])] + list(value.shape[1:])} "
                       f"(consider setting infer_shape=False).")
        return value.reshape((len(lengths), int(lengths[0]) if len(lengths) else 0) + value.shape[1:])
    return split_rows


define_op("TensorArraySplitRows", lambda i, a: [(i[0].dtype, a["shape"])], {"any": _split_rows_kernel},
          grad=lambda op, g: [reshape_like(g, op.inputs[0]), None],
          doc="A TensorArray split's value cut into equal pieces.")
