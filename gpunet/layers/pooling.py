"""Pooling layers: MaxPooling1D/2D and AveragePooling1D/2D (channels_last, or channels_first by transposing around
the NHWC kernels), and the global poolings GlobalMax/AveragePooling1D/2D (a reduction over the steps or rows and
cols, ``keepdims`` as Keras 2)."""
from __future__ import annotations

import gpunet as gn
from gpunet import backend as K

from ._conv_args import normalize_tuple
from .base import Layer

__all__ = ["AveragePooling1D", "AveragePooling2D", "AvgPool1D", "AvgPool2D", "GlobalAveragePooling1D",
           "GlobalAveragePooling2D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D",
           "GlobalMaxPooling1D", "GlobalMaxPooling2D", "MaxPool1D", "MaxPool2D", "MaxPooling1D", "MaxPooling2D",
           "check_padding", "conv_output_length", "nhwc", "normalize_data_format", "output_shape", "pair",
           "require_ndim", "spatial"]

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


def require_ndim(layer, input_shape, ndim):
    """Keras's input-spec error unless ``input_shape`` has ``ndim`` axes."""
    if len(input_shape) != ndim:
        raise ValueError(f'Input 0 of layer "{layer.name}" is incompatible with the layer: expected ndim={ndim}, '
                         f'found ndim={len(input_shape)}. Full shape received: {tuple(input_shape)}')


def check_padding(padding):
    """``padding`` if it is ``'valid'`` or ``'same'``."""
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    return padding


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
        self.pool_size = normalize_tuple(pool_size, 2, "pool_size")
        self.strides = normalize_tuple(strides, 2, "strides") if strides is not None else self.pool_size
        self.padding = check_padding(padding)

    def build(self, input_shape):
        require_ndim(self, input_shape, 4)

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


def _positive_int(value, what, layer):
    """``value`` (an int, or a 1-tuple of one) as a positive int."""
    number = value[0] if isinstance(value, (tuple, list)) and len(value) == 1 else value
    if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
        raise ValueError(f"{layer}: the `{what}` argument must be a positive integer or a tuple of 1 positive "
                         f"integer. Received: {value!r}")
    return number


class _Pooling1D(Layer):
    """A 2-D pooling op over ``(batch, 1, steps, channels)``: the steps axis is the cols axis."""
    _op = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format="channels_last", **kwargs):
        super().__init__(**kwargs)
        name = type(self).__name__
        self.data_format = normalize_data_format(data_format, name)
        self.pool_size = _positive_int(pool_size, "pool_size", name)
        self.strides = _positive_int(strides, "strides", name) if strides is not None else self.pool_size
        self.padding = check_padding(padding)

    def build(self, input_shape):
        require_ndim(self, input_shape, 3)

    def call(self, inputs):
        steps_last = self.data_format == "channels_last"
        x = gn.expand_dims(inputs if steps_last else gn.transpose(inputs, [0, 2, 1]), 1)
        y = type(self)._op(x, ksize=(1, 1, self.pool_size, 1), strides=(1, 1, self.strides, 1),
                           padding=self.padding.upper())
        y = gn.squeeze(y, [1])
        return y if steps_last else gn.transpose(y, [0, 2, 1])

    def compute_output_shape(self, input_shape):
        batch, a, b = input_shape
        steps, channels = (a, b) if self.data_format == "channels_last" else (b, a)
        steps = conv_output_length(steps, self.pool_size, self.padding, self.strides)
        return (batch, steps, channels) if self.data_format == "channels_last" else (batch, channels, steps)

    def get_config(self):
        return {**super().get_config(), "pool_size": (self.pool_size,), "strides": (self.strides,),
                "padding": self.padding, "data_format": self.data_format}


class MaxPooling1D(_Pooling1D):
    """The maximum of each ``pool_size`` window of steps."""
    _op = staticmethod(gn.nn.max_pool)


class AveragePooling1D(_Pooling1D):
    """The mean of each ``pool_size`` window of steps (padding excluded from the count)."""
    _op = staticmethod(gn.nn.avg_pool)


class _GlobalPooling(Layer):
    """A reduction over every axis but the batch and channel axes."""
    _ndim = None
    _reduce = None

    def __init__(self, data_format="channels_last", keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)

    def _axes(self):
        first = 2 if self.data_format == "channels_first" else 1
        return list(range(first, first + self._ndim - 2))

    def build(self, input_shape):
        require_ndim(self, input_shape, self._ndim)

    def call(self, inputs):
        return type(self)._reduce(inputs, axis=self._axes(), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


class GlobalMaxPooling1D(_GlobalPooling):
    """The maximum over the steps of ``(batch, steps, channels)`` (or ``(batch, channels, steps)``)."""
    _ndim, _reduce = 3, staticmethod(gn.reduce_max)


class GlobalAveragePooling1D(_GlobalPooling):
    """The mean over the steps of ``(batch, steps, channels)`` (or ``(batch, channels, steps)``). Called with
    ``mask=`` (``(batch, steps)``, true where a step counts) it averages over the unmasked steps only, as Keras 2."""
    _ndim, _reduce = 3, staticmethod(gn.reduce_mean)

    def __init__(self, data_format="channels_last", keepdims=False, **kwargs):
        super().__init__(data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps_axis = self._axes()[0]
        weights = gn.expand_dims(gn.cast(mask, inputs.dtype), 3 - steps_axis)  # 2: after steps, 1: before
        total = gn.reduce_sum(inputs * weights, axis=steps_axis, keepdims=self.keepdims)
        return total / gn.reduce_sum(weights, axis=steps_axis, keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        """None: the steps are averaged away (tf_keras)."""
        return None


class GlobalMaxPooling2D(_GlobalPooling):
    """The maximum over rows and cols of each channel."""
    _ndim, _reduce = 4, staticmethod(gn.reduce_max)


class GlobalAveragePooling2D(_GlobalPooling):
    """The mean over rows and cols of each channel."""
    _ndim, _reduce = 4, staticmethod(gn.reduce_mean)


MaxPool1D, AvgPool1D = MaxPooling1D, AveragePooling1D
MaxPool2D, AvgPool2D = MaxPooling2D, AveragePooling2D
GlobalMaxPool1D, GlobalAvgPool1D = GlobalMaxPooling1D, GlobalAveragePooling1D
GlobalMaxPool2D, GlobalAvgPool2D = GlobalMaxPooling2D, GlobalAveragePooling2D
