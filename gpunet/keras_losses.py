"""Keras 2 losses: per-sample functions ``(y_true, y_pred) -> loss per sample`` and the classes of
``gn.losses`` (``CategoricalCrossentropy``, …). Cross-entropies of a softmax/sigmoid output use its
logits (tagged ``_keras_logits`` by the activation) for stability, as tf_keras does in graph mode."""
from __future__ import annotations

from .graph.core_ops import convert_to_tensor
from .ops import math_ops
from .ops.array_ops import reshape
from .ops.reduction_ops import reduce_mean, reduce_sum
from .ops.softmax_ops import (sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits,
                              sparse_softmax_cross_entropy_with_logits)

__all__ = ["BinaryCrossentropy", "CategoricalCrossentropy", "EPSILON", "Loss", "MAE", "MSE", "MeanAbsoluteError",
           "MeanSquaredError", "SparseCategoricalCrossentropy", "binary_crossentropy", "categorical_crossentropy",
           "get", "mae", "mean_absolute_error", "mean_squared_error", "mse", "sparse_categorical_crossentropy"]

EPSILON = 1e-7


def _logits_of(y_pred, from_logits, kind):
    if from_logits:
        return y_pred
    tagged = getattr(y_pred, "_keras_logits", None)
    if tagged is not None and tagged[0] == kind:
        return tagged[1]
    return None


def _clipped(y_pred):
    return math_ops.clip_by_value(y_pred, EPSILON, 1.0 - EPSILON)


def _like(y_true, y_pred):
    y_true = convert_to_tensor(y_true)
    return y_true if y_true.dtype == y_pred.dtype else math_ops.cast(y_true, y_pred.dtype)


def categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """``-sum(y_true * log(y_pred), axis)`` per sample (``y_pred`` probabilities unless from_logits)."""
    y_true = _like(y_true, y_pred)
    logits = _logits_of(y_pred, from_logits, "softmax")
    if logits is not None:
        return softmax_cross_entropy_with_logits(labels=y_true, logits=logits)
    probs = y_pred / reduce_sum(y_pred, axis=axis, keepdims=True)
    return -reduce_sum(y_true * math_ops.log(_clipped(probs)), axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Categorical cross-entropy of integer labels (shape ``[batch]`` or ``[batch, 1]``)."""
    labels = convert_to_tensor(y_true)
    labels = reshape(labels, [-1])
    if labels.dtype.is_floating:
        labels = math_ops.cast(labels, "int64")
    logits = _logits_of(y_pred, from_logits, "softmax")
    if logits is None:
        logits = math_ops.log(_clipped(y_pred))
    return sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)


def binary_crossentropy(y_true, y_pred, from_logits=False):
    """Mean over the last axis of the sigmoid cross-entropy."""
    y_true = _like(y_true, y_pred)
    logits = _logits_of(y_pred, from_logits, "sigmoid")
    if logits is None:
        p = _clipped(y_pred)
        logits = math_ops.log(p / (1.0 - p))
    return reduce_mean(sigmoid_cross_entropy_with_logits(labels=y_true, logits=logits), axis=-1)


def mean_squared_error(y_true, y_pred):
    """Mean over the last axis of ``(y_pred - y_true) ** 2``."""
    return reduce_mean(math_ops.square(y_pred - _like(y_true, y_pred)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Mean over the last axis of ``|y_pred - y_true|``."""
    return reduce_mean(math_ops.abs(y_pred - _like(y_true, y_pred)), axis=-1)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

_BY_NAME = {"categorical_crossentropy": categorical_crossentropy,
            "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
            "binary_crossentropy": binary_crossentropy, "mean_squared_error": mean_squared_error, "mse": mse,
            "mean_absolute_error": mean_absolute_error, "mae": mae}


class Loss:
    """A Keras loss object: ``loss(y_true, y_pred)`` is the mean of the per-sample losses."""

    def __init__(self, name=None, **options):
        self.name = name or _snake(type(self).__name__)
        self.options = options

    def call(self, y_true, y_pred):
        return _BY_NAME[_snake(type(self).__name__)](y_true, y_pred, **self.options)

    def __call__(self, y_true, y_pred):
        return reduce_mean(self.call(y_true, y_pred))

    def get_config(self):
        return {"name": self.name, **self.options}


def _snake(class_name):
    return {"CategoricalCrossentropy": "categorical_crossentropy",
            "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
            "BinaryCrossentropy": "binary_crossentropy", "MeanSquaredError": "mean_squared_error",
            "MeanAbsoluteError": "mean_absolute_error"}[class_name]


class CategoricalCrossentropy(Loss):
    """The batch mean of ``categorical_crossentropy``: -sum(y_true * log(y_pred)) over the last axis
    (``from_logits``: y_pred are logits).
    """

    def __init__(self, from_logits=False, name=None):
        super().__init__(name, from_logits=from_logits)


class SparseCategoricalCrossentropy(Loss):
    """The batch mean of ``sparse_categorical_crossentropy``: -log(y_pred[label]) for integer labels
    (``from_logits``: y_pred are logits).
    """

    def __init__(self, from_logits=False, name=None):
        super().__init__(name, from_logits=from_logits)


class BinaryCrossentropy(Loss):
    """The batch mean of ``binary_crossentropy``: -(y log(p) + (1 - y) log(1 - p)), averaged over the last
    axis (``from_logits``: y_pred are logits).
    """

    def __init__(self, from_logits=False, name=None):
        super().__init__(name, from_logits=from_logits)


class MeanSquaredError(Loss):
    """The batch mean of ``mean_squared_error``: mean((y_pred - y_true) ** 2) over the last axis."""


class MeanAbsoluteError(Loss):
    """The batch mean of ``mean_absolute_error``: mean(|y_pred - y_true|) over the last axis."""


def get(identifier):
    """A per-sample loss function from a Keras name, a Loss object or a callable."""
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(f"Unknown loss function: {identifier!r}; known: {sorted(_BY_NAME)}")
        return _BY_NAME[identifier]
    if isinstance(identifier, Loss):
        return identifier.call
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret loss function identifier: {identifier!r}")
