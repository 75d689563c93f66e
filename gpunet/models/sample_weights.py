"""Sample weights for fit / evaluate / train_on_batch: ``sample_weight`` (one array, or one per output) and
``class_weight`` (``{class: weight}``) as the per-sample weights of each output's loss, as tf_keras 2 takes them.
The loss of a batch becomes ``sum(loss * weight) / number of loss entries``; the metrics stay unweighted (tf_keras 2
weights only its ``weighted_metrics``)."""
from __future__ import annotations

import numpy as np

__all__ = ["class_weights", "standardize_weights"]


def _classes(y):
    """Each sample's class: the arg-max of a one-hot row, the rounded value of a single column, or the label."""
    if y.ndim > 1 and y.shape[-1] != 1:
        return np.argmax(y, axis=-1)
    return np.rint(y.reshape(len(y), -1)[:, 0]).astype("int64") if y.ndim > 1 else y.astype("int64")


def class_weights(y, class_weight):
    """The weight of each sample of targets ``y`` under ``class_weight`` (``{class index: weight}``)."""
    classes = _classes(np.asarray(y))
    missing = sorted(set(classes.tolist()) - set(class_weight))
    if missing:
        raise ValueError(f"`class_weight` must contain all classes in the data. The classes {missing} exist in "
                         f"the data but not in `class_weight`.")
    return np.array([class_weight[c] for c in classes.tolist()], dtype="float32")


def _per_output(value, names, what):
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"Unknown entries in {what} dictionary: {unknown}. Only expected the following keys: "
                             f"{names}")
        return [value.get(n) for n in names]
    if isinstance(value, (list, tuple)) and len(names) > 1:
        if len(value) != len(names):
            raise ValueError(f"{what} should have one entry per model output ({len(names)}), got {len(value)}")
        return list(value)
    return [value] * len(names)  # one array weights every output


def standardize_weights(sample_weight, class_weight, ys, names):
    """One float32 weights array per output (ones where nothing was given), or None when neither argument is."""
    if sample_weight is None and class_weight is None:
        return None
    if class_weight is not None and len(names) > 1:
        raise ValueError("`class_weight` is only supported for Models with a single output.")
    given = _per_output(sample_weight, names, "sample_weight")
    by_class = [class_weight] * len(names)
    weights = []
    for name, y, sw, cw in zip(names, ys, given, by_class):
        w = np.ones(len(y), "float32") if sw is None else np.asarray(sw, dtype="float32")
        if w.ndim == 0 or len(w) != len(y):
            raise ValueError(f"sample_weight of output {name} should have one entry per sample ({len(y)}), got "
                             f"shape {w.shape}")
        if cw is not None:
            w = w * class_weights(y, cw).reshape((-1,) + (1,) * (w.ndim - 1))
        weights.append(w)
    return weights
