"""Reductions (reduce_sum/mean/max/min/prod/all/any, reduce_logsumexp, count_nonzero),
argmax/argmin and cumulative sums/products.

Gradients of reduce_max/min share the gradient equally among tied maxima (as TF1). The gradient
of reduce_prod is exact where inputs are zero (products of the *other* elements, from exclusive
cumulative products); the gradient of cumprod itself divides by the input, as TF1's does.
"""
from __future__ import annotations

import math

import numpy as np

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import as_dtype, int64
from ..graph.registry import define_op
from ..graph.validation import bounded_repr
from ._elementwise import require_doc
from ._helpers import dims_text, int_list_arg, op_scope, out, rank_of, single_axis
from ._rank_checks import axes_in_range, axis_in_range, rank_checked
from ._runtime_args import int_arg
from .array_ops import reshape, reshape_like, stop_gradient
from .logic_ops import equal, not_equal

__all__ = ["argmax", "argmin", "count_nonzero", "cumprod", "cumsum", "reduce_all", "reduce_any",
           "reduce_logsumexp", "reduce_max", "reduce_mean", "reduce_min", "reduce_prod", "reduce_sum"]


def _math():
    from . import math_ops  # late import: math_ops builds on this module
    return math_ops


def _check_numbers(op_type, x):
    if not (x.dtype.is_floating or x.dtype.is_integer):
        raise TypeError(f"{op_type} does not support dtype {x.dtype.name}: it needs numbers")


def _check_bools(op_type, x):
    if not x.dtype.is_bool:
        raise TypeError(f"{op_type} needs a bool tensor, got {x.dtype.name}")


def reduction_axes(axis, x, op_type):
    """``axis`` (int, list, constant tensor or None = all) as a sorted tuple of non-negative ints."""
    if axis is None:
        return None
    axes = int_list_arg(axis, "axis", op_type)
    rank = rank_of(x)
    _check_distinct(axes, rank, op_type)
    if rank is None:
        if any(a < 0 for a in axes):
            raise ValueError(f"{op_type}: negative reduction axes need an input of known rank")
        return tuple(sorted(set(axes)))
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(f"Invalid reduction dimension {a} for input with {rank} dimensions "
                             f"(op {op_type}, input shape {dims_text(x._shape)})")
    return tuple(sorted({a % rank for a in axes}))


def _check_distinct(axes, rank, op_type):
    """TF1 refuses an axis given twice (``[0, 0]``, or ``[1, -1]`` on a matrix)."""
    seen = [a % rank if rank and -rank <= a < rank else a for a in axes]
    if len(set(seen)) != len(seen):
        raise ValueError(f"{op_type}: axes contains a duplicate dimension, got {bounded_repr(axes)}")


def reduce_infer(inputs, attrs):
    shape, axes, keep = inputs[0]._shape, attrs["axis"], attrs["keepdims"]
    dtype = attrs.get("out_dtype") or inputs[0].dtype
    if shape is None:
        return [(dtype, None)]
    if axes is None:
        return [(dtype, (1,) * len(shape) if keep else ())]
    if keep:
        return [(dtype, tuple(1 if i in axes else d for i, d in enumerate(shape)))]
    return [(dtype, tuple(d for i, d in enumerate(shape) if i not in axes))]


def reduction(op_type, kernel, grad=None, check=_check_numbers, *, doc):
    """Define the reduction ``op_type`` (``kernel(ctx)`` reads attrs ``axis``/``keepdims``; ``doc``: what
    it computes, one line); return its TF1-style builder ``(input_tensor, axis=None, keepdims=None,
    name=None, ...)``, whose docstring the OpDef's doc begins."""
    require_doc(op_type, doc)

    def infer(inputs, attrs):
        check(op_type, inputs[0])
        return reduce_infer(inputs, attrs)

    kernels = {"any": rank_checked(kernel, axes_in_range)}
    op_def = define_op(op_type, infer, kernels, grad=grad, differentiable=grad is not None, doc=doc)

    def build(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None, keep_dims=None):
        x = convert_to_tensor(input_tensor)
        axis = reduction_indices if axis is None else axis
        keep = bool(keep_dims if keepdims is None else keepdims)
        axis, axis_t = int_arg(axis, "axis")
        if axis_t is not None:
            from . import _run_time_variants as run_time
            return run_time.reduce(op_type, x, axis_t, keep, name)
        attrs = {"axis": reduction_axes(axis, x, op_type), "keepdims": keep}
        return out(op_type, [x], attrs, name=name, default_name=op_type)
    build.__name__ = f"reduce_{op_type.lower()}"
    build.__doc__ = _reduction_doc(op_def, "bool" if check is _check_bools else "a number dtype")
    return build


