"""``confusion_matrix``: counts (or summed weights) of (label, prediction) pairs, as TF1's tf.confusion_matrix."""
from __future__ import annotations

from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import as_dtype, float64, int32, int64
from ..graph.scopes import name_scope
from . import math_ops
from .array_ops import reshape
from .creation_ops import ones_like
from .indexing_ops import one_hot
from .linalg_ops import matmul
from .range_check_ops import check_in_range
from .reduction_ops import reduce_max

__all__ = ["confusion_matrix"]

_INT64_MAX = 2 ** 63 - 1


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=int32, name=None):
    """``[num_classes, num_classes]`` matrix whose ``[i, j]`` entry counts (or sums the ``weights`` of) the
    positions with label ``i`` and prediction ``j``. ``num_classes`` defaults to one more than the largest label
    or prediction. A negative class, or one of ``num_classes`` or more, is an InvalidArgumentError at run time."""
    with name_scope(name, "confusion_matrix"):
        labels, predictions = convert_to_tensor(labels, name="labels"), convert_to_tensor(predictions,
                                                                                          name="predictions")
        if not (labels.dtype.is_integer and predictions.dtype.is_integer):
            raise TypeError(f"confusion_matrix: labels and predictions must be integers, got "
                            f"{labels.dtype.name} and {predictions.dtype.name}")
        if not labels.shape.is_compatible_with(predictions.shape):
            raise ValueError(f"confusion_matrix: labels {labels.shape} and predictions {predictions.shape} must "
                             f"have the same shape")
        labels, predictions = math_ops.cast(labels, int64), math_ops.cast(predictions, int64)
        top = _INT64_MAX if num_classes is None else int(num_classes) - 1
        labels = check_in_range(reshape(labels, [-1]), 0, top, "`labels` out of bound")
        predictions = check_in_range(reshape(predictions, [-1]), 0, top, "`predictions` out of bound")
        if num_classes is None:
            num_classes = math_ops.add(math_ops.maximum(reduce_max(labels), reduce_max(predictions)),
                                       math_ops.cast(1, int64))
        rows = one_hot(labels, num_classes, dtype=float64)
        columns = one_hot(predictions, num_classes, dtype=float64)
        if weights is not None:
            weight = math_ops.cast(math_ops.multiply(ones_like(predictions, float64),
                                                     math_ops.cast(reshape(weights, [-1]), float64)), float64)
            columns = math_ops.multiply(columns, reshape(weight, [-1, 1]))
        counts = matmul(rows, columns, transpose_a=True)  # float64: exact for counts below 2 ** 53
        return math_ops.cast(counts, as_dtype(dtype))
