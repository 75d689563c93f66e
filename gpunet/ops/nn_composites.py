"""gn.nn functions built from other public ops (no kernels of their own)."""
from __future__ import annotations

import math

from ..graph.core_ops import constant, convert_to_tensor
from ..graph.dtypes import float32
from ..graph.scopes import name_scope
from . import math_ops
from .clip_ops import clip_by_norm
from .concat_ops import concat
from .creation_ops import zeros_like
from .indexing_ops import gather
from .logic_ops import equal
from .nn_ops import require_float, sigmoid, tanh
from .reduction_ops import reduce_mean, reduce_sum
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