def _reduction_doc(op_def, dtypes):
    gradient = "" if op_def.grad else "\n\nNot differentiable: its gradient is None, as in TF1."
    return (f"{op_def.doc}{gradient}\n\n"
            f"Args:\n"
            f"  input_tensor: the Tensor to reduce, of {dtypes}.\n"
            f"  axis: the dimensions to reduce (an int, a list of ints or a constant tensor, each in\n"
            f"    [-rank, rank)); None (the default) reduces all of them.\n"
            f"  keepdims: if true, the reduced dimensions stay, with length 1.\n"
            f"  name: a name for the op (default {op_def.type!r}).\n"
            f"  reduction_indices, keep_dims: TF1's deprecated names of ``axis`` and ``keepdims``.\n\n"
            f"Returns:\n  The reduced Tensor, of the input's dtype.")


def _xp_reduce(fn_name, pass_dtype=False):
    """Kernel builder for ``xp.<fn_name>(x, axis=, keepdims=)`` (with ``dtype=`` so ints stay ints)."""
    def build(ctx):
        fn, axis, keep = getattr(ctx.xp, fn_name), ctx.attrs["axis"], ctx.attrs["keepdims"]
        if pass_dtype:
            dtype = ctx.out_dtype()
            return lambda x: fn(x, axis=axis, dtype=dtype, keepdims=keep)
        return lambda x: fn(x, axis=axis, keepdims=keep)
    return build


def _extremum_kernel(fn_name, identity):
    """``xp.amax``/``amin``; over an empty axis the identity of the reduction, as TF1: the lowest
    value (-inf for floats) for a maximum, the highest for a minimum."""
    def build(ctx):
        xp, fn, axis, keep, dtype = ctx.xp, getattr(ctx.xp, fn_name), ctx.attrs["axis"], ctx.attrs["keepdims"], \
            ctx.out_dtype()
        fill = identity(dtype)

        def extremum(x):
            if x.size == 0:
                return _filled_like_reduction(xp, x, axis, keep, fill, dtype)
            return fn(x, axis=axis, keepdims=keep)
        return extremum
    return build


def _lowest(dtype):
    return -float("inf") if dtype.kind == "f" else np.iinfo(dtype).min


def _highest(dtype):
    return float("inf") if dtype.kind == "f" else np.iinfo(dtype).max


def _filled_like_reduction(xp, x, axis, keep, value, dtype):
    """What reducing the empty ``x`` over ``axis`` gives when every result is ``value``."""
    axes = range(x.ndim) if axis is None else axis
    shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape)) if keep else \
        tuple(d for i, d in enumerate(x.shape) if i not in axes)
    return xp.full(shape, value, dtype=dtype)


def _mean_kernel(ctx):
    xp, axis, keep, dtype = ctx.xp, ctx.attrs["axis"], ctx.attrs["keepdims"], ctx.out_dtype()
    if dtype.kind == "f":
        def float_mean(x):  # NaN over an empty axis (0 / 0), as TF1, without NumPy's warning
            if x.size == 0:
                return _filled_like_reduction(xp, x, axis, keep, float("nan"), dtype)
            return xp.mean(x, axis=axis, keepdims=keep)
        return float_mean

    def integer_mean(x):  # truncated towards zero, as TF1's integer Mean
        total = xp.sum(x, axis=axis, dtype=dtype, keepdims=keep)
        count = max(1, math.prod(x.shape) if axis is None else math.prod(x.shape[a] for a in axis))
        magnitude = xp.floor_divide(xp.abs(total), count)
        return xp.where(total < 0, -magnitude, magnitude).astype(dtype, copy=False)
    return integer_mean


