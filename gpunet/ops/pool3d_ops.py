"""max_pool3d and avg_pool3d (gn.nn) with their backward ops, over NDHWC (or NCDHW) inputs.

As the 2-D pools: each kernel loops over the window offsets, one vectorised step per offset on a
strided view of the padded input (``_windows_nd``). Max pooling sends the gradient to each window's
first maximum in row-major order; average pooling divides by the real (non-padding) elements of each
window. Argument errors carry TF1's messages; those TF1 raises only when the op runs (windows or strides
on the batch or channel axis, a window of size 0) are raised here when the graph is built, as ValueError.
"""
from __future__ import annotations

from ..graph.core_ops import convert_to_tensor
from ..graph.registry import define_op
from ._helpers import out
from ._max_pool_grads import Windows, grad_grad_kernel, grad_kernel
from ._rank_checks import exactly, rank_checked
from ._windows import lowest
from ._windows_nd import (FLOATS, axis_out_size, channels_first_shape, channels_last, channels_last_shape, crop_nd,
                          float_input, format_3d, negative_size_check, pad_nd, padding_3d, rank5, real_counts_nd,
                          split_five, windows_nd)
from .creation_ops import zeros_like

__all__ = ["avg_pool3d", "max_pool3d"]


def _geometry(shape, attrs):
    return windows_nd(shape, attrs["ksize"], attrs["strides"], (1, 1, 1), attrs["padding"])


def _pool_infer(inputs, attrs):
    x, channels_first = inputs[0], attrs["channels_first"]
    xs = channels_last_shape(rank5(x._shape, attrs["op_type"]), channels_first) or (None,) * 5
    negative_size_check(xs, attrs["ksize"], (1, 1, 1), attrs["padding"])
    spatial = (axis_out_size(size, k, stride, 1, attrs["padding"])
               for size, k, stride in zip(xs[1:4], attrs["ksize"], attrs["strides"]))
    return [(x.dtype, channels_first_shape((xs[0], *spatial, xs[4]), channels_first))]


def _like_infer(index):
    return lambda inputs, attrs: [(inputs[-1].dtype, inputs[index]._shape)]


def _op(op_type, inputs, attrs):
    return out(op_type, inputs, attrs, default_name=op_type)


def _layout(fn, attrs, images):
    return channels_last(fn, attrs["channels_first"], images, True)


# -- max pooling --------------------------------------------------------------------------------------
def _max_pool_kernel(ctx):
    xp, attrs = ctx.xp, ctx.attrs

    def max_pool3d_(x):
        g = _geometry(x.shape, attrs)
        padded = pad_nd(xp, x, g, lowest(x.dtype))
        result = None
        for offset in g.offsets():
            window = padded[g.window_slice(*offset)]
            result = window.copy() if result is None else xp.maximum(result, window, out=result)
        return result
    return _layout(max_pool3d_, attrs, (True,))


def _zeros_x_y(op):
    return [zeros_like(op.inputs[0]), zeros_like(op.inputs[1])]


# MaxPool3DGrad and MaxPool3DGradGrad are each other's gradient wrt their last input; zero wrt x and y (TF1).
_WINDOWS = Windows(_geometry, pad_nd, crop_nd, _layout)
define_op("MaxPool3DGradGrad", _like_infer(1), {"any": grad_grad_kernel(_WINDOWS)},
          grad=lambda op, g: _zeros_x_y(op) + [_op("MaxPool3DGrad", [*op.inputs[:2], g], op.attrs)],
          doc="each window of ddx at the first maximum of the same window of x")
define_op("MaxPool3DGrad", _like_infer(0), {"any": grad_kernel(_WINDOWS)},
          grad=lambda op, g: _zeros_x_y(op) + [_op("MaxPool3DGradGrad", [*op.inputs[:2], g], op.attrs)],
          doc="dx of max_pool3d: each window's dy added at its first maximum (row-major)")
define_op("MaxPool3D", _pool_infer, {"any": rank_checked(_max_pool_kernel, exactly(5, "tensor_in"))},
          grad=lambda op, g: [_op("MaxPool3DGrad", [op.inputs[0], op.outputs[0], g], op.attrs)],
          doc="y[n, d, h, w, c] = max over the ksize window at (d, h, w) * strides of x[n, ..., c]")


# -- average pooling ----------------------------------------------------------------------------------
def _divisors(xp, dtype):
    """Divisor of each output position: the window size, or with padding the real elements it covers."""
    cache = {}

    def divisor(g):
        if not g.padded:
            return g.window[0] * g.window[1] * g.window[2]
        if g not in cache:
            cache[g] = xp.asarray(real_counts_nd(g).astype(dtype))
        return cache[g]
    return divisor


