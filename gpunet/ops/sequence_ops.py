"""Sequence helpers of TF1 built from other public ops: ``sequence_mask``."""
from __future__ import annotations

from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import as_dtype, bool_
from ..graph.scopes import name_scope
from . import math_ops
from .array_ops import expand_dims
from .creation_ops import range as range_
from .logic_ops import less
from .reduction_ops import reduce_max

__all__ = ["sequence_mask"]


def sequence_mask(lengths, maxlen=None, dtype=bool_, name=None):
    """``mask[i..., j] = j < lengths[i...]`` for ``j`` in ``[0, maxlen)``; ``maxlen`` defaults to the largest
    length (0 for no lengths). The mask is bool, cast to ``dtype`` when another is asked."""
    with name_scope(name, "SequenceMask"):
        lengths = convert_to_tensor(lengths, name="lengths")
        if not lengths.dtype.is_integer:
            raise TypeError(f"sequence_mask: lengths must be integers, got {lengths.dtype.name}")
        if maxlen is None:
            maxlen = math_ops.maximum(math_ops.cast(0, lengths.dtype), reduce_max(lengths))
        else:
            maxlen = convert_to_tensor(maxlen, name="maxlen")
        if maxlen.shape.ndims not in (None, 0):
            raise ValueError("maxlen must be scalar for sequence_mask")
        columns = range_(math_ops.cast(0, maxlen.dtype), maxlen, math_ops.cast(1, maxlen.dtype))
        mask = less(columns, math_ops.cast(expand_dims(lengths, -1), maxlen.dtype))
        dtype = as_dtype(dtype) if dtype is not None else bool_
        return mask if dtype == bool_ else math_ops.cast(mask, dtype)
