"""The one op gn.losses needs beyond the public math: the divisor of the averaging reductions."""
from __future__ import annotations

from ..graph.registry import define_op
from ._helpers import out

__all__ = ["DIVISOR_MODES", "loss_divisor"]

DIVISOR_MODES = ("size", "weights_sum", "nonzero_weights")


def _divisor_kernel(ctx):
    xp, mode, dtype = ctx.xp, ctx.attrs["mode"], ctx.out_dtype()

    def divisor(losses, weights):
        if mode == "size":
            value = xp.asarray(losses.size, dtype=dtype)
        else:
            weights = xp.broadcast_to(weights, losses.shape)
            value = xp.asarray(weights.sum() if mode == "weights_sum" else xp.count_nonzero(weights), dtype=dtype)
        # 0 becomes 1: the weighted sum is then 0 as well (all weights 0), so the loss is 0, not NaN
        return xp.where(value == 0, xp.asarray(1, dtype=dtype), value)
    return divisor


# Not differentiable: with MEAN, TF1 also differentiates the weights' sum; gpunet treats it as a constant.
define_op("LossDivisor", lambda i, a: [(i[0].dtype, ())], {"any": _divisor_kernel}, differentiable=False)


def loss_divisor(losses, weights, mode):
    """A scalar: losses.size, the sum of the weights, or the count of nonzero weights (broadcast to losses)."""
    if mode not in DIVISOR_MODES:
        raise ValueError(f"loss_divisor: mode must be one of {DIVISOR_MODES}, got {mode!r}")
    return out("LossDivisor", [losses, weights], {"mode": mode}, default_name="num_present")
