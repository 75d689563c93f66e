"""``gn.losses``: TF1's tf.losses — weighted, reduced losses added to the LOSSES collection."""
from __future__ import annotations

from .graph.core_ops import convert_to_tensor
from .graph.scopes import add_to_collection, get_collection, name_scope
from .graph.variables import GraphKeys
from .ops import math_ops
from .ops.array_ops import reshape
from .ops.nn_ops import relu
from .ops.loss_ops import loss_divisor
from .ops.reduction_ops import reduce_sum
from .ops.softmax_ops import (sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits,
                              sparse_softmax_cross_entropy_with_logits)

__all__ = ["Reduction", "absolute_difference", "add_loss", "compute_weighted_loss", "cosine_distance", "get_losses",
           "get_regularization_loss", "get_regularization_losses", "get_total_loss", "hinge_loss", "huber_loss",
           "log_loss", "mean_squared_error", "sigmoid_cross_entropy", "softmax_cross_entropy",
           "sparse_softmax_cross_entropy"]


class Reduction:
    """How compute_weighted_loss reduces the weighted per-element losses (TF1's names and values)."""
    NONE = "none"
    SUM = "weighted_sum"
    SUM_OVER_BATCH_SIZE = "weighted_sum_over_batch_size"
    MEAN = "weighted_mean"
    SUM_BY_NONZERO_WEIGHTS = "weighted_sum_by_nonzero_weights"
    SUM_OVER_NONZERO_WEIGHTS = SUM_BY_NONZERO_WEIGHTS

    @classmethod
    def all(cls):
        return (cls.NONE, cls.SUM, cls.MEAN, cls.SUM_OVER_BATCH_SIZE, cls.SUM_OVER_NONZERO_WEIGHTS)

    @classmethod
    def validate(cls, key):
        if key not in cls.all():
            raise ValueError(f"Invalid Reduction Key {key}.")


# The divisor of the reductions that average: a count (or the weights' sum) known only at run time.
_DIVISORS = {Reduction.MEAN: "weights_sum", Reduction.SUM_OVER_BATCH_SIZE: "size",
             Reduction.SUM_BY_NONZERO_WEIGHTS: "nonzero_weights"}


