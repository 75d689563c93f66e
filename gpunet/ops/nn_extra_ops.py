"""gn.nn's local response normalization (``lrn``) and ``top_k``.

LRN is one op over the last (channel) axis with a fused backward op, LRNGrad, as in TF1; top_k
is one op whose values' gradient scatters back to the chosen positions (TopKGrad). The backward
ops have no gradient of their own: a second derivative through them raises LookupError.
"""
from __future__ import annotations

from collections import namedtuple

from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import int32
from ..graph.registry import define_op
from ._helpers import dims_text, out, outs
from ._rank_checks import at_least, exactly, rank_checked
from ._runtime_args import int_arg
from .nn_ops import require_float

__all__ = ["local_response_normalization", "lrn", "top_k"]


# -- local response normalization -----------------------------------------------------------------
def _window_sum(xp, a, radius):
    """``s[..., d] = sum(a[..., d - radius : d + radius + 1])`` along the last axis (zeros outside)."""
    channels = a.shape[-1]
    padded = xp.pad(a, [(0, 0)] * (a.ndim - 1) + [(radius, radius)])
    total = padded[..., 0:channels].copy()
    for shift in range(1, 2 * radius + 1):  # 2r+1 shifted adds: exact, unlike differences of a cumsum
        total += padded[..., shift:shift + channels]
    return total


def _norm(xp, x, attrs):
    """``bias + alpha * window_sum(x ** 2)``, the per-element normaliser before the power."""
    dtype = x.dtype.type
    return dtype(attrs["bias"]) + dtype(attrs["alpha"]) * _window_sum(xp, x * x, attrs["depth_radius"])


def _lrn_kernel(ctx):
    xp, attrs = ctx.xp, ctx.attrs
    beta = ctx.out_dtype().type(attrs["beta"])
    return lambda x: x * _norm(xp, x, attrs) ** -beta


def _lrn_grad_kernel(ctx):
    """d/dx_j of sum_i g_i x_i N_i^-beta = g_j N_j^-beta - 2 alpha beta x_j sum_{|i-j|<=r} g_i x_i N_i^(-beta-1)."""
    xp, attrs = ctx.xp, ctx.attrs
    dtype = ctx.out_dtype().type
    beta, alpha, radius = dtype(attrs["beta"]), dtype(attrs["alpha"]), attrs["depth_radius"]

    def lrn_grad(g, x):
        norm = _norm(xp, x, attrs)
        scaled = norm ** -beta
        inner = _window_sum(xp, g * x * scaled / norm, radius)
        return g * scaled - dtype(2) * alpha * beta * x * inner
    return lrn_grad


def _lrn_infer(inputs, attrs):
    x = inputs[0]
    require_float(x, "LRN")
    if x._shape is not None and len(x._shape) != 4:
        raise ValueError(f"LRN: input must be 4-dimensional (NHWC), got shape {dims_text(x._shape)}")
    return [(x.dtype, x._shape)]


define_op("LRN", _lrn_infer, {"any": rank_checked(_lrn_kernel, exactly(4, "in"))},
          grad=lambda op, g: [out("LRNGrad", [g, op.inputs[0]], op.attrs, default_name="LRNGrad")])
define_op("LRNGrad", lambda i, a: [(i[1].dtype, i[1]._shape)], {"any": _lrn_grad_kernel})


def local_response_normalization(input, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, name=None):
    """``input / (bias + alpha * sqr_sum) ** beta`` where ``sqr_sum`` sums the squares of the
    ``2 * depth_radius + 1`` channels around each one (last axis of a 4-D NHWC input); TF1's defaults."""
    x = convert_to_tensor(input)
    if int(depth_radius) != depth_radius or depth_radius < 0:
        raise ValueError(f"LRN: depth_radius must be a non-negative int, got {depth_radius!r}")
    attrs = {"depth_radius": int(depth_radius), "bias": float(bias), "alpha": float(alpha), "beta": float(beta)}
    return out("LRN", [x], attrs, name=name, default_name="LRN")


lrn = local_response_normalization


# -- top_k ----------------------------------------------------------------------------------------
def _top_k_infer(inputs, attrs):
    x, k = inputs[0], attrs["k"]
    if not (x.dtype.is_floating or x.dtype.is_integer):
        raise TypeError(f"TopKV2: input must be real numbers, got {x.dtype.name}")
    if x._shape is None:
        return [(x.dtype, None), (int32, None)]
    if not x._shape:
        raise ValueError("TopKV2: input must be at least 1-dimensional, got a scalar")
    if x._shape[-1] is not None and x._shape[-1] < k:
        raise ValueError(f"TopKV2: input must have at least k={k} columns, got shape {dims_text(x._shape)}")
    shape = x._shape[:-1] + (k,)
    return [(x.dtype, shape), (int32, shape)]


def _top_k_kernel(ctx):
    xp, k = ctx.xp, ctx.attrs["k"]

    def top_k_fn(x):
        n = x.shape[-1]
        if n < k:
            raise ValueError(f"input must have at least k={k} columns, got {n}")
        # a stable ascending sort of the reversed row, read backwards: largest first, ties by lower index
        order = xp.argsort(x[..., ::-1], axis=-1, kind="stable")[..., ::-1][..., :k]
        indices = (n - 1 - order).astype(xp.int32)
        return xp.take_along_axis(x, indices, axis=-1), indices
    return top_k_fn


def _top_k_grad_kernel(ctx):
    xp = ctx.xp

    def scatter(g, indices, x):
        n, k = x.shape[-1], indices.shape[-1]
        result = xp.zeros(x.shape, dtype=g.dtype)
        if result.size == 0 or k == 0:  # nothing to scatter (and reshape(-1, 0) has no answer)
            return result
        rows = xp.arange(result.size // max(n, 1))[:, None]
        result.reshape(-1, n)[rows, indices.reshape(-1, k)] = g.reshape(-1, k)
        return result
    return scatter


define_op("TopKV2", _top_k_infer,
          {"any": rank_checked(_top_k_kernel, at_least(1, "input must be >= 1-D, got shape {shape}"))},
          grad=lambda op, g, _: [out("TopKGrad", [g, op.outputs[1], op.inputs[0]], default_name="TopKGrad")])
define_op("TopKGrad", lambda i, a: [(i[0].dtype, i[2]._shape)], {"any": _top_k_grad_kernel})


TopKV2 = namedtuple("TopKV2", ["values", "indices"])  # what TF1's top_k returns


def top_k(input, k=1, sorted=True, name=None):
    """``TopKV2(values, indices)`` (a namedtuple, as TF1) of the ``k`` largest entries along the last
    axis, largest first (ties: the lower index first). ``sorted=False`` is accepted; the result is sorted anyway."""
    x = convert_to_tensor(input)
    k, k_t = int_arg(k, "k")
    if k_t is not None:
        from . import _run_time_variants as run_time
        return TopKV2(*run_time.top_k(x, k_t, bool(sorted), name))
    if hasattr(k, "op") or isinstance(k, list) or int(k) != k or k < 0:
        raise ValueError(f"top_k: k must be a non-negative Python int, got {k!r}")
    values, indices = outs("TopKV2", [x], {"k": int(k), "sorted": bool(sorted)}, name=name, default_name="TopKV2")
    return TopKV2(values, indices)
