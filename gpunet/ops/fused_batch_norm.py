"""TF1's ``tf.nn.fused_batch_norm``: batch normalization over every axis but the channel axis of a
4-D (NHWC, NCHW) or 5-D (NDHWC, NCDHW) input, composed of ``moments`` and ``batch_normalization``
(one fused op each), with TF1's outputs and gradients:

- training: ``y`` is normalized with the batch mean and the *biased* batch variance, while the
  returned variance is the *unbiased* one (``n / (n - 1)``, Bessel's correction), as TF1's kernel;
  with ``exponential_avg_factor`` f != 1 the returned statistics are running averages
  ``(1 - f) * mean + f * batch_mean`` (and the same of the variances);
- inference (``is_training=False``): ``y`` uses the given ``mean``/``variance``, returned as they are.

As in TF1 only ``y`` carries a gradient back (to x, scale and offset): the returned statistics and
the given mean and variance have none. float16 inputs are normalized in float32 (scale, offset and
statistics are float32); float64 is accepted too (TF1 takes float16 and float32 only)."""
from __future__ import annotations

import numpy as np

from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import float16, float32
from ..graph.scopes import name_scope
from .array_ops import reshape, shape, size, stop_gradient
from .math_ops import cast, maximum
from .normalization_ops import batch_normalization, moments

__all__ = ["fused_batch_norm"]

_RANKS = {"NHWC": 4, "NCHW": 4, "NDHWC": 5, "NCDHW": 5}
_MIN_EPSILON = 1.001e-5  # TF1 raises smaller epsilons to this (cuDNN's minimum)


def fused_batch_norm(x, scale, offset, mean=None, variance=None, epsilon=0.001, data_format="NHWC",
                     is_training=True, name=None, exponential_avg_factor=1.0):
    """``(y, batch_mean, batch_variance)``; see the module's doc for TF1's conventions."""
    if data_format not in _RANKS:
        raise ValueError(f"fused_batch_norm: data_format must be one of {sorted(_RANKS)}, got {data_format!r}")
    if (not is_training or exponential_avg_factor != 1.0) and (mean is None or variance is None):
        raise ValueError(f"Both `mean` and `variance` must be a 1D tensor when `is_training` is False or "
                         f"`exponential_avg_factor` != 1.0. Received: `mean` {mean} and `variance` {variance}")
    with name_scope(name, "FusedBatchNorm", [x, scale, offset]):
        x = convert_to_tensor(x, name="x")
        params = [convert_to_tensor(p, name=n) for p, n in ((scale, "scale"), (offset, "offset"))]
        channel_axis = _check_shapes(x, params, data_format)
        compute_dtype = float32 if x.dtype == float16 else x.dtype
        for p in params:
            if p.dtype != compute_dtype:
                raise TypeError(f"fused_batch_norm: {p.name} is {p.dtype.name}, expected {compute_dtype.name} "
                                f"for x of {x.dtype.name}")
        epsilon = max(float(epsilon), _MIN_EPSILON)
        xc = cast(x, compute_dtype) if compute_dtype != x.dtype else x
        if is_training:
            y, batch_mean, batch_variance = _training(xc, params, channel_axis, epsilon, exponential_avg_factor,
                                                      mean, variance)
        else:
            batch_mean, batch_variance = (stop_gradient(convert_to_tensor(v)) for v in (mean, variance))
            y = _normalize(xc, batch_mean, batch_variance, params, channel_axis, epsilon)
        return (cast(y, x.dtype) if y.dtype != x.dtype else y), batch_mean, batch_variance


def _check_shapes(x, params, data_format):
    rank = _RANKS[data_format]
    if x._shape is not None and len(x._shape) != rank:
        raise ValueError(f"Shape must be rank {rank} but is rank {len(x._shape)} for FusedBatchNorm "
                         f"({data_format}) with input shape {x.shape}")
    channel_axis = 1 if data_format.startswith("NC") else rank - 1
    channels = None if x._shape is None else x._shape[channel_axis]
    for p in params:
        if p._shape is not None and len(p._shape) != 1:
            raise ValueError(f"Shape must be rank 1 but is rank {len(p._shape)} for {p.name} of FusedBatchNorm")
        if p._shape is not None and None not in (channels, p._shape[0]) and p._shape[0] != channels:
            raise ValueError(f"Dimensions must be equal, but are {channels} and {p._shape[0]} for FusedBatchNorm: "
                             f"x has {channels} channels ({data_format}), {p.name} has shape {p.shape}")
    return channel_axis


def _per_channel(v, x, channel_axis):
    """a [C] vector shaped to broadcast along x's channel axis"""
    if channel_axis == len(x._shape) - 1:
        return v
    return reshape(v, [-1] + [1] * (len(x._shape) - 2))


def _normalize(x, mean, variance, params, channel_axis, epsilon):
    scale, offset = (_per_channel(p, x, channel_axis) for p in params)
    return batch_normalization(x, _per_channel(mean, x, channel_axis), _per_channel(variance, x, channel_axis),
                               offset, scale, epsilon)


def _training(x, params, channel_axis, epsilon, factor, running_mean, running_variance):
    axes = [a for a in range(len(x._shape)) if a != channel_axis]
    mean, variance = moments(x, axes)
    y = _normalize(x, mean, variance, params, channel_axis, epsilon)
    count = _count(x, axes, x.dtype)
    less_one = max(count - 1.0, 1.0) if isinstance(count, float) else maximum(count - 1.0, 1.0)
    unbiased = variance * (count / less_one)  # TF1: n / max(n - 1, 1)
    mean, unbiased = stop_gradient(mean), stop_gradient(unbiased)
    if factor != 1.0:
        mean = convert_to_tensor(running_mean) * (1.0 - factor) + mean * factor
        unbiased = convert_to_tensor(running_variance) * (1.0 - factor) + unbiased * factor
    return y, mean, unbiased


def _count(x, axes, dtype):
    """the number of values per channel: a number when x's shape is known, else a scalar tensor"""
    dims = [x._shape[a] for a in axes]
    if None not in dims:
        return float(np.prod(dims))
    channel_axis = next(a for a in range(len(x._shape)) if a not in axes)
    return cast(size(x), dtype) / cast(shape(x)[channel_axis], dtype)
