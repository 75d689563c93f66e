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
    """The activation function for None (linear), a Keras name (``'relu'``), an advanced-activation layer's class
    name (``'ReLU'``: a new layer with its defaults, as tf_keras), a tf_keras config dict
    (``{'class_name': 'function', 'config': 'relu'}``, or a layer's ``{'class_name': 'LeakyReLU', 'config': {...}}``)
    or a callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        return _by_name(identifier)
    if isinstance(identifier, dict):
        return _from_config(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret activation function identifier: {identifier!r}")


def _activation_layers():
    from . import advanced_activations  # imported here: those layers import this module's neighbours
    return {name: getattr(advanced_activations, name) for name in advanced_activations.__all__}


def _by_name(name):
    if name in _BY_NAME:
        return _BY_NAME[name]
    if name in _activation_layers():
        return _activation_layers()[name]()
    raise ValueError(f"Unknown activation function: {name!r}; known: {sorted(_BY_NAME)} and the layers "
                     f"{sorted(_activation_layers())}")


def _from_config(config):
    name, inner = config.get("class_name"), config.get("config")
    if name == "function" and isinstance(inner, str):  # tf_keras 2.13+: {'class_name': 'function', 'config': 'relu'}
        return _by_name(inner)
    if name in _activation_layers():
        return _activation_layers()[name].from_config(dict(inner or {}))
    raise ValueError(f"Unknown activation function: {name!r} (in {config!r}); known: {sorted(_BY_NAME)} and the "
                     f"layers {sorted(_activation_layers())}")


def serialize(fn):
    """The Keras name of an activation function, or an advanced-activation layer's config dict (for configs)."""
    for name, known in _BY_NAME.items():
        if fn is known:
            return name
    if type(fn).__name__ in _activation_layers() and isinstance(fn, _activation_layers()[type(fn).__name__]):
        return {"class_name": type(fn).__name__, "config": fn.get_config()}
    raise ValueError(f"Activation {fn!r} has no Keras name, so it cannot be saved in a config")
