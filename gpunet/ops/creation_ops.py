"""Tensor creation: fill, zeros, ones, zeros_like, ones_like, range."""
from __future__ import annotations

import builtins
import math

import numpy as np

from .. import errors
from ..graph.core_ops import constant, convert_to_tensor
from ..graph.dtypes import as_dtype, float32, int32
from ..graph.graph import Tensor
from ..graph.registry import define_op
from ._helpers import constant_value, dims_text, op_scope, out, shape_from_tensor, tensor_arg
from ._host_shapes import HostShape, host_args
from .concat_ops import stack

__all__ = ["fill", "ones", "ones_like", "range", "zeros", "zeros_like"]

# -- fill / zeros / ones -------------------------------------------------------------------------------------
def holds_tensors(value):
    if isinstance(value, (list, tuple)):
        return any(holds_tensors(v) for v in value)
    return hasattr(value, "op") or hasattr(value, "_as_tensor")


def shape_arg(dims, name="shape"):
    """A 1-D int32 tensor from a list that may mix ints and scalar tensors (``[batch, 10]``)."""
    if hasattr(dims, "as_list"):
        dims = dims.as_list()
    if isinstance(dims, (list, tuple)) and holds_tensors(dims):
        return stack([tensor_arg(d, dtype=int32) for d in dims], name=name)
    return tensor_arg(dims, name=name, dtype=None if holds_tensors(dims) else int32)


def _fill_infer(inputs, attrs):
    host = attrs.get("host_args")
    dims, value = (host.args[0].value, inputs[0]) if host is not None else inputs
    if not dims.dtype.is_integer:
        raise TypeError(f"Fill: dims must be int32 or int64, got {dims.dtype.name}")
    if value._shape not in (None, ()):
        raise ValueError(f"Fill: value must be a scalar, got shape {dims_text(value._shape)}")
    shape = shape_from_tensor(dims)
    if shape is not None and any(d is not None and d < 0 for d in shape):
        raise ValueError(f"Fill dimensions must be >= 0, got dims {dims_text(shape)}")
    return [(value.dtype, shape)]


def _fill_kernel(ctx):
    xp, dtype, host = ctx.xp, ctx.out_dtype(), ctx.attrs.get("host_args")

    def filled(dims, value):
        if any(d < 0 for d in dims):
            raise errors.InvalidArgumentError(None, ctx.op, f"Fill dimensions must be >= 0, got dims {list(dims)}")
        result = xp.empty(dims, dtype=dtype)
        result[...] = value
        return result
    if host is not None:  # dims computed on the host from the shapes of the other inputs
        dims_of = host.program(ctx.state)
        return lambda value, *sources: filled(_dims(dims_of(*sources)[0]), value)
    static = constant_value(ctx.op.inputs[0])
    if static is not None:
        static = _dims(static)
        return lambda dims, value: filled(static, value)
    return lambda dims, value: filled(_dims(dims.tolist()), value)  # a device tensor: read back each step


def _dims(values):
    return tuple(int(d) for d in values)


def _fill_grad(op, g):
    value_index = 0 if "host_args" in op.attrs else 1
    return [_sum_all(g) if i == value_index else None for i in builtins.range(len(op.inputs))]


define_op("Fill", _fill_infer, {"any": _fill_kernel}, grad=_fill_grad)


def _sum_all(g):
    from .reduction_ops import reduce_sum  # late import: reductions build on this module
    return reduce_sum(g)


def _fill_op(dims, value, name):
    """Fill with ``dims`` (a 1-D int tensor): on the host when it is a function of shapes."""
    host = host_args([dims]) if constant_value(dims) is None else None
    if host is not None:
        return out("Fill", [value, *host.sources], {"host_args": host}, name=name)
    return out("Fill", [dims, value], name=name)


def fill(dims, value, name=None):
    """A tensor of shape ``dims`` (ints, or a 1-D int tensor) filled with the scalar ``value``."""
    with op_scope(name, "Fill", [dims, value]) as scope:
        return _fill_op(shape_arg(dims, "dims"), tensor_arg(value, "value"), scope)


def _filled(value, shape, dtype, name, default_name):
    dtype = as_dtype(dtype)
    with op_scope(name, default_name) as scope:
        return _fill_op(shape_arg(shape), constant(value, dtype), scope)


def zeros(shape, dtype=float32, name=None):
    """A tensor of ``shape`` (list, tuple or 1-D int tensor) filled with 0, of ``dtype`` (float32)."""
    return _filled(0, shape, dtype, name, "zeros")


def ones(shape, dtype=float32, name=None):
    """A tensor of ``shape`` (list, tuple or 1-D int tensor) filled with 1, of ``dtype`` (float32)."""
    return _filled(1, shape, dtype, name, "ones")


