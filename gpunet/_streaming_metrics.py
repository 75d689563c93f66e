"""TF1's streaming metrics (tf.metrics): each returns ``(value, update_op)``. The running state lives in local
variables (collections LOCAL_VARIABLES and METRIC_VARIABLES) that ``gn.local_variables_initializer()`` resets;
running ``update_op`` folds one batch in and returns the updated value, ``value`` reads it without changing it."""
from __future__ import annotations

from .graph.core_ops import convert_to_tensor
from .graph.dtypes import bool_ as bool_dtype
from .graph.dtypes import float32, float64
from .graph.scopes import add_to_collections
from .graph.variables import GraphKeys, Variable, assign_add
from .ops import logic_ops, math_ops
from .ops.array_ops import reshape, size
from .ops.creation_ops import ones_like, zeros
from .ops.diag_ops import diag_part
from .ops.indexing_ops import one_hot
from .ops.reduction_ops import reduce_sum
from .ops.variable_scope import variable_scope

__all__ = ["accuracy", "false_negatives", "false_positives", "mean", "mean_absolute_error", "mean_iou",
           "mean_squared_error", "precision", "recall", "root_mean_squared_error", "true_negatives",
           "true_positives"]

METRIC_VARIABLES = "metric_variables"


def _metric_variable(shape, dtype, name):
    """A zero-initialized, non-trainable local variable holding running state."""
    return Variable(zeros(shape, dtype), trainable=False, name=name,
                    collections=[GraphKeys.LOCAL_VARIABLES, METRIC_VARIABLES])


