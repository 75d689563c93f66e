"""conv3d and its two backward ops (gn.nn.conv3d): 3-D cross-correlation of NDHWC (or NCDHW) input with
a [depth, height, width, in, out] filter, as rows of windows times the filter (``_windows_nd``).

The backward ops take TF's names (Conv3DBackpropInputV2 / Conv3DBackpropFilterV2) but, like
Conv2DBackpropInput, the original input or filter itself for its shape only (metadata on every device).
Argument errors carry TF1's messages; those TF1 raises only when the op runs (strides or dilations on
the batch and channel axes) are raised here when the graph is built, as ValueError.
"""
from __future__ import annotations

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.registry import define_op
from ._helpers import out
from ._rank_checks import exactly, rank_checked
from ._windows_nd import (FLOATS, axis_out_size, channels_first_shape, channels_last, channels_last_shape, crop_nd,
                          float_input, format_3d, negative_size_check, padding_3d, rank5, rows_nd, split_five,
                          windows_nd)

__all__ = ["conv3d"]


def _geometry(shape, filter_shape, attrs):
    return windows_nd(shape, filter_shape[:3], attrs["strides"], attrs["dilations"], attrs["padding"])


def _conv_infer(inputs, attrs):
    x, w = inputs
    if x.dtype != w.dtype:
        raise TypeError(f"Input 'filter' of 'Conv3D' Op has type {w.dtype.name} that does not match type "
                        f"{x.dtype.name} of argument 'input'.")
    channels_first = attrs["channels_first"]
    xs, ws = channels_last_shape(rank5(x._shape, "Conv3D"), channels_first), rank5(w._shape, "Conv3D")
    if xs is not None and ws is not None and None not in (xs[4], ws[3]) and (ws[3] == 0 or xs[4] % ws[3]):
        raise ValueError(f"Depth of input ({xs[4]}) is not a multiple of input depth of filter ({ws[3]})")
    xs, ws = xs or (None,) * 5, ws or (None,) * 5
    negative_size_check(xs, ws[:3], attrs["dilations"], attrs["padding"])
    spatial = (axis_out_size(*args, attrs["padding"])
               for args in zip(xs[1:4], ws[:3], attrs["strides"], attrs["dilations"]))
    return [(x.dtype, channels_first_shape((xs[0], *spatial, ws[4]), channels_first))]


def _layout(fn, attrs, images, image_out=True):
    return channels_last(fn, attrs["channels_first"], images, image_out)


def _conv_kernel(ctx):
    xp, attrs = ctx.xp, ctx.attrs

    def conv3d_(x, w):
        if x.shape[4] != w.shape[3]:  # depths known only when fed
            raise errors.InvalidArgumentError(None, ctx.op, f"input and filter must have the same depth: "
                                                            f"{x.shape[4]} vs {w.shape[3]}")
        g = _geometry(x.shape, w.shape, attrs)
        return (rows_nd(xp, x, g) @ w.reshape(-1, w.shape[4])).reshape(*g.out_shape[:-1], w.shape[4])
    return _layout(conv3d_, attrs, (True, False))


def _input_grad_kernel(ctx):
    xp, attrs = ctx.xp, ctx.attrs

    def conv3d_input_grad(x_like, w, dy):
        g = _geometry(x_like.shape, w.shape, attrs)
        rows = dy.reshape(-1, w.shape[4])
        dx = xp.zeros(g.padded_shape, dtype=dy.dtype)
        for offset in g.offsets():  # each window offset sends dy @ its filter slice back
            dx[g.window_slice(*offset)] += (rows @ w[offset].T).reshape(g.out_shape)
        return crop_nd(dx, g)
    return _layout(conv3d_input_grad, attrs, (True, False, True))


def _filter_grad_kernel(ctx):
    xp, attrs = ctx.xp, ctx.attrs

    def conv3d_filter_grad(x, w_like, dy):
        g = _geometry(x.shape, w_like.shape, attrs)
        return (rows_nd(xp, x, g).T @ dy.reshape(-1, w_like.shape[4])).reshape(w_like.shape)
    return _layout(conv3d_filter_grad, attrs, (True, False, True), image_out=False)


def _like_infer(index):
    return lambda inputs, attrs: [(inputs[1].dtype, inputs[index]._shape)]