# -- gradients ------------------------------------------------------------------------------------
def _keepdims_grad(op, g):
    """``g`` with the reduced axes put back as size 1 (it broadcasts against the input)."""
    if op.attrs["keepdims"]:
        return g
    if op.attrs["axis"] is None:
        rank = rank_of(op.inputs[0])
        return reshape(g, [1] * rank) if rank is not None else g  # a scalar broadcasts anyway
    return expand_dims_for_reduction(g, op.attrs["axis"])


def _sum_grad(op, g):
    return [reduction_grad(g, op.inputs[0], op.attrs["axis"], op.attrs["keepdims"], mean=False)]


def _mean_grad(op, g):
    return [reduction_grad(g, op.inputs[0], op.attrs["axis"], op.attrs["keepdims"], mean=True)]


def _reduction_grad_kernel(ctx):
    """One step for the gradient of Sum/Mean: put back the reduced axes, divide by the count
    for a mean (known only at run time when the batch size is), broadcast to the input."""
    xp, axis = ctx.xp, ctx.attrs["axis"]
    expand = axis is not None and not ctx.attrs["keepdims"]
    mean = ctx.attrs["mean"]

    def spread(g, x):
        if mean:
            g = g / max(1, x.size // max(1, g.size))
        return xp.broadcast_to(xp.expand_dims(g, axis) if expand else g, x.shape)
    return spread


def _reduction_grad_grad(op, gg):
    reduce = reduce_mean if op.attrs["mean"] else reduce_sum
    return [reduce(gg, op.attrs["axis"], keepdims=op.attrs["keepdims"]), None]


define_op("ReductionGrad", lambda i, a: [(i[0].dtype, i[1]._shape)], {"any": _reduction_grad_kernel},
          grad=_reduction_grad_grad)


def reduction_grad(g, x, axis, keepdims, mean):
    """The gradient of ``reduce_sum`` (or ``reduce_mean``, ``mean=True``) of ``x`` for output gradient ``g``."""
    attrs = {"axis": axis, "keepdims": keepdims, "mean": mean}
    return out("ReductionGrad", [g, x], attrs, default_name="ReductionGrad")


def _extremum_grad(op, g):
    """Tied extrema share the gradient equally."""
    m, x = _math(), op.inputs[0]
    y = _keepdims_grad(op, op.outputs[0])
    chosen = m.cast(equal(x, y), x.dtype)
    ties = reduce_sum(chosen, op.attrs["axis"], keepdims=True)
    return [m.multiply(_keepdims_grad(op, g), m.realdiv(chosen, ties))]


def _others_product(t, axis):
    """For each element, the product of the other elements along ``axis`` (no division, so zeros are fine)."""
    m = _math()
    return m.multiply(cumprod(t, axis, exclusive=True), cumprod(t, axis, exclusive=True, reverse=True))


def _prod_grad(op, g):
    m, x, axes = _math(), op.inputs[0], op.attrs["axis"]
    g = _keepdims_grad(op, g)
    if axes is None:  # flatten: one axis holds every element
        flat = reshape(x, [-1])
        return [reshape_like(m.multiply(reshape(g, [-1]), _others_product(flat, 0)), x)]
    # reduce one axis at a time (y_i = prod over axis i of y_{i-1}) and chain the per-axis gradients back
    partial = [x]
    for a in axes[:-1]:
        partial.append(reduce_prod(partial[-1], a, keepdims=True))
    for a, t in zip(reversed(axes), reversed(partial)):
        g = m.multiply(g, _others_product(t, a))
    return [g]


# -- the reductions -------------------------------------------------------------------------------
reduce_sum = reduction("Sum", _xp_reduce("sum", pass_dtype=True), _sum_grad,
                       doc="The sum of the elements over ``axis`` (0 over an empty axis); ints stay ints.")
reduce_mean = reduction("Mean", _mean_kernel, _mean_grad,
                        doc="The mean of the elements over ``axis`` (NaN over an empty axis); for integers the "
                            "quotient is truncated toward zero, as in TF1.")
reduce_max = reduction("Max", _extremum_kernel("amax", _lowest), _extremum_grad,
                       doc="The largest element over ``axis`` (the dtype's lowest value, -inf for floats, over an "
                           "empty axis); tied maxima share the gradient equally.")
reduce_min = reduction("Min", _extremum_kernel("amin", _highest), _extremum_grad,
                       doc="The smallest element over ``axis`` (the dtype's highest value, +inf for floats, over "
                           "an empty axis); tied minima share the gradient equally.")
reduce_prod = reduction("Prod", _xp_reduce("prod", pass_dtype=True), _prod_grad,
                        doc="The product of the elements over ``axis`` (1 over an empty axis); the gradient is "
                            "exact where inputs are zero.")
reduce_all = reduction("All", _xp_reduce("all"), check=_check_bools,
                       doc="Logical AND of the elements over ``axis`` (True over an empty axis).")
reduce_any = reduction("Any", _xp_reduce("any"), check=_check_bools,
                       doc="Logical OR of the elements over ``axis`` (False over an empty axis).")


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None, reduction_indices=None, keep_dims=None):
    """log(sum(exp(x))) over ``axis``, computed after subtracting the maximum (no overflow)."""
    m = _math()
    keep = bool(keep_dims if keep_dims is not None else keepdims)
    axis = reduction_indices if axis is None else axis
    with op_scope(name, "ReduceLogSumExp") as scope:
        x = convert_to_tensor(input_tensor)
        peak = stop_gradient(reduce_max(x, axis, keepdims=True))
        total = reduce_sum(m.exp(m.subtract(x, peak)), axis, keepdims=keep)
        return m.add(m.log(total), stop_gradient(reduce_max(x, axis, keepdims=keep)), name=scope)


