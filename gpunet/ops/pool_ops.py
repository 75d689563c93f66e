"""max_pool and avg_pool (gn.nn) with their backward ops; the 1-D pools and the *_pool2d names on top.

Each kernel loops over the kh * kw window offsets, each step one vectorised operation on a
strided view of the (padded) input. Max pooling sends the gradient to the first maximum of each
window in row-major order, as TF1 does on ties; average pooling divides by the number of real
(non-padding) elements in each window, as TF1 does with SAME padding.
"""
from __future__ import annotations

import numpy as np

from ..graph.core_ops import convert_to_tensor
from ..graph.registry import define_op
from .array_ops import expand_dims, squeeze
from .creation_ops import zeros_like
from ._helpers import out
from ._max_pool_grads import Windows, grad_grad_kernel, grad_kernel
from ._rank_checks import exactly, rank_checked
from ._windows import (Scratch, crop, data_format_arg, geometry, in_layout, layout_shape, lowest, nhwc_shape,
                       output_size, pad, padding_arg, spatial_pair)

__all__ = ["avg_pool", "max_pool"]


def _geometry(shape, attrs):
    return geometry(shape, attrs["ksize"], attrs["strides"], (1, 1), attrs["padding"])


def _pool_infer(inputs, attrs):
    x = inputs[0]
    if x._shape is not None and len(x._shape) != 4:
        raise ValueError(f"Shape must be rank 4 but is rank {len(x._shape)} for input of pooling")
    xs = nhwc_shape(x._shape, attrs["data_format"]) or (None,) * 4
    (kh, kw), (sh, sw), padding = attrs["ksize"], attrs["strides"], attrs["padding"]
    shape = (xs[0], output_size(xs[1], kh, sh, 1, padding), output_size(xs[2], kw, sw, 1, padding), xs[3])
    return [(x.dtype, layout_shape(shape, attrs["data_format"]))]


def _like_infer(index):
    return lambda inputs, attrs: [(inputs[-1].dtype, inputs[index]._shape)]


def _op(op_type, inputs, attrs):
    return out(op_type, inputs, attrs, default_name=op_type)


def _layout(fn, attrs, images, image_out=True):
    return in_layout(fn, attrs["data_format"], images, image_out)


# -- max pooling --------------------------------------------------------------------------------------
def _max_pool_kernel(ctx):
    xp, attrs = ctx.xp, ctx.attrs
    pad_scratch = Scratch(xp)

    def max_pool_(x):
        g = _geometry(x.shape, attrs)
        padded = pad(xp, x, g, lowest(x.dtype), scratch=pad_scratch)
        result = None
        for i, j in g.offsets():
            window = padded[g.window_slice(i, j)]
            result = window.copy() if result is None else xp.maximum(result, window, out=result)
        return result
    return _layout(max_pool_, attrs, (True,))


def _zeros_x_y(op):
    return [zeros_like(op.inputs[0]), zeros_like(op.inputs[1])]


# MaxPoolGrad and MaxPoolGradGrad are each other's gradient wrt their last input; zero wrt x and y (TF1).
_WINDOWS = Windows(_geometry, pad, crop, _layout)
define_op("MaxPoolGradGrad", _like_infer(1), {"any": grad_grad_kernel(_WINDOWS)},
          grad=lambda op, g: _zeros_x_y(op) + [_op("MaxPoolGrad", [*op.inputs[:2], g], op.attrs)])
define_op("MaxPoolGrad", _like_infer(0), {"any": grad_kernel(_WINDOWS)},
          grad=lambda op, g: _zeros_x_y(op) + [_op("MaxPoolGradGrad", [*op.inputs[:2], g], op.attrs)])
define_op("MaxPool", _pool_infer, {"any": rank_checked(_max_pool_kernel, exactly(4, "tensor_in"))},
          grad=lambda op, g: [_op("MaxPoolGrad", [op.inputs[0], op.outputs[0], g], op.attrs)])


# -- average pooling ----------------------------------------------------------------------------------
def _real_counts(size, out_size, k, stride, pad_before):
    start = np.arange(out_size) * stride - pad_before
    return np.minimum(start + k, size) - np.maximum(start, 0)


def _window_sizes(xp, dtype):
    """Divisor of each output position: the window size, or with padding the real elements it covers."""
    cache = {}

    def sizes(g):
        if not g.padded:
            return g.kh * g.kw
        if g not in cache:
            rows = _real_counts(g.height, g.out_h, g.kh, g.sh, g.pad_h[0])
            cols = _real_counts(g.width, g.out_w, g.kw, g.sw, g.pad_w[0])
            cache[g] = xp.asarray(np.outer(rows, cols).reshape(1, g.out_h, g.out_w, 1).astype(dtype))
        return cache[g]
    return sizes


