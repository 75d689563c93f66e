"""The backward kernels of max pooling, written once for 2-D and 3-D windows: the gradient goes to each
window's first maximum in row-major order (TF's tie rule), and the gradient of that gradient reads it back.

A pooling family describes its windows by a :class:`Windows`: its geometry from an input shape and the op's
attributes, how to pad an input and crop a padded one, and its layout wrapper (channels-first inputs)."""
from __future__ import annotations

from typing import Callable, NamedTuple

from ._windows import lowest

__all__: list = []  # internal: used by pool_ops and pool3d_ops


class Windows(NamedTuple):
    geometry: Callable  # (input shape, attrs) -> g with offsets() and window_slice(*offset)
    pad: Callable       # (xp, x, g, fill) -> x in a fill-padded array
    crop: Callable      # (padded, g) -> the real input inside it
    layout: Callable    # (kernel, attrs, which inputs are images) -> the kernel for the op's data format


def first_max_hits(xp, x, y, g, windows):
    """Per window offset: (slice into the padded input, where that offset holds its window's first maximum)."""
    padded = windows.pad(xp, x, g, lowest(x.dtype))
    taken = None
    for offset in g.offsets():
        where = g.window_slice(*offset)
        hit = padded[where] == y
        if taken is None:
            taken = hit.copy()
        else:
            hit &= ~taken
            taken |= hit
        yield where, hit


def grad_kernel(windows):
    """Builder of MaxPool(3D)Grad: dx, each window's dy added at its first maximum."""
    def build(ctx):
        xp, attrs = ctx.xp, ctx.attrs

        def max_pool_grad(x, y, dy):
            g = windows.geometry(x.shape, attrs)
            dx = xp.zeros(g.padded_shape, dtype=dy.dtype)
            for where, hit in first_max_hits(xp, x, y, g, windows):
                dx[where] += dy * hit
            return windows.crop(dx, g)
        return windows.layout(max_pool_grad, attrs, (True, True, True))
    return build


def grad_grad_kernel(windows):
    """Builder of MaxPool(3D)GradGrad: each window of ddx read at the first maximum of that window of x."""
    def build(ctx):
        xp, attrs = ctx.xp, ctx.attrs

        def max_pool_grad_grad(x, y, ddx):
            g = windows.geometry(x.shape, attrs)
            padded_ddx = windows.pad(xp, ddx, g, 0)
            result = xp.zeros(y.shape, dtype=ddx.dtype)
            for where, hit in first_max_hits(xp, x, y, g, windows):
                result += padded_ddx[where] * hit
            return result
        return windows.layout(max_pool_grad_grad, attrs, (True, True, True))
    return build