def count_nonzero(input_tensor, axis=None, keepdims=None, dtype=int64, name=None, reduction_indices=None,
                  keep_dims=None):
    """How many elements are not zero (not False) over ``axis``, as ``dtype`` (int64)."""
    m = _math()
    with op_scope(name, "count_nonzero"):
        x = convert_to_tensor(input_tensor)
        nonzero = not_equal(x, False if x.dtype.is_bool else 0)
        axis = reduction_indices if axis is None else axis
        return reduce_sum(m.cast(nonzero, dtype), axis, keepdims=keepdims, keep_dims=keep_dims)


# -- ExpandDimsForReduction (reduction gradients) ---------------------------------------------------
def _expand_kernel(ctx):
    axes, expand = ctx.attrs["axes"], ctx.xp.expand_dims
    return lambda g: expand(g, axes)


def _expand_infer(inputs, attrs):
    shape = inputs[0]._shape
    if shape is None:
        return [(inputs[0].dtype, None)]
    dims = list(shape)
    for a in attrs["axes"]:
        dims.insert(a, 1)
    return [(inputs[0].dtype, tuple(dims))]


define_op("ExpandDimsForReduction", _expand_infer, {"any": _expand_kernel},
          grad=lambda op, g: [reduce_sum(g, axis=op.attrs["axes"])])


def expand_dims_for_reduction(g, axes):
    """Put back (as size 1) the axes a reduction without keepdims removed."""
    return out("ExpandDimsForReduction", [g], {"axes": tuple(axes)}, default_name="Reshape")


# -- argmax / argmin --------------------------------------------------------------------------------
def _arg_infer(inputs, attrs):
    x, axis = inputs[0], attrs["axis"]
    _check_numbers("ArgMax", x)
    shape = None if x._shape is None else x._shape[:axis] + x._shape[axis + 1:]
    return [(attrs["output_type"], shape)]


def _arg_kernel(fn_name):
    def build(ctx):
        fn, axis, dtype, op = getattr(ctx.xp, fn_name), ctx.attrs["axis"], ctx.out_dtype(), ctx.op

        def arg(x):
            if x.shape[axis] == 0:
                raise errors.InvalidArgumentError(None, op, f"{op.type}: reduction axis {axis} of the input of "
                                                            f"shape {tuple(x.shape)} is empty")
            return fn(x, axis=axis).astype(dtype, copy=False)
        return arg
    return build


