"""``tf.layers``-style functions: ``dense(x, units, ...)`` creates its variables with
``gn.get_variable`` inside ``variable_scope(name)``, so ``variable_scope(reuse=True)`` shares them."""
from __future__ import annotations

import gpunet as gn

from .core import Dense, Dropout

__all__ = ["dense", "dropout"]


class _ScopedDense(Dense):
    """A Dense whose weights come from get_variable in the current variable scope."""

    def _make_variable(self, name, shape, dtype, init, trainable, constraint):
        return gn.get_variable(name, shape=shape, dtype=dtype, initializer=init, trainable=trainable,
                               constraint=constraint)


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None, bias_initializer=None,
          trainable=True, name=None, reuse=None):
    """``activation(inputs @ kernel + bias)`` with variables ``<name>/kernel`` and ``<name>/bias``."""
    with gn.variable_scope(name, default_name="dense", reuse=reuse) as scope:
        layer = _ScopedDense(units, activation=activation, use_bias=use_bias,
                             kernel_initializer=kernel_initializer or "glorot_uniform",
                             bias_initializer=bias_initializer or "zeros", trainable=trainable,
                             name=scope.name.split("/")[-1])
        layer.build(tuple(inputs.shape.as_list()))
        layer.built = True
        return layer.call(inputs)


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    """Dropout applied only when ``training`` (a Python bool or a boolean tensor) is true."""
    with gn.name_scope(name, "dropout"):
        return Dropout(rate, noise_shape=noise_shape, seed=seed, name="dropout").call(inputs, training=training)
