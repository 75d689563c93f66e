"""Clipping by norms, built from public ops as TF1 does: ``clip_by_norm``, ``global_norm``,
``clip_by_global_norm`` (the usual gradient-clipping recipe)."""
from __future__ import annotations

from collections.abc import Sequence

from ..graph.core_ops import convert_to_tensor, identity
from ..graph.scopes import name_scope
from . import logic_ops, math_ops
from .creation_ops import ones_like
from .nn_ops import l2_loss
from .reduction_ops import reduce_sum

__all__ = ["clip_by_global_norm", "clip_by_norm", "global_norm"]


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """``t * clip_norm / max(l2norm(t, axes), clip_norm)``: ``t`` scaled down so its L2 norm
    (over ``axes``, all by default) is at most ``clip_norm``; a zero ``t`` stays zero."""
    with name_scope(name, "clip_by_norm") as scope:
        t = convert_to_tensor(t, name="t")
        clip_norm = math_ops.cast(clip_norm, t.dtype)
        l2sum = reduce_sum(math_ops.multiply(t, t), axes, keepdims=True)
        positive = logic_ops.greater(l2sum, 0.0)
        safe = logic_ops.where(positive, l2sum, ones_like(l2sum))  # no NaN gradient of sqrt at 0
        l2norm = logic_ops.where(positive, math_ops.sqrt(safe), l2sum)
        clipped = math_ops.divide(math_ops.multiply(t, clip_norm), math_ops.maximum(l2norm, clip_norm))
        return identity(clipped, name=scope)  # the op takes the scope's name, as TF1's


def global_norm(t_list, name=None):
    """``sqrt(sum(l2norm(t) ** 2 for t in t_list))``, ignoring None entries."""
    if not isinstance(t_list, Sequence) or isinstance(t_list, str):
        raise TypeError(f"t_list should be a sequence, got {type(t_list).__name__}")
    with name_scope(name, "global_norm"):
        tensors = [convert_to_tensor(t, name=f"t_{i}") for i, t in enumerate(t_list) if t is not None]
        if not tensors:
            raise ValueError("global_norm: t_list holds no tensors (only None)")
        half_squares = [l2_loss(t) for t in tensors]
        total = math_ops.add_n(half_squares) if len(half_squares) > 1 else half_squares[0]
        return math_ops.sqrt(math_ops.multiply(total, 2.0), name="global_norm")


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """``(clipped list, global norm)``: every tensor scaled by ``clip_norm / max(global_norm,
    clip_norm)``; None entries stay None; a non-finite norm makes every value NaN, as in TF1."""
    if not isinstance(t_list, Sequence) or isinstance(t_list, str):
        raise TypeError(f"t_list should be a sequence, got {type(t_list).__name__}")
    t_list = list(t_list)
    use_norm = global_norm(t_list, name) if use_norm is None else convert_to_tensor(use_norm)
    with name_scope(name, "clip_by_global_norm"):
        clip_norm = math_ops.cast(clip_norm, use_norm.dtype)
        scale = math_ops.multiply(clip_norm, math_ops.minimum(math_ops.divide(1.0, use_norm),
                                                              math_ops.divide(1.0, clip_norm)))
        scale = math_ops.add(scale, math_ops.subtract(use_norm, use_norm))  # NaN when the norm is inf or NaN
        clipped = []
        for i, t in enumerate(t_list):
            if t is None:
                clipped.append(None)
                continue
            t = convert_to_tensor(t, name=f"t_{i}")
            scaled = math_ops.multiply(t, math_ops.cast(scale, t.dtype))
            clipped.append(identity(scaled, name=f"clip_by_global_norm_{i}"))
        return clipped, use_norm
