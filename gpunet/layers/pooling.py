"""MaxPooling2D and AveragePooling2D (channels_last, or channels_first by transposing around NHWC)."""
from __future__ import annotations

import gpunet as gn
from gpunet import backend as K

from .base import Layer

__all__ = ["AveragePooling2D", "MaxPooling2D", "conv_output_length", "nhwc", "normalize_data_format",
           "output_shape", "pair", "spatial"]

_TO_NHWC, _TO_NCHW = [0, 2, 3, 1], [0, 3, 1, 2]


def pair(value):
    """``(v, v)`` for an int, a tuple of ints otherwise."""
    return (int(value), int(value)) if isinstance(value, int) else tuple(int(v) for v in value)


def conv_output_length(length, window, padding, stride):
    """Keras's output length of a window sliding over ``length`` positions."""
    if length is None:
        return None
    if padding == "same":
        return -(-length // stride)
    return (length - window) // stride + 1 if length >= window else 0


def normalize_data_format(value, layer):
    """``'channels_last'`` or ``'channels_first'`` (None: ``K.image_data_format()``)."""
    value = K.image_data_format() if value is None else value
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"{layer}: data_format must be 'channels_last' or 'channels_first', got {value!r}")
    return value


def nhwc(fn, inputs, fmt):
    """``fn`` (an NHWC computation) applied to ``inputs`` of format ``fmt``: NCHW inputs are transposed to
    NHWC and the result back, since the kernels are NHWC."""
    if fmt == "channels_last":
        return fn(inputs)
    return gn.transpose(fn(gn.transpose(inputs, _TO_NHWC)), _TO_NCHW)


def spatial(input_shape, fmt):
    """``(rows, cols, channels)`` of an input shape in format ``fmt``."""
    if fmt == "channels_first":
        return input_shape[2], input_shape[3], input_shape[1]
    return input_shape[1], input_shape[2], input_shape[3]


def output_shape(batch, rows, cols, channels, fmt):
    """The 4-D shape of ``fmt`` holding those sizes."""
    return (batch, channels, rows, cols) if fmt == "channels_first" else (batch, rows, cols, channels)


class _Pooling2D(Layer):
    _op = None

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        if padding not in ("valid", "same"):
            raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
        self.pool_size = pair(pool_size)
        self.strides = pair(strides) if strides is not None else self.pool_size
        self.padding = padding

    def call(self, inputs):
        def pool(x):
            return type(self)._op(x, ksize=(1,) + self.pool_size + (1,), strides=(1,) + self.strides + (1,),
                                  padding=self.padding.upper())
        return nhwc(pool, inputs, self.data_format)

    def compute_output_shape(self, input_shape):
        rows, cols, channels = spatial(input_shape, self.data_format)
        rows, cols = (conv_output_length(length, self.pool_size[i], self.padding, self.strides[i])
                      for i, length in enumerate((rows, cols)))
        return output_shape(input_shape[0], rows, cols, channels, self.data_format)

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding, "data_format": self.data_format}


class MaxPooling2D(_Pooling2D):
    """The maximum of each ``pool_size`` window."""
    _op = staticmethod(gn.nn.max_pool)


class AveragePooling2D(_Pooling2D):
    """The mean of each ``pool_size`` window (padding excluded from the count)."""
    _op = staticmethod(gn.nn.avg_pool)


MaxPool2D, AvgPool2D = MaxPooling2D, AveragePooling2D
