"""BatchNormalization and LayerNormalization with Keras 2's defaults (epsilon 1e-3)."""
from __future__ import annotations

import gpunet as gn
from gpunet import backend as K

from . import constraints, initializers, regularizers
from .base import Layer

__all__ = ["BatchNormalization", "LayerNormalization"]


class BatchNormalization(Layer):
    """Normalizes ``axis`` with the batch statistics while training and the moving statistics at
    inference. ``fit`` runs the layer's updates: ``moving = moving * momentum + batch * (1 -
    momentum)`` (the batch variance is the biased one, as tf_keras)."""

    supports_masking = True

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_constraint=None, gamma_constraint=None, beta_regularizer=None, gamma_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):  # tf_keras's configs hold the axis as a list once built
            if len(axis) != 1:
                raise ValueError(f"BatchNormalization {self.name}: gpunet normalizes over one axis, got axis={axis}")
            axis = axis[0]
        self.axis, self.momentum, self.epsilon, self.center, self.scale = axis, momentum, epsilon, center, scale
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.initializers = {"beta": beta_initializer, "gamma": gamma_initializer,
                             "moving_mean": moving_mean_initializer, "moving_variance": moving_variance_initializer}

    def build(self, input_shape):
        if not -len(input_shape) <= self.axis < len(input_shape):
            raise ValueError(f"Invalid value for `axis` argument. Expected 0 <= axis < inputs.rank (with "
                             f"inputs.rank={len(input_shape)}). Received: axis={self.axis}")
        axis = self.axis % len(input_shape)
        if input_shape[axis] is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension, got {input_shape}")
        self._reduce = [i for i in range(len(input_shape)) if i != axis]
        # off the last axis, statistics and weights broadcast as size 1 on every axis but ``axis``
        last = axis == len(input_shape) - 1
        self._broadcast = None if last else [input_shape[axis] if i == axis else 1 for i in range(len(input_shape))]
        dim = (input_shape[axis],)
        init = self.initializers
        self.gamma = self.add_weight("gamma", dim, initializer=init["gamma"], regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight("beta", dim, initializer=init["beta"], regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center else None
        self.moving_mean = self.add_weight("moving_mean", dim, initializer=init["moving_mean"], trainable=False)
        self.moving_variance = self.add_weight("moving_variance", dim, initializer=init["moving_variance"],
                                               trainable=False)

    def _normalize(self, inputs, mean, variance):
        def shaped(value):
            return value if value is None or self._broadcast is None else gn.reshape(value, self._broadcast)
        return gn.nn.batch_normalization(inputs, shaped(mean), shaped(variance),
                                         shaped(self.beta.value() if self.center else None),
                                         shaped(self.gamma.value() if self.scale else None), self.epsilon)

    def call(self, inputs, training=None):
        moving_mean, moving_variance = self.moving_mean.value(), self.moving_variance.value()

        def with_batch_statistics():
            mean, variance = gn.nn.moments(inputs, self._reduce)
            return self._normalize(inputs, mean, variance), mean, variance

        def with_moving_statistics():
            return self._normalize(inputs, moving_mean, moving_variance), moving_mean, moving_variance
        # one cond picks the branch: the batch moments are computed only while training
        output, mean, variance = K.in_train_phase(with_batch_statistics, with_moving_statistics, training)
        if training is not False:
            # at inference (phase 0) the update moves by zero, so running `updates` is always safe
            decay = 1.0 - self.momentum
            self.add_update([gn.assign_sub(self.moving_mean, (moving_mean - mean) * decay),
                             gn.assign_sub(self.moving_variance, (moving_variance - variance) * decay)])
        return output

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                **{f"{k}_initializer": v for k, v in self.initializers.items()},
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer)}


def _checked_axis(axis):
    """``axis`` as Keras keeps it: an int stays an int, a list/tuple becomes a list of ints."""
    if isinstance(axis, (list, tuple)) and all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
        return list(axis)
    if isinstance(axis, int) and not isinstance(axis, bool):
        return axis
    raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis', but received: {axis!r}")


class LayerNormalization(Layer):
    """Normalizes each sample over ``axis`` (an int or a list of ints; the last axis by default):
    ``(x - mean) / sqrt(variance + epsilon) * gamma + beta`` with per-sample moments, the same while
    training and at inference. ``gamma`` and ``beta`` have the shape of the normalized axes."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.axis, self.epsilon, self.center, self.scale = _checked_axis(axis), float(epsilon), center, scale
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def _resolved_axes(self, rank):
        axes = [self.axis] if isinstance(self.axis, int) else list(self.axis)
        if any(not -rank <= a < rank for a in axes):
            raise ValueError(f"Invalid value for `axis` argument. Expected 0 <= axis < inputs.rank (with "
                             f"inputs.rank={rank}). Received: axis={tuple(axes)}")
        axes = sorted(a % rank for a in axes)
        if len(set(axes)) != len(axes):
            raise ValueError(f"Duplicate axis: {tuple(axes)}")
        return axes

    def build(self, input_shape):
        rank = len(input_shape)
        self.axis = self._resolved_axes(rank)  # Keras keeps the resolved list (its config shows it)
        if any(input_shape[a] is None for a in self.axis):
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension, got {input_shape}")
        dims = tuple(input_shape[a] for a in self.axis)
        # gamma and beta broadcast against the input: size 1 on every axis not normalized
        self._broadcast = [input_shape[i] if i in self.axis else 1 for i in range(rank)]
        self.gamma = self.add_weight("gamma", dims, initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint) if self.scale else None
        self.beta = self.add_weight("beta", dims, initializer=self.beta_initializer, regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint) if self.center else None

    def _param(self, weight):
        return None if weight is None else gn.reshape(weight.value(), self._broadcast)

    def call(self, inputs):
        mean, variance = gn.nn.moments(inputs, self.axis, keep_dims=True)
        return gn.nn.batch_normalization(inputs, mean, variance, self._param(self.beta), self._param(self.gamma),
                                         self.epsilon)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale, "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.beta_regularizer),
                "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
                "beta_constraint": constraints.serialize(self.beta_constraint),
                "gamma_constraint": constraints.serialize(self.gamma_constraint)}
