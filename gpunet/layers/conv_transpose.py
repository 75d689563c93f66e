"""Conv2DTranspose: the input-gradient of a 2-D convolution used as a layer (gn.nn.conv2d_transpose), with
Keras 2's output size rule and ``output_padding``."""
from __future__ import annotations

import gpunet as gn

from ._conv_args import check_input_rank, deconv_length, normalize_tuple
from ._conv_base import ConvBase
from .pooling import nhwc, output_shape, spatial

__all__ = ["Conv2DTranspose", "Convolution2DTranspose"]


def _check_output_padding(output_padding, strides):
    if output_padding is None:
        return None
    output_padding = normalize_tuple(output_padding, 2, "output_padding", allow_zero=True)
    if any(p >= s for p, s in zip(output_padding, strides)):
        raise ValueError(f"Strides must be greater than output padding. Received strides={strides}, "
                         f"output_padding={output_padding}.")
    return output_padding


class Conv2DTranspose(ConvBase):
    """Transposed 2-D convolution ("deconvolution"): ``filters`` output channels; each output row/col count is
    ``in * stride`` ('same'), ``in * stride + max(kernel - stride, 0)`` ('valid'), or with ``output_padding``
    ``(in - 1) * stride + kernel - 2 * pad + output_padding``."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(2, filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)
        self.output_padding = _check_output_padding(output_padding, self.strides)

    def build(self, input_shape):
        channels = None if input_shape is None or len(input_shape) != 4 else \
            spatial(input_shape, self.data_format)[2]
        check_input_rank(self, input_shape, 4, channels)
        # (rows, cols, output channels, input channels): the filter of the convolution this one transposes
        self.add_kernel_and_bias(self.kernel_size + (self.filters, channels))

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
        return {**super().get_config(),
                "output_padding": None if self.output_padding is None else list(self.output_padding)}


Convolution2DTranspose = Conv2DTranspose