def _like_infer(inputs, attrs):
    return [(attrs.get("dtype") or inputs[0].dtype, inputs[0]._shape)]


def _like_kernel(fn_name):
    def build(ctx):
        fn, dtype = getattr(ctx.xp, fn_name), ctx.out_dtype()
        return lambda x: fn(x.shape, dtype=dtype)
    return build


define_op("OnesLike", _like_infer, {"any": _like_kernel("ones")}, differentiable=False)
define_op("ZerosLike", _like_infer, {"any": _like_kernel("zeros")}, differentiable=False)


def ones_like(tensor, dtype=None, name=None, optimize=True):
    """Ones of ``tensor``'s shape, of ``dtype`` (default: ``tensor``'s); ``optimize`` is accepted for TF1."""
    attrs = {"dtype": None if dtype is None else as_dtype(dtype)}
    return out("OnesLike", [convert_to_tensor(tensor)], attrs, name=name, default_name="ones_like")


def zeros_like(tensor, dtype=None, name=None, optimize=True):
    """Zeros of ``tensor``'s shape, of ``dtype`` (default: ``tensor``'s); ``optimize`` is accepted for TF1."""
    attrs = {"dtype": None if dtype is None else as_dtype(dtype)}
    return out("ZerosLike", [convert_to_tensor(tensor)], attrs, name=name, default_name="zeros_like")


def _range_infer(inputs, attrs):
    host = attrs.get("host_args")
    args = [a.value if isinstance(a, HostShape) else a for a in host.args] if host is not None else inputs
    for t in args:
        if isinstance(t, Tensor) and t._shape not in (None, ()):
            raise ValueError(f"Range: start, limit and delta must be scalars, got {t.name} of shape "
                             f"{dims_text(t._shape)}")
    values = [constant_value(t) if isinstance(t, Tensor) else t for t in args]
    dtype = attrs["dtype"] if host is not None else inputs[0].dtype
    if any(v is None for v in values):
        return [(dtype, (None,))]
    start, limit, delta = (np.asarray(v).item() for v in values)
    message = _range_args_error(start, limit, delta)
    if message is not None:
        raise ValueError(f"Range: {message}")
    return [(dtype, (max(0, math.ceil((limit - start) / delta)),))]


def _range_args_error(start, limit, delta):
    """TF1's message for arguments that give no range (a range that runs away from its limit), else None."""
    if delta == 0:
        return "requires delta != 0"
    if delta > 0 and start > limit:
        return f"Requires start <= limit when delta > 0: {start}/{limit}"
    if delta < 0 and start < limit:
        return f"Requires start >= limit when delta < 0: {start}/{limit}"
    return None


def _range_kernel(ctx):
    arange, dtype, host, op = ctx.xp.arange, ctx.out_dtype(), ctx.attrs.get("host_args"), ctx.op

    def checked_range(start, limit, delta):
        message = _range_args_error(start, limit, delta)
        if message is not None:
            raise errors.InvalidArgumentError(None, op, message)
        return arange(start, limit, delta, dtype=dtype)
    if host is not None:  # start, limit and delta computed on the host from the inputs' shapes
        args_of = host.program(ctx.state)
        return lambda *sources: checked_range(*[np.asarray(a).item() for a in args_of(*sources)])
    return lambda start, limit, delta: checked_range(start.item(), limit.item(), delta.item())


define_op("Range", _range_infer, {"any": _range_kernel}, differentiable=False)


def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001 (TF1's name)
    """``[start, limit)`` in steps of ``delta``; ``range(n)`` counts from 0. Ints give int32,
    any float argument float32, unless ``dtype`` says otherwise. Arguments computed from shapes
    (``gn.range(gn.shape(x)[0])``) are evaluated on the host."""
    if limit is None:
        start, limit = 0, start
    with op_scope(name, "range") as scope:
        args = [tensor_arg(v, n) for v, n in zip((start, limit, delta), ("start", "limit", "delta"))]
        target = as_dtype(dtype) if dtype is not None else max((a.dtype for a in args), key=_range_rank)
        from .math_ops import cast  # late import: math_ops builds on this module
        args = [cast(a, target) for a in args]
        host = host_args(args) if target.is_integer else None
        if host is not None:
            return out("Range", list(host.sources), {"host_args": host, "dtype": target}, name=scope)
        return out("Range", args, name=scope)


_RANGE_TYPES = ("int32", "int64", "float32", "float64")  # TF1 picks the widest argument type


def _range_rank(dtype):
    return _RANGE_TYPES.index(dtype.name) if dtype.name in _RANGE_TYPES else -1
