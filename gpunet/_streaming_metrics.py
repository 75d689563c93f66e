"""TF1's streaming metrics (tf.metrics): each returns ``(value, update_op)``. The running state lives in local
variables (collections LOCAL_VARIABLES and METRIC_VARIABLES) that ``gn.local_variables_initializer()`` resets;
running ``update_op`` folds one batch in and returns the updated value, ``value`` reads it without changing it."""
from __future__ import annotations

from .graph.core_ops import constant, convert_to_tensor
from .graph.dtypes import bool_ as bool_dtype
from .graph.dtypes import float32, float64
from .graph.scopes import add_to_collections
from .graph.variables import GraphKeys, Variable, assign_add
from .ops import logic_ops, math_ops
from .ops.array_ops import reshape, size
from .ops.creation_ops import ones_like, zeros
from .ops.diag_ops import diag_part
from .ops.confusion_ops import confusion_matrix
from .ops.range_check_ops import check_in_range
from .ops.reduction_ops import reduce_sum
from .ops.variable_scope import variable_scope

__all__ = ["accuracy", "auc", "false_negatives", "false_positives", "mean", "mean_absolute_error", "mean_iou",
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


def _count_metric(which, doc):
    """The public TF1 counter ``which`` (same signature as TF1's ``tf.metrics.<which>``)."""
    def metric(labels, predictions, weights=None, metrics_collections=None, updates_collections=None, name=None):
        return _confusion_count(which, labels, predictions, weights, metrics_collections, updates_collections, name)
    metric.__name__ = metric.__qualname__ = which
    metric.__doc__ = doc
    return metric


true_positives = _count_metric(
    "true_positives", "The running (weighted) count of entries where labels and predictions (as bool) are both true.")
false_positives = _count_metric(
    "false_positives", "The running (weighted) count of entries predicted true whose label is false.")
false_negatives = _count_metric(
    "false_negatives", "The running (weighted) count of entries predicted false whose label is true.")
true_negatives = _count_metric(
    "true_negatives", "The running (weighted) count of entries where labels and predictions (as bool) are both false.")


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
        batch_cm = confusion_matrix(labels, predictions, num_classes, weights=weights, dtype=float64)
        update_op = assign_add(total_cm, batch_cm)
        return _publish(_mean_iou_of(total_cm.value()), update_op, metrics_collections, updates_collections)


def _mean_iou_of(confusion):
    confusion = math_ops.cast(confusion, float32)
    diagonal = diag_part(confusion)
    union = math_ops.subtract(math_ops.add(reduce_sum(confusion, 0), reduce_sum(confusion, 1)), diagonal)
    present = math_ops.cast(logic_ops.greater(union, 0), float32)
    iou = _safe_div(diagonal, union)
    return _safe_div(reduce_sum(iou), reduce_sum(present))


# -- auc: the area under the ROC or PR curve from confusion counts at fixed thresholds --------------------------
_AUC_EPSILON = 1e-7  # the end thresholds sit just outside [0, 1] so predictions of exactly 0 and 1 count
_SUMMATIONS = ("trapezoidal", "careful_interpolation", "minoring", "majoring")


def auc(labels, predictions, weights=None, num_thresholds=200, metrics_collections=None, updates_collections=None,
        curve="ROC", name=None, summation_method="trapezoidal", thresholds=None):
    """The running area under the ROC (or ``curve="PR"``) curve of ``predictions`` in [0, 1] against bool
    ``labels``, from true/false positive/negative counts at ``num_thresholds`` evenly spaced thresholds (or the
    given ``thresholds``), as TF1. Predictions outside [0, 1] are an InvalidArgumentError at run time."""
    if curve not in ("ROC", "PR"):
        raise ValueError(f"curve must be either ROC or PR, {curve} unknown")
    if summation_method not in _SUMMATIONS:
        raise ValueError(f"Invalid summation_method: {summation_method}")
    with variable_scope(name, "auc"):
        cuts = _auc_thresholds(num_thresholds, thresholds)
        counts, updates = _counts_at_thresholds(labels, predictions, cuts, weights)
        value = _area(*counts, curve, summation_method, len(cuts), "value")
        update_op = _area(*updates, curve, summation_method, len(cuts), "update_op")
        return _publish(value, update_op, metrics_collections, updates_collections)


def _auc_thresholds(num_thresholds, thresholds):
    if thresholds is not None:
        inner = [float(t) for t in thresholds]
    else:
        if num_thresholds < 2:
            raise ValueError(f"auc: num_thresholds must be at least 2, got {num_thresholds}")
        inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [0.0 - _AUC_EPSILON] + inner + [1.0 + _AUC_EPSILON]


def _counts_at_thresholds(labels, predictions, cuts, weights):
    """((tp, fn, tn, fp) values, their update ops): float32 vectors, one entry per threshold."""
    labels, predictions = _check_pair(labels, predictions, "auc")
    predictions = check_in_range(math_ops.cast(predictions, float32), 0.0, 1.0, "predictions must be in [0, 1]")
    said = logic_ops.greater(reshape(predictions, [1, -1]), reshape(constant(cuts, float32), [-1, 1]))
    truth = reshape(math_ops.cast(labels, bool_dtype), [1, -1])
    weight = None if weights is None else reshape(math_ops.multiply(
        ones_like(predictions), math_ops.cast(convert_to_tensor(weights), float32)), [1, -1])
    conditions = {"true_positives": logic_ops.logical_and(truth, said),
                  "false_negatives": logic_ops.logical_and(truth, logic_ops.logical_not(said)),
                  "true_negatives": logic_ops.logical_not(logic_ops.logical_or(truth, said)),
                  "false_positives": logic_ops.logical_and(logic_ops.logical_not(truth), said)}
    values, updates = [], []
    for which, condition in conditions.items():
        counted = math_ops.cast(condition, float32)
        if weight is not None:
            counted = math_ops.multiply(counted, weight)
        state = _metric_variable([len(cuts)], float32, which)
        values.append(state.value())
        updates.append(assign_add(state, reduce_sum(counted, axis=1)))
    return values, updates


def _area(tp, fn, tn, fp, curve, summation_method, count, name):
    if curve == "PR" and summation_method == "careful_interpolation":
        return _interpolated_pr_area(tp, fn, fp, count, name)
    epsilon = 1.0e-6
    recall_ = math_ops.divide(math_ops.add(tp, epsilon), math_ops.add(math_ops.add(tp, fn), epsilon))
    if curve == "ROC":
        x = math_ops.divide(fp, math_ops.add(math_ops.add(fp, tn), epsilon))
        y = recall_
    else:
        x = recall_
        y = math_ops.divide(math_ops.add(tp, epsilon), math_ops.add(math_ops.add(tp, fp), epsilon))
    width = math_ops.subtract(x[:count - 1], x[1:])
    if summation_method == "minoring":
        height = math_ops.minimum(y[:count - 1], y[1:])
    elif summation_method == "majoring":
        height = math_ops.maximum(y[:count - 1], y[1:])
    else:
        height = math_ops.divide(math_ops.add(y[:count - 1], y[1:]), 2.0)
    return reduce_sum(math_ops.multiply(width, height), name=name)


def _interpolated_pr_area(tp, fn, fp, count, name):
    """TF1's careful interpolation of the PR curve (Davis & Goadrich): true and predicted positives vary
    linearly between thresholds, and precision's integral over each interval is taken in closed form."""
    positives = math_ops.add(tp, fp)
    dtp = math_ops.subtract(tp[:count - 1], tp[1:])
    slope = _safe_div(dtp, math_ops.maximum(math_ops.subtract(positives[:count - 1], positives[1:]), 0.0))
    intercept = math_ops.subtract(tp[1:], math_ops.multiply(slope, positives[1:]))
    both = logic_ops.logical_and(logic_ops.greater(positives[:count - 1], 0.0), logic_ops.greater(positives[1:], 0.0))
    ratio = logic_ops.where(both, _safe_div(positives[:count - 1], math_ops.maximum(positives[1:], 0.0)),
                            ones_like(positives[1:]))
    gained = math_ops.multiply(slope, math_ops.add(dtp, math_ops.multiply(intercept, math_ops.log(ratio))))
    return reduce_sum(_safe_div(gained, math_ops.maximum(math_ops.add(tp[1:], fn[1:]), 0.0)), name=name)
