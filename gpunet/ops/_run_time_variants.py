"""The forms of slice, pad, transpose, broadcast_to, reductions, one_hot, top_k, split and ``x[i]`` whose integer
arguments are tensors known only when the graph runs (built as ``RunTimeArgs`` ops, see :mod:`._runtime_args`),
with their gradients, themselves built the same way."""
from __future__ import annotations

import builtins

import numpy as np

from ..graph.dtypes import int32
from ._helpers import rank_of, shape_from_tensor
from ._runtime_args import TENSOR, run_time_call

_py_slice = builtins.slice


def _unknown_dims(rank):
    return None if rank is None else (None,) * rank


def _length(tensor):
    """The static number of entries of a 1-D (or scalar: 1) argument tensor, None if unknown."""
    shape = tensor._shape
    if shape is None or (shape and shape[0] is None):
        return None
    return shape[0] if shape else 1


def _as_tensor(value):
    from ._helpers import tensor_arg
    return value if hasattr(value, "op") else tensor_arg(value, dtype=int32)


# -- slice / pad ------------------------------------------------------------------------------------------------
def _slice_attrs(known, begin, size):
    if len(begin) != len(size):
        raise ValueError(f"Slice: begin {list(begin)} and size {list(size)} must have the same length")
    key = tuple(_py_slice(b, None if s == -1 else b + s) for b, s in zip(begin, size))
    return {"begin": begin, "size": size, "key": key}


def _slice_grad(op, g):
    from .array_ops import shape
    from .math_ops import cast
    x, (begin, _) = op.inputs[0], op.attrs["call"].args
    begin = cast(begin, int32)
    after = shape(x) - begin - shape(g)
    from .concat_ops import stack
    return [pad(g, stack([begin, after], axis=1))]


def _slice_shape(x, begins, sizes, rank):
    """The static shape of a run-time slice: the entries of ``size`` known when the graph is built (and,
    where one is -1, the rest of the dimension after a known ``begin``), the other dims unknown."""
    if sizes is None:
        return _unknown_dims(rank)
    unknown = (None,) * len(sizes)
    dims = x._shape if x._shape is not None and len(x._shape) == len(sizes) else unknown
    begins = begins if begins is not None and len(begins) == len(sizes) else unknown
    return tuple(_to_end(d, b) if s == -1 else s for d, b, s in zip(dims, begins, sizes))


def _to_end(dim, begin):
    return None if dim is None or begin is None else dim - begin


def slice_(x, begin, size, name):
    """``gn.slice`` with ``begin``/``size`` read at run time."""
    rank = rank_of(x) if rank_of(x) is not None else _length(_as_tensor(begin))
    begin, size = _as_tensor(begin), _as_tensor(size)
    shape = _slice_shape(x, shape_from_tensor(begin), shape_from_tensor(size), rank)
    return run_time_call("Slice", [x], [begin, size], _slice_attrs, [(x.dtype, shape)],
                         grad=_slice_grad, name=name, default_name="Slice")


def _pad_attrs(mode, constant_values):
    def make(known, flat):
        if len(flat) % 2 or any(p < 0 for p in flat):
            raise ValueError(f"Pad: paddings must be non-negative [before, after] pairs, got {list(flat)}")
        attrs = {"paddings": tuple(zip(flat[0::2], flat[1::2])), "mode": mode}
        if mode == "constant":
            attrs["constant_values"] = constant_values
        return attrs
    return make


def _pad_grad(mode):
    def grad(op, g):
        from .array_ops import shape
        from .indexing_ops import getitem
        paddings = op.attrs["call"].args[0]
        if mode == "constant":
            return [slice_(g, getitem(paddings, (_py_slice(None), 0)), shape(op.inputs[0]), None)]
        return [run_time_call("MirrorPadGrad", [g], [paddings], _pad_attrs(mode, None),
                              [(g.dtype, _unknown_dims(rank_of(g)))], default_name="MirrorPadGrad")]
    return grad


def pad(x, paddings, mode="constant", constant_values=0, name=None):
    """``gn.pad`` with ``paddings`` read at run time."""
    paddings = _as_tensor(paddings)
    rank = rank_of(x) if rank_of(x) is not None else _length(paddings)
    return run_time_call("Pad" if mode == "constant" else "MirrorPad", [x], [paddings],
                         _pad_attrs(mode, constant_values), [(x.dtype, _unknown_dims(rank))], grad=_pad_grad(mode),
                         name=name, default_name="Pad")


# -- transpose / broadcast_to -----------------------------------------------------------------------------------
def _perm_attrs(inverse):
    def make(known, perm):
        rank = len(known[0]._shape)
        perm = tuple(p % rank if -rank <= p < 0 else p for p in perm)
        if inverse and sorted(perm) == list(range(rank)):
            perm = tuple(int(i) for i in np.argsort(perm))
        return {"perm": perm}
    return make


def transpose(x, perm, name=None, inverse=False):
    """``gn.transpose`` with ``perm`` read at run time (``inverse``: by the inverse permutation)."""
    perm = _as_tensor(perm)
    rank = rank_of(x) if rank_of(x) is not None else _length(perm)
    return run_time_call("Transpose", [x], [perm], _perm_attrs(inverse), [(x.dtype, _unknown_dims(rank))],
                         grad=lambda op, g: [transpose(g, op.attrs["call"].args[0], inverse=not inverse)],
                         name=name, default_name="transpose")


