"""MaxPooling2D and AveragePooling2D (channels_last)."""
from __future__ import annotations

import gpunet as gn

from .base import Layer

__all__ = ["AveragePooling2D", "MaxPooling2D", "conv_output_length", "pair"]


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


class _Pooling2D(Layer):
    _op = None

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__} supports data_format='channels_last' only")
        if padding not in ("valid", "same"):
            raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
        self.pool_size = pair(pool_size)
        self.strides = pair(strides) if strides is not None else self.pool_size
        self.padding = padding

    def call(self, inputs):
        return type(self)._op(inputs, ksize=(1,) + self.pool_size + (1,), strides=(1,) + self.strides + (1,),
                              padding=self.padding.upper())

    def compute_output_shape(self, input_shape):
        rows, cols = (conv_output_length(input_shape[1 + i], self.pool_size[i], self.padding, self.strides[i])
                      for i in range(2))
        return (input_shape[0], rows, cols, input_shape[3])

    def get_config(self):
        return {**super().get_config(), "pool_size": list(self.pool_size), "strides": list(self.strides),
                "padding": self.padding}


class MaxPooling2D(_Pooling2D):
    """The maximum of each ``pool_size`` window."""
    _op = staticmethod(gn.nn.max_pool)


class AveragePooling2D(_Pooling2D):
    """The mean of each ``pool_size`` window (padding excluded from the count)."""
    _op = staticmethod(gn.nn.avg_pool)


MaxPool2D, AvgPool2D = MaxPooling2D, AveragePooling2D
