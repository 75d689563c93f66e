"""gn.nn functions built from other public ops (no kernels of their own)."""
from __future__ import annotations

import math

from ..graph.core_ops import constant, convert_to_tensor
from ..graph.dtypes import float32
from ..graph.scopes import name_scope
from . import math_ops
from .clip_ops import clip_by_norm
from .concat_ops import concat
from .array_ops import shape, squeeze
from .creation_ops import ones_like, zeros_like
from .indexing_ops import gather
from . import logic_ops
from .linalg_ops import matmul
from .logic_ops import equal
from .nn_ops import bias_add, relu, require_float, sigmoid, tanh
from .reduction_ops import reduce_mean, reduce_prod, reduce_sum
from .special_ops import erfc

__all__ = ["embedding_lookup", "gelu", "l2_normalize", "softsign", "swish", "zero_fraction"]


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """x / sqrt(max(sum(x ** 2, axis), epsilon)) along ``axis`` (None: all axes)."""
    with name_scope(name, "l2_normalize"):
        x = convert_to_tensor(x)
        require_float(x, "l2_normalize")
        square_sum = reduce_sum(math_ops.square(x), axis=dim if axis is None else axis, keepdims=True)
        return math_ops.multiply(x, math_ops.rsqrt(math_ops.maximum(square_sum, epsilon)))


def softsign(features, name=None):
    """features / (1 + |features|)."""
    with name_scope(name, "Softsign"):
        x = convert_to_tensor(features)
        require_float(x, "Softsign")
        return math_ops.divide(x, math_ops.add(math_ops.abs(x), 1.0))


def swish(features, name=None):
    """features * sigmoid(features)."""
    with name_scope(name, "swish"):
        x = convert_to_tensor(features)
        return math_ops.multiply(x, sigmoid(x))


def gelu(features, approximate=False, name=None):
    """The Gaussian error linear unit ``x * P(X <= x)`` for X ~ N(0, 1), as ``tf.nn.gelu``: exactly
    ``0.5 * x * erfc(-x / sqrt(2))`` (accurate in the negative tail too), or with ``approximate``
    ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x ** 3)))``. Float dtypes only (TypeError otherwise)."""
    with name_scope(name, "Gelu"):
        x = convert_to_tensor(features, name="features")
        require_float(x, "Gelu")
        if approximate:
            inner = math_ops.multiply(math.sqrt(2.0 / math.pi),
                                      math_ops.add(x, math_ops.multiply(0.044715, math_ops.pow(x, 3))))
            return math_ops.multiply(math_ops.multiply(0.5, x), math_ops.add(1.0, tanh(inner)))
        return math_ops.multiply(math_ops.multiply(0.5, x), erfc(math_ops.multiply(x, -_SQRT_HALF)))


_SQRT_HALF = math.sqrt(0.5)


def embedding_lookup(params, ids, partition_strategy="mod", name=None, validate_indices=True, max_norm=None):
    """Rows ``ids`` of ``params``: one tensor, or a list of shards of one table as TF1 splits it. With
    ``partition_strategy="mod"`` id i lives in shard ``i % n`` at row ``i // n``; with ``"div"`` the shards hold
    consecutive ranges (the first ``rows % n`` shards one row more). ``max_norm``: each looked-up embedding is
    clipped to that l2 norm."""
    if partition_strategy not in ("mod", "div"):
        raise ValueError(f"embedding_lookup: unrecognized partition_strategy {partition_strategy!r}")
    shards = list(params) if isinstance(params, (list, tuple)) else [params]
    if not shards:
        raise ValueError("embedding_lookup: params must hold at least one tensor")
    with name_scope(name, "embedding_lookup"):
        ids = convert_to_tensor(ids, name="ids")
        if len(shards) == 1:
            rows = gather(shards[0], ids)
        else:
            rows = _sharded_lookup(shards, ids, partition_strategy)
        if max_norm is None:
            return rows
        ids_rank = ids.shape.ndims
        axes = list(range(ids_rank, rows.shape.ndims)) if ids_rank is not None and rows.shape.ndims else None
        return clip_by_norm(rows, max_norm, axes=axes)


