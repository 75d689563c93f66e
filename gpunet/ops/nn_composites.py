"""gn.nn functions built from other public ops (no kernels of their own)."""
from __future__ import annotations

import math

from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import float32
from ..graph.scopes import name_scope
from . import math_ops
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
    """Rows ``ids`` of ``params`` (one tensor, or a list holding one); sharded params are not supported."""
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise ValueError(f"embedding_lookup: params sharded into {len(params)} tensors are not supported; "
                             f"concatenate them into one")
        params = params[0]
    if max_norm is not None:
        raise ValueError("embedding_lookup: max_norm is not supported")
    return gather(params, ids, name=name or "embedding_lookup")


def zero_fraction(value, name=None):
    """The fraction of the entries of ``value`` that are zero, a float32 scalar (NaN for an empty
    tensor, as TF1's mean over no entries)."""
    with name_scope(name, "zero_fraction"):
        x = convert_to_tensor(value, name="value")
        return reduce_mean(math_ops.cast(equal(x, zeros_like(x)), float32))
