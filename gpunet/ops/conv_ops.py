"""conv2d and its two backward ops (gn.nn.conv2d), as im2col + one matrix product.

The forward pass copies the input's windows into rows once (a strided view, then one copy) and
multiplies by the filter; the filter gradient builds the same rows; the input gradient multiplies
the output gradient by each window offset's filter slice and scatter-adds it back.

Conv2DBackpropInput takes the original input only for its shape (TF1 passes a shape tensor that
lives in host memory; passing the tensor keeps that shape metadata-only on every device).
"""
from __future__ import annotations

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.registry import define_op
from ._helpers import out
from ._rank_checks import exactly, rank_checked
from ._windows import (Scratch, crop, data_format_arg, geometry, im2col, in_layout, layout_shape, nhwc_shape,
                       output_size, padding_arg, spatial_pair)
from .array_ops import expand_dims, squeeze
from .creation_ops import zeros
from .nn_ops import require_float

__all__ = ["atrous_conv2d", "conv1d", "conv2d", "conv2d_transpose", "convolution"]


def _geometry(shape, filter_shape, attrs):
    return geometry(shape, filter_shape[:2], attrs["strides"], attrs["dilations"], attrs["padding"])


def _rank4(shape, what):
    if shape is not None and len(shape) != 4:
        raise ValueError(f"Shape must be rank 4 but is rank {len(shape)} for {what} of Conv2D")
    return shape


def _conv_infer(inputs, attrs):
    x, w = inputs
    if x.dtype != w.dtype:
        raise TypeError(f"Conv2D: input is {x.dtype.name} but filter is {w.dtype.name}")
    fmt = attrs["data_format"]
    xs, ws = nhwc_shape(_rank4(x._shape, "input"), fmt), _rank4(w._shape, "filter")
    if xs is not None and ws is not None and None not in (xs[3], ws[2]) and xs[3] != ws[2]:
        raise ValueError(f"Depth of input ({xs[3]}) must equal the filter's input depth ({ws[2]}) for Conv2D "
                         f"with input shape {list(x._shape)} and filter shape {list(ws)}")
    xs, ws = xs or (None,) * 4, ws or (None,) * 4
    pad_h, pad_w = attrs["padding"] if isinstance(attrs["padding"], tuple) else (attrs["padding"],) * 2
    (sh, sw), (dh, dw) = attrs["strides"], attrs["dilations"]
    shape = (xs[0], output_size(xs[1], ws[0], sh, dh, pad_h), output_size(xs[2], ws[1], sw, dw, pad_w), ws[3])
    return [(x.dtype, layout_shape(shape, fmt))]


def _conv_kernel(ctx):
    xp, attrs = ctx.xp, ctx.attrs
    pad_scratch, rows_scratch = Scratch(xp), Scratch(xp)

    def conv(x, w):
        if x.shape[3] != w.shape[2]:  # depths known only when fed
            raise errors.InvalidArgumentError(None, ctx.op, f"input depth must be evenly divisible by filter depth: "
                                                            f"{x.shape[3]} vs {w.shape[2]}")
        g = _geometry(x.shape, w.shape, attrs)
        rows = im2col(xp, x, g, pad_scratch, rows_scratch) @ w.reshape(-1, w.shape[3])
        return rows.reshape(g.batch, g.out_h, g.out_w, w.shape[3])
    return in_layout(conv, attrs["data_format"], (True, False), True)


def _input_grad_kernel(ctx):
    xp, attrs = ctx.xp, ctx.attrs
    product_scratch = Scratch(xp)

    def conv_input_grad(x_like, w, dy):
        g = _geometry(x_like.shape, w.shape, attrs)
        rows = dy.reshape(-1, w.shape[3])
        dx = xp.zeros(g.padded_shape, dtype=dy.dtype)
        product = product_scratch.get((rows.shape[0], g.channels), dy.dtype)
        # one product per window offset: contiguous blocks scatter-add faster than slices of one big product
        for i, j in g.offsets():
            xp.matmul(rows, w[i, j].T, out=product)
            dx[g.window_slice(i, j)] += product.reshape(g.batch, g.out_h, g.out_w, g.channels)
        return crop(dx, g)
    return in_layout(conv_input_grad, attrs["data_format"], (True, False, True), True)


def _filter_grad_kernel(ctx):
    xp, attrs = ctx.xp, ctx.attrs
    pad_scratch, rows_scratch = Scratch(xp), Scratch(xp)

    def conv_filter_grad(x, w_like, dy):
        g = _geometry(x.shape, w_like.shape, attrs)
        rows = im2col(xp, x, g, pad_scratch, rows_scratch)
        return (rows.T @ dy.reshape(-1, w_like.shape[3])).reshape(w_like.shape)
    return in_layout(conv_filter_grad, attrs["data_format"], (True, False, True), False)


def _like_infer(index):
    return lambda inputs, attrs: [(inputs[1].dtype, inputs[index]._shape)]


