"""Indexing: ``tensor[...]`` (StridedSlice), slice, strided_slice, gather, one_hot, pad.

Slices are static: ints, slices (any step), negative indices, Ellipsis and None (newaxis) are
fixed when the graph is built; the kernel is one NumPy/CuPy basic-indexing expression, and the
gradient scatters into zeros. gather's gradient is dense (a zero tensor the size of ``params``
with the gradient rows added in), as ``gn.gather`` allows.
"""
from __future__ import annotations

import builtins

import numpy as np

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import as_dtype, float32
from ..graph.registry import define_op
from ._helpers import constant_value, dims_text, int_list_arg, one_int, op_scope, out, rank_of, single_axis
from ._rank_checks import rank_checked
from ._runtime_args import TENSOR, int_arg
from ._scatter_combine import scatter_add_at
from ._value_checks import check_indices

__all__ = ["gather", "newaxis", "one_hot", "pad", "slice", "strided_slice"]

newaxis = None  # x[:, gn.newaxis] inserts a dimension of size 1

_py_slice = builtins.slice  # this module defines gn.slice


# -- static slicing ---------------------------------------------------------------------------------
def _normalize_key(key):
    """A ``[]`` key as a tuple of ints, slices of ints, None and at most one Ellipsis."""
    items = key if isinstance(key, tuple) else (key,)
    result = []
    for item in items:
        if item is None or item is Ellipsis or item is TENSOR:
            result.append(item)
        elif isinstance(item, _py_slice):
            parts = [None if p is None else _static_int(p) for p in (item.start, item.stop, item.step)]
            if parts[2] == 0:
                raise ValueError("slice step cannot be zero")
            result.append(_py_slice(*parts))
        else:
            result.append(_static_int(item))
    if result.count(Ellipsis) > 1:
        raise ValueError("Multiple ellipses in slice spec not allowed")
    return tuple(result)


def _static_int(value):
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"Only integers, slices, ellipsis and None are valid indices, got {value!r}")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if hasattr(value, "op") or hasattr(value, "_as_tensor"):
        known = constant_value(convert_to_tensor(value))
        if known is not None and np.ndim(known) == 0 and np.issubdtype(np.asarray(known).dtype, np.integer):
            return int(known)
        raise TypeError(f"Tensor indices must be scalar int tensors, got {value!r}; use gn.gather for tensors "
                        f"of indices")
    raise TypeError(f"Only integers, slices (`:`), ellipsis (`...`), gn.newaxis (`None`) are valid indices, "
                    f"got {value!r}; use gn.gather for lists of indices")


def _run_time_indices(key):
    """``key`` with each scalar int tensor index whose value the graph does not fix replaced by the run-time
    placeholder, and those tensors."""
    items, tensors = [], []
    for item in key if isinstance(key, tuple) else (key,):
        tensor = convert_to_tensor(item) if hasattr(item, "op") or hasattr(item, "_as_tensor") else None
        if tensor is not None and tensor.dtype.is_integer and tensor._shape == () and constant_value(tensor) is None:
            items.append(TENSOR)
            tensors.append(tensor)
        else:
            items.append(item)
    return tuple(items), tensors


def _expand_ellipsis(key, rank):
    """``key`` with its Ellipsis (or the implicit trailing one) replaced by full slices."""
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    if used > rank:
        raise ValueError(f"Index out of range: {used} indices for a tensor of rank {rank}")
    fill = (_py_slice(None),) * (rank - used)
    if Ellipsis in key:
        at = key.index(Ellipsis)
        return key[:at] + fill + key[at + 1:]
    return key + fill


def _sliced_shape(shape, key):
    if shape is None:
        return None
    dims, axis = [], 0
    for item in _expand_ellipsis(key, len(shape)):
        if item is None:
            dims.append(1)
            continue
        d = shape[axis]
        axis += 1
        if isinstance(item, _py_slice):
            dims.append(None if d is None else len(range(*item.indices(d))))
        elif d is not None and not -d <= item < d:
            raise ValueError(f"slice index {item} of dimension {axis - 1} out of bounds for shape {dims_text(shape)}")
    return tuple(dims)


def _slice_kernel(ctx):
    key, static = ctx.attrs["key"], ctx.op.inputs[0]._shape
    if static is not None and None not in static:
        return lambda x: x[key]  # the bounds were checked when the graph was built
    bounds = _slice_bounds_check(ctx.attrs) if ctx.op.type == "Slice" else _index_bounds_check(key)

    def slice_fn(x):
        bounds(x.shape)  # shapes live on the host: no device round trip
        return x[key]
    return slice_fn


