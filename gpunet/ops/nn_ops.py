"""Neural-network ops, part 1 (gn.nn): activations, bias_add, l2_loss, xw_plus_b, in_top_k.

Each activation is one op with its own fused backward op (ReluGrad, SigmoidGrad, ...), as in
TF1, so a training step runs one kernel per activation in each direction (on CuPy GPUs the
multi-pass ones run as single CUDA kernels, gpunet/ops/nn_fused.py). The backward ops have
gradients of their own (second derivatives), mostly built from the public math ops.
"""
from __future__ import annotations

import operator

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import as_dtype
from ..graph.registry import define_op, get_op_def
from . import math_ops
from .array_ops import reshape
from .creation_ops import zeros_like
from .linalg_ops import matmul
from .nn_fused import kernels as fused_or_generic
from ._elementwise import unary_doc
from ._helpers import dims_text, matching_pair, out, same_as_input
from ._rank_checks import at_least, exactly, rank_checked

__all__ = ["bias_add", "elu", "in_top_k", "l2_loss", "leaky_relu", "relu", "relu6", "selu", "sigmoid",
           "softplus", "tanh", "xw_plus_b"]

_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


def require_float(x, op_type):
    """TF1's check for ops defined on floating types only."""
    if not x.dtype.is_floating:
        raise TypeError(f"Value passed to parameter 'x' of {op_type} has DataType {x.dtype.name} not in list of "
                        f"allowed values: float16, float32, float64")


def _pair_infer(inputs, attrs):
    """Backward ops: (a, b) of one shape and dtype -> that shape."""
    return [matching_pair(*inputs, "inputs")]


def _unary_builder(op_type, default_name, floats_only=True):
    """The public ``fn(features, name=None)`` of the activation ``op_type``; its docstring begins with
    the doc registered with the op."""
    def build(features, name=None):
        x = convert_to_tensor(features)
        if floats_only:
            require_float(x, op_type)
        elif not (x.dtype.is_floating or x.dtype.is_integer):  # bool and string have no order to clip at 0
            raise TypeError(f"Value passed to parameter 'features' of {op_type} has DataType {x.dtype.name} not "
                            f"in list of allowed values: floating-point and integer types")
        return out(op_type, [x], name=name, default_name=default_name)
    build.__name__ = default_name.lower()
    dtypes = "a floating-point dtype" if floats_only else "a number dtype (floating-point or integer)"
    build.__doc__ = unary_doc(get_op_def(op_type), default_name, "features", dtypes)
    return build


def _backward_op(op_type, kernel, grad, **options):
    """Define a backward op of two same-shaped inputs; return its builder."""
    define_op(op_type, _pair_infer, fused_or_generic(op_type, kernel), grad=grad, **options)
    return lambda a, b: out(op_type, [a, b], default_name=op_type)


def _xp_kernel(fn):
    """Builder for a kernel ``fn(xp, *arrays)`` with the device's array module bound once."""
    def build(ctx):
        xp = ctx.xp
        return lambda *arrays: fn(xp, *arrays)
    return build


# -- relu, relu6, leaky_relu -----------------------------------------------------------------------
# Their backward ops are linear in the incoming gradient and piecewise constant in the features:
# the second derivative wrt the features is zero, as in TF1.
relu_grad = _backward_op("ReluGrad", lambda ctx: lambda g, y: g * (y > 0),
                         lambda op, gg: [relu_grad(gg, op.inputs[1]), zeros_like(op.inputs[1])], fresh_outputs=True)
define_op("Relu", same_as_input, {"any": _xp_kernel(lambda xp, x: xp.maximum(x, 0))},
          grad=lambda op, g: [relu_grad(g, op.outputs[0])], fresh_outputs=True,
          doc="Rectified linear: max(features, 0); the gradient is g where the output is > 0, else 0.")
relu = _unary_builder("Relu", "Relu", floats_only=False)

relu6_grad = _backward_op("Relu6Grad", lambda ctx: lambda g, x: g * ((x > 0) & (x < 6)),
                          lambda op, gg: [relu6_grad(gg, op.inputs[1]), zeros_like(op.inputs[1])])
