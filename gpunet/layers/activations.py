"""Keras 2 activation names (``'relu'``, ``'softmax'``, …) as functions on graph tensors."""
from __future__ import annotations

import gpunet as gn

__all__ = ["gelu", "get", "hard_sigmoid", "linear", "mish", "serialize", "sigmoid", "softmax"]


def linear(x):
    """The identity."""
    return x


def softmax(x, axis=-1):
    """Softmax on ``axis``; the output remembers its logits so cross-entropy losses can use them."""
    out = gn.nn.softmax(x, axis=axis)
    if axis in (-1, x.shape.ndims - 1):
        out._keras_logits = ("softmax", x)
    return out


def sigmoid(x):
    """The logistic function; the output remembers its logits (for binary cross-entropy)."""
    out = gn.sigmoid(x)
    out._keras_logits = ("sigmoid", x)
    return out


def hard_sigmoid(x):
    """tf_keras 2's piecewise-linear sigmoid: ``clip(0.2 * x + 0.5, 0, 1)``."""
    return gn.clip_by_value(0.2 * x + 0.5, 0.0, 1.0)


def gelu(x, approximate=False):
    """tf_keras 2's ``gelu``: ``x * P(X <= x)``, X ~ N(0, 1) (``approximate``: the tanh form), see ``gn.nn.gelu``."""
    return gn.nn.gelu(x, approximate=approximate)


def mish(x):
    """tf_keras 2's ``mish``: ``x * tanh(softplus(x))``."""
    return x * gn.tanh(gn.nn.softplus(x))


def log_softmax(x, axis=-1):
    """``log(softmax(x))`` on ``axis``, computed stably."""
    return gn.nn.log_softmax(x, axis=axis)


# the first name of a function is the one configs hold ("silu" is tf_keras's other name of swish, saved as "swish")
_BY_NAME = {"linear": linear, "hard_sigmoid": hard_sigmoid, "selu": gn.nn.selu, "softsign": gn.nn.softsign,
            "swish": gn.nn.swish, "exponential": gn.exp, "relu": gn.nn.relu, "relu6": gn.nn.relu6, "elu": gn.nn.elu,
            "sigmoid": sigmoid, "tanh": gn.tanh, "softmax": softmax, "softplus": gn.nn.softplus, "gelu": gelu,
            "mish": mish, "silu": gn.nn.swish, "leaky_relu": gn.nn.leaky_relu, "log_softmax": log_softmax}


def get(identifier):
    """The activation function for a Keras name, a callable, or None (linear)."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(f"Unknown activation function: {identifier!r}; known: {sorted(_BY_NAME)}")
        return _BY_NAME[identifier]
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret activation function identifier: {identifier!r}")


def serialize(fn):
    """The Keras name of an activation function (for configs)."""
    for name, known in _BY_NAME.items():
        if fn is known:
            return name
    raise ValueError(f"Activation {fn!r} has no Keras name, so it cannot be saved in a config")
