"""Keras 2 advanced activation layers: LeakyReLU, PReLU (a trainable slope), ELU, ReLU (capped,
leaky, thresholded), Softmax and ThresholdedReLU, with tf_keras 2's arguments, configs and errors."""
from __future__ import annotations

import numpy as np

import gpunet as gn

from . import constraints, initializers, regularizers
from .base import Layer

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax", "ThresholdedReLU"]


def _floatx(value):
    """``value`` rounded to float32 as Keras's ``cast_to_floatx`` stores it, as a Python float for configs."""
    return float(np.float32(value))


class LeakyReLU(Layer):
    """``x`` where ``x > 0``, ``alpha * x`` elsewhere."""

    supports_masking = True

    def __init__(self, alpha=0.3, **kwargs):
        super().__init__(**kwargs)
        if alpha is None:
            raise ValueError(f"The alpha value of a Leaky ReLU layer cannot be None, Expecting a float. "
                             f"Received: {alpha}")
        self.alpha = _floatx(alpha)

    def call(self, inputs):
        return gn.nn.leaky_relu(inputs, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(Layer):
    """``x`` where ``x > 0``, ``alpha * x`` elsewhere, with a trainable ``alpha`` per feature; axes in
    ``shared_axes`` (1-based, the batch axis excluded) share one ``alpha``."""

    supports_masking = True

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        initializers.get(alpha_initializer)  # fail early on an unknown name
        self.alpha_initializer = alpha_initializer
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [int(a) for a in shared_axes]
        else:
            self.shared_axes = [int(shared_axes)]

    def build(self, input_shape):
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if not 1 <= axis <= len(param_shape):
                raise ValueError(f"PReLU layer {self.name}: shared axis {axis} is out of range for inputs of shape "
                                 f"{input_shape} (axes count from 1, after the batch axis)")
            param_shape[axis - 1] = 1
        if None in param_shape:
            raise ValueError(f"PReLU layer {self.name}: the input dimensions that are not shared must be known, got "
                             f"input shape {input_shape} with shared_axes={self.shared_axes}")
        self.alpha = self.add_weight("alpha", param_shape, initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)

    def call(self, inputs):
        # Keras's form: relu(x) - alpha * relu(-x), so alpha's gradient is -relu(-x) (0 for x >= 0)
        return gn.nn.relu(inputs) - self.alpha.value() * gn.nn.relu(-inputs)

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
                "alpha_constraint": constraints.serialize(self.alpha_constraint),
                "shared_axes": self.shared_axes}


class ELU(Layer):
    """``x`` where ``x > 0``, ``alpha * (exp(x) - 1)`` elsewhere."""

    supports_masking = True

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if alpha is None:
            raise ValueError(f"Alpha of an ELU layer cannot be None, expecting a float. Received: {alpha}")
        self.alpha = _floatx(alpha)

    def call(self, inputs):
        res = gn.nn.elu(inputs)
        if self.alpha == 1:
            return res
        return gn.where(inputs > 0, res, self.alpha * res)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


def _non_negative(value, what):
    if value is None or value < 0:
        raise ValueError(f"{what} of a ReLU layer cannot be a negative value. Received: {value}")
    return _floatx(value)


class ReLU(Layer):
    """Keras's rectifier: ``max_value`` where ``x >= max_value``, ``x`` where
    ``threshold <= x < max_value`` (``x > threshold`` when ``threshold != 0``), and
    ``negative_slope * (x - threshold)`` elsewhere."""

    supports_masking = True

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None:
            max_value = _non_negative(max_value, "max_value")
        self.max_value = max_value
        self.negative_slope = _non_negative(negative_slope, "negative_slope")
        self.threshold = _non_negative(threshold, "threshold")

    def call(self, inputs):
        # written as tf_keras's backend.relu, so ties at the threshold and the cap match it exactly
        x, slope, threshold = inputs, self.negative_slope, self.threshold
        if slope != 0 and self.max_value is None and threshold == 0:
            return gn.nn.leaky_relu(x, alpha=slope)
        negative_part = gn.nn.relu(threshold - x) if slope != 0 else None
        max_value = self.max_value
        if threshold != 0:
            out = x * gn.cast(x > threshold, x.dtype)
        elif max_value == 6:
            out, max_value = gn.nn.relu6(x), None  # as Keras: Relu6's gradient is 0 at 6, clip's is 1
        else:
            out = gn.nn.relu(x)
        if max_value is not None:
            out = gn.clip_by_value(out, gn.constant(0, x.dtype), gn.constant(max_value, x.dtype))
        if negative_part is not None:
            out = out - slope * negative_part
        return out

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class Softmax(Layer):
    """Softmax over ``axis`` (an int, or a list of axes normalized together). Called with ``mask=`` (true or
    > 0.5 where an entry counts, broadcast against the inputs), the masked entries get tf_keras 2's large negative
    logit first: ``-1e9`` added (``robust_masking``: put in their place), so a fully masked row comes out uniform."""

    supports_masking = True

    def __init__(self, axis=-1, robust_masking=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.robust_masking = bool(robust_masking)

    def call(self, inputs, mask=None):
        if mask is not None:
            inputs = self._masked_logits(inputs, mask)
        if isinstance(self.axis, list):
            if len(self.axis) > 1:
                return gn.exp(inputs - gn.reduce_logsumexp(inputs, axis=self.axis, keepdims=True))
            return gn.nn.softmax(inputs, axis=self.axis[0])
        return gn.nn.softmax(inputs, axis=self.axis)

    def _masked_logits(self, inputs, mask):
        negative = gn.constant(_large_negative(inputs.dtype), dtype=inputs.dtype)
        if not self.robust_masking:
            return inputs + (gn.constant(1.0, dtype=inputs.dtype) - gn.cast(mask, inputs.dtype)) * negative
        keep = mask if mask.dtype == gn.bool else gn.greater(mask, gn.constant(0.5, dtype=mask.dtype))
        return gn.where(keep, inputs, gn.zeros_like(inputs) + negative)

    def get_config(self):
        config = {**super().get_config(), "axis": self.axis}
        return {**config, "robust_masking": True} if self.robust_masking else config  # tf_keras: only when set


def _large_negative(dtype):
    """tf_keras's ``_large_compatible_negative``: -1e9, or half the lowest float16 (-1e9 is not a float16)."""
    return float(np.finfo(np.float16).min) / 2.0 if dtype == gn.float16 else -1e9


class ThresholdedReLU(Layer):
    """``x`` where ``x > theta``, 0 elsewhere."""

    supports_masking = True

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        if theta is None:
            raise ValueError(f"Theta of a Thresholded ReLU layer cannot be None, expecting a float. Received: {theta}")
        if theta < 0:
            raise ValueError(f"The theta value of a Thresholded ReLU layer should be >=0. Received: {theta}")
        self.theta = _floatx(theta)

    def call(self, inputs):
        return inputs * gn.cast(inputs > self.theta, inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "theta": self.theta}
