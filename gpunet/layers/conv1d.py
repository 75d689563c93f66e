"""Conv1D: a 1-D convolution run as gn.nn.conv2d over an inserted unit row axis (NWC, or NCW by
transposing around it); 'causal' padding pads only the start of the sequence."""
from __future__ import annotations

import gpunet as gn

from ._conv_args import check_input_rank, conv_length
from ._conv_base import ConvBase

__all__ = ["Conv1D", "Convolution1D"]


class Conv1D(ConvBase):
    """1-D convolution of ``(batch, steps, channels)`` inputs (``channels_first``: ``(batch, channels, steps)``)
    with ``filters`` kernels of ``kernel_size`` steps; ``padding`` 'valid', 'same' or 'causal'."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format="channels_last",
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(1, filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         kernel_constraint, bias_constraint, causal_ok=True, **kwargs)

    def _steps_channels(self, input_shape):
        """``(steps, channels)`` of a 3-D input shape in this layer's format."""
        _, first, second = input_shape
        return (first, second) if self.data_format == "channels_last" else (second, first)

    def build(self, input_shape):
        channels = None if input_shape is None or len(input_shape) != 3 else self._steps_channels(input_shape)[1]
        check_input_rank(self, input_shape, 3, channels)
        self.add_kernel_and_bias(self.kernel_size + (channels, self.filters))

    def _padding_arg(self):
        if self.padding != "causal":
            return self.padding.upper()
        # causal: all the padding before the first step, so output t sees inputs <= t only
        return [[0, 0], [0, 0], [self.dilation_rate[0] * (self.kernel_size[0] - 1), 0], [0, 0]]

    def _convolve(self, x):
        rows = gn.expand_dims(x, 1)  # (batch, 1, steps, channels)
        kernel = gn.expand_dims(self.kernel.value(), 0)
        out = gn.nn.conv2d(rows, kernel, strides=(1, 1) + self.strides + (1,), padding=self._padding_arg(),
                           dilations=(1, 1) + self.dilation_rate + (1,))
        out = gn.squeeze(out, [1])
        return gn.nn.bias_add(out, self.bias.value()) if self.use_bias else out

    def call(self, inputs):
        if self.data_format == "channels_last":
            return self.activation(self._convolve(inputs))
        out = self._convolve(gn.transpose(inputs, [0, 2, 1]))
        return self.activation(gn.transpose(out, [0, 2, 1]))

    def compute_output_shape(self, input_shape):
        steps = conv_length(self._steps_channels(input_shape)[0], self.kernel_size[0], self.padding,
                            self.strides[0], self.dilation_rate[0])
        if self.data_format == "channels_first":
            return (input_shape[0], self.filters, steps)
        return (input_shape[0], steps, self.filters)


Convolution1D = Conv1D
