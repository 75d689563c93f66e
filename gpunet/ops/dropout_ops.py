"""gn.nn.dropout: one random op that returns the kept-and-scaled values and the mask it drew.

The mask is drawn on the op's device (random_ops.XpRandom; TF1 seeds: graph seed + op seed): the
CPU and virtual GPUs give the same masks for the same seeds, a CuPy GPU draws its own stream with
cupy.random, so no mask crosses to the device per step.
"""
from __future__ import annotations

import operator
import warnings

import numpy as np

from ..graph.core_ops import convert_to_tensor
from ..graph.registry import define_op
from . import math_ops
from ._helpers import out
from .nn_ops import require_float
from .random_ops import get_seed, xp_random

__all__ = ["dropout"]


def _dropout_infer(inputs, attrs):
    x = inputs[0]
    noise = attrs["noise_shape"]
    mask = x._shape if noise is None else tuple(d if d is not None else x_d for d, x_d in
                                                zip(noise, x._shape or (None,) * len(noise)))
    return [(x.dtype, x._shape), (x.dtype, mask)]


def _dropout_kernel(ctx):
    rng, dtype, noise = xp_random(ctx), ctx.out_dtype(), ctx.attrs["noise_shape"]

    def dropout_(x, rate):
        shape = x.shape if noise is None else tuple(x_d if d is None else d for d, x_d in zip(noise, x.shape))
        mask = (rng.uniform(0.0, 1.0, shape, dtype) >= rate).astype(dtype)
        mask *= 1 / (1 - rate)  # kept entries scaled by 1 / (1 - rate)
        return x * mask, mask
    return dropout_


# Output 1 is the scaled keep mask: the gradient multiplies by the same mask the forward pass drew.
define_op("Dropout", _dropout_infer, {"any": _dropout_kernel}, stateful=True,
          grad=lambda op, g, _: [math_ops.multiply(g, op.outputs[1]), None])


def _noise_shape(noise_shape, x):
    if noise_shape is None:
        return None
    dims = tuple(None if d is None or d == -1 else operator.index(d) for d in noise_shape)
    if x._shape is not None:
        if len(dims) != len(x._shape) or any(d not in (None, 1, x_d) and x_d is not None
                                             for d, x_d in zip(dims, x._shape)):
            raise ValueError(f"noise_shape {list(noise_shape)} is not broadcastable to the shape of x {x.shape}")
    return dims


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """Zero each element with probability ``rate`` and scale the rest by 1 / (1 - rate).

    TF1's argument order (``keep_prob`` second, deprecated: rate = 1 - keep_prob). ``rate`` may be
    a float in [0, 1) or a scalar tensor; ``noise_shape`` (None for x's dimension) shares one draw
    along the axes where it is 1. ``seed`` with gn.set_random_seed makes the masks reproducible.
    """
    x = convert_to_tensor(x)
    require_float(x, "Dropout")
    if keep_prob is not None:
        if rate is not None:
            raise ValueError("dropout: pass rate or keep_prob (deprecated), not both")
        warnings.warn("dropout: keep_prob is deprecated; use rate = 1 - keep_prob", DeprecationWarning, stacklevel=2)
        rate = 1 - keep_prob if _is_number(keep_prob) else math_ops.subtract(1.0, keep_prob)
    if rate is None:
        raise ValueError("dropout needs rate (or the deprecated keep_prob)")
    if _is_number(rate):
        if not 0 <= rate < 1:
            raise ValueError(f"rate must be a scalar tensor or a float in the range [0, 1), got {rate}")
        rate = float(rate)
    rate = convert_to_tensor(rate, dtype=x.dtype)
    if rate._shape not in (None, ()):
        raise ValueError(f"rate must be a scalar, got shape {rate.shape}")
    graph_seed, op_seed = get_seed(seed)
    attrs = {"noise_shape": _noise_shape(noise_shape, x), "seed": graph_seed, "seed2": op_seed}
    return out("Dropout", [x, rate], attrs, name=name, default_name="dropout")