def _op(op_type, inputs, attrs):
    return out(op_type, inputs, attrs, default_name=op_type)


# Second derivatives: both backward ops are bilinear, so their gradients are the other two ops.
define_op("Conv2DBackpropInput", _like_infer(0), {"any": _input_grad_kernel},
          grad=lambda op, gg: [None, _op("Conv2DBackpropFilter", [gg, op.inputs[1], op.inputs[2]], op.attrs),
                               _op("Conv2D", [gg, op.inputs[1]], op.attrs)])
define_op("Conv2DBackpropFilter", _like_infer(1), {"any": _filter_grad_kernel},
          grad=lambda op, gg: [_op("Conv2DBackpropInput", [op.inputs[0], gg, op.inputs[2]], op.attrs), None,
                               _op("Conv2D", [op.inputs[0], gg], op.attrs)])
define_op("Conv2D", _conv_infer, {"any": rank_checked(_conv_kernel, exactly(4, "input"))},
          grad=lambda op, g: [_op("Conv2DBackpropInput", [op.inputs[0], op.inputs[1], g], op.attrs),
                              _op("Conv2DBackpropFilter", [op.inputs[0], op.inputs[1], g], op.attrs)])


def _conv_attrs(strides, dilations, padding, data_format):
    """The attrs Conv2D and its backward ops share, from the user's arguments (checked, normalized)."""
    fmt = data_format_arg(data_format)
    return {"strides": spatial_pair(strides, "strides", fmt),
            "dilations": spatial_pair(1 if dilations is None else dilations, "dilations", fmt),
            "padding": padding_arg(padding, fmt, explicit_ok=True), "data_format": fmt}


def conv2d(input, filter=None, strides=None, padding=None, use_cudnn_on_gpu=True, data_format="NHWC",
           dilations=None, name=None, filters=None):
    """2-D convolution (cross-correlation, as TF) of NHWC ``input`` with an HWIO ``filter``.

    ``strides``/``dilations``: an int or a list of 1, 2 or 4 ints; ``padding``: 'SAME' (output
    ceil(in / stride), the odd padding at the end), 'VALID', or explicit [[0, 0], [t, b], [l, r], [0, 0]].
    """
    filter = filters if filter is None else filter
    if filter is None or strides is None or padding is None:
        raise ValueError("conv2d needs input, filter, strides and padding")
    x = convert_to_tensor(input)
    require_float(x, "Conv2D")
    w = convert_to_tensor(filter, preferred_dtype=x.dtype)
    attrs = _conv_attrs(strides, dilations, padding, data_format)
    return out("Conv2D", [x, w], attrs, name=name, default_name="Conv2D")


def conv2d_transpose(value, filter=None, output_shape=None, strides=None, padding="SAME", data_format="NHWC",
                     name=None, input=None, filters=None, dilations=None):
    """The gradient of conv2d wrt its input, as a layer: maps ``value`` (the conv's output shape)
    back to ``output_shape``. ``filter`` is [height, width, output_channels, in_channels]."""
    value = value if input is None else input
    filter = filters if filter is None else filter
    if filter is None or output_shape is None or strides is None:
        raise ValueError("conv2d_transpose needs value, filter, output_shape and strides")
    dy = convert_to_tensor(value)
    require_float(dy, "Conv2DBackpropInput")
    w = convert_to_tensor(filter, preferred_dtype=dy.dtype)
    attrs = _conv_attrs(strides, dilations, padding, data_format)
    like = zeros(output_shape, dtype=dy.dtype)  # only its shape is read
    expected = _conv_infer([like, w], attrs)[0][1]
    if expected is not None and dy._shape is not None and not all(
            a is None or b is None or a == b for a, b in zip(expected, dy._shape)):
        raise ValueError(f"conv2d_transpose: output_shape {like.shape} convolves to {list(expected)}, "
                         f"which does not match value's shape {dy.shape}")
    return out("Conv2DBackpropInput", [like, w, dy], attrs, name=name, default_name="conv2d_transpose")


def atrous_conv2d(value, filters, rate, padding, name=None):
    """TF1's ``tf.nn.atrous_conv2d``: conv2d of NHWC ``value`` with ``filters`` whose taps are ``rate`` rows and
    columns apart (stride 1). TF builds it from SpaceToBatchND; the values are those of a dilated conv2d."""
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"`padding` must be one of 'SAME' or 'VALID'. Received: padding={padding}")
    rate = spatial_pair(_positive_rates(rate), "rate", "NHWC")
    return conv2d(value, filters, strides=1, padding=padding, dilations=rate, name=name)


def _positive_rates(rates):
    values = [rates] if isinstance(rates, int) else list(rates)
    if not all(isinstance(r, int) and r > 0 for r in values):
        raise ValueError(f"all values of `dilation_rate` must be positive. Received: dilation_rate={values}")
    return rates