def _index_bounds_check(key):
    def check(shape):
        try:
            _sliced_shape(shape, key)
        except ValueError as exc:  # an int index outside its dimension
            raise errors.InvalidArgumentError(None, None, str(exc)) from None
    return check


def _slice_bounds_check(attrs):
    """TF1's run-time check of ``slice(x, begin, size)``: begin within and begin + size not past each dim."""
    begin, size = attrs["begin"], attrs["size"]

    def check(shape):
        if len(shape) != len(begin):
            raise errors.InvalidArgumentError(None, None, f"Expected begin and size arguments to be 1-D tensors of "
                                                          f"size {len(shape)}, but got {len(begin)}")
        for i, (b, s, d) in enumerate(zip(begin, size, shape)):
            if b > d:
                raise errors.InvalidArgumentError(None, None, f"Expected begin[{i}] in [0, {d}], but got {b}")
            if s != -1 and b + s > d:
                raise errors.InvalidArgumentError(None, None, f"Expected size[{i}] in [0, {d - b}], but got {s}")
    return check


def _slice_grad(op, g):
    return [strided_slice_grad(g, op.inputs[0], op.attrs["key"])]


define_op("StridedSlice", lambda i, a: [(i[0].dtype, _sliced_shape(i[0]._shape, a["key"]))],
          {"any": _slice_kernel}, grad=_slice_grad)


def _slice_grad_kernel(ctx):
    key, zeros, dtype = ctx.attrs["key"], ctx.xp.zeros, ctx.out_dtype()

    def scatter(g, like):
        result = zeros(like.shape, dtype=dtype)
        result[key] = g
        return result
    return scatter


define_op("StridedSliceGrad", lambda i, a: [(i[0].dtype, i[1]._shape)], {"any": _slice_grad_kernel},
          grad=lambda op, g: [getitem(g, op.attrs["key"]), None])


def strided_slice_grad(g, like, key):
    """Zeros shaped like ``like`` with ``g`` written at ``like[key]``."""
    return out("StridedSliceGrad", [g, like], {"key": _normalize_key(key)}, default_name="StridedSliceGrad")


def getitem(tensor, key):
    """``tensor[key]`` (installed as ``Tensor.__getitem__``) as one StridedSlice op; a scalar int tensor
    index known only at run time (``x[i]``) is read when the graph runs."""
    x = convert_to_tensor(tensor)
    template, tensors = _run_time_indices(key)
    if tensors:
        from . import _run_time_variants as run_time
        return run_time.getitem(x, _normalize_key(template), tensors)
    return out("StridedSlice", [x], {"key": _normalize_key(key)}, default_name="strided_slice")


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0,
                  shrink_axis_mask=0, var=None, name=None):
    """TF1's mask-based form of ``input_[begin:end:strides]`` (bit i of a mask applies to entry i)."""
    begin = int_list_arg(begin, "begin", "StridedSlice")
    end = int_list_arg(end, "end", "StridedSlice")
    strides = [1] * len(begin) if strides is None else int_list_arg(strides, "strides", "StridedSlice")
    if not len(begin) == len(end) == len(strides):
        raise ValueError(f"strided_slice: begin, end and strides must have the same length, got {len(begin)}, "
                         f"{len(end)} and {len(strides)}")
    key = []
    for i, (b, e, s) in enumerate(zip(begin, end, strides)):
        bit = 1 << i
        if ellipsis_mask & bit:
            key.append(Ellipsis)
        elif new_axis_mask & bit:
            key.append(None)
        elif shrink_axis_mask & bit:
            key.append(b)
        else:
            key.append(_py_slice(None if begin_mask & bit else b, None if end_mask & bit else e, s))
    x = convert_to_tensor(input_)
    return out("StridedSlice", [x], {"key": _normalize_key(tuple(key))}, name=name, default_name="strided_slice")


def _tf_slice_infer(inputs, attrs):
    x, begin, size = inputs[0], attrs["begin"], attrs["size"]
    if x._shape is not None:
        if len(begin) != len(x._shape):
            raise ValueError(f"Slice: begin {list(begin)} and size {list(size)} need one entry per dimension of "
                             f"input shape {dims_text(x._shape)}")
        for b, s, d in zip(begin, size, x._shape):
            if b < 0 or s < -1 or (d is not None and b + max(s, 0) > d):
                raise ValueError(f"Slice: begin {list(begin)} + size {list(size)} is out of bounds for input "
                                 f"shape {dims_text(x._shape)}")
    return [(x.dtype, _sliced_shape(x._shape, attrs["key"]))]


