"""``compile(weighted_metrics=[...])``: metrics weighted by the sample (or class) weights of fit/evaluate, as
tf_keras 2 computes them: ``sum(value * weight) / sum(weight)`` pooled over the batches of an epoch, named like the
plain metrics, with a ``weighted_`` prefix where a plain metric of the same output already has the name."""
from __future__ import annotations

import gpunet as gn
from gpunet import metrics as metrics_module

__all__ = ["metric_entries", "weighted_mean"]


def _as_list(metrics):
    return metrics if isinstance(metrics, list) else [metrics]


def metric_entries(metrics, weighted, loss_name, shape):
    """``[(label, is_weighted, fn)]`` of one output: its plain ``metrics`` then its ``weighted`` ones."""
    plain = [metrics_module.get(metric, loss_name, shape) for metric in _as_list(metrics)]
    labels = {label for label, _ in plain}
    entries = [(label, False, fn) for label, fn in plain]
    for metric in _as_list(weighted):
        label, fn = metrics_module.get(metric, loss_name, shape)
        entries.append((f"weighted_{label}" if label in labels else label, True, fn))
    return entries


def weighted_mean(values, weights):
    """``(mean, total weight)`` of per-sample ``values`` under sample ``weights`` of shape ``(n,)`` or (temporal
    weights) ``(n, steps)``; the total weight weighs the batch in the epoch's mean."""
    weights = gn.cast(weights, values.dtype)
    for _ in range(values.shape.ndims - weights.shape.ndims):
        weights = gn.expand_dims(weights, -1)
    weights = weights * gn.ones_like(values)
    total = gn.reduce_sum(weights)
    return gn.reduce_sum(values * weights) / total, total
