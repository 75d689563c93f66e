"""Conv2D (channels_last, NHWC; channels_first by transposing around the NHWC kernels)."""
from __future__ import annotations

import gpunet as gn

from . import activations, constraints, initializers, regularizers
from ._conv_args import check_filters, check_strides_and_dilation, conv_length, normalize_tuple
from .base import Layer
from .pooling import nhwc, normalize_data_format, output_shape, spatial

__all__ = ["Conv2D", "Convolution2D"]


class Conv2D(Layer):
    """2-D convolution with ``filters`` kernels of ``kernel_size``, ``strides``, ``padding``; ``dilation_rate``
    spreads each kernel's taps that many rows/columns apart (atrous convolution; not with strides > 1)."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", data_format=None,
                 kernel_constraint=None, bias_constraint=None, kernel_regularizer=None, bias_regularizer=None,
                 dilation_rate=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.data_format = normalize_data_format(data_format, "Conv2D")
        if padding not in ("valid", "same"):
            raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
        self.filters, self.kernel_size = check_filters(filters), normalize_tuple(kernel_size, 2, "kernel_size")
        self.strides = normalize_tuple(strides, 2, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, 2, "dilation_rate")
        check_strides_and_dilation(self.strides, self.dilation_rate)
        self.padding, self.activation, self.use_bias = padding, activations.get(activation), use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build(self, input_shape):
        if len(input_shape) != 4 or spatial(input_shape, self.data_format)[2] is None:
            layout = "(batch, channels, rows, cols)" if self.data_format == "channels_first" else \
                "(batch, rows, cols, channels)"
            raise ValueError(f"Conv2D {self.name} expects inputs {layout} with known channels, got {input_shape}")
        channels = spatial(input_shape, self.data_format)[2]
        self.kernel = self.add_weight("kernel", self.kernel_size + (channels, self.filters),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self.add_weight("bias", (self.filters,), initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None

    def _convolve(self, x):
        out = gn.nn.conv2d(x, self.kernel.value(), strides=(1,) + self.strides + (1,), padding=self.padding.upper(),
                            dilations=(1,) + self.dilation_rate + (1,))
        return gn.nn.bias_add(out, self.bias.value()) if self.use_bias else out

    def call(self, inputs):
        return self.activation(nhwc(self._convolve, inputs, self.data_format))

    def compute_output_shape(self, input_shape):
        rows, cols, _ = spatial(input_shape, self.data_format)
        rows, cols = (conv_length(length, self.kernel_size[i], self.padding, self.strides[i], self.dilation_rate[i])
                      for i, length in enumerate((rows, cols)))
        return output_shape(input_shape[0], rows, cols, self.filters, self.data_format)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding,
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "data_format": self.data_format, "dilation_rate": list(self.dilation_rate),
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint)}


Convolution2D = Conv2D
