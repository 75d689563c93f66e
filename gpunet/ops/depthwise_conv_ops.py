"""Depthwise convolution (gn.nn.depthwise_conv2d, depthwise_conv2d_native) and its two backward ops, and
separable_conv2d (a depthwise convolution, then a 1x1 convolution mixing the channels).

A [kh, kw, in_channels, multiplier] filter convolves each input channel on its own with ``multiplier``
kernels; output channel ``c * multiplier + m`` is channel ``c`` through kernel ``m`` (TF's order). The
kernels loop over the kh * kw window offsets, one broadcast product of a strided view per offset.
"""
from __future__ import annotations

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.registry import define_op
from ._helpers import out
from ._rank_checks import exactly, rank_checked
from ._windows import (crop, data_format_arg, geometry, in_layout, layout_shape, nhwc_shape, output_size, pad,
                       padding_arg, spatial_pair)
from .conv_ops import conv2d
from .nn_ops import require_float

__all__ = ["depthwise_conv2d", "depthwise_conv2d_native", "separable_conv2d"]

_OP = "DepthwiseConv2dNative"


def _geometry(shape, filter_shape, attrs):
    return geometry(shape, filter_shape[:2], attrs["strides"], attrs["dilations"], attrs["padding"])


def _rank4(shape, what):
    if shape is not None and len(shape) != 4:
        raise ValueError(f"Shape must be rank 4 but is rank {len(shape)} for {what} of {_OP}")
    return shape


def _infer(inputs, attrs):
    x, w = inputs
    if x.dtype != w.dtype:
        raise TypeError(f"Input 'filter' of '{_OP}' Op has type {w.dtype.name} that does not match type "
                        f"{x.dtype.name} of argument 'input'.")
    fmt = attrs["data_format"]
    xs, ws = nhwc_shape(_rank4(x._shape, "input"), fmt), _rank4(w._shape, "filter")
    if xs is not None and ws is not None and None not in (xs[3], ws[2]) and xs[3] != ws[2]:
        raise ValueError(f"Dimensions must be equal, but are {xs[3]} and {ws[2]} for {_OP} (the input's depth and "
                         f"the filter's in_channels) with input shape {list(x._shape)} and filter shape {list(ws)}")
    xs, ws = xs or (None,) * 4, ws or (None,) * 4
    pad_h, pad_w = attrs["padding"] if isinstance(attrs["padding"], tuple) else (attrs["padding"],) * 2
    (sh, sw), (dh, dw) = attrs["strides"], attrs["dilations"]
    channels = xs[3] if xs[3] is not None else ws[2]
    depth = None if channels is None or ws[3] is None else channels * ws[3]
    shape = (xs[0], output_size(xs[1], ws[0], sh, dh, pad_h), output_size(xs[2], ws[1], sw, dw, pad_w), depth)
    return [(x.dtype, layout_shape(shape, fmt))]


def _check_depth(op, x_shape, w_shape):
    # run time: shapes the graph did not know
    if x_shape[3] != w_shape[2]:
        raise errors.InvalidArgumentError(None, op, f"input and filter must have the same depth: {x_shape[3]} vs "
                                                    f"{w_shape[2]}")


def _forward_kernel(ctx):
    xp, attrs, op = ctx.xp, ctx.attrs, ctx.op

    def depthwise(x, w):
        _check_depth(op, x.shape, w.shape)
        g = _geometry(x.shape, w.shape, attrs)
        padded = pad(xp, x, g)
        result = xp.zeros((g.batch, g.out_h, g.out_w, g.channels, w.shape[3]), dtype=x.dtype)
        for i, j in g.offsets():
            result += padded[g.window_slice(i, j)][..., None] * w[i, j]
        return result.reshape(g.batch, g.out_h, g.out_w, g.channels * w.shape[3])
    return in_layout(depthwise, attrs["data_format"], (True, False), True)


def _per_channel(dy, g, multiplier):
    return dy.reshape(g.batch, g.out_h, g.out_w, g.channels, multiplier)


def _input_grad_kernel(ctx):
    xp, attrs = ctx.xp, ctx.attrs

    def depthwise_input_grad(x_like, w, dy):
        g = _geometry(x_like.shape, w.shape, attrs)
        dy = _per_channel(dy, g, w.shape[3])
        dx = xp.zeros(g.padded_shape, dtype=dy.dtype)
        for i, j in g.offsets():
            dx[g.window_slice(i, j)] += (dy * w[i, j]).sum(-1)
        return xp.ascontiguousarray(crop(dx, g))
    return in_layout(depthwise_input_grad, attrs["data_format"], (True, False, True), True)


def _filter_grad_kernel(ctx):
    xp, attrs = ctx.xp, ctx.attrs

    def depthwise_filter_grad(x, w_like, dy):
        g = _geometry(x.shape, w_like.shape, attrs)
        padded, dy = pad(xp, x, g), _per_channel(dy, g, w_like.shape[3])
        dw = xp.empty(w_like.shape, dtype=dy.dtype)
        for i, j in g.offsets():
            dw[i, j] = (padded[g.window_slice(i, j)][..., None] * dy).sum((0, 1, 2))
        return dw
    return in_layout(depthwise_filter_grad, attrs["data_format"], (True, False, True), False)