def _safe_div(numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0 (an empty stream reads 0, as TF1)."""
    positive = logic_ops.greater(denominator, 0)
    safe = logic_ops.where(positive, denominator, ones_like(denominator))
    return logic_ops.where(positive, math_ops.divide(numerator, safe), math_ops.multiply(denominator, 0))


def _publish(value, update_op, metrics_collections, updates_collections):
    if metrics_collections:
        add_to_collections(metrics_collections, value)
    if updates_collections:
        add_to_collections(updates_collections, update_op)
    return value, update_op


def _weighted(values, weights):
    """values * weights and the total weight, weights broadcast to the shape of values."""
    if weights is None:
        return values, math_ops.cast(size(values), float32)
    weights = math_ops.multiply(ones_like(values), math_ops.cast(convert_to_tensor(weights), float32))
    return math_ops.multiply(values, weights), reduce_sum(weights)


def mean(values, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """The running (weighted) mean of ``values`` as float32; 0 before any update."""
    with variable_scope(name, "mean"):
        values = math_ops.cast(convert_to_tensor(values), float32)
        total, count = _metric_variable([], float32, "total"), _metric_variable([], float32, "count")
        weighted, num_values = _weighted(values, weights)
        update_total = assign_add(total, reduce_sum(weighted))
        update_count = assign_add(count, num_values)
        value = _safe_div(total.value(), count.value())
        return _publish(value, _safe_div(update_total, update_count), metrics_collections, updates_collections)


def _check_pair(labels, predictions, what):
    labels, predictions = convert_to_tensor(labels), convert_to_tensor(predictions)
    if not labels.shape.is_compatible_with(predictions.shape):
        raise ValueError(f"{what}: shapes {predictions.shape} (predictions) and {labels.shape} (labels) "
                         f"are incompatible")
    return labels, predictions


def accuracy(labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """The running fraction of ``predictions`` equal to ``labels`` (weighted by ``weights``)."""
    labels, predictions = _check_pair(labels, predictions, "accuracy")
    if labels.dtype != predictions.dtype:
        labels = math_ops.cast(labels, predictions.dtype)
    is_correct = math_ops.cast(logic_ops.equal(predictions, labels), float32)
    return mean(is_correct, weights, metrics_collections, updates_collections, name or "accuracy")


def mean_squared_error(labels, predictions, weights=None, metrics_collections=None, updates_collections=None,
                       name=None):
    """The running mean of (labels - predictions) ** 2."""
    labels, predictions = _check_pair(labels, predictions, "mean_squared_error")
    squared = math_ops.squared_difference(math_ops.cast(labels, float32), math_ops.cast(predictions, float32))
    return mean(squared, weights, metrics_collections, updates_collections, name or "mean_squared_error")


def mean_absolute_error(labels, predictions, weights=None, metrics_collections=None, updates_collections=None,
                        name=None):
    """The running mean of |labels - predictions|."""
    labels, predictions = _check_pair(labels, predictions, "mean_absolute_error")
    error = math_ops.abs(math_ops.subtract(math_ops.cast(labels, float32), math_ops.cast(predictions, float32)))
    return mean(error, weights, metrics_collections, updates_collections, name or "mean_absolute_error")


def root_mean_squared_error(labels, predictions, weights=None, metrics_collections=None, updates_collections=None,
                            name=None):
    """The square root of the running mean squared error."""
    mse, update_mse = mean_squared_error(labels, predictions, weights, name=name or "root_mean_squared_error")
    return _publish(math_ops.sqrt(mse), math_ops.sqrt(update_mse), metrics_collections, updates_collections)


def _count(condition, weights):
    """A running float32 count of the true entries of ``condition`` (weighted); (value, update_op)."""
    counted, _ = _weighted(math_ops.cast(condition, float32), weights)
    count = _metric_variable([], float32, "count")
    return count.value(), assign_add(count, reduce_sum(counted))


def _as_bool(labels, predictions, what):
    labels, predictions = _check_pair(labels, predictions, what)
    return math_ops.cast(labels, bool_dtype), math_ops.cast(predictions, bool_dtype)


def _confusion_count(which, labels, predictions, weights, metrics_collections, updates_collections, name):
    with variable_scope(name, which):
        is_true, said_true = _as_bool(labels, predictions, which)
        condition = {"true_positives": logic_ops.logical_and(is_true, said_true),
                     "false_positives": logic_ops.logical_and(logic_ops.logical_not(is_true), said_true),
                     "false_negatives": logic_ops.logical_and(is_true, logic_ops.logical_not(said_true)),
                     "true_negatives": logic_ops.logical_not(logic_ops.logical_or(is_true, said_true))}[which]
        value, update_op = _count(condition, weights)
        return _publish(value, update_op, metrics_collections, updates_collections)


def true_positives(labels, predictions, weights=None, metrics_collections=None, updates_collections=None,
                   name=None):
    """The running (weighted) count of entries where labels and predictions (as bool) are both true."""
    return _confusion_count("true_positives", labels, predictions, weights, metrics_collections,
                            updates_collections, name)


def false_positives(labels, predictions, weights=None, metrics_collections=None, updates_collections=None,
                    name=None):
    """The running (weighted) count of entries predicted true whose label is false."""
    return _confusion_count("false_positives", labels, predictions, weights, metrics_collections,
                            updates_collections, name)


def false_negatives(labels, predictions, weights=None, metrics_collections=None, updates_collections=None,
                    name=None):
    """The running (weighted) count of entries predicted false whose label is true."""
    return _confusion_count("false_negatives", labels, predictions, weights, metrics_collections,
                            updates_collections, name)


def true_negatives(labels, predictions, weights=None, metrics_collections=None, updates_collections=None,
                   name=None):
    """The running (weighted) count of entries where labels and predictions (as bool) are both false."""
    return _confusion_count("true_negatives", labels, predictions, weights, metrics_collections,
                            updates_collections, name)


def _ratio(which, other, labels, predictions, weights, metrics_collections, updates_collections, name):
    """tp / (tp + other) over the stream: precision (other: false positives) or recall (false negatives)."""
    with variable_scope(name, which):
        tp, update_tp = true_positives(labels, predictions, weights)
        rest, update_rest = other(labels, predictions, weights)
        value = _safe_div(tp, math_ops.add(tp, rest))
        update_op = _safe_div(update_tp, math_ops.add(update_tp, update_rest))
        return _publish(value, update_op, metrics_collections, updates_collections)


def precision(labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """The running true_positives / (true_positives + false_positives) of bool labels and predictions."""
    return _ratio("precision", false_positives, labels, predictions, weights, metrics_collections,
                  updates_collections, name)


def recall(labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None):
    """The running true_positives / (true_positives + false_negatives) of bool labels and predictions."""
    return _ratio("recall", false_negatives, labels, predictions, weights, metrics_collections,
                  updates_collections, name)


def mean_iou(labels, predictions, num_classes, weights=None, metrics_collections=None, updates_collections=None,
             name=None):
    """The mean over classes of intersection / union, from a running float64 confusion matrix (rows: labels);
    classes absent from both labels and predictions are left out of the mean. The update op returns the
    updated confusion matrix, as TF1's does."""
    with variable_scope(name, "mean_iou"):
        labels, predictions = _check_pair(labels, predictions, "mean_iou")
        total_cm = _metric_variable([num_classes, num_classes], float64, "total_confusion_matrix")
        rows = _one_hot(labels, num_classes)
        cols = _one_hot(predictions, num_classes)
        if weights is not None:
            weight = math_ops.cast(reshape(math_ops.multiply(ones_like(labels, float32),
                                                             math_ops.cast(convert_to_tensor(weights), float32)),
                                           [-1, 1]), float64)
            cols = math_ops.multiply(cols, weight)
        update_op = assign_add(total_cm, math_ops.matmul(rows, cols, transpose_a=True))
        return _publish(_mean_iou_of(total_cm.value()), update_op, metrics_collections, updates_collections)


def _one_hot(classes, num_classes):
    """float64 [n, num_classes] rows of the flattened class ids."""
    return one_hot(reshape(math_ops.cast(classes, "int32"), [-1]), num_classes, dtype=float64)


def _mean_iou_of(confusion):
    confusion = math_ops.cast(confusion, float32)
    diagonal = diag_part(confusion)
    union = math_ops.subtract(math_ops.add(reduce_sum(confusion, 0), reduce_sum(confusion, 1)), diagonal)
    present = math_ops.cast(logic_ops.greater(union, 0), float32)
    iou = _safe_div(diagonal, union)
    return _safe_div(reduce_sum(iou), reduce_sum(present))
