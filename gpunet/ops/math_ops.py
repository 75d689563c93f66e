"""Elementwise arithmetic and math functions, cast, add_n and clip_by_value.

Public functions take TF1's default op names (``gn.add`` -> ``Add``); the Tensor operators
(ops/operators.py) use the lowercase ones (``x + y`` -> ``add``), and Python operands are
converted to constants inside the op's name scope (``x * 2.0`` -> ``mul/y``), as in TF1.
Names that moved to the modules this one builds on stay importable from here.
"""
from __future__ import annotations

import numpy as np

from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import as_dtype, string
from ..graph.registry import define_op, elementwise
from ..graph.shape import broadcast, compatible
from ._elementwise import define_binary, define_unary, floats, numbers, public_binary
from ._helpers import binary_args, dims_text, op_scope, out
from ._value_checks import check_nonzero_divisor
from .broadcast_ops import broadcast_to_like, sum_to_shape_of  # noqa: F401
from .creation_ops import ones_like, zeros_like  # noqa: F401
from .linalg_ops import matmul  # noqa: F401
from .logic_ops import greater, greater_equal, less, less_equal, logical_not, logical_or, select
from .reduction_ops import reduce_sum  # noqa: F401

__all__ = ["abs", "add", "add_n", "cast", "ceil", "clip_by_value", "cos", "div", "divide", "exp", "expm1", "floor",
           "floordiv", "floormod", "log", "log1p", "maximum", "minimum", "mod", "multiply", "negative", "pow",
           "realdiv", "reciprocal", "round", "rsqrt", "sign", "sin", "sqrt", "square", "squared_difference",
           "subtract", "to_double", "to_float", "to_int32", "to_int64", "truediv", "truncatediv", "truncatemod"]


# -- binary elementwise -------------------------------------------------------------------------
def _add_grad(op, g):
    x, y = op.inputs
    return [sum_to_shape_of(g, x), sum_to_shape_of(g, y)]


def _sub_grad(op, g):
    x, y = op.inputs
    return [sum_to_shape_of(g, x), sum_to_shape_of(negative(g), y)]


def _mul_grad(op, g):
    x, y = op.inputs
    return [sum_to_shape_of(multiply(g, y), x), sum_to_shape_of(multiply(x, g), y)]


def _div_grad(op, g):
    x, y = op.inputs
    return [sum_to_shape_of(realdiv(g, y), x),
            sum_to_shape_of(negative(multiply(g, realdiv(op.outputs[0], y))), y)]


def _floormod_grad(op, g):  # x - floor(x / y) * y
    x, y = op.inputs
    return [sum_to_shape_of(g, x), sum_to_shape_of(multiply(negative(g), floordiv(x, y)), y)]


def _pow_grad(op, g):
    x, y = op.inputs
    dx = multiply(g, multiply(y, pow(x, subtract(y, 1))))
    positive = greater(x, 0)  # d/dy x**y = x**y log x, taken as 0 where log x is undefined
    log_x = select(positive, log(select(positive, x, ones_like(x))), zeros_like(x))
    return [sum_to_shape_of(dx, x), sum_to_shape_of(multiply(g, multiply(op.outputs[0], log_x)), y)]


def _extremum_grad(prefer_x):
    """Maximum/Minimum: the gradient goes to the chosen input; ties go to x, as in TF1."""
    def grad(op, g):
        x, y = op.inputs
        x_chosen = prefer_x(x, y)
        zeros = zeros_like(g)
        return [sum_to_shape_of(select(x_chosen, g, zeros), x), sum_to_shape_of(select(x_chosen, zeros, g), y)]
    return grad


def _squared_difference_grad(op, g):
    x, y = op.inputs
    dx = multiply(g, multiply(subtract(x, y), 2))
    return [sum_to_shape_of(dx, x), sum_to_shape_of(negative(dx), y)]


def _squared_difference_kernel(ctx):
    subtract_fn, square_fn = ctx.xp.subtract, ctx.xp.square
    return lambda x, y: square_fn(subtract_fn(x, y))


define_binary("AddV2", elementwise("add"), _add_grad, doc="x + y with broadcasting.")
define_binary("Sub", elementwise("subtract"), _sub_grad, doc="x - y with broadcasting.")
define_binary("Mul", elementwise("multiply"), _mul_grad, doc="x * y with broadcasting.")
define_binary("RealDiv", elementwise("true_divide"), _div_grad, check=floats, doc="x / y for floating-point tensors.")


