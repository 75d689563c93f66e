"""Initializers: callables ``init(shape, dtype=None, partition_info=None) -> Tensor``, as in TF1."""
from __future__ import annotations

import math

import numpy as np

from ..graph.core_ops import constant
from ..graph.dtypes import as_dtype, float32
from ..graph.validation import lossless_array
from . import random_ops

__all__ = ["Constant", "Initializer", "Ones", "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling",
           "Zeros", "constant_initializer", "glorot_normal_initializer", "glorot_uniform_initializer", "he_normal",
           "he_uniform", "ones_initializer", "random_normal_initializer", "random_uniform_initializer",
           "truncated_normal_initializer", "variance_scaling_initializer", "zeros_initializer"]


class Initializer:
    """Base of the initializers: ``init(shape, dtype=None, partition_info=None) -> Tensor`` of ``dtype`` (default: the
    one given at construction, float32).
    """

    def __init__(self, dtype=float32):
        self.dtype = as_dtype(dtype)

    def _dtype(self, dtype):
        return as_dtype(dtype) if dtype is not None else self.dtype

    def get_config(self):
        return {k: v for k, v in vars(self).items() if k != "dtype"}


class Constant(Initializer):
    """``constant_initializer(value=0)``: every element ``value``, or ``value`` reshaped when it is an array.

    The value must convert to the dtype without loss (1.5 for an int variable is a TypeError).
    """

    def __init__(self, value=0, dtype=float32, verify_shape=False):
        super().__init__(dtype)
        self.value = value

    def __call__(self, shape, dtype=None, partition_info=None):
        dtype = self._dtype(dtype)
        value = lossless_array(self.value, dtype.np)  # constant_initializer(1.5) of an int variable: an error
        if value.size == 1:
            return constant(np.full(shape, value.reshape(()), dtype=dtype.np), dtype)
        return constant(value, dtype, shape=shape)


class Zeros(Constant):
    """``zeros_initializer()``: every element 0."""

    def __init__(self, dtype=float32):
        super().__init__(0, dtype)


class Ones(Constant):
    """``ones_initializer()``: every element 1."""

    def __init__(self, dtype=float32):
        super().__init__(1, dtype)


class RandomNormal(Initializer):
    """``random_normal_initializer(mean=0.0, stddev=1.0)``: samples from N(mean, stddev ** 2)."""

    def __init__(self, mean=0.0, stddev=1.0, seed=None, dtype=float32):
        super().__init__(dtype)
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def __call__(self, shape, dtype=None, partition_info=None):
        return random_ops.random_normal(shape, self.mean, self.stddev, self._dtype(dtype), self.seed)


class TruncatedNormal(RandomNormal):
    """``truncated_normal_initializer(mean=0.0, stddev=1.0)``: normal samples redrawn until within two standard
    deviations of ``mean``.
    """

    def __call__(self, shape, dtype=None, partition_info=None):
        return random_ops.truncated_normal(shape, self.mean, self.stddev, self._dtype(dtype), self.seed)


class RandomUniform(Initializer):
    """``random_uniform_initializer(minval=0.0, maxval=None)``: samples uniform in [minval, maxval) (maxval 1 for floats
    when None).
    """

    def __init__(self, minval=0.0, maxval=None, seed=None, dtype=float32):
        super().__init__(dtype)
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def __call__(self, shape, dtype=None, partition_info=None):
        return random_ops.random_uniform(shape, self.minval, self.maxval, self._dtype(dtype), self.seed)


class VarianceScaling(Initializer):
    """Keras/TF1 variance scaling: scale / fan, drawn from a (truncated) normal or a uniform."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, dtype=float32):
        super().__init__(dtype)
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid mode {mode!r}: expected 'fan_in', 'fan_out' or 'fan_avg'")
        if distribution not in ("normal", "truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"Invalid distribution {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def __call__(self, shape, dtype=None, partition_info=None):
        fan_in, fan_out = _fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, fan)
        dtype = self._dtype(dtype)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return random_ops.random_uniform(shape, -limit, limit, dtype, self.seed)
        if self.distribution == "untruncated_normal":
            return random_ops.random_normal(shape, 0.0, math.sqrt(variance), dtype, self.seed)
        # truncation at 2 stddev shrinks the variance: 0.8796... is the stddev of a unit normal truncated there
        return random_ops.truncated_normal(shape, 0.0, math.sqrt(variance) / 0.87962566103423978, dtype, self.seed)


def _fans(shape):
    shape = tuple(shape)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive


def glorot_uniform_initializer(seed=None, dtype=float32):
    """Xavier uniform: U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out))."""
    return VarianceScaling(1.0, "fan_avg", "uniform", seed, dtype)


def glorot_normal_initializer(seed=None, dtype=float32):
    """Xavier normal: a truncated normal of stddev sqrt(2 / (fan_in + fan_out)) (after truncation)."""
    return VarianceScaling(1.0, "fan_avg", "truncated_normal", seed, dtype)


def he_normal(seed=None):
    """He normal: a truncated normal of stddev sqrt(2 / fan_in) (after truncation)."""
    return VarianceScaling(2.0, "fan_in", "truncated_normal", seed)


def he_uniform(seed=None):
    """He uniform: U(-limit, limit) with limit = sqrt(6 / fan_in)."""
    return VarianceScaling(2.0, "fan_in", "uniform", seed)


zeros_initializer = Zeros
ones_initializer = Ones
constant_initializer = Constant
random_normal_initializer = RandomNormal
random_uniform_initializer = RandomUniform
truncated_normal_initializer = TruncatedNormal
variance_scaling_initializer = VarianceScaling