def _avg_pool_kernel(ctx):
    xp, attrs = ctx.xp, ctx.attrs
    sizes, pad_scratch = _window_sizes(xp, ctx.out_dtype()), Scratch(xp)

    def avg_pool_(x):
        g = _geometry(x.shape, attrs)
        padded = pad(xp, x, g, scratch=pad_scratch)
        windows = [padded[g.window_slice(i, j)] for i, j in g.offsets()]
        if len(windows) == 1:
            return windows[0] / sizes(g)
        total = xp.add(windows[0], windows[1])
        for window in windows[2:]:
            total += window
        total /= sizes(g)
        return total
    return _layout(avg_pool_, attrs, (True,))


def _avg_pool_grad_kernel(ctx):
    xp, attrs = ctx.xp, ctx.attrs
    sizes = _window_sizes(xp, ctx.out_dtype())

    def avg_pool_grad(x_like, dy):
        g = _geometry(x_like.shape, attrs)
        dx = xp.zeros(g.padded_shape, dtype=dy.dtype)
        if g.sh < g.kh or g.sw < g.kw:  # overlapping windows: accumulate
            share = dy / sizes(g)
            for i, j in g.offsets():
                dx[g.window_slice(i, j)] += share
        else:  # each input element is in one window at most: write the share straight in
            for i, j in g.offsets():
                xp.divide(dy, sizes(g), out=dx[g.window_slice(i, j)])
        return crop(dx, g)
    return _layout(avg_pool_grad, attrs, (True, True))


# AvgPoolGrad takes the original input for its shape only; it is linear in dy, with avg_pool as its gradient.
define_op("AvgPoolGrad", _like_infer(0), {"any": _avg_pool_grad_kernel},
          grad=lambda op, g: [None, _op("AvgPool", [g], op.attrs)])
define_op("AvgPool", _pool_infer, {"any": rank_checked(_avg_pool_kernel, exactly(4, "tensor_in"))},
          grad=lambda op, g: [_op("AvgPoolGrad", [op.inputs[0], g], op.attrs)])


# -- public functions ---------------------------------------------------------------------------------
def _pool(op_type, value, ksize, strides, padding, data_format, name, default_name):
    x = convert_to_tensor(value)
    fmt = data_format_arg(data_format)
    attrs = {"ksize": spatial_pair(ksize, "ksize", fmt), "strides": spatial_pair(strides, "strides", fmt),
             "padding": padding_arg(padding, fmt, explicit_ok=False), "data_format": fmt}
    return out(op_type, [x], attrs, name=name, default_name=default_name)


def max_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):
    """Maximum over each ksize window (NHWC); ksize/strides: an int or a list of 1, 2 or 4 ints."""
    return _pool("MaxPool", value if input is None else input, ksize, strides, padding, data_format, name, "MaxPool")


def avg_pool(value, ksize, strides, padding, data_format="NHWC", name=None, input=None):
    """Mean over each ksize window (NHWC); with SAME padding only real elements count, as in TF1."""
    x = convert_to_tensor(value if input is None else input)
    if not x.dtype.is_floating:
        raise TypeError(f"avg_pool needs a floating-point input, got {x.dtype.name}")
    return _pool("AvgPool", x, ksize, strides, padding, data_format, name, "AvgPool")


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """TF's name for ``max_pool`` on 4-D inputs."""
    return max_pool(input, ksize, strides, padding, data_format=data_format, name=name)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """TF's name for ``avg_pool`` on 4-D inputs."""
    return avg_pool(input, ksize, strides, padding, data_format=data_format, name=name)


def _pool1d(pool, input, ksize, strides, padding, data_format, name):
    """A 1-D pool as the 2-D one over a height-1 image: NWC (or NCW) input, ksize/strides an int or 1 or 3 ints."""
    if data_format not in ("NWC", "NCW"):
        raise ValueError(f"data_format must be 'NWC' or 'NCW', got {data_format!r}")
    channels_first = data_format == "NCW"
    axis = 2 if channels_first else 1
    window = [_width(ksize, "ksize", channels_first), _width(strides, "strides", channels_first)]
    y = pool(expand_dims(convert_to_tensor(input), axis), [1] + window[:1], [1] + window[1:], padding,
             data_format="NCHW" if channels_first else "NHWC")
    return squeeze(y, [axis], name=name)


def _width(values, what, channels_first):
    values = [values] if isinstance(values, int) else list(values)
    if len(values) == 3 and values[0] == 1 and values[2 if not channels_first else 1] == 1:
        values = [values[2] if channels_first else values[1]]
    if len(values) != 1:
        raise ValueError(f"{what} of a 1-D pool must be an int or a list of 1 or 3 ints (1 for batch and "
                         f"channels), got {values}")
    return values[0]


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """Maximum over each window of ``ksize`` steps along the width of an NWC (or NCW) input."""
    return _pool1d(max_pool, input, ksize, strides, padding, data_format, name)


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):
    """Mean over each window of ``ksize`` steps along the width (SAME padding counts only real elements)."""
    return _pool1d(avg_pool, input, ksize, strides, padding, data_format, name)


__all__ += ["avg_pool1d", "avg_pool2d", "max_pool1d", "max_pool2d"]
