"""Noise and regularization layers of Keras 2: GaussianNoise, GaussianDropout, AlphaDropout,
SpatialDropout1D/2D/3D and ActivityRegularization. The random layers draw only in the training
branch of the learning phase (``training=`` or ``K.learning_phase()``) and are the identity at
inference; ``seed`` is the op seed (with ``gn.set_random_seed`` the draws are reproducible)."""
from __future__ import annotations

import math

import gpunet as gn
from gpunet import backend as K

from . import regularizers
from .base import Layer
from .core import Dropout
from .pooling import normalize_data_format

__all__ = ["ActivityRegularization", "AlphaDropout", "GaussianDropout", "GaussianNoise", "SpatialDropout1D",
           "SpatialDropout2D", "SpatialDropout3D"]

# SELU's constants: AlphaDropout sets dropped units to SELU's negative saturation value
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _checked_rate(rate):
    """``rate`` as a float in [0, 1), or Keras's ValueError (1 is refused: nothing would be kept)."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
        raise ValueError(f"Invalid value {rate} received for `rate`, expected a value between 0 and 1 "
                         f"(1 excluded).")
    return float(rate)


def _in_train_phase(noisy, inputs, training):
    """``noisy()`` while training, ``inputs`` unchanged at inference (only the taken branch runs)."""
    return K.in_train_phase(noisy, lambda: gn.identity(inputs), training)


class GaussianNoise(Layer):
    """Adds zero-centred normal noise of standard deviation ``stddev`` while training."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float)) or stddev < 0:
            raise ValueError(f"Invalid value {stddev} received for `stddev`, expected a non-negative number.")
        self.stddev, self.seed = float(stddev), seed
        self.supports_masking = True

    def call(self, inputs, training=None):
        def noisy():
            return inputs + gn.random_normal(gn.shape(inputs), stddev=self.stddev, dtype=inputs.dtype,
                                             seed=self.seed)
        return _in_train_phase(noisy, inputs, training)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Multiplies the inputs by normal noise of mean 1 and standard deviation ``sqrt(rate / (1 -
    rate))`` while training (the variance of Dropout's mask at the same rate)."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.seed = _checked_rate(rate), seed
        self.supports_masking = True

    def call(self, inputs, training=None):
        if self.rate == 0.0:
            return gn.identity(inputs)
        stddev = math.sqrt(self.rate / (1.0 - self.rate))

        def noisy():
            return inputs * gn.random_normal(gn.shape(inputs), mean=1.0, stddev=stddev, dtype=inputs.dtype,
                                             seed=self.seed)
        return _in_train_phase(noisy, inputs, training)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class AlphaDropout(Layer):
    """Dropout for SELU networks: a fraction ``rate`` of the inputs is set to SELU's saturation value
    ``-alpha * scale`` and an affine map ``a * x + b`` restores the inputs' mean and variance (for
    inputs of mean 0 and variance 1). ``noise_shape`` (None entries: the input's size) shares one
    draw along the axes where it is 1. Like tf_keras, the config holds ``rate`` and ``seed`` only."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.noise_shape, self.seed = _checked_rate(rate), noise_shape, seed
        self.supports_masking = True

    def _noise_shape(self, inputs):
        if self.noise_shape is None:
            return gn.shape(inputs)
        if len(self.noise_shape) != inputs.shape.ndims:
            raise ValueError(f"AlphaDropout: noise_shape {tuple(self.noise_shape)} does not have the rank of the "
                             f"inputs {tuple(inputs.shape.as_list())}")
        dims = [gn.shape(inputs)[i] if d is None else gn.constant(int(d)) for i, d in enumerate(self.noise_shape)]
        return gn.stack(dims)

    def call(self, inputs, training=None):
        if self.rate == 0.0:
            return gn.identity(inputs)
        rate, alpha_p = self.rate, -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * rate

        def dropped():
            uniform = gn.random_uniform(self._noise_shape(inputs), dtype=inputs.dtype, seed=self.seed)
            kept = gn.cast(gn.greater_equal(uniform, rate), inputs.dtype)
            return a * (inputs * kept + alpha_p * (1 - kept)) + b
        return _in_train_phase(dropped, inputs, training)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one draw per sample and channel, shared over the other axes."""

    _rank = None  # the input rank the subclass accepts

    def __init__(self, rate, data_format=None, **kwargs):
        # a config holds noise_shape=None (as tf_keras's): the mask's shape always comes from the input
        if kwargs.pop("noise_shape", None) is not None:
            raise ValueError(f"{type(self).__name__}: noise_shape cannot be set, the layer drops whole feature maps")
        super().__init__(_checked_rate(rate), **kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)

    def build(self, input_shape):
        if len(input_shape) != self._rank:
            raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the layer: expected '
                             f"ndim={self._rank}, found ndim={len(input_shape)}. Full shape received: "
                             f"{tuple(input_shape)}")

    def _mask_shape(self):
        # None takes the input's size (batch, channels), 1 shares the draw along the spatial axes
        spatial = [1] * (self._rank - 2)
        return [None] + (spatial + [None] if self.data_format == "channels_last" else [None] + spatial)

    def call(self, inputs, training=None):
        if self.rate == 0.0:
            return gn.identity(inputs)

        def dropped():
            return gn.nn.dropout(inputs, rate=self.rate, noise_shape=self._mask_shape(), seed=self.seed)
        return _in_train_phase(dropped, inputs, training)


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of ``(batch, steps, channels)`` inputs while training."""

    _rank = 3

    def __init__(self, rate, **kwargs):
        super().__init__(rate, "channels_last", **kwargs)


class _SpatialDropoutWithFormat(_SpatialDropout):
    def get_config(self):
        # tf_keras leaves data_format out (so a loaded layer loses it); gpunet keeps it
        return {**super().get_config(), "data_format": self.data_format}


class SpatialDropout2D(_SpatialDropoutWithFormat):
    """Drops whole feature maps of 4-d inputs (``channels_last`` or ``channels_first``) while training."""

    _rank = 4


class SpatialDropout3D(_SpatialDropoutWithFormat):
    """Drops whole feature volumes of 5-d inputs (``channels_last`` or ``channels_first``) while training."""

    _rank = 5


class ActivityRegularization(Layer):
    """The identity, adding ``l1 * sum(|x|) + l2 * sum(x ** 2)`` divided by the batch size to the
    layer's ``losses`` (so to the model's loss, in training and evaluation alike, as tf_keras)."""

    def __init__(self, l1=0.0, l2=0.0, **kwargs):  # noqa: E741 (Keras's names)
        super().__init__(**kwargs)
        self.l1, self.l2 = float(l1), float(l2)
        self.supports_masking = True

    def call(self, inputs):
        penalty = regularizers.L1L2(self.l1, self.l2)(inputs)
        with gn.name_scope("ActivityRegularizer"):
            # tf_keras's div_no_nan: an empty batch has a zero penalty, divided here by 1
            batch = gn.maximum(gn.cast(gn.shape(inputs)[0], penalty.dtype), 1.0)
            self.add_loss(penalty / batch)
        return gn.identity(inputs)

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
