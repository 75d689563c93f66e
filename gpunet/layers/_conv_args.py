"""Argument checks and length rules shared by the Keras 2 convolution layers (Conv1D, Conv2DTranspose),
with Keras's error wording."""
from __future__ import annotations

import numbers

__all__ = ["check_filters", "check_input_rank", "check_padding", "check_strides_and_dilation", "conv_length",
           "deconv_length", "normalize_tuple"]


def normalize_tuple(value, n, name, allow_zero=False):
    """``value`` (an int or ``n`` ints) as a tuple of ``n`` ints, each > 0 (>= 0 with ``allow_zero``)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        values = (int(value),) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received: {value}") from None
        if len(values) != n or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values):
            raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received: {value}")
        values = tuple(int(v) for v in values)
    bad = {v for v in values if v < 0 or (v == 0 and not allow_zero)}
    if bad:
        requirement = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"The `{name}` argument must be a tuple of {n} integers. Received: {value} including "
                         f"{bad} that does not satisfy the requirement `{requirement}`.")
    return values


def check_filters(filters):
    """``filters`` as an int, which must be strictly positive."""
    if filters is not None and not isinstance(filters, int):
        filters = int(filters)
    if filters is None or filters <= 0:
        raise ValueError(f"Invalid value for argument `filters`. Expected a strictly positive value. "
                         f"Received filters={filters}.")
    return filters


def check_padding(padding, causal_ok):
    """``padding`` lower-cased: 'valid', 'same', or (Conv1D only) 'causal'."""
    value = padding.lower() if isinstance(padding, str) else padding
    if value == "causal" and not causal_ok:
        raise ValueError("Causal padding is only supported for `Conv1D`and `SeparableConv1D`.")
    if value not in ("valid", "same", "causal"):
        raise ValueError(f'The `padding` argument must be a list/tuple or one of "valid", "same" (or "causal", '
                         f"only for `Conv1D). Received: {padding}")
    return value


def check_strides_and_dilation(strides, dilation_rate):
    """Keras allows strides > 1 or dilation_rate > 1, not both."""
    if any(s != 1 for s in strides) and any(d != 1 for d in dilation_rate):
        raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: "
                         f"strides={strides} and dilation_rate={dilation_rate}")


def check_input_rank(layer, input_shape, rank, channels):
    """Inputs of rank ``rank`` whose ``channels`` dimension is known (Keras's input spec)."""
    if input_shape is None or len(input_shape) != rank:
        ndim = None if input_shape is None else len(input_shape)
        raise ValueError(f'Input 0 of layer "{layer.name}" is incompatible with the layer: expected ndim={rank}, '
                         f"found ndim={ndim}. Full shape received: {input_shape}")
    if channels is None:
        raise ValueError(f"The channel dimension of the inputs should be defined. The input_shape received is "
                         f"{input_shape}, where the channel dimension is `None`.")


def conv_length(length, window, padding, stride, dilation=1):
    """Keras's output length of a (dilated) window sliding over ``length`` positions."""
    if length is None:
        return None
    span = (window - 1) * dilation + 1
    covered = length if padding in ("same", "causal") else length - span + 1
    return (covered + stride - 1) // stride


def deconv_length(length, window, padding, output_padding, stride, dilation=1):
    """Keras's output length of a transposed convolution (``length`` may be an int or a scalar tensor)."""
    if length is None:
        return None
    span = (window - 1) * dilation + 1
    if output_padding is None:
        return length * stride + (max(span - stride, 0) if padding == "valid" else 0)
    pad = span // 2 if padding == "same" else 0
    return (length - 1) * stride + span - 2 * pad + output_padding