define_op("Slice", _tf_slice_infer, {"any": _slice_kernel}, grad=_slice_grad)


def slice(input_, begin, size, name=None):  # noqa: A001 (TF1's name)
    """``size[i]`` elements from ``begin[i]`` along each dimension (size -1: to the end); ``begin`` and
    ``size`` may be tensors known only at run time."""
    (begin, begin_t), (size, size_t) = int_arg(begin, "begin"), int_arg(size, "size")
    if begin_t is not None or size_t is not None:
        from . import _run_time_variants as run_time
        return run_time.slice_(convert_to_tensor(input_), _either(begin, begin_t), _either(size, size_t), name)
    begin = tuple(int_list_arg(begin, "begin", "Slice"))
    size = tuple(int_list_arg(size, "size", "Slice"))
    if len(begin) != len(size):
        raise ValueError(f"Slice: begin {list(begin)} and size {list(size)} must have the same length")
    key = tuple(_py_slice(b, None if s == -1 else b + s) for b, s in zip(begin, size))
    return out("Slice", [convert_to_tensor(input_)], {"begin": begin, "size": size, "key": key},
               name=name, default_name="Slice")


def _either(value, tensor):
    return value if tensor is None else tensor


# -- gather ---------------------------------------------------------------------------------------
def _gather_infer(inputs, attrs):
    params, indices = inputs
    if not indices.dtype.is_integer:
        raise TypeError(f"GatherV2: indices must be int32 or int64, got {indices.dtype.name}")
    axis = attrs["axis"]
    if params._shape is None or indices._shape is None:
        return [(params.dtype, None)]
    return [(params.dtype, params._shape[:axis] + indices._shape + params._shape[axis + 1:])]


def _gather_kernel(ctx):
    xp, axis, check = ctx.xp, ctx.attrs["axis"], ctx.value_check()

    def gather_fn(params, indices):
        if not -params.ndim <= axis < params.ndim:  # a rank known only when fed
            raise errors.InvalidArgumentError(None, ctx.op, f"Expected axis in the range [{-params.ndim}, "
                                                            f"{params.ndim}), but got {axis}")
        check_indices(check, xp, indices, params.shape[axis])  # CuPy's take wraps, NumPy's takes negatives
        return xp.take(params, indices, axis=axis)
    return gather_fn


define_op("GatherV2", _gather_infer, {"any": _gather_kernel},
          grad=lambda op, g: [gather_grad(g, op.inputs[1], op.inputs[0], op.attrs["axis"]), None])


def _gather_grad_kernel(ctx):
    xp, axis, dtype, check = ctx.xp, ctx.attrs["axis"], ctx.out_dtype(), ctx.value_check()
    lead = (_py_slice(None),) * axis
    add_at = scatter_add_at(xp)

    def scatter_add(g, indices, params):
        check_indices(check, xp, indices, params.shape[axis])  # CuPy's scatter wraps
        result = xp.zeros(params.shape, dtype=dtype)
        add_at(result, lead + (indices,), g)  # repeated indices add up
        return result
    return scatter_add


define_op("GatherGrad", lambda i, a: [(i[0].dtype, i[2]._shape)], {"any": _gather_grad_kernel},
          grad=lambda op, g: [gather(g, op.inputs[1], axis=op.attrs["axis"]), None, None])


def gather_grad(g, indices, params, axis):
    """The dense gradient of ``gather(params, indices, axis=axis)``: ``g``'s slices added at ``indices``."""
    return out("GatherGrad", [g, indices, params], {"axis": axis}, default_name="GatherGrad")


def gather(params, indices, validate_indices=None, name=None, axis=None, batch_dims=0):
    """Slices of ``params`` along ``axis`` (default 0) at ``indices``: shape
    ``params.shape[:axis] + indices.shape + params.shape[axis+1:]``."""
    if batch_dims:
        raise ValueError("gather: batch_dims other than 0 is not supported")
    with op_scope(name, "GatherV2", [params, indices]) as scope:
        params = convert_to_tensor(params, name="params")
        indices = convert_to_tensor(indices, name="indices")
        axis = single_axis(0 if axis is None else axis, rank_of(params), "GatherV2")
        return out("GatherV2", [params, indices], {"axis": axis}, name=scope)


