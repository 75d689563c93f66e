"""moments and batch_normalization (gn.nn), each one fused op with a fused backward op.

The backward ops (MomentsGrad, BatchNormalizationGrad) have no gradient of their own: a second
derivative through them raises LookupError from gn.gradients, as TF1 does for such ops.
"""
from __future__ import annotations

from ..graph.core_ops import convert_to_tensor
from ..graph.registry import apply_op, define_op
from ..graph.shape import broadcast
from ._helpers import normalize_axis
from .nn_ops import require_float

__all__ = ["batch_normalization", "moments"]


def sum_to_shape(a, shape):
    """``a`` summed over the axes that broadcasting to ``a.shape`` added to ``shape``."""
    if a.shape == tuple(shape):
        return a
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(shape) if d == 1 and a.shape[lead + i] != 1)
    return a.sum(axis=axes).reshape(shape)


# -- moments --------------------------------------------------------------------------------------
def _moments_infer(inputs, attrs):
    x, axes, keep = inputs[0], attrs["axes"], attrs["keepdims"]
    if x._shape is None:
        return [(x.dtype, None)] * 2
    shape = tuple(1 if i in axes else d for i, d in enumerate(x._shape)) if keep else \
        tuple(d for i, d in enumerate(x._shape) if i not in axes)
    return [(x.dtype, shape)] * 2


def _moments_kernel(ctx):
    xp, axes, keep = ctx.xp, ctx.attrs["axes"], ctx.attrs["keepdims"]

    def moments_(x):
        if x.size == 0:  # 0 / 0: NaN moments, as TF1 (and without NumPy's empty-slice warning)
            mean = xp.full(tuple(1 if i in axes else d for i, d in enumerate(x.shape)), float("nan"), x.dtype)
            variance = mean.copy()
        else:
            mean = x.mean(axis=axes, keepdims=True)
            centered = x - mean
            centered *= centered
            variance = centered.mean(axis=axes, keepdims=True)  # two passes: no cancellation as in E[x^2] - E[x]^2
        if not keep:
            return mean.reshape(_squeezed(x.shape, axes)), variance.reshape(_squeezed(x.shape, axes))
        return mean, variance
    return moments_


def _squeezed(shape, axes):
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _moments_grad_kernel(ctx):
    xp, axes, keep = ctx.xp, ctx.attrs["axes"], ctx.attrs["keepdims"]

    def moments_grad(x, mean, g_mean, g_variance):
        if not keep:
            mean, g_mean, g_variance = (xp.expand_dims(a, axes) for a in (mean, g_mean, g_variance))
        count = 1
        for axis in axes:
            count *= x.shape[axis]
        # d mean / dx = 1 / n; d variance / dx = 2 (x - mean) / n (the terms through the mean cancel)
        dx = x - mean
        dx *= 2 * g_variance
        dx += g_mean
        dx /= count
        return dx
    return moments_grad


define_op("MomentsGrad", lambda i, a: [(i[0].dtype, i[0]._shape)], {"any": _moments_grad_kernel})
define_op("Moments", _moments_infer, {"any": _moments_kernel},
          grad=lambda op, g_mean, g_var: [apply_op("MomentsGrad", [op.inputs[0], op.outputs[0], g_mean, g_var],
                                                   dict(op.attrs), "MomentsGrad").outputs[0]])


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    """(mean, variance) of ``x`` over ``axes`` (a list of ints); ``shift`` is ignored, as in TF1."""
    x = convert_to_tensor(x)
    require_float(x, "Moments")
    keep = bool(keep_dims if keep_dims is not None else keepdims)
    if x._shape is None and any(int(a) < 0 for a in axes):
        raise ValueError(f"moments: negative axes need a tensor of known rank, got {x.name}")
    attrs = {"axes": normalize_axis(list(axes), None if x._shape is None else len(x._shape)), "keepdims": keep}
    op = apply_op("Moments", [x], attrs, name or "moments")
    return op.outputs[0], op.outputs[1]


# -- batch_normalization --------------------------------------------------------------------------
def _params(attrs, inputs):
    """(x, mean, variance, offset or None, scale or None) from the op's inputs."""
    x, mean, variance, *rest = inputs
    offset = rest.pop(0) if attrs["has_offset"] else None
    scale = rest.pop(0) if attrs["has_scale"] else None
    return x, mean, variance, offset, scale, rest


def _bn_infer(inputs, attrs):
    shape = inputs[0]._shape
    for t in inputs[1:]:
        if t.dtype != inputs[0].dtype:
            raise TypeError(f"batch_normalization: {t.name} is {t.dtype.name}, x is {inputs[0].dtype.name}")
        shape = broadcast(shape, t._shape)
    return [(inputs[0].dtype, shape)]


def _bn_kernel(ctx):
    xp, attrs, eps = ctx.xp, ctx.attrs, ctx.attrs["variance_epsilon"]

    def batch_norm(*inputs):
        x, mean, variance, offset, scale, _ = _params(attrs, inputs)
        inv = 1 / xp.sqrt(variance + eps)
        if scale is not None:
            inv = inv * scale
        shift = -mean * inv if offset is None else offset - mean * inv
        return x * inv + shift
    return batch_norm


def _bn_grad_kernel(ctx):
    xp, attrs, eps = ctx.xp, ctx.attrs, ctx.attrs["variance_epsilon"]

    def batch_norm_grad(*inputs):
        x, mean, variance, offset, scale, (g,) = _params(attrs, inputs)
        inv_std = 1 / xp.sqrt(variance + eps)
        g_scaled = g * (inv_std if scale is None else inv_std * scale)
        g_centered = g * (x - mean)  # shared by the variance and the scale gradients
        d_variance = g_centered * ((-0.5 if scale is None else -0.5 * scale) * inv_std ** 3)
        grads = [sum_to_shape(g_scaled, x.shape), -sum_to_shape(g_scaled, mean.shape),
                 sum_to_shape(d_variance, variance.shape)]
        if offset is not None:
            grads.append(sum_to_shape(g, offset.shape))
        if scale is not None:
            grads.append(sum_to_shape(g_centered * inv_std, scale.shape))
        return tuple(grads)
    return batch_norm_grad


def _bn_grad_infer(inputs, attrs):
    return [(t.dtype, t._shape) for t in inputs[:-1]]


define_op("BatchNormalizationGrad", _bn_grad_infer, {"any": _bn_grad_kernel})
define_op("BatchNormalization", _bn_infer, {"any": _bn_kernel},
          grad=lambda op, g: apply_op("BatchNormalizationGrad", [*op.inputs, g], dict(op.attrs),
                                      "BatchNormalizationGrad").outputs)


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """(x - mean) * scale / sqrt(variance + variance_epsilon) + offset; offset and scale may be None.

    The parameters broadcast against ``x`` (e.g. shape (C,) or keepdims moments)."""
    x = convert_to_tensor(x)
    require_float(x, "BatchNormalization")
    params = [convert_to_tensor(t, preferred_dtype=x.dtype) for t in (mean, variance)]
    params += [convert_to_tensor(t, preferred_dtype=x.dtype) for t in (offset, scale) if t is not None]
    attrs = {"variance_epsilon": float(variance_epsilon), "has_offset": offset is not None,
             "has_scale": scale is not None}
    return apply_op("BatchNormalization", [x, *params], attrs, name or "batchnorm").outputs[0]
