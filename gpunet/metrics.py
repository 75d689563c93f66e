"""``gn.metrics``: Keras 2 metrics as per-sample functions ``(y_true, y_pred) -> values``; ``fit``
reports their mean over the epoch. ``'accuracy'`` picks the kind from the loss, as Keras 2 does."""
from __future__ import annotations

import gpunet as gn

__all__ = ["binary_accuracy", "categorical_accuracy", "get", "sparse_categorical_accuracy",
           "sparse_top_k_categorical_accuracy", "top_k_categorical_accuracy"]

# TF1's streaming metrics (tf.metrics.accuracy, mean, precision, ...): (value, update_op) pairs over local variables
from ._streaming_metrics import *  # noqa: E402,F401,F403
from ._streaming_metrics import __all__ as _streaming_names  # noqa: E402

__all__ += _streaming_names


def categorical_accuracy(y_true, y_pred):
    """1.0 where the arg-max of ``y_pred`` is the arg-max of one-hot ``y_true``."""
    return gn.cast(gn.equal(gn.argmax(y_true, axis=-1), gn.argmax(y_pred, axis=-1)), gn.float32)


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the arg-max of ``y_pred`` equals the integer label."""
    labels = gn.reshape(y_true, [-1])
    return gn.cast(gn.equal(gn.cast(labels, gn.int64), gn.argmax(y_pred, axis=-1)), gn.float32)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Mean over the last axis of ``y_true == (y_pred > threshold)``."""
    predicted = gn.cast(gn.greater(y_pred, threshold), y_pred.dtype)
    return gn.reduce_mean(gn.cast(gn.equal(gn.cast(y_true, y_pred.dtype), predicted), gn.float32), axis=-1)


def _rows(y_pred):
    """``y_pred`` as rows of class scores (tf_keras 2 folds the leading axes of a prediction of rank > 2)."""
    return y_pred if y_pred.shape.ndims == 2 else gn.reshape(y_pred, [-1, y_pred.shape.as_list()[-1]])


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the arg-max of one-hot ``y_true`` is among the ``k`` largest of ``y_pred`` (ties count in its
    favour)."""
    hit = gn.nn.in_top_k(_rows(y_pred), gn.reshape(gn.argmax(y_true, axis=-1), [-1]), k)
    return gn.reshape(gn.cast(hit, gn.float32), gn.shape(y_pred)[:-1])


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the integer label is among the ``k`` largest of ``y_pred``."""
    labels = gn.reshape(y_true, [-1])
    labels = gn.cast(labels, gn.int64) if not labels.dtype.is_integer else labels
    return gn.reshape(gn.cast(gn.nn.in_top_k(_rows(y_pred), labels, k), gn.float32), gn.shape(y_pred)[:-1])


_BY_NAME = {"categorical_accuracy": categorical_accuracy, "sparse_categorical_accuracy": sparse_categorical_accuracy,
            "top_k_categorical_accuracy": top_k_categorical_accuracy,
            "sparse_top_k_categorical_accuracy": sparse_top_k_categorical_accuracy,
            "binary_accuracy": binary_accuracy, "mse": gn.losses.mse, "mae": gn.losses.mae,
            "mean_squared_error": gn.losses.mse, "mean_absolute_error": gn.losses.mae}


def get(identifier, loss_name, output_shape):
    """``(reported name, function)`` of a metric; ``'accuracy'``/``'acc'`` follow the loss and shape."""
    if callable(identifier):
        return identifier.__name__, identifier
    if identifier in ("accuracy", "acc"):
        if loss_name == "binary_crossentropy" or (output_shape and output_shape[-1] == 1):
            return identifier, binary_accuracy
        if loss_name == "sparse_categorical_crossentropy":
            return identifier, sparse_categorical_accuracy
        return identifier, categorical_accuracy
    if identifier not in _BY_NAME:
        raise ValueError(f"Unknown metric function: {identifier!r}; known: {sorted(_BY_NAME) + ['accuracy']}")
    return identifier, _BY_NAME[identifier]
