"""DepthwiseConv2D and SeparableConv2D on gn.nn.depthwise_conv2d / separable_conv2d (NHWC; channels_first by
transposing around them)."""
from __future__ import annotations

import gpunet as gn

from . import activations, constraints, initializers, regularizers
from ._conv_args import (check_filters, check_input_rank, check_padding, check_strides_and_dilation, conv_length,
                         normalize_tuple)
from .base import Layer
from .pooling import nhwc, normalize_data_format, output_shape, spatial

__all__ = ["DepthwiseConv2D", "SeparableConv2D", "SeparableConvolution2D"]


class _DepthwiseBase(Layer):
    """The arguments and the depthwise kernel both layers share."""

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None, depthwise_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = normalize_tuple(kernel_size, 2, "kernel_size")
        self.strides = normalize_tuple(strides, 2, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, 2, "dilation_rate")
        check_strides_and_dilation(self.strides, self.dilation_rate)
        self.padding = check_padding(padding, causal_ok=False)
        if not isinstance(depth_multiplier, int) or depth_multiplier < 1:
            raise ValueError(f"Invalid value for argument `depth_multiplier`. Expected a positive integer. "
                             f"Received depth_multiplier={depth_multiplier}.")
        self.depth_multiplier = depth_multiplier
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        self.activation, self.use_bias = activations.get(activation), use_bias
        self.depthwise_initializer, self.bias_initializer = depthwise_initializer, bias_initializer
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def _build_depthwise(self, input_shape):
        channels = None if input_shape is None or len(input_shape) != 4 else \
            spatial(input_shape, self.data_format)[2]
        check_input_rank(self, input_shape, 4, channels)
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        return channels

    def _add_bias(self, size):
        self.bias = self.add_weight("bias", (size,), initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None

    def _op_args(self):
        return {"strides": (1,) + self.strides + (1,), "padding": self.padding.upper(), "rate": self.dilation_rate}

    def _finish(self, out):
        return gn.nn.bias_add(out, self.bias.value()) if self.use_bias else out

    def _output_shape(self, input_shape, channels):
        rows, cols, _ = spatial(input_shape, self.data_format)
        rows, cols = (conv_length(length, self.kernel_size[i], self.padding, self.strides[i], self.dilation_rate[i])
                      for i, length in enumerate((rows, cols)))
        return output_shape(input_shape[0], rows, cols, channels, self.data_format)

    def get_config(self):
        return {**super().get_config(), "kernel_size": list(self.kernel_size), "strides": list(self.strides),
                "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": list(self.dilation_rate), "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias, "bias_initializer": initializers.serialize(self.bias_initializer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "depth_multiplier": self.depth_multiplier,
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
                "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint)}


class DepthwiseConv2D(_DepthwiseBase):
    """Each input channel convolved on its own with ``depth_multiplier`` kernels of ``kernel_size``: output
    channel ``c * depth_multiplier + m`` is input channel ``c`` through kernel ``m``."""

    def build(self, input_shape):
        channels = self._build_depthwise(input_shape)
        self._add_bias(channels * self.depth_multiplier)

    def call(self, inputs):
        def convolve(x):
            return self._finish(gn.nn.depthwise_conv2d(x, self.depthwise_kernel.value(), **self._op_args()))
        return self.activation(nhwc(convolve, inputs, self.data_format))

    def compute_output_shape(self, input_shape):
        channels = spatial(input_shape, self.data_format)[2]
        return self._output_shape(input_shape, None if channels is None else channels * self.depth_multiplier)


class SeparableConv2D(_DepthwiseBase):
    """A depthwise convolution (``depth_multiplier`` kernels per input channel) then a 1x1 convolution to
    ``filters`` channels."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         depthwise_constraint=depthwise_constraint, bias_constraint=bias_constraint, **kwargs)
        self.filters = check_filters(filters)
        self.pointwise_initializer = pointwise_initializer
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels = self._build_depthwise(input_shape)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", (1, 1, channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)
        self._add_bias(self.filters)

    def call(self, inputs):
        def convolve(x):
            return self._finish(gn.nn.separable_conv2d(x, self.depthwise_kernel.value(),
                                                       self.pointwise_kernel.value(), **self._op_args()))
        return self.activation(nhwc(convolve, inputs, self.data_format))

    def compute_output_shape(self, input_shape):
        return self._output_shape(input_shape, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
                "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
                "pointwise_constraint": constraints.serialize(self.pointwise_constraint)}


SeparableConvolution2D = SeparableConv2D