define_op("ArgMax", _arg_infer, {"any": rank_checked(_arg_kernel("argmax"), axis_in_range)}, differentiable=False)
define_op("ArgMin", _arg_infer, {"any": rank_checked(_arg_kernel("argmin"), axis_in_range)}, differentiable=False)


def _arg(op_type, input, axis, name, dimension, output_type):
    x = convert_to_tensor(input)
    axis = dimension if axis is None else axis
    axis = 0 if axis is None else axis
    output_type = as_dtype(output_type)
    if output_type.name not in ("int32", "int64"):
        raise TypeError(f"{op_type}: output_type must be int32 or int64, got {output_type.name}")
    attrs = {"axis": single_axis(axis, rank_of(x), op_type), "output_type": output_type}
    return out(op_type, [x], attrs, name=name, default_name=op_type)


def argmax(input, axis=None, name=None, dimension=None, output_type=int64):
    """Index of the largest value along ``axis`` (default 0); the first one on ties."""
    return _arg("ArgMax", input, axis, name, dimension, output_type)


def argmin(input, axis=None, name=None, dimension=None, output_type=int64):
    """Index of the smallest value along ``axis`` (default 0); the first one on ties."""
    return _arg("ArgMin", input, axis, name, dimension, output_type)


# -- cumsum / cumprod -------------------------------------------------------------------------------
def _scan_kernel(fn_name, identity):
    """``xp.cumsum``/``cumprod`` with TF's ``exclusive`` (shift in the identity) and ``reverse``."""
    def build(ctx):
        xp, dtype = ctx.xp, ctx.out_dtype()
        fn, axis = getattr(xp, fn_name), ctx.attrs["axis"]
        exclusive, reverse = ctx.attrs["exclusive"], ctx.attrs["reverse"]
        head, body, shifted = ((slice(None),) * axis + (s,) for s in (slice(0, 1), slice(1, None), slice(0, -1)))

        def scan(x):
            if reverse:
                x = xp.flip(x, axis)
            result = fn(x, axis=axis, dtype=dtype)
            if exclusive:
                moved = xp.empty_like(result)
                moved[head] = identity
                moved[body] = result[shifted]
                result = moved
            return xp.flip(result, axis) if reverse else result
        return scan
    return build


def _scan_infer(inputs, attrs):
    _check_numbers("Cumsum", inputs[0])
    return [(inputs[0].dtype, inputs[0]._shape)]


def _cumsum_grad(op, g):
    a = op.attrs
    return [cumsum(g, a["axis"], exclusive=a["exclusive"], reverse=not a["reverse"])]


def _cumprod_grad(op, g):
    m, x, a = _math(), op.inputs[0], op.attrs
    summed = cumsum(m.multiply(op.outputs[0], g), a["axis"], exclusive=a["exclusive"], reverse=not a["reverse"])
    return [m.realdiv(summed, x)]


define_op("Cumsum", _scan_infer, {"any": _scan_kernel("cumsum", 0)}, grad=_cumsum_grad)
define_op("Cumprod", _scan_infer, {"any": _scan_kernel("cumprod", 1)}, grad=_cumprod_grad)


def _scan(op_type, x, axis, exclusive, reverse, name):
    x = convert_to_tensor(x)
    attrs = {"axis": single_axis(axis, rank_of(x), op_type), "exclusive": bool(exclusive), "reverse": bool(reverse)}
    return out(op_type, [x], attrs, name=name, default_name=op_type)


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running sums along ``axis``; ``exclusive`` leaves each element out of its own sum."""
    return _scan("Cumsum", x, axis, exclusive, reverse, name)


def cumprod(x, axis=0, exclusive=False, reverse=False, name=None):
    """Running products along ``axis``; ``exclusive`` leaves each element out of its own product."""
    return _scan("Cumprod", x, axis, exclusive, reverse, name)
