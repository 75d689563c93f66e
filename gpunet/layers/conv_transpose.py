"""Conv2DTranspose: the input-gradient of a 2-D convolution used as a layer (gn.nn.conv2d_transpose), with
Keras 2's output size rule and ``output_padding``."""
from __future__ import annotations

import gpunet as gn

from . import activations, constraints, initializers, regularizers
from ._conv_args import (check_filters, check_input_rank, check_padding, check_strides_and_dilation,
                         deconv_length, normalize_tuple)
from .base import Layer
from .pooling import nhwc, normalize_data_format, output_shape, spatial

__all__ = ["Conv2DTranspose", "Convolution2DTranspose"]


def _check_output_padding(output_padding, strides):
    if output_padding is None:
        return None
    output_padding = normalize_tuple(output_padding, 2, "output_padding", allow_zero=True)
    if any(p >= s for p, s in zip(output_padding, strides)):
        raise ValueError(f"Strides must be greater than output padding. Received strides={strides}, "
                         f"output_padding={output_padding}.")
    return output_padding


class Conv2DTranspose(Layer):
    """Transposed 2-D convolution ("deconvolution"): ``filters`` output channels; each output row/col count is
    ``in * stride`` ('same'), ``in * stride + max(kernel - stride, 0)`` ('valid'), or with ``output_padding``
    ``(in - 1) * stride + kernel - 2 * pad + output_padding``."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.filters = check_filters(filters)
        self.kernel_size = normalize_tuple(kernel_size, 2, "kernel_size")
        self.strides = normalize_tuple(strides, 2, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, 2, "dilation_rate")
        check_strides_and_dilation(self.strides, self.dilation_rate)
        self.padding = check_padding(padding, causal_ok=False)
        self.output_padding = _check_output_padding(output_padding, self.strides)
        self.data_format = normalize_data_format(data_format, "Conv2DTranspose")
        self.activation, self.use_bias = activations.get(activation), use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        channels = None if input_shape is None or len(input_shape) != 4 else \
            spatial(input_shape, self.data_format)[2]
        check_input_rank(self, input_shape, 4, channels)
        # (rows, cols, output channels, input channels): the filter of the convolution this one transposes
        self.kernel = self.add_weight("kernel", self.kernel_size + (self.filters, channels),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = self.add_weight("bias", (self.filters,), initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None

    def _length(self, axis, length):
        padding = None if self.output_padding is None else self.output_padding[axis]
        return deconv_length(length, self.kernel_size[axis], self.padding, padding, self.strides[axis],
                             self.dilation_rate[axis])

    def _transpose(self, x):
        static, dynamic = x.shape.as_list(), gn.shape(x)
        rows, cols = (self._length(i, static[i + 1] if static[i + 1] is not None else dynamic[i + 1])
                      for i in range(2))
        out = gn.nn.conv2d_transpose(x, self.kernel.value(), gn.stack([dynamic[0], rows, cols, self.filters]),
                                     strides=(1,) + self.strides + (1,), padding=self.padding.upper(),
                                     dilations=(1,) + self.dilation_rate + (1,))
        return gn.nn.bias_add(out, self.bias.value()) if self.use_bias else out

    def call(self, inputs):
        return self.activation(nhwc(self._transpose, inputs, self.data_format))

    def compute_output_shape(self, input_shape):
        rows, cols, _ = spatial(input_shape, self.data_format)
        rows, cols = self._length(0, rows), self._length(1, cols)
        return output_shape(input_shape[0], rows, cols, self.filters, self.data_format)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": list(self.dilation_rate), "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias, "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "output_padding": None if self.output_padding is None else list(self.output_padding)}


Convolution2DTranspose = Conv2DTranspose