def broadcast_to(x, shape, name=None):
    """``gn.broadcast_to`` with ``shape`` read at run time."""
    from .broadcast_ops import sum_to_shape_of
    shape = _as_tensor(shape)
    return run_time_call("BroadcastTo", [x], [shape], lambda known, dims: {"shape": dims},
                         [(x.dtype, shape_from_tensor(shape))], grad=lambda op, g: [sum_to_shape_of(g, op.inputs[0])],
                         name=name, default_name="BroadcastTo")


# -- reductions -------------------------------------------------------------------------------------------------
def _axis_attrs(op_type, keep, at, **extra):
    def make(known, axes):
        from .reduction_ops import reduction_axes
        return {"axis": reduction_axes(list(axes), known[at], op_type), "keepdims": keep, **extra}
    return make


def _reduction_grad(op_type, keep):
    if op_type not in ("Sum", "Mean"):
        return None

    def grad(op, g):
        x, axis = op.inputs[0], op.attrs["call"].args[0]
        make = _axis_attrs(op_type, keep, 1, mean=op_type == "Mean")
        return [run_time_call("ReductionGrad", [g, x], [axis], make, [(g.dtype, x._shape)], default_name="Sum")]
    return grad


def reduce(op_type, x, axis, keep, name):
    """The reduction ``op_type`` over ``axis`` read at run time."""
    axis = _as_tensor(axis)
    rank, count = rank_of(x), _length(axis)
    if keep:
        shape = _unknown_dims(rank)
    else:
        shape = None if rank is None or count is None or count > rank else (None,) * (rank - count)
    return run_time_call(op_type, [x], [axis], _axis_attrs(op_type, keep, 0), [(x.dtype, shape)],
                         grad=_reduction_grad(op_type, keep), name=name, default_name=op_type)


# -- one_hot / top_k / split ------------------------------------------------------------------------------------
def one_hot(indices, depth, attrs, name):
    """``gn.one_hot`` with ``depth`` read at run time (``attrs``: the other attrs of OneHot)."""
    def make(known, value):
        if len(value) != 1 or value[0] < 0:
            raise ValueError(f"OneHot: depth must be one non-negative int, got {list(value)}")
        return {**attrs, "depth": value[0]}
    shape = None if indices._shape is None else indices._shape[:attrs["axis"]] + (None,) + \
        indices._shape[attrs["axis"]:]
    return run_time_call("OneHot", [indices], [_as_tensor(depth)], make, [(attrs["dtype"], shape)],
                         name=name, default_name="one_hot")


def top_k(x, k, sorted_, name):
    """``gn.top_k`` with ``k`` read at run time: ``[values, indices]``."""
    from ._helpers import out

    def make(known, value):
        if len(value) != 1 or value[0] < 0:
            raise ValueError(f"TopKV2: k must be one non-negative int, got {list(value)}")
        return {"k": value[0], "sorted": sorted_}
    shape = None if x._shape is None else x._shape[:-1] + (None,)
    return run_time_call("TopKV2", [x], [_as_tensor(k)], make, [(x.dtype, shape), (int32, shape)],
                         grad=lambda op, g, _: [out("TopKGrad", [g, op.outputs[1], op.inputs[0]])],
                         name=name, default_name="TopKV2")


def split(x, sizes, axis, num, name):
    """``gn.split`` with sizes read at run time: one output per entry (their number must be known)."""
    from .concat_ops import concat
    sizes = _as_tensor(sizes)
    count = num if num is not None else _length(sizes)
    if count is None or sizes._shape == ():
        raise ValueError(f"split: cannot infer the number of parts from size_splits {sizes.name} of shape "
                         f"{sizes._shape}; pass num")

    def make(known, values):
        if len(values) != count:
            raise ValueError(f"SplitV: expected {count} sizes, got {list(values)}")
        if values.count(-1) > 1 or any(s < -1 for s in values):
            raise ValueError(f"SplitV: at most one size may be -1 and none below it, got {list(values)}")
        return {"axis": axis, "sizes": values, "equal": False}
    shape = None if x._shape is None else x._shape[:axis] + (None,) + x._shape[axis + 1:]
    parts = run_time_call("Split", [x], [sizes], make, [(x.dtype, shape)] * count,
                          grad=lambda op, *gs: [concat(list(gs), axis)], name=name, default_name="split")
    return parts if count > 1 else [parts]


# -- x[i] -------------------------------------------------------------------------------------------------------
def _key_attrs(template):
    def make(known, *values):
        it = iter(values)
        key = tuple(_one(next(it)) if item is TENSOR else item for item in template)
        return {"key": key}
    return make


def _one(value):
    if len(value) != 1:
        raise ValueError(f"an index must be a scalar, got {list(value)}")
    return value[0]




def getitem(x, key, tensors, name=None):
    """``x[key]`` where the items of ``key`` that are ``TENSOR`` take the scalar ``tensors`` in order."""
    from .indexing_ops import _sliced_shape
    try:
        shape = _sliced_shape(x._shape, tuple(0 if item is TENSOR else item for item in key))
    except ValueError:  # index 0 of an empty dimension: the run-time check will say what is wrong
        shape = None
    make = _key_attrs(key)

    def grad(op, g):
        args = list(op.attrs["call"].args)
        return [run_time_call("StridedSliceGrad", [g, op.inputs[0]], args, make, [(g.dtype, op.inputs[0]._shape)],
                              default_name="StridedSliceGrad")]
    return run_time_call("StridedSlice", [x], list(tensors), make, [(x.dtype, shape)], grad=grad,
                         name=name, default_name="strided_slice")