def _op(op_type, inputs, attrs):
    return out(op_type, inputs, attrs, default_name=op_type)


# Both backward ops are bilinear: their gradients are the other two ops (as for Conv2D).
define_op("Conv3DBackpropInputV2", _like_infer(0), {"any": _input_grad_kernel},
          grad=lambda op, gg: [None, _op("Conv3DBackpropFilterV2", [gg, op.inputs[1], op.inputs[2]], op.attrs),
                               _op("Conv3D", [gg, op.inputs[1]], op.attrs)],
          doc="dx of conv3d: every window offset scatters dy @ filter[offset]^T back (input: its shape only)")
define_op("Conv3DBackpropFilterV2", _like_infer(1), {"any": _filter_grad_kernel},
          grad=lambda op, gg: [_op("Conv3DBackpropInputV2", [op.inputs[0], gg, op.inputs[2]], op.attrs), None,
                               _op("Conv3D", [op.inputs[0], gg], op.attrs)],
          doc="dfilter of conv3d: windows(x)^T @ dy (filter: its shape only)")
define_op("Conv3D", _conv_infer, {"any": rank_checked(_conv_kernel, exactly(5, "input"))},
          grad=lambda op, g: [_op("Conv3DBackpropInputV2", [op.inputs[0], op.inputs[1], g], op.attrs),
                              _op("Conv3DBackpropFilterV2", [op.inputs[0], op.inputs[1], g], op.attrs)],
          doc="y[n, d, h, w, o] = sum_{i, j, k, c} x[n, d*s + i*r, h*s + j*r, w*s + k*r, c] * filter[i, j, k, c, o]")


# -- arguments ------------------------------------------------------------------------------------
def _strides(strides, channels_first):
    if not isinstance(strides, (list, tuple)):
        raise TypeError(f"Expected list for 'strides' argument to 'conv3d' Op, not {strides!r}.")
    if len(strides) < 5:
        raise ValueError(f"Attr 'strides' of 'Conv3D' Op passed list of length {len(strides)} less than minimum 5.")
    if len(strides) != 5:
        raise ValueError(f"Conv3D requires the stride attribute to contain 5 values, but got: {len(strides)}")
    if min(strides) < 1:
        raise ValueError(f"Stride must be > 0, but got {min(strides)}")
    batch, channels, spatial = split_five(strides, channels_first)
    if (batch, channels) != (1, 1):
        raise ValueError("Current implementation does not yet support strides in the batch and depth dimensions.")
    return spatial


def _dilations(dilations, channels_first):
    dilations = [1] * 5 if dilations is None else list(dilations)
    if len(dilations) != 5:
        raise ValueError(f"Conv3D requires the dilation attribute to contain 5 values, but got: {len(dilations)}")
    if min(dilations) < 1:
        raise ValueError(f"Dilation rate must be >= 1, but got {min(dilations)}")
    batch, channels, spatial = split_five(dilations, channels_first)
    if (batch, channels) != (1, 1):
        raise ValueError("Current implementation does not yet support dilations rates in the batch and depth "
                         "dimensions.")
    return spatial


def conv3d(input, filter=None, strides=None, padding=None, data_format="NDHWC", dilations=None, name=None,
           filters=None):
    """3-D convolution (cross-correlation, as TF) of NDHWC (or NCDHW) ``input`` with a [depth, height, width,
    in, out] ``filter``. ``strides`` and ``dilations``: lists of 5 ints, 1 for batch and channels;
    ``padding``: 'SAME' (ceil(in / stride) outputs, the odd padding at the end) or 'VALID'."""
    filter = filters if filter is None else filter
    if filter is None or strides is None or padding is None:
        raise ValueError("conv3d needs input, filter, strides and padding")
    channels_first = format_3d(data_format, "Conv3D")
    x = convert_to_tensor(input)
    float_input(x, FLOATS)
    w = convert_to_tensor(filter, preferred_dtype=x.dtype)
    attrs = {"strides": _strides(strides, channels_first), "dilations": _dilations(dilations, channels_first),
             "padding": padding_3d(padding, "Conv3D"), "channels_first": channels_first}
    return out("Conv3D", [x, w], attrs, name=name, default_name="Conv3D")