def compute_weighted_loss(losses, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                          reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """losses * weights, reduced as ``reduction`` says; added to ``loss_collection`` (None: not added)."""
    Reduction.validate(reduction)
    with name_scope(scope, "weighted_loss"):
        losses = convert_to_tensor(losses)
        if not losses.dtype.is_floating:
            raise TypeError(f"losses must be floating-point, got {losses.dtype.name}")
        weights = math_ops.cast(convert_to_tensor(weights, preferred_dtype=losses.dtype), losses.dtype)
        weighted = math_ops.multiply(losses, weights)
        if reduction == Reduction.NONE:
            loss = weighted
        else:
            loss = reduce_sum(weighted, name="value" if reduction == Reduction.SUM else None)
            if reduction != Reduction.SUM:
                loss = math_ops.divide(loss, loss_divisor(losses, weights, _DIVISORS[reduction]), name="value")
        add_loss(loss, loss_collection)
        return loss


def _float_labels(labels, like):
    labels = convert_to_tensor(labels)
    return labels if labels.dtype == like.dtype else math_ops.cast(labels, like.dtype)


def _check_shapes(a, b, what):
    if not a.shape.is_compatible_with(b.shape):
        raise ValueError(f"Shapes {a.shape} and {b.shape} are incompatible ({what})")


def softmax_cross_entropy(onehot_labels, logits, weights=1.0, label_smoothing=0, scope=None,
                          loss_collection=GraphKeys.LOSSES, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Softmax cross-entropy of one-hot (or probability) labels; no gradient flows into the labels.

    ``label_smoothing`` s: labels become labels * (1 - s) + s / num_classes."""
    if onehot_labels is None or logits is None:
        raise ValueError("softmax_cross_entropy needs onehot_labels and logits")
    with name_scope(scope, "softmax_cross_entropy_loss") as scope:
        logits = convert_to_tensor(logits)
        labels = _float_labels(onehot_labels, logits)
        _check_shapes(logits, labels, "logits and onehot_labels")
        if label_smoothing:
            classes = labels.shape[-1] if labels.shape.ndims else None
            if classes is None:
                raise ValueError(f"label_smoothing needs a known number of classes, got labels {labels.shape}")
            labels = math_ops.add(math_ops.multiply(labels, 1.0 - label_smoothing), label_smoothing / classes)
        losses = softmax_cross_entropy_with_logits(labels=labels, logits=logits, name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def sparse_softmax_cross_entropy(labels, logits, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                                 reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Softmax cross-entropy of integer class labels (shape [batch] or [batch, 1])."""
    if labels is None or logits is None:
        raise ValueError("sparse_softmax_cross_entropy needs labels and logits")
    with name_scope(scope, "sparse_softmax_cross_entropy_loss") as scope:
        logits, labels = convert_to_tensor(logits), convert_to_tensor(labels)
        if labels.shape.ndims is not None and labels.shape.ndims == logits.shape.ndims and labels.shape[-1] == 1:
            labels = reshape(labels, [-1 if d is None else d for d in labels.shape.as_list()[:-1]])
        losses = sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits, name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def sigmoid_cross_entropy(multi_class_labels, logits, weights=1.0, label_smoothing=0, scope=None,
                          loss_collection=GraphKeys.LOSSES, reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """Elementwise sigmoid cross-entropy; ``label_smoothing`` s: labels * (1 - s) + s / 2."""
    if multi_class_labels is None or logits is None:
        raise ValueError("sigmoid_cross_entropy needs multi_class_labels and logits")
    with name_scope(scope, "sigmoid_cross_entropy_loss") as scope:
        logits = convert_to_tensor(logits)
        labels = _float_labels(multi_class_labels, logits)
        _check_shapes(logits, labels, "logits and multi_class_labels")
        if label_smoothing:
            labels = math_ops.add(math_ops.multiply(labels, 1.0 - label_smoothing), 0.5 * label_smoothing)
        losses = sigmoid_cross_entropy_with_logits(labels=labels, logits=logits, name="xentropy")
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def _regression_pair(labels, predictions, what):
    """predictions (cast to float32 unless floating) and labels cast to match, of compatible shapes."""
    if labels is None or predictions is None:
        raise ValueError(f"{what} needs labels and predictions")
    predictions = convert_to_tensor(predictions)
    if not predictions.dtype.is_floating:
        predictions = math_ops.cast(predictions, "float32")
    labels = _float_labels(labels, predictions)
    _check_shapes(predictions, labels, "predictions and labels")
    return labels, predictions


def mean_squared_error(labels, predictions, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                       reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """(predictions - labels) ** 2, weighted and reduced (by default the mean over nonzero weights)."""
    with name_scope(scope, "mean_squared_error") as scope:
        labels, predictions = _regression_pair(labels, predictions, "mean_squared_error")
        losses = math_ops.squared_difference(predictions, labels)
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def absolute_difference(labels, predictions, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                        reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """|predictions - labels|, weighted and reduced."""
    with name_scope(scope, "absolute_difference") as scope:
        labels, predictions = _regression_pair(labels, predictions, "absolute_difference")
        losses = math_ops.abs(math_ops.subtract(predictions, labels))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def huber_loss(labels, predictions, weights=1.0, delta=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """0.5 * e ** 2 where |e| <= delta, else delta * (|e| - 0.5 * delta), for e = predictions - labels."""
    with name_scope(scope, "huber_loss") as scope:
        labels, predictions = _regression_pair(labels, predictions, "huber_loss")
        error = math_ops.abs(math_ops.subtract(predictions, labels))
        quadratic = math_ops.minimum(error, delta)
        linear = math_ops.subtract(error, quadratic)  # written so the gradient is exact at |e| == delta, as TF1
        losses = math_ops.add(math_ops.multiply(0.5, math_ops.square(quadratic)), math_ops.multiply(delta, linear))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def log_loss(labels, predictions, weights=1.0, epsilon=1e-7, scope=None, loss_collection=GraphKeys.LOSSES,
             reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """-labels * log(predictions + epsilon) - (1 - labels) * log(1 - predictions + epsilon)."""
    with name_scope(scope, "log_loss") as scope:
        labels, predictions = _regression_pair(labels, predictions, "log_loss")
        positive = math_ops.multiply(labels, math_ops.log(math_ops.add(predictions, epsilon)))
        negative = math_ops.multiply(math_ops.subtract(1.0, labels),
                                     math_ops.log(math_ops.add(math_ops.subtract(1.0, predictions), epsilon)))
        losses = math_ops.negative(math_ops.add(positive, negative))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def hinge_loss(labels, logits, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
               reduction=Reduction.SUM_BY_NONZERO_WEIGHTS):
    """max(0, 1 - (2 * labels - 1) * logits) for labels in {0, 1}."""
    with name_scope(scope, "hinge_loss") as scope:
        labels, logits = _regression_pair(labels, logits, "hinge_loss")
        signs = math_ops.subtract(math_ops.multiply(2.0, labels), 1.0)
        losses = relu(math_ops.subtract(1.0, math_ops.multiply(signs, logits)))
        return compute_weighted_loss(losses, weights, scope, loss_collection, reduction)


def cosine_distance(labels, predictions, axis=None, weights=1.0, scope=None, loss_collection=GraphKeys.LOSSES,
                    reduction=Reduction.SUM_BY_NONZERO_WEIGHTS, dim=None):
    """1 - sum(labels * predictions, axis) (kept as a size-1 axis), for unit-normalized inputs."""
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("You must specify 'axis'.")
    with name_scope(scope, "cosine_distance_loss") as scope:
        labels, predictions = _regression_pair(labels, predictions, "cosine_distance")
        similarity = reduce_sum(math_ops.multiply(labels, predictions), axis=axis, keepdims=True)
        return compute_weighted_loss(math_ops.subtract(1.0, similarity), weights, scope, loss_collection, reduction)


# -- the LOSSES collection --------------------------------------------------------------------------
def add_loss(loss, loss_collection=GraphKeys.LOSSES):
    """Add ``loss`` to ``loss_collection`` (LOSSES by default; nothing when it is None or empty)."""
    if loss_collection:
        add_to_collection(loss_collection, loss)


def get_losses(scope=None, loss_collection=GraphKeys.LOSSES):
    """The losses in ``loss_collection`` (LOSSES), those whose name matches the regex ``scope`` if given."""
    return get_collection(loss_collection, scope)


def get_regularization_losses(scope=None):
    """The REGULARIZATION_LOSSES collection (names matching the regex ``scope``, if given)."""
    return get_collection(GraphKeys.REGULARIZATION_LOSSES, scope)


def get_regularization_loss(scope=None, name="total_regularization_loss"):
    """The sum of the regularization losses (a float32 0.0 constant when there are none)."""
    losses = get_regularization_losses(scope)
    if not losses:
        return convert_to_tensor(0.0, name=name)
    return math_ops.add_n(losses, name=name)


def get_total_loss(add_regularization_losses=True, name="total_loss", scope=None):
    """The sum of the LOSSES collection (plus the regularization losses)."""
    losses = get_losses(scope) + (get_regularization_losses(scope) if add_regularization_losses else [])
    if not losses:
        raise ValueError("get_total_loss: there are no losses in the LOSSES (or regularization) collections")
    return math_ops.add_n(losses, name=name)


# -- Keras 2 losses (per-sample functions and loss classes) -----------------------------------------
from .keras_losses import (MAE, MSE, BinaryCrossentropy, CategoricalCrossentropy, Loss,  # noqa: E402
                           MeanAbsoluteError, MeanSquaredError, SparseCategoricalCrossentropy, binary_crossentropy,
                           categorical_crossentropy, mae, mean_absolute_error, mse,
                           sparse_categorical_crossentropy)

__all__ += ["MAE", "MSE", "BinaryCrossentropy", "CategoricalCrossentropy", "Loss", "MeanAbsoluteError",
            "MeanSquaredError", "SparseCategoricalCrossentropy", "binary_crossentropy", "categorical_crossentropy",
            "mae", "mean_absolute_error", "mse", "sparse_categorical_crossentropy"]