define_op("Relu6", same_as_input, {"any": _xp_kernel(lambda xp, x: xp.clip(x, 0, 6))},
          grad=lambda op, g: [relu6_grad(g, op.inputs[0])],
          doc="min(max(features, 0), 6); the gradient is g where 0 < features < 6, else 0.")
relu6 = _unary_builder("Relu6", "Relu6", floats_only=False)


# Kernels avoid xp.where: on random signs NumPy's where is several times slower than arithmetic.
def _leaky_kernel(ctx):
    pick, alpha = (ctx.xp.maximum if ctx.attrs["alpha"] <= 1 else ctx.xp.minimum), ctx.attrs["alpha"]
    return lambda x: pick(x, x * alpha)  # x where x > 0, alpha * x elsewhere


def _leaky_grad_kernel(ctx):
    alpha = ctx.attrs["alpha"]

    def leaky_relu_grad(g, x):
        d = (x > 0).astype(g.dtype)  # a bool mask times a Python float would be float64
        d *= 1 - alpha
        d += alpha
        d *= g
        return d
    return leaky_relu_grad


define_op("LeakyReluGrad", _pair_infer, {"any": _leaky_grad_kernel},
          grad=lambda op, gg: [_leaky_relu_grad(gg, op.inputs[1], op.attrs["alpha"]),
                               zeros_like(op.inputs[1])])
define_op("LeakyRelu", same_as_input, {"any": _leaky_kernel},
          grad=lambda op, g: [_leaky_relu_grad(g, op.inputs[0], op.attrs["alpha"])],
          doc="features where features > 0, alpha * features elsewhere.")


def _leaky_relu_grad(g, x, alpha):
    return out("LeakyReluGrad", [g, x], {"alpha": alpha}, default_name="LeakyReluGrad")


def leaky_relu(features, alpha=0.2, name=None):
    """Leaky rectified linear: ``features`` where it is > 0, ``alpha * features`` elsewhere.

    Args:
      features: a Tensor of a floating-point dtype.
      alpha: the slope for negative inputs (a Python number, default 0.2).
      name: a name for the op (default 'LeakyRelu').

    Returns:
      A Tensor of the same shape and dtype as ``features``; the gradient is g where features > 0,
      ``alpha * g`` elsewhere.
    """
    x = convert_to_tensor(features)
    require_float(x, "LeakyRelu")
    return out("LeakyRelu", [x], {"alpha": float(alpha)}, name=name, default_name="LeakyRelu")


# -- elu, selu: backward ops take the forward *output* y -----------------------------------------
def _elu_like_grad_grad(grad_op):
    """d/dy of g * (y + c) where y <= 0 is g there: gg * g * (y <= 0), written as a - relu_grad(a, y)."""
    def grad(op, gg):
        g, y = op.inputs
        a = math_ops.multiply(gg, g)
        return [grad_op(gg, y), math_ops.subtract(a, relu_grad(a, y))]
    return grad


def _elu(xp, x, alpha=1.0, scale=1.0):
    """scale * (x where x > 0, alpha * (exp(x) - 1) elsewhere): one of the two terms is always 0."""
    y = xp.expm1(xp.minimum(x, 0))
    if alpha != 1.0:
        y *= alpha
    y += xp.maximum(x, 0)
    if scale != 1.0:
        y *= scale
    return y


def _elu_grad(xp, g, y):
    d = xp.minimum(y, 0)  # g where y > 0, g * (y + 1) elsewhere
    d += 1
    d *= g
    return d


def _selu_grad(xp, g, y):
    # g * scale where y > 0, g * (y + scale * alpha) elsewhere
    d = (y > 0).astype(g.dtype)
    d *= _SELU_SCALE - _SELU_SCALE * _SELU_ALPHA
    d += xp.minimum(y, 0)
    d += _SELU_SCALE * _SELU_ALPHA
    d *= g
    return d


elu_grad = _backward_op("EluGrad", _xp_kernel(_elu_grad), _elu_like_grad_grad(lambda gg, y: elu_grad(gg, y)))
selu_grad = _backward_op("SeluGrad", _xp_kernel(_selu_grad), _elu_like_grad_grad(lambda gg, y: selu_grad(gg, y)))
define_op("Elu", same_as_input, {"any": _xp_kernel(_elu)}, grad=lambda op, g: [elu_grad(g, op.outputs[0])],
          doc="Exponential linear: features where features > 0, exp(features) - 1 elsewhere.")