def _sharded_lookup(shards, ids, partition_strategy):
    """Gather from the shards concatenated in order, with each id mapped to its row in that concatenation."""
    sizes = [convert_to_tensor(shard).shape[0].value for shard in shards]
    if None in sizes:
        raise ValueError(f"embedding_lookup: sharded params need a known first dimension, got rows {sizes}")
    table = concat(list(shards), 0)
    if partition_strategy == "div":
        return gather(table, ids)  # the div shards, concatenated, are the table in id order
    offsets = constant([sum(sizes[:i]) for i in range(len(sizes))], dtype=ids.dtype)
    count = len(sizes)
    return gather(table, math_ops.add(gather(offsets, math_ops.floormod(ids, count)), math_ops.floordiv(ids, count)))


def zero_fraction(value, name=None):
    """The fraction of the entries of ``value`` that are zero, a float32 scalar (NaN for an empty
    tensor, as TF1's mean over no entries)."""
    with name_scope(name, "zero_fraction"):
        x = convert_to_tensor(value, name="value")
        return reduce_mean(math_ops.cast(equal(x, zeros_like(x)), float32))


def weighted_cross_entropy_with_logits(labels=None, logits=None, pos_weight=None, name=None, targets=None):
    """Sigmoid cross-entropy with the positive term weighted by ``pos_weight``:
    ``(1 - labels) * logits + (1 + (pos_weight - 1) * labels) * log(1 + exp(-logits))``, computed stably."""
    labels = targets if labels is None else labels
    if labels is None or logits is None or pos_weight is None:
        raise ValueError("weighted_cross_entropy_with_logits needs labels (targets), logits and pos_weight")
    with name_scope(name, "logistic_loss"):
        logits = convert_to_tensor(logits, name="logits")
        require_float(logits, "weighted_cross_entropy_with_logits")
        labels = convert_to_tensor(labels, name="labels", preferred_dtype=logits.dtype)
        if not labels.shape.is_compatible_with(logits.shape):
            raise ValueError(f"logits and labels must have the same shape ({logits.shape} vs {labels.shape})")
        pos_weight = convert_to_tensor(pos_weight, name="pos_weight", preferred_dtype=logits.dtype)
        log_weight = math_ops.add(1.0, math_ops.multiply(math_ops.subtract(pos_weight, 1.0), labels))
        softplus_neg = math_ops.add(math_ops.log1p(math_ops.exp(math_ops.negative(math_ops.abs(logits)))),
                                    relu(math_ops.negative(logits)))
        return math_ops.add(math_ops.multiply(math_ops.subtract(1.0, labels), logits),
                            math_ops.multiply(log_weight, softplus_neg))


def relu_layer(x, weights, biases, name=None):
    """relu(x @ weights + biases)."""
    with name_scope(name, "relu_layer"):
        return relu(bias_add(matmul(convert_to_tensor(x), weights), biases))


def log_poisson_loss(targets, log_input, compute_full_loss=False, name=None):
    """``exp(log_input) - log_input * targets``; with ``compute_full_loss`` plus the Stirling approximation of
    ``log(targets!)`` where targets > 1, as TF1."""
    with name_scope(name, "log_poisson_loss"):
        log_input = convert_to_tensor(log_input, name="log_input")
        targets = convert_to_tensor(targets, name="targets", preferred_dtype=log_input.dtype)
        if not targets.shape.is_compatible_with(log_input.shape):
            raise ValueError(f"log_input and targets must have the same shape ({log_input.shape} vs "
                             f"{targets.shape})")
        result = math_ops.subtract(math_ops.exp(log_input), math_ops.multiply(log_input, targets))
        if not compute_full_loss:
            return result
        small = logic_ops.logical_and(logic_ops.greater_equal(targets, 0.0), logic_ops.less_equal(targets, 1.0))
        # the approximation is unused where targets are in [0, 1]: taken at 1 there, no log(0) and no NaN gradient
        safe = logic_ops.where(small, ones_like(targets), targets)
        stirling = math_ops.add(math_ops.subtract(math_ops.multiply(safe, math_ops.log(safe)), safe),
                                math_ops.multiply(0.5, math_ops.log(math_ops.multiply(2.0 * math.pi, safe))))
        return math_ops.add(result, logic_ops.where(small, zeros_like(targets), stirling))


