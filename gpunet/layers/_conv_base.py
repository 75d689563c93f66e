"""``ConvBase``: what Keras 2's convolution layers with ``filters`` share — their window and weight arguments,
checked and kept, the kernel and bias weights, and the config entries for them (Conv1D, Conv2DTranspose)."""
from __future__ import annotations

from . import activations, constraints, initializers, regularizers
from ._conv_args import check_filters, check_padding, check_strides_and_dilation, normalize_tuple
from .base import Layer
from .pooling import normalize_data_format

__all__ = ["ConvBase"]


class ConvBase(Layer):
    """A convolution of ``rank`` spatial axes with ``filters`` output channels; ``causal_ok``: whether
    padding 'causal' is allowed."""

    def __init__(self, rank, filters, kernel_size, strides, padding, data_format, dilation_rate, activation,
                 use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                 kernel_constraint, bias_constraint, causal_ok=False, **kwargs):
        super().__init__(**kwargs)
        self.filters = check_filters(filters)
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = normalize_tuple(strides, rank, "strides")
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate")
        check_strides_and_dilation(self.strides, self.dilation_rate)
        self.padding = check_padding(padding, causal_ok=causal_ok)
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        self.activation, self.use_bias = activations.get(activation), use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def add_kernel_and_bias(self, kernel_shape):
        """The ``kernel`` weight of ``kernel_shape`` and, with ``use_bias``, a ``bias`` per filter (else None)."""
        self.kernel = self.add_weight("kernel", kernel_shape, initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = self.add_weight("bias", (self.filters,), initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": list(self.dilation_rate), "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias, "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint)}