define_op("Selu", same_as_input, {"any": _xp_kernel(lambda xp, x: _elu(xp, x, _SELU_ALPHA, _SELU_SCALE))},
          grad=lambda op, g: [selu_grad(g, op.outputs[0])],
          doc="Scaled exponential linear: scale * (features where features > 0, alpha * (exp(features) - 1) "
              "elsewhere), with alpha = 1.6732632423543772 and scale = 1.0507009873554805.")
elu = _unary_builder("Elu", "Elu")
selu = _unary_builder("Selu", "Selu")


# -- sigmoid, tanh, softplus ------------------------------------------------------------------------
def _sigmoid_kernel(ctx):
    xp = ctx.xp

    def sigmoid_(x):
        # exp(min(x, 0)) / (1 + exp(-|x|)): both exponents <= 0, so nothing overflows for any x.
        # Explicit outputs: a ufunc on a 0-d array would return a scalar, which out= cannot take.
        denominator = xp.abs(x, out=xp.empty_like(x))
        xp.negative(denominator, out=denominator)
        xp.exp(denominator, out=denominator)
        denominator += 1
        y = xp.minimum(x, 0, out=xp.empty_like(x))
        xp.exp(y, out=y)
        y /= denominator
        return y
    return sigmoid_


def _sigmoid_grad_grad(op, gg):
    y, g = op.inputs
    gy = math_ops.multiply(gg, g)
    return [math_ops.subtract(gy, math_ops.multiply(2.0, math_ops.multiply(gy, y))), sigmoid_grad(y, gg)]


def _tanh_grad_grad(op, gg):
    y, g = op.inputs
    return [math_ops.multiply(-2.0, math_ops.multiply(math_ops.multiply(gg, g), y)), tanh_grad(y, gg)]


# TF1's argument order: SigmoidGrad(y, dy), TanhGrad(y, dy).
sigmoid_grad = _backward_op("SigmoidGrad", lambda ctx: lambda y, g: g * y * (1 - y), _sigmoid_grad_grad)
tanh_grad = _backward_op("TanhGrad", lambda ctx: lambda y, g: g * (1 - y * y), _tanh_grad_grad)
define_op("Sigmoid", same_as_input, fused_or_generic("Sigmoid", _sigmoid_kernel),
          grad=lambda op, g: [sigmoid_grad(op.outputs[0], g)],
          doc="y = 1 / (1 + exp(-features)), without overflow; the gradient is g * y * (1 - y).")
define_op("Tanh", same_as_input, {"any": lambda ctx: ctx.xp.tanh}, grad=lambda op, g: [tanh_grad(op.outputs[0], g)],
          doc="y = tanh(features), the hyperbolic tangent; the gradient is g * (1 - y ** 2).")

sigmoid = _unary_builder("Sigmoid", "Sigmoid")
tanh = _unary_builder("Tanh", "Tanh")


def _softplus_kernel(ctx):
    xp = ctx.xp
    return lambda x: xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


def _softplus_grad_grad(op, gg):
    g, x = op.inputs
    return [softplus_grad(gg, x), sigmoid_grad(sigmoid(x), math_ops.multiply(gg, g))]


def _softplus_grad_kernel(ctx):
    sigmoid_ = _sigmoid_kernel(ctx)
    return lambda g, x: g * sigmoid_(x)


softplus_grad = _backward_op("SoftplusGrad", _softplus_grad_kernel, _softplus_grad_grad)
define_op("Softplus", same_as_input, fused_or_generic("Softplus", _softplus_kernel),
          grad=lambda op, g: [softplus_grad(g, op.inputs[0])],
          doc="y = log(exp(features) + 1), without overflow; the gradient is g * sigmoid(features).")
softplus = _unary_builder("Softplus", "Softplus")


# -- bias_add ---------------------------------------------------------------------------------------
def _channel_axis(data_format, rank):
    return 1 if data_format == "NCHW" else rank - 1