def _window_args(values, spatial_rank, name):
    """``strides`` / ``dilation_rate`` of tf.nn.convolution: None, an int, or ``spatial_rank`` ints."""
    values = [1] * spatial_rank if values is None else [values] * spatial_rank if isinstance(values, int) else \
        list(values)
    if len(values) != spatial_rank:
        raise ValueError(f"`{name}` must have {spatial_rank} values for {spatial_rank}-D convolution, "
                         f"got {values}")
    return values


def _convolution_args(x, w, strides, dilation_rate, data_format):
    """tf.nn.convolution's window arguments checked: (spatial rank, strides, dilation_rate, channels_first)."""
    if w._shape is None or len(w._shape) not in (3, 4):
        raise ValueError(f"convolution supports 1-D and 2-D windows (a filter of rank 3 or 4), got filter shape "
                         f"{w.shape}")
    spatial_rank = len(w._shape) - 2
    if x._shape is not None and len(x._shape) != len(w._shape):
        # TF would take the extra leading axes as more batch axes; gpunet wants one batch axis
        raise ValueError(f"convolution: input of rank {len(x._shape)} for a {spatial_rank}-D filter of shape "
                         f"{w.shape}: the input must have rank {len(w._shape)} (batch, spatial axes, channels)")
    strides = _window_args(strides, spatial_rank, "strides")
    rates = _window_args(_positive_rates(1 if dilation_rate is None else dilation_rate), spatial_rank,
                         "dilation_rate")
    if any(s > 1 for s in strides) and any(d > 1 for d in rates):
        raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: "
                         f"strides={strides} and dilation_rate={rates}")
    formats = ("NWC", "NCW") if spatial_rank == 1 else ("NHWC", "NCHW")
    if data_format not in (None,) + formats:
        raise ValueError(f"data_format must be {formats[0]!r} or {formats[1]!r} for {spatial_rank}-D convolution, "
                         f"got {data_format!r}")
    return spatial_rank, strides, rates, data_format == formats[1]


def convolution(input, filter=None, padding=None, strides=None, dilation_rate=None, name=None, data_format=None,
                filters=None, dilations=None):
    """TF1's ``tf.nn.convolution`` for 1-D (NWC/NCW, filter [w, in, out]) and 2-D (NHWC/NCHW, filter
    [h, w, in, out]) windows: ``strides`` and ``dilation_rate`` one int per spatial axis; not both above 1."""
    x = convert_to_tensor(input)
    w = convert_to_tensor(filters if filter is None else filter, preferred_dtype=x.dtype)
    spatial_rank, strides, rates, channels_first = _convolution_args(
        x, w, strides, dilations if dilation_rate is None else dilation_rate, data_format)
    fmt = "NCHW" if channels_first else "NHWC"
    if spatial_rank == 2:
        return conv2d(x, w, strides, padding, data_format=fmt, dilations=rates, name=name)
    # 1-D: a 2-D convolution over a height-1 image
    axis = 2 if channels_first else 1
    y = conv2d(expand_dims(x, axis), expand_dims(w, 0), [1] + strides, padding, data_format=fmt,
               dilations=[1] + rates)
    return squeeze(y, [axis], name=name)


def _conv1d_window(values, name):
    """conv1d's ``stride`` / ``dilations``: an int, or a list of 1 or 3 ints (batch and channel entries 1)."""
    values = [values] if isinstance(values, int) else list(values)
    if len(values) == 3 and values[0] == values[2] == 1:
        values = values[1:2]
    if len(values) != 1:
        raise ValueError(f"conv1d: {name} must be an int or a list of 1 or 3 ints (1 for batch and channels), "
                         f"got {values}")
    return values[0]


def conv1d(value=None, filters=None, stride=None, padding=None, use_cudnn_on_gpu=None, data_format=None, name=None,
           input=None, dilations=None):
    """1-D convolution of NWC (or NCW) ``value`` with a [width, in, out] ``filters``: a 2-D convolution over a
    height-1 image, as TF1. ``stride`` / ``dilations``: an int or a list of 1 or 3 ints."""
    x = convert_to_tensor(value if input is None else input)
    if filters is None or stride is None or padding is None:
        raise ValueError("conv1d needs value, filters, stride and padding")
    if data_format not in (None, "NWC", "NCW"):
        raise ValueError(f"conv1d: data_format must be 'NWC' or 'NCW', got {data_format!r}")
    w = convert_to_tensor(filters, preferred_dtype=x.dtype)
    stride, rate = _conv1d_window(stride, "stride"), _conv1d_window(1 if dilations is None else dilations,
                                                                    "dilations")
    channels_first = data_format == "NCW"
    axis = 2 if channels_first else 1
    window = (lambda v: [1, 1, 1, v]) if channels_first else (lambda v: [1, 1, v, 1])
    y = conv2d(expand_dims(x, axis), expand_dims(w, 0), window(stride), padding,
               data_format="NCHW" if channels_first else "NHWC", dilations=window(rate))
    return squeeze(y, [axis], name=name)
