"""BatchNormalization with Keras 2's defaults (momentum 0.99, epsilon 1e-3)."""
from __future__ import annotations

import gpunet as gn
from gpunet import backend as K

from .base import Layer

__all__ = ["BatchNormalization"]


class BatchNormalization(Layer):
    """Normalizes ``axis`` with the batch statistics while training and the moving statistics at
    inference. ``fit`` runs the layer's updates: ``moving = moving * momentum + batch * (1 -
    momentum)`` (the batch variance is the biased one, as tf_keras)."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 **kwargs):
        super().__init__(**kwargs)
        self.axis, self.momentum, self.epsilon, self.center, self.scale = axis, momentum, epsilon, center, scale
        self.initializers = {"beta": beta_initializer, "gamma": gamma_initializer,
                             "moving_mean": moving_mean_initializer, "moving_variance": moving_variance_initializer}

    def build(self, input_shape):
        axis = self.axis % len(input_shape)
        if input_shape[axis] is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension, got {input_shape}")
        self._reduce = [i for i in range(len(input_shape)) if i != axis]
        dim = (input_shape[axis],)
        init = self.initializers
        self.gamma = self.add_weight("gamma", dim, initializer=init["gamma"]) if self.scale else None
        self.beta = self.add_weight("beta", dim, initializer=init["beta"]) if self.center else None
        self.moving_mean = self.add_weight("moving_mean", dim, initializer=init["moving_mean"], trainable=False)
        self.moving_variance = self.add_weight("moving_variance", dim, initializer=init["moving_variance"],
                                               trainable=False)

    def _normalize(self, inputs, mean, variance):
        return gn.nn.batch_normalization(inputs, mean, variance, self.beta.value() if self.center else None,
                                         self.gamma.value() if self.scale else None, self.epsilon)

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
                **{f"{k}_initializer": v for k, v in self.initializers.items()}}