def _like_infer(index):
    return lambda inputs, attrs: [(inputs[1].dtype, inputs[index]._shape)]


def _op(op_type, inputs, attrs):
    return out(op_type, inputs, attrs, default_name=op_type)


# Second derivatives: both backward ops are bilinear, so their gradients are the other two ops.
define_op(f"{_OP}BackpropInput", _like_infer(0), {"any": _input_grad_kernel},
          grad=lambda op, gg: [None, _op(f"{_OP}BackpropFilter", [gg, op.inputs[1], op.inputs[2]], op.attrs),
                               _op(_OP, [gg, op.inputs[1]], op.attrs)])
define_op(f"{_OP}BackpropFilter", _like_infer(1), {"any": _filter_grad_kernel},
          grad=lambda op, gg: [_op(f"{_OP}BackpropInput", [op.inputs[0], gg, op.inputs[2]], op.attrs), None,
                               _op(_OP, [op.inputs[0], gg], op.attrs)])
define_op(_OP, _infer, {"any": rank_checked(_forward_kernel, exactly(4, "input"))},
          grad=lambda op, g: [_op(f"{_OP}BackpropInput", [op.inputs[0], op.inputs[1], g], op.attrs),
                              _op(f"{_OP}BackpropFilter", [op.inputs[0], op.inputs[1], g], op.attrs)])


def _four(values, name, data_format):
    """TF's 4-value ``strides`` / ``dilations`` of the native op -> (h, w)."""
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    if len(values) != 4:
        raise ValueError(f"DepthwiseConv2D requires the {name} attribute to contain 4 values, but got: "
                         f"{len(values)}")
    return spatial_pair(values, name, data_format)


def depthwise_conv2d_native(input, filter, strides, padding, data_format="NHWC", dilations=(1, 1, 1, 1),
                            name=None):
    """Depthwise 2-D convolution of NHWC ``input`` with a [kh, kw, in_channels, multiplier] ``filter``:
    ``strides`` and ``dilations`` are 4 values (1 for batch and depth); ``padding`` 'SAME', 'VALID' or
    explicit [[0, 0], [t, b], [l, r], [0, 0]]. Output depth is ``in_channels * multiplier``."""
    fmt = data_format_arg(data_format or "NHWC")
    attrs = {"strides": _four(strides, "stride", fmt), "dilations": _four(dilations, "dilations", fmt),
             "padding": padding_arg(padding, fmt, explicit_ok=True), "data_format": fmt}
    x = convert_to_tensor(input)
    require_float(x, _OP)
    w = convert_to_tensor(filter, preferred_dtype=x.dtype)
    return out(_OP, [x, w], attrs, name=name, default_name="depthwise")


def _rate(rate, dilations):
    if rate is not None and dilations is not None:
        raise ValueError("Cannot specify both 'dilations' and 'rate'.")
    chosen = rate if rate is not None else dilations
    return (1, 1) if chosen is None else spatial_pair(chosen, "rate", "NHWC")


def depthwise_conv2d(input, filter, strides, padding, rate=None, name=None, data_format=None, dilations=None):
    """TF1's ``tf.nn.depthwise_conv2d``: ``strides`` 4 values, ``rate`` (or ``dilations``) 2 values of
    dilation; with a rate above 1 every stride must be 1. See ``depthwise_conv2d_native``."""
    fmt = data_format or "NHWC"
    rate = _rate(rate, dilations)
    if rate != (1, 1) and _four(strides, "stride", data_format_arg(fmt)) != (1, 1):
        raise ValueError(f"When dilation rate is greater than 1, then all values of strides must be 1. Received: "
                         f"`dilation rate` {list(rate)} and `strides` {list(strides)}")
    dilations = (1, 1) + rate if fmt == "NCHW" else (1,) + rate + (1,)
    return depthwise_conv2d_native(input, filter, strides, padding, fmt, dilations, name=name)


def _check_pointwise(pointwise_filter):
    shape = pointwise_filter.shape
    if shape.ndims is not None and shape.ndims != 4:
        raise ValueError(f"Shape must be rank 4 but is rank {shape.ndims} for the pointwise_filter of "
                         f"separable_conv2d")
    for dim in shape.as_list()[:2] if shape.ndims is not None else []:
        if dim is not None and dim != 1:
            raise ValueError(f"Dimensions {dim} and 1 are not compatible")


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding, rate=None, name=None,
                     data_format=None, dilations=None):
    """A depthwise convolution (``depthwise_filter`` [kh, kw, in_channels, multiplier]) then a 1x1
    convolution (``pointwise_filter`` [1, 1, in_channels * multiplier, out_channels]), as TF1's
    ``tf.nn.separable_conv2d``."""
    x = convert_to_tensor(input)
    pointwise = convert_to_tensor(pointwise_filter, preferred_dtype=x.dtype)
    _check_pointwise(pointwise)
    fmt = data_format or "NHWC"
    hidden = depthwise_conv2d(x, depthwise_filter, strides, padding, rate=rate, data_format=fmt,
                              dilations=dilations, name=None if name is None else f"{name}/depthwise")
    return conv2d(hidden, pointwise, [1, 1, 1, 1], "VALID", data_format=fmt, name=name or "separable_conv2d")
