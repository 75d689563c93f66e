"""Gradients cross devices as one buffer: joined into it on the sending device (one FlatConcat step) and
cut back into tensors shaped like the variables on the receiving one (one FlatSplit step, views)."""
from __future__ import annotations

import itertools

import gpunet as gn
from gpunet.ops.fusion_ops import flat_concat, flat_split

__all__ = ["fuse", "shards", "static_sizes", "unfuse"]


def static_sizes(variables):
    """Number of elements of each variable (their shapes must be fully known)."""
    sizes = []
    for v in variables:
        dims = v.shape.as_list()
        if dims is None or None in dims:
            raise ValueError(f"Replicated training needs fully known variable shapes; {v.name} has {v.shape}")
        count = 1
        for d in dims:
            count *= d
        sizes.append(count)
    return sizes


def fuse(grads, variables, name="fused_gradients"):
    """One 1-D tensor holding every gradient (zeros for a None gradient), built on the current device."""
    static_sizes(variables)  # every shape fully known, or a clear error naming the variable
    return flat_concat([g if g is not None else gn.zeros(v.shape.as_list(), dtype=v.dtype.base_dtype)
                        for g, v in zip(grads, variables)], name=name)


def unfuse(buffer, variables):
    """The gradients of ``variables`` back out of ``buffer``, shaped like them (on the current device)."""
    static_sizes(variables)
    parts = flat_split(buffer, [v.shape.as_list() for v in variables], name="unfused_gradients")
    return parts if len(variables) > 1 else [parts]


def shards(variables, count):
    """``[(start, stop, variables)]``: ``variables`` cut into at most ``count`` runs, contiguous in a fused
    buffer and of about equal size (the k-th cut where the running size comes nearest k/count of it)."""
    prefix = list(itertools.accumulate(static_sizes(variables), initial=0))
    cuts = [0]
    for k in range(1, count):
        if cuts[-1] + 1 >= len(variables):
            break
        cuts.append(min(range(cuts[-1] + 1, len(variables)), key=lambda c: abs(prefix[c] - prefix[-1] * k / count)))
    cuts.append(len(variables))
    return [(prefix[a], prefix[b], variables[a:b]) for a, b in zip(cuts, cuts[1:])]