def _integer_checked(name, check_values):
    """``xp.<name>``, with ``check_values(check, y)`` run first when the inputs are integers: a
    zero divisor or a negative exponent would otherwise give 0 (NumPy, with a warning) or a wrapped
    value (CuPy), never an error."""
    def build(ctx):
        fn = getattr(ctx.xp, name)
        if not ctx.op.inputs[1].dtype.is_integer:
            return fn
        check = ctx.value_check()

        def checked(x, y):
            check_values(check, y)
            with np.errstate(divide="ignore"):  # a deferred check raises at the end of the run
                return fn(x, y)
        return checked
    return build


def _check_exponent(check, y):
    if y.size:
        check(y.min() < 0, lambda: "Integers to negative integer powers are not allowed")


define_binary("FloorDiv", _integer_checked("floor_divide", check_nonzero_divisor),
              doc="x // y: the quotient rounded towards -inf (ints stay ints).")
define_binary("FloorMod", _integer_checked("remainder", check_nonzero_divisor), _floormod_grad,
              doc="x % y with the sign of y, as Python's %.")
define_binary("Pow", _integer_checked("power", _check_exponent), _pow_grad, doc="x ** y.")


def _truncate_divide_kernel(ctx):
    xp = ctx.xp
    if ctx.op.inputs[0].dtype.is_floating:
        return lambda x, y: xp.trunc(xp.true_divide(x, y))
    floor_divide = _integer_checked("floor_divide", check_nonzero_divisor)(ctx)

    def truncate_divide(x, y):  # the floor quotient, one up where it rounded a negative fraction down
        quotient = floor_divide(x, y)
        rounded_down = xp.not_equal(xp.remainder(x, xp.where(y == 0, 1, y)), 0) & xp.not_equal(x < 0, y < 0)
        return quotient + rounded_down.astype(quotient.dtype)
    return truncate_divide


def _truncate_mod_kernel(ctx):
    xp = ctx.xp
    if ctx.op.inputs[0].dtype.is_floating:
        return xp.fmod
    # not xp.fmod: CuPy's integer fmod goes through double and rounds values beyond 2**53
    remainder = _integer_checked("remainder", check_nonzero_divisor)(ctx)

    def truncate_mod(x, y):  # the floor remainder (sign of y), moved by y where x and y differ in sign
        floor_remainder = remainder(x, y)
        moved = xp.not_equal(floor_remainder, 0) & xp.not_equal(x < 0, y < 0)
        return floor_remainder - xp.where(moved, y, 0)
    return truncate_mod


define_binary("TruncateDiv", _truncate_divide_kernel, doc="x / y rounded towards zero (C's integer division).")
define_binary("TruncateMod", _truncate_mod_kernel, doc="The remainder of truncatediv: the sign of x, as C's %.")
define_binary("Maximum", elementwise("maximum"), _extremum_grad(greater_equal),
              doc="Elementwise max; the gradient goes to x on ties.")
define_binary("Minimum", elementwise("minimum"), _extremum_grad(less_equal),
              doc="Elementwise min; the gradient goes to x on ties.")
define_binary("SquaredDifference", _squared_difference_kernel, _squared_difference_grad, doc="(x - y) ** 2.")

add = public_binary("AddV2", "Add")
subtract = public_binary("Sub", "Sub")
multiply = public_binary("Mul", "Mul")
realdiv = public_binary("RealDiv", "RealDiv")
floordiv = public_binary("FloorDiv", "floordiv")
floormod = public_binary("FloorMod", "FloorMod")
mod = floormod
pow = public_binary("Pow", "Pow")  # noqa: A001 (TF1's name)
maximum = public_binary("Maximum", "Maximum")
minimum = public_binary("Minimum", "Minimum")
squared_difference = public_binary("SquaredDifference", "SquaredDifference")
truncatediv = public_binary("TruncateDiv", "TruncateDiv")
truncatemod = public_binary("TruncateMod", "TruncateMod")


def div(x, y, name=None):
    """TF1's Python-2 division: x // y for integers (floordiv), x / y for floats (realdiv)."""
    with op_scope(name, "div", [x, y]) as scope:
        x, y = binary_args("Div", x, y, names=("x", "y"))
        return out("RealDiv" if x.dtype.is_floating else "FloorDiv", [x, y], name=scope)


def divide(x, y, name=None):
    """x / y. Integer inputs give floats (int8/int16 -> float32, int32/int64 -> float64), as TF1's truediv."""
    with op_scope(name, "truediv") as scope:
        x, y = binary_args("RealDiv", x, y, names=("x", "y"))
        if not x.dtype.is_floating:
            numbers("truediv", x.dtype)
            target = "float64" if x.dtype.size >= 4 else "float32"
            x, y = cast(x, target), cast(y, target)
        return out("RealDiv", [x, y], name=scope)