def _bias_add_infer(inputs, attrs):
    value, bias = inputs
    if value.dtype != bias.dtype:
        raise TypeError(f"BiasAdd: value is {value.dtype.name} but bias is {bias.dtype.name}")
    if bias._shape is not None and len(bias._shape) != 1:
        raise ValueError(f"Shape must be rank 1 but is rank {len(bias._shape)} for bias of BiasAdd")
    if value._shape is None:
        return [(value.dtype, None)]
    if len(value._shape) < 2:
        raise ValueError(f"Shape must be at least rank 2 but is rank {len(value._shape)} for value of BiasAdd")
    channels = value._shape[_channel_axis(attrs["data_format"], len(value._shape))]
    if bias._shape is not None and None not in (channels, bias._shape[0]) and channels != bias._shape[0]:
        raise ValueError(f"Dimensions must be equal, but are {channels} and {bias._shape[0]} for BiasAdd with "
                         f"input shapes {list(value._shape)}, {list(bias._shape)}.")
    return [(value.dtype, value._shape)]


def _bias_add_kernel(ctx):
    xp = ctx.xp
    if ctx.attrs["data_format"] == "NCHW":
        return lambda value, bias: value + bias.reshape((-1,) + (1,) * (value.ndim - 2))

    def bias_add_(value, bias):
        if value.ndim < 3 or not value.flags.c_contiguous:
            return value + bias
        # images: add the bias tiled along a whole row, so the inner loop is w * c long, not c
        width = value.shape[-2]
        return (value.reshape(-1, width * bias.shape[0]) + xp.tile(bias, width)).reshape(value.shape)
    return bias_add_


def _bias_add_grad_kernel(ctx):
    into = _bias_add_grad_into_kernel(ctx)
    return lambda g: into(None, g)


def _bias_add_grad_into_kernel(ctx):
    xp = ctx.xp
    if ctx.attrs["data_format"] == "NCHW":
        return lambda out, g: g.sum(axis=(0,) + tuple(range(2, g.ndim)), out=out)

    def bias_add_grad_(out, g):
        rows = g.reshape(-1, g.shape[-1])
        # far faster than summing over the leading axes
        return xp.matmul(xp.ones(rows.shape[0], dtype=g.dtype), rows, out=out)
    return bias_add_grad_


def _bias_add_grad_grad(op, gg):
    g = op.inputs[0]
    if op.attrs["data_format"] == "NCHW":
        if g._shape is None:
            raise ValueError(f"the gradient of {op.name} needs the rank of {g.name}")
        gg = reshape(gg, [-1] + [1] * (len(g._shape) - 2))
    return [math_ops.broadcast_to_like(gg, g)]


def _bias_add_grad_infer(inputs, attrs):
    g = inputs[0]
    if g._shape is None:
        return [(g.dtype, (None,))]
    return [(g.dtype, (g._shape[_channel_axis(attrs["data_format"], len(g._shape))],))]


define_op("BiasAddGrad", _bias_add_grad_infer, {"any": _bias_add_grad_kernel}, grad=_bias_add_grad_grad,
          fresh_outputs=True, into_kernel=_bias_add_grad_into_kernel)
def _bias_checked(build):
    """BiasAdd's kernel with TF1's check of the bias length against the channels, where the graph does not fix
    both (NumPy would broadcast a length-1 bias, or fail with its own message)."""
    def checked(ctx):
        kernel, op = build(ctx), ctx.op
        channel = 1 if ctx.attrs["data_format"] == "NCHW" else -1
        value_shape, bias_shape = op.inputs[0]._shape, op.inputs[1]._shape
        if value_shape is not None and bias_shape is not None and None not in (value_shape[channel], bias_shape[0]):
            return kernel

        def run(value, bias):
            if value.ndim >= 2 and value.shape[channel] != bias.shape[0]:
                raise errors.InvalidArgumentError(None, op, f"Must provide as many biases as the channel dimension "
                                                            f"of the input tensor: {dims_text(bias.shape)} vs. "
                                                            f"{dims_text(value.shape)}")
            return kernel(value, bias)
        return run
    return checked