def sufficient_statistics(x, axes, shift=None, keep_dims=None, name=None, keepdims=None):
    """(count, sum of (x - shift), sum of (x - shift) ** 2, shift) over ``axes``: the input of normalize_moments."""
    with name_scope(name, "sufficient_statistics"):
        x = convert_to_tensor(x, name="x")
        require_float(x, "sufficient_statistics")
        keep = bool(keep_dims if keep_dims is not None else keepdims)
        rank = x.shape.ndims
        axes = [a % rank if rank is not None else a for a in axes]
        counts = math_ops.cast(reduce_prod(gather(shape(x), axes)), x.dtype, name="count")
        if shift is not None:
            shift = convert_to_tensor(shift, name="shift", preferred_dtype=x.dtype)
            centered, squared = math_ops.subtract(x, shift), math_ops.squared_difference(x, shift)
        else:
            centered, squared = x, math_ops.square(x)
        return (counts, reduce_sum(centered, axes, keepdims=keep, name="mean_ss"),
                reduce_sum(squared, axes, keepdims=keep, name="var_ss"), shift)


def normalize_moments(counts, mean_ss, variance_ss, shift, name=None):
    """(mean, variance) from sufficient_statistics' sums."""
    with name_scope(name, "normalize"):
        divisor = math_ops.reciprocal(counts, name="divisor")
        shifted_mean = math_ops.multiply(mean_ss, divisor)
        mean = shifted_mean if shift is None else math_ops.add(shifted_mean, shift, name="mean")
        variance = math_ops.subtract(math_ops.multiply(variance_ss, divisor), math_ops.square(shifted_mean),
                                     name="variance")
        return mean, variance


def weighted_moments(x, axes, frequency_weights, name=None, keep_dims=None, keepdims=None):
    """(mean, variance) of ``x`` over ``axes`` with each element counted ``frequency_weights`` times (weights
    broadcast against x); 0 where the weights sum to 0. float16 is computed in float32, as TF1."""
    with name_scope(name, "weighted_moments"):
        x = convert_to_tensor(x, name="x")
        require_float(x, "weighted_moments")
        keep = bool(keep_dims if keep_dims is not None else keepdims)
        compute = math_ops.cast(x, "float32") if x.dtype.name == "float16" else x
        weights = math_ops.cast(convert_to_tensor(frequency_weights), compute.dtype)
        weight_sum = reduce_sum(math_ops.add(weights, zeros_like(compute)), axes, keepdims=True)
        mean = _div_no_nan(reduce_sum(math_ops.multiply(weights, compute), axes, keepdims=True), weight_sum)
        distance = reduce_sum(math_ops.multiply(weights, math_ops.squared_difference(compute, mean)), axes,
                              keepdims=True)
        variance = _div_no_nan(distance, weight_sum)
        if not keep:
            mean, variance = squeeze(mean, list(axes)), squeeze(variance, list(axes))
        if compute is not x:
            mean, variance = math_ops.cast(mean, x.dtype), math_ops.cast(variance, x.dtype)
        return mean, variance


def _div_no_nan(numerator, denominator):
    nonzero = logic_ops.not_equal(denominator, 0.0)
    safe = logic_ops.where(nonzero, denominator, ones_like(denominator))
    return logic_ops.where(nonzero, math_ops.divide(numerator, safe), zeros_like(numerator))


__all__ += ["log_poisson_loss", "normalize_moments", "relu_layer", "sufficient_statistics",
            "weighted_cross_entropy_with_logits", "weighted_moments"]
