"""Conv2D (channels_last, NHWC)."""
from __future__ import annotations

import gpunet as gn

from . import activations, initializers
from .base import Layer
from .pooling import conv_output_length, pair

__all__ = ["Conv2D", "Convolution2D"]


class Conv2D(Layer):
    """2-D convolution with ``filters`` kernels of ``kernel_size``, ``strides``, ``padding``."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"Conv2D supports data_format='channels_last' only, got {data_format!r}")
        if padding not in ("valid", "same"):
            raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
        self.filters, self.kernel_size, self.strides = int(filters), pair(kernel_size), pair(strides)
        self.padding, self.activation, self.use_bias = padding, activations.get(activation), use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(f"Conv2D {self.name} expects inputs (batch, rows, cols, channels) with known channels, "
                             f"got {input_shape}")
        self.kernel = self.add_weight("kernel", self.kernel_size + (input_shape[-1], self.filters),
                                      initializer=self.kernel_initializer)
        self.bias = self.add_weight("bias", (self.filters,), initializer=self.bias_initializer) \
            if self.use_bias else None

    def call(self, inputs):
        out = gn.nn.conv2d(inputs, self.kernel.value(), strides=(1,) + self.strides + (1,),
                           padding=self.padding.upper())
        if self.use_bias:
            out = gn.nn.bias_add(out, self.bias.value())
        return self.activation(out)

    def compute_output_shape(self, input_shape):
        rows, cols = (conv_output_length(input_shape[1 + i], self.kernel_size[i], self.padding, self.strides[i])
                      for i in range(2))
        return (input_shape[0], rows, cols, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer)}


Convolution2D = Conv2D