define_op("BiasAdd", _bias_add_infer,
          {"any": rank_checked(_bias_checked(_bias_add_kernel), at_least(2, "Input tensor must be at least 2D: "
                                                                            "{shape}"))},
          grad=lambda op, g: [g, out("BiasAddGrad", [g], {"data_format": op.attrs["data_format"]},
                                     default_name="BiasAddGrad")], fresh_outputs=True)


def bias_add(value, bias, data_format=None, name=None):
    """``value + bias`` with ``bias`` (rank 1) along the channel axis: the last one, or 1 for 'NC..'."""
    value = convert_to_tensor(value)
    bias = convert_to_tensor(bias, preferred_dtype=value.dtype)
    if data_format not in (None, "NHWC", "NCHW"):
        raise ValueError(f"bias_add: data_format must be 'NHWC' or 'NCHW', got {data_format!r}")
    return out("BiasAdd", [value, bias], {"data_format": data_format or "NHWC"}, name=name, default_name="BiasAdd")


def xw_plus_b(x, weights, biases, name=None):
    """matmul(x, weights) + biases."""
    return bias_add(matmul(x, weights), biases, name=name or "xw_plus_b")


# -- l2_loss ----------------------------------------------------------------------------------------
def _l2_loss_kernel(ctx):
    xp = ctx.xp
    return lambda x: xp.asarray((x * x).sum() / 2, dtype=x.dtype)


define_op("L2Loss", lambda i, a: [(i[0].dtype, ())], {"any": _l2_loss_kernel},
          grad=lambda op, g: [math_ops.multiply(op.inputs[0], g)])


def l2_loss(t, name=None):
    """sum(t ** 2) / 2, a scalar."""
    x = convert_to_tensor(t)
    require_float(x, "L2Loss")
    return out("L2Loss", [x], name=name, default_name="L2Loss")


# -- in_top_k ---------------------------------------------------------------------------------------
def _in_top_k_infer(inputs, attrs):
    predictions, targets = inputs
    if predictions._shape is not None and len(predictions._shape) != 2:
        raise ValueError(f"Shape must be rank 2 but is rank {len(predictions._shape)} for predictions of InTopK")
    if targets._shape is not None and len(targets._shape) != 1:
        raise ValueError(f"Shape must be rank 1 but is rank {len(targets._shape)} for targets of InTopK")
    batch = None if predictions._shape is None else predictions._shape[0]
    if batch is None and targets._shape is not None:
        batch = targets._shape[0]
    return [(as_dtype("bool"), (batch,))]


def _targets_message(rows, targets):
    if targets.ndim != 1:
        return f"targets must be 1-dimensional, got shape {dims_text(targets.shape)}"
    return f"First dimension of predictions {rows} must match length of targets {targets.shape[0]}"


def _in_top_k_kernel(ctx):
    xp, k = ctx.xp, ctx.attrs["k"]

    def in_top_k_(predictions, targets):
        rows, classes = predictions.shape
        if targets.shape != (rows,):  # shapes known only when fed
            raise errors.InvalidArgumentError(None, ctx.op, _targets_message(rows, targets))
        valid = (targets >= 0) & (targets < classes)
        target_values = predictions[xp.arange(rows), xp.where(valid, targets, 0)]
        better = (predictions > target_values[:, None]).sum(axis=1)
        # as TF1: a target out of range, or any non-finite prediction in the row, is never in the top k
        return valid & xp.isfinite(predictions).all(axis=1) & (better < k)
    return in_top_k_


define_op("InTopKV2", _in_top_k_infer, {"any": rank_checked(_in_top_k_kernel, exactly(2, "predictions"))},
          differentiable=False)


def in_top_k(predictions, targets, k, name=None):
    """Whether each target is among the ``k`` largest predictions of its row (ties count in its favour)."""
    predictions, targets = convert_to_tensor(predictions), convert_to_tensor(targets)
    if not targets.dtype.is_integer:
        raise TypeError(f"in_top_k: targets must be int32 or int64, got {targets.dtype.name}")
    try:
        k = operator.index(k)
    except TypeError:
        raise TypeError(f"in_top_k: k must be a Python int, got {type(k).__name__}") from None
    return out("InTopKV2", [predictions, targets], {"k": k}, name=name, default_name="in_top_k")