def _avg_pool_kernel(ctx):
    xp, attrs = ctx.xp, ctx.attrs
    divisor = _divisors(xp, ctx.out_dtype())

    def avg_pool3d_(x):
        g = _geometry(x.shape, attrs)
        padded = pad_nd(xp, x, g)
        total = xp.zeros(g.out_shape, dtype=x.dtype)
        for offset in g.offsets():
            total += padded[g.window_slice(*offset)]
        total /= divisor(g)
        return total
    return _layout(avg_pool3d_, attrs, (True,))


def _avg_pool_grad_kernel(ctx):
    xp, attrs = ctx.xp, ctx.attrs
    divisor = _divisors(xp, ctx.out_dtype())

    def avg_pool3d_grad(x_like, dy):
        g = _geometry(x_like.shape, attrs)
        dx = xp.zeros(g.padded_shape, dtype=dy.dtype)
        share = dy / divisor(g)
        for offset in g.offsets():
            dx[g.window_slice(*offset)] += share
        return crop_nd(dx, g)
    return _layout(avg_pool3d_grad, attrs, (True, True))


# AvgPool3DGrad takes the original input for its shape only; it is linear in dy, with avg_pool3d as its gradient.
define_op("AvgPool3DGrad", _like_infer(0), {"any": _avg_pool_grad_kernel},
          grad=lambda op, g: [None, _op("AvgPool3D", [g], op.attrs)],
          doc="dx of avg_pool3d: each window's dy / (its real element count) spread over the window")
define_op("AvgPool3D", _pool_infer, {"any": rank_checked(_avg_pool_kernel, exactly(5, "tensor_in"))},
          grad=lambda op, g: [_op("AvgPool3DGrad", [op.inputs[0], g], op.attrs)],
          doc="y[n, d, h, w, c] = mean of the real (non-padding) elements of the ksize window at (d, h, w) * strides")


# -- public functions ---------------------------------------------------------------------------------
def _five(values, name, channels_first):
    """TF's ``_get_sequence``: an int, or 1, 3 or 5 ints -> 5 ints in the data format's order."""
    values = [values] if isinstance(values, int) else list(values)
    if len(values) not in (1, 3, 5):
        raise ValueError(f"{name} should be of length 1, 3 or 5. Received: {name}={values} of length {len(values)}")
    if len(values) == 5:
        return values
    spatial = values * 3 if len(values) == 1 else values
    return [1, 1, *spatial] if channels_first else [1, *spatial, 1]


def _window(ksize, strides, channels_first, op_type):
    ksize, strides = _five(ksize, "ksize", channels_first), _five(strides, "strides", channels_first)
    if min(strides) < 1:
        raise ValueError(f"Stride must be > 0, but got {min(strides)}")
    if min(ksize) < 1:
        raise ValueError("Sliding window ksize must be positive. The specified or inferred ksize is: "
                         + ",".join(map(str, ksize)))
    (k_batch, k_depth, k_spatial), (s_batch, s_depth, s_spatial) = (split_five(v, channels_first)
                                                                     for v in (ksize, strides))
    if (k_batch, s_batch) != (1, 1):
        raise ValueError("Pooling is not yet supported on the batch dimension.")
    if k_depth != 1 and op_type == "AvgPool3D":
        raise ValueError("AvgPooling3D supports exactly one of pooling across depth or pooling across "
                         "depth/width/height.")
    if (k_depth, s_depth) != (1, 1):
        raise ValueError("Pooling is not yet supported on the depth dimension.")
    return k_spatial, s_spatial


def _pool(op_type, input, ksize, strides, padding, data_format, name, allowed):
    channels_first = format_3d(data_format, op_type)
    x = convert_to_tensor(input)
    float_input(x, allowed)
    ksize, strides = _window(ksize, strides, channels_first, op_type)
    attrs = {"ksize": ksize, "strides": strides, "padding": padding_3d(padding, op_type),
             "channels_first": channels_first, "op_type": op_type}
    return out(op_type, [x], attrs, name=name, default_name=op_type)


def max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):
    """Maximum over each ksize window of an NDHWC (or NCDHW) ``input``; ksize/strides: an int or 1, 3 or 5 ints
    (5: 1 for batch and channels). Also float64, which TF1's kernels lack."""
    return _pool("MaxPool3D", input, ksize, strides, padding, data_format, name, FLOATS)


def avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):
    """Mean over each ksize window of an NDHWC (or NCDHW) ``input``; with SAME padding only real elements count."""
    return _pool("AvgPool3D", input, ksize, strides, padding, data_format, name, FLOATS)