# -- one_hot ----------------------------------------------------------------------------------------
def _one_hot_infer(inputs, attrs):
    indices = inputs[0]
    if not indices.dtype.is_integer:
        raise TypeError(f"OneHot: indices must be integers, got {indices.dtype.name}")
    if indices._shape is None:
        return [(attrs["dtype"], None)]
    dims = list(indices._shape)
    dims.insert(attrs["axis"], attrs["depth"])
    return [(attrs["dtype"], tuple(dims))]


def _one_hot_kernel(ctx):
    xp, axis, dtype = ctx.xp, ctx.attrs["axis"], ctx.out_dtype()
    classes = xp.arange(ctx.attrs["depth"])
    on, off = xp.asarray(ctx.attrs["on_value"], dtype=dtype), xp.asarray(ctx.attrs["off_value"], dtype=dtype)
    last = rank_of(ctx.op.inputs[0])

    def one_hot_fn(indices):
        hits = indices[..., None] == classes  # negative or too-large indices match no class: all off
        if axis != last:
            hits = xp.moveaxis(hits, -1, axis)
        return xp.where(hits, on, off)
    return one_hot_fn


define_op("OneHot", _one_hot_infer, {"any": _one_hot_kernel}, differentiable=False)


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """``depth``-long vectors, ``on_value`` (1) at each index and ``off_value`` (0) elsewhere, inserted at
    ``axis`` (-1: last); float32 unless ``dtype`` or the on/off values say otherwise."""
    indices = convert_to_tensor(indices)
    given = next((v for v in (on_value, off_value) if v is not None), None)
    if dtype is None:
        dtype = convert_to_tensor(given).dtype if given is not None else float32
    dtype = as_dtype(dtype)
    rank = rank_of(indices)
    axis = -1 if axis is None else one_int(axis, "axis", "OneHot")
    if rank is None and axis != -1:
        raise ValueError("one_hot: an axis other than -1 needs indices of known rank")
    axis = rank if axis == -1 or rank is None else single_axis(axis, rank, "OneHot", extra=1)
    attrs = {"axis": axis, "dtype": dtype,
             "on_value": _scalar_value(on_value, 1, "on_value"), "off_value": _scalar_value(off_value, 0, "off_value")}
    depth_t = int_arg(depth, "depth")[1]
    if depth_t is not None:
        from . import _run_time_variants as run_time
        return run_time.one_hot(indices, depth_t, attrs, name)
    attrs["depth"] = depth = one_int(depth, "depth", "OneHot")
    if depth < 0:
        raise ValueError(f"OneHot: depth must be non-negative, got {depth}")
    return out("OneHot", [indices], attrs, name=name, default_name="one_hot")


def _run_time_pad(x, paddings, mode, constant_values, name):
    from . import _run_time_variants as run_time
    mode = str(mode).lower()
    if mode not in ("constant", "reflect", "symmetric"):
        raise ValueError(f"pad: mode must be one of CONSTANT, REFLECT, SYMMETRIC, got {mode.upper()!r}")
    return run_time.pad(x, paddings, mode, np.asarray(constant_values).item(), name)


def _scalar_value(value, default, what):
    if value is None:
        return default
    if hasattr(value, "op") or hasattr(value, "_as_tensor"):
        value = constant_value(convert_to_tensor(value))
        if value is None:
            raise TypeError(f"one_hot: {what} must be known when the graph is built")
    return np.asarray(value).item()


# -- pad --------------------------------------------------------------------------------------------
def _pad_infer(inputs, attrs):
    x, paddings, mode = inputs[0], attrs["paddings"], attrs["mode"]
    if x._shape is None:
        return [(x.dtype, (None,) * len(paddings))]
    if len(paddings) != len(x._shape):
        raise ValueError(f"Pad: paddings must have shape [{len(x._shape)}, 2] for input shape "
                         f"{dims_text(x._shape)}, got {[list(p) for p in paddings]}")
    for (before, after), d in zip(paddings, x._shape):
        limit = None if d is None else d - (mode == "reflect")
        if limit is not None and mode != "constant" and max(before, after) > limit:
            raise ValueError(f"MirrorPad: paddings {[list(p) for p in paddings]} must be at most {limit} for "
                             f"a dimension of size {d} in {mode.upper()} mode")
    return [(x.dtype, tuple(None if d is None else d + b + a for (b, a), d in zip(paddings, x._shape)))]