truediv = divide


# -- unary elementwise --------------------------------------------------------------------------
def _rsqrt_kernel(ctx):
    sqrt_fn = ctx.xp.sqrt
    return lambda x: 1 / sqrt_fn(x)


def _round_kernel(ctx):
    if not ctx.op.inputs[0].dtype.is_floating:
        return lambda x: x  # integers are already round
    return elementwise("rint")(ctx)  # halves to even, as TF1


negative = define_unary("Neg", "Neg", elementwise("negative"), lambda op, g: [negative(g)], numbers, doc="y = -x.")
abs = define_unary("Abs", "Abs", elementwise("abs"),  # noqa: A001 (TF1's name)
                   lambda op, g: [multiply(g, sign(op.inputs[0]))], numbers,
                   doc="y = |x|; the gradient is g * sign(x) (0 at x = 0).")
sign = define_unary("Sign", "Sign", elementwise("sign"), lambda op, g: [zeros_like(g)], numbers,
                    doc="y = sign(x): -1 where x < 0, 0 where x == 0, 1 where x > 0; its gradient is 0.")
square = define_unary("Square", "Square", elementwise("square"),
                      lambda op, g: [multiply(g, multiply(op.inputs[0], 2))], numbers, doc="y = x * x.")
sqrt = define_unary("Sqrt", "Sqrt", elementwise("sqrt"), lambda op, g: [realdiv(multiply(g, 0.5), op.outputs[0])],
                    doc="y = sqrt(x) (NaN where x < 0); the gradient is g * 0.5 / y.")
rsqrt = define_unary("Rsqrt", "Rsqrt", _rsqrt_kernel,
                     lambda op, g: [multiply(g, multiply(pow(op.outputs[0], 3), -0.5))],
                     doc="y = 1 / sqrt(x); the gradient is g * -0.5 * y ** 3.")
exp = define_unary("Exp", "Exp", elementwise("exp"), lambda op, g: [multiply(g, op.outputs[0])], doc="y = e ** x.")
expm1 = define_unary("Expm1", "Expm1", elementwise("expm1"), lambda op, g: [multiply(g, exp(op.inputs[0]))],
                     doc="y = e ** x - 1, accurate for x near 0.")
log = define_unary("Log", "Log", elementwise("log"), lambda op, g: [realdiv(g, op.inputs[0])],
                   doc="y = ln(x), the natural logarithm (-inf at 0, NaN where x < 0).")
log1p = define_unary("Log1p", "Log1p", elementwise("log1p"), lambda op, g: [realdiv(g, add(op.inputs[0], 1))],
                     doc="y = ln(1 + x), accurate for x near 0.")
reciprocal = define_unary("Reciprocal", "Reciprocal", elementwise("reciprocal"),
                          lambda op, g: [negative(multiply(g, square(op.outputs[0])))],
                          doc="y = 1 / x; the gradient is -g * y ** 2.")
sin = define_unary("Sin", "Sin", elementwise("sin"), lambda op, g: [multiply(g, cos(op.inputs[0]))],
                   doc="y = sin(x), x in radians.")
cos = define_unary("Cos", "Cos", elementwise("cos"), lambda op, g: [negative(multiply(g, sin(op.inputs[0])))],
                   doc="y = cos(x), x in radians.")
# floor, ceil and round are piecewise constant: no gradient flows through them (TF1 returns None)
floor = define_unary("Floor", "Floor", elementwise("floor"), doc="y = floor(x): the largest integer <= x.")
ceil = define_unary("Ceil", "Ceil", elementwise("ceil"), doc="y = ceil(x): the smallest integer >= x.")
round = define_unary("Round", "Round", _round_kernel, check=numbers,  # noqa: A001 (TF1's name)
                     doc="y = x rounded to the nearest integer, halves to even (banker's rounding); ints unchanged.")


# -- cast -------------------------------------------------------------------------------------------
def _cast_kernel(ctx):
    dtype = ctx.out_dtype()
    return lambda x: x.astype(dtype, copy=False)


def _cast_grad(op, g):
    src = op.inputs[0].dtype
    return [cast(g, src) if src.is_floating and op.outputs[0].dtype.is_floating else None]


def _cast_infer(inputs, attrs):
    src, dst = inputs[0].dtype, attrs["DstT"]
    if (src == string) != (dst == string):  # NumPy would parse "1.5" or print 1.5: TF1 does neither
        raise TypeError(f"Cast {src.name} to {dst.name} is not supported")
    return [(dst, inputs[0]._shape)]


