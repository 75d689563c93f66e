"""Gradients cross devices as one buffer: flatten and concatenate on the sending device, split and
reshape on the receiving one."""
from __future__ import annotations

import gpunet as gn

__all__ = ["fuse", "static_sizes", "unfuse"]


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
    flat = [gn.reshape(g, [-1]) if g is not None else gn.zeros([n], dtype=v.dtype.base_dtype)
            for g, v, n in zip(grads, variables, static_sizes(variables))]
    return flat[0] if len(flat) == 1 else gn.concat(flat, 0, name=name)


def unfuse(buffer, variables):
    """The gradients of ``variables`` back out of ``buffer``, shaped like them (on the current device)."""
    sizes = static_sizes(variables)
    parts = [buffer] if len(sizes) == 1 else gn.split(buffer, sizes, 0, name="unfused_gradients")
    return [gn.reshape(p, v.shape.as_list()) for p, v in zip(parts, variables)]