def _pad_kernel(ctx):
    pad_fn, paddings, mode = ctx.xp.pad, ctx.attrs["paddings"], ctx.attrs["mode"]
    if not paddings:  # a scalar: nothing to pad (xp.pad would take the empty pairs for floats)
        return lambda x: x.copy()
    if mode == "constant":
        value = ctx.attrs["constant_values"]
        return lambda x: pad_fn(x, paddings, mode="constant", constant_values=value)
    return lambda x: pad_fn(x, paddings, mode=mode)


def _pad_grad(op, g):
    paddings, mode = op.attrs["paddings"], op.attrs["mode"]
    if mode == "constant":
        key = tuple(_py_slice(b, -a if a else None) for b, a in paddings)
        return [getitem(g, key)]
    return [mirror_pad_grad(g, paddings, mode)]


def _paddings_fit(shape, attrs):
    """TF1's check of graph-time paddings against the rank of a value fed to a tensor of unknown rank."""
    paddings = attrs["paddings"]
    if len(paddings) == len(shape):
        return None
    return f"The first dimension of paddings must be the rank of inputs[{len(paddings)},2] {dims_text(shape)}"


define_op("Pad", _pad_infer, {"any": rank_checked(_pad_kernel, _paddings_fit)}, grad=_pad_grad)
define_op("MirrorPad", _pad_infer, {"any": rank_checked(_pad_kernel, _paddings_fit)}, grad=_pad_grad)


def _mirror_pad_grad_infer(inputs, attrs):
    g = inputs[0]
    if g._shape is None:
        return [(g.dtype, None)]
    return [(g.dtype, tuple(None if d is None else d - b - a for (b, a), d in zip(attrs["paddings"], g._shape)))]


def _mirror_pad_grad_kernel(ctx):
    """Fold the mirrored borders back onto the elements they copy (the adjoint of MirrorPad)."""
    xp, paddings = ctx.xp, ctx.attrs["paddings"]
    shift = 1 if ctx.attrs["mode"] == "reflect" else 0  # REFLECT skips the edge element, SYMMETRIC repeats it

    def fold(g):
        for axis, (before, after) in enumerate(paddings):
            if not before and not after:
                continue
            lead = (_py_slice(None),) * axis
            n = g.shape[axis] - before - after
            center = g[lead + (_py_slice(before, before + n),)].copy()
            if before:
                center[lead + (_py_slice(shift, shift + before),)] += xp.flip(g[lead + (_py_slice(0, before),)], axis)
            if after:
                center[lead + (_py_slice(n - shift - after, n - shift),)] += xp.flip(
                    g[lead + (_py_slice(before + n, None),)], axis)
            g = center
        return g
    return fold


define_op("MirrorPadGrad", _mirror_pad_grad_infer, {"any": _mirror_pad_grad_kernel},
          grad=lambda op, g: [pad(g, op.attrs["paddings"], mode=op.attrs["mode"])])


def mirror_pad_grad(g, paddings, mode):
    """The gradient of a REFLECT/SYMMETRIC pad: borders folded back onto the elements they mirror."""
    return out("MirrorPadGrad", [g], {"paddings": tuple(map(tuple, paddings)), "mode": mode.lower()},
               default_name="MirrorPadGrad")


def pad(tensor, paddings, mode="CONSTANT", name=None, constant_values=0):
    """Pad each dimension i with ``paddings[i] = [before, after]`` entries: ``constant_values``
    (CONSTANT), or a mirror image of the edge without (REFLECT) or with (SYMMETRIC) the edge itself."""
    x = convert_to_tensor(tensor)
    paddings, paddings_t = int_arg(paddings, "paddings")
    if paddings_t is not None:
        return _run_time_pad(x, paddings_t, mode, constant_values, name)
    flat = int_list_arg(paddings, "paddings", "Pad")
    if len(flat) % 2 or any(p < 0 for p in flat):
        raise ValueError(f"Pad: paddings must be non-negative [before, after] pairs, got {paddings!r}")
    pairs = tuple(zip(flat[0::2], flat[1::2]))
    mode = str(mode).lower()
    if mode not in ("constant", "reflect", "symmetric"):
        raise ValueError(f"pad: mode must be one of CONSTANT, REFLECT, SYMMETRIC, got {mode.upper()!r}")
    if mode == "constant":
        attrs = {"paddings": pairs, "mode": mode, "constant_values": np.asarray(constant_values).item()}
        return out("Pad", [x], attrs, name=name, default_name="Pad")
    return out("MirrorPad", [x], {"paddings": pairs, "mode": mode}, name=name, default_name="MirrorPad")