define_op("Cast", _cast_infer, {"any": _cast_kernel}, grad=_cast_grad)


def cast(x, dtype, name=None):
    """``x`` as ``dtype`` (floats to ints truncate toward zero); returns ``x`` itself if it has that dtype."""
    x = convert_to_tensor(x)
    if dtype is None:  # NumPy would read None as float64
        raise TypeError(f"cast: dtype must be a dtype, got None (casting {x.name})")
    dtype = as_dtype(dtype)
    if x.dtype == dtype:
        return x
    return out("Cast", [x], {"DstT": dtype}, name=name, default_name="Cast")


def to_float(x, name="ToFloat"):
    """``cast(x, float32)``: TF1's deprecated shorthand."""
    return cast(x, "float32", name=name)


def to_double(x, name="ToDouble"):
    """``cast(x, float64)``: TF1's deprecated shorthand."""
    return cast(x, "float64", name=name)


def to_int32(x, name="ToInt32"):
    """``cast(x, int32)`` (floats truncate toward zero): TF1's deprecated shorthand."""
    return cast(x, "int32", name=name)


def to_int64(x, name="ToInt64"):
    """``cast(x, int64)`` (floats truncate toward zero): TF1's deprecated shorthand."""
    return cast(x, "int64", name=name)


# -- add_n ------------------------------------------------------------------------------------------
def _add_n_infer(inputs, attrs):
    first = inputs[0]
    for t in inputs[1:]:
        if t.dtype != first.dtype:
            raise TypeError(f"AddN: all inputs must have the same dtype, got {first.dtype.name} and {t.dtype.name}")
        if not compatible(t._shape, first._shape):
            raise ValueError(f"AddN: all inputs must have the same shape, got {dims_text(first._shape)} "
                             f"and {dims_text(t._shape)}")
    known = [t._shape for t in inputs if t._shape is not None]
    if not known:
        return [(first.dtype, None)]
    return [(first.dtype, tuple(next((d for d in dims if d is not None), None) for dims in zip(*known)))]


def _add_n_kernel(ctx):
    def add_n(*xs):
        total = xs[0] + xs[1]
        for x in xs[2:]:
            total += x  # total is this kernel's own buffer
        return total
    return add_n


define_op("AddN", _add_n_infer, {"any": _add_n_kernel}, grad=lambda op, g: [g] * len(op.inputs), fresh_outputs=True)


def add_n(inputs, name=None):
    """The sum of a list of tensors of the same shape and dtype."""
    inputs = [convert_to_tensor(i) for i in inputs]
    if not inputs:
        raise ValueError("add_n: inputs must be a non-empty list of tensors")
    if len(inputs) == 1:
        return inputs[0]
    return out("AddN", inputs, name=name, default_name="AddN")


# -- clip_by_value ----------------------------------------------------------------------------------
def _clip_infer(inputs, attrs):
    x, low, high = inputs
    numbers("ClipByValue", x.dtype)
    for bound in (low, high):
        if bound.dtype != x.dtype:
            raise TypeError(f"clip_by_value: the bounds must have dtype {x.dtype.name}, got {bound.dtype.name}")
        if x._shape is not None and bound._shape is not None and broadcast(x._shape, bound._shape) != x._shape:
            raise ValueError(f"clip_by_value: a bound of shape {dims_text(bound._shape)} does not broadcast to "
                             f"the shape {dims_text(x._shape)} of t")
    return [(x.dtype, x._shape)]


def _clip_kernel(ctx):
    clip = ctx.xp.clip
    return lambda x, low, high: clip(x, low, high)


def _clip_grad(op, g):
    """Inside [low, high] the gradient goes to t; below it to low, above it to high."""
    x, low, high = op.inputs
    zeros = zeros_like(g)
    below, above = less(x, low), greater(x, high)
    inside = logical_not(logical_or(below, above))
    return [select(inside, g, zeros), sum_to_shape_of(select(below, g, zeros), low),
            sum_to_shape_of(select(above, g, zeros), high)]


define_op("ClipByValue", _clip_infer, {"any": _clip_kernel}, grad=_clip_grad)


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """``t`` clipped to ``[clip_value_min, clip_value_max]`` (scalars or tensors that broadcast to t)."""
    with op_scope(name, "clip_by_value", [t, clip_value_min, clip_value_max]) as scope:
        x = convert_to_tensor(t, name="t")
        low = binary_args("ClipByValue", x, clip_value_min, names=(None, "clip_value_min"))[1]
        high = binary_args("ClipByValue", x, clip_value_max, names=(None, "clip_value_max"))[1]
        return out("ClipByValue", [x, low, high], name=scope)


