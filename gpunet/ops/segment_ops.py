"""Sums and means over segments: ``unsorted_segment_sum``, ``segment_sum`` and the means built on them, as TF1."""
from __future__ import annotations

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.registry import define_op
from ..graph.scopes import name_scope
from ._helpers import dims_text, one_int, out
from .array_ops import reshape
from .creation_ops import ones_like
from ._scatter_combine import scatter_add_rows
from .indexing_ops import gather
from .math_ops import cast, divide, maximum, sqrt

__all__ = ["segment_sum", "unsorted_segment_sum"]


def _segment_infer(inputs, attrs, op_type, rows):
    data, ids = inputs
    if not ids.dtype.is_integer:
        raise TypeError(f"{op_type}: segment_ids must be int32 or int64, got {ids.dtype.name}")
    if data._shape is None or ids._shape is None:
        return [(data.dtype, None)]
    k = len(ids._shape)
    if len(data._shape) < k or any(None not in (a, b) and a != b for a, b in zip(ids._shape, data._shape)):
        raise ValueError(f"{op_type}: segment_ids shape {dims_text(ids._shape)} must be a prefix of data shape "
                         f"{dims_text(data._shape)}")
    return [(data.dtype, (rows,) + data._shape[k:])]


def _summed(xp, data, ids, rows):
    """``rows`` segment sums; ids < 0 go to a scratch row that is dropped (TF1 ignores them)."""
    k = ids.ndim
    result = xp.zeros((rows + 1,) + data.shape[k:], dtype=data.dtype)
    scatter_add_rows(xp, result, xp.where(ids < 0, rows, ids).reshape(-1), data.reshape((-1,) + data.shape[k:]))
    return result[:rows]


# -- unsorted_segment_sum -----------------------------------------------------------------------------------------
def _unsorted_kernel(ctx):
    xp, rows, check = ctx.xp, ctx.attrs["num_segments"], ctx.value_check()

    def segment_sum_fn(data, ids):
        if ids.size:
            check(ids.max() >= rows, lambda host: _out_of_range(host, rows), ids)
        return _summed(xp, data, ids, rows)
    return segment_sum_fn


def _out_of_range(ids, rows):
    bad = [int(i) for i in ids.reshape(-1) if i >= rows][0]
    return f"segment_ids value {bad} is out of range [0, {rows})"


def _unsorted_grad(op, g):
    from .array_ops import shape, zeros_like
    from .concat_ops import concat
    from .logic_ops import where
    from .math_ops import cast
    ids = op.inputs[1]
    padded = concat([g, zeros_like(g[:1])], 0)  # ids < 0 read this zero row
    scratch = cast(shape(g)[0], ids.dtype) + zeros_like(ids)
    return [gather(padded, where(ids < 0, scratch, ids)), None]


define_op("UnsortedSegmentSum", lambda i, a: _segment_infer(i, a, "UnsortedSegmentSum", a["num_segments"]),
          {"any": _unsorted_kernel}, grad=_unsorted_grad,
          doc="``output[i] = sum of data[j] over the j with segment_ids[j] == i``")


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """``output[i, ...] = sum(data[j..., ...] for the j... where segment_ids[j...] == i)`` for ``i`` in
    ``[0, num_segments)``; ``segment_ids`` (any order) has the shape of a prefix of ``data``'s, negative ids are
    dropped and ids of ``num_segments`` or more are an InvalidArgumentError. The gradient gathers back."""
    rows = one_int(num_segments, "num_segments", "UnsortedSegmentSum")
    if rows < 0:
        raise ValueError(f"UnsortedSegmentSum: num_segments must be non-negative, got {rows}")
    inputs = [convert_to_tensor(data), convert_to_tensor(segment_ids)]
    return out("UnsortedSegmentSum", inputs, {"num_segments": rows}, name=name, default_name="UnsortedSegmentSum")


# -- segment_sum --------------------------------------------------------------------------------------------------
def _sorted_kernel(ctx):
    xp, op = ctx.xp, ctx.op

    def segment_sum_fn(data, ids):
        if not ids.size:
            return xp.zeros((0,) + data.shape[1:], dtype=data.dtype)
        if bool((ids < 0).any()):
            raise errors.InvalidArgumentError(None, op, "segment ids must be >= 0")
        if bool((ids[1:] < ids[:-1]).any()):
            raise errors.InvalidArgumentError(None, op, "segment ids are not increasing")
        return _summed(xp, data, ids, int(ids[-1]) + 1)  # the number of rows is read back: a host sync
    return segment_sum_fn


def _sorted_infer(inputs, attrs):
    if inputs[1]._shape is not None and len(inputs[1]._shape) != 1:
        raise ValueError(f"SegmentSum: segment_ids must be a vector, got shape {dims_text(inputs[1]._shape)}")
    return _segment_infer(inputs, attrs, "SegmentSum", None)


define_op("SegmentSum", _sorted_infer, {"any": _sorted_kernel},
          grad=lambda op, g: [gather(g, op.inputs[1]), None],
          doc="``output[i] = sum of data[j] over the j with segment_ids[j] == i`` (sorted ids)")


def segment_sum(data, segment_ids, name=None):
    """``output[i, ...] = sum(data[j, ...] for j where segment_ids[j] == i)``; ``segment_ids`` is a sorted vector
    of non-negative ids (else an InvalidArgumentError), the output has ``segment_ids[-1] + 1`` rows (ids that
    do not occur give zero rows). The gradient gathers back."""
    inputs = [convert_to_tensor(data), convert_to_tensor(segment_ids)]
    return out("SegmentSum", inputs, name=name, default_name="SegmentSum")


# -- means over segments (composites: a sum divided by the count, as TF1) -----------------------------------------
def _per_segment(counts, data, segment_ids, what):
    """``counts`` (one per segment) reshaped to broadcast against the segment rows of ``data``."""
    if data.shape.ndims is None or segment_ids.shape.ndims is None:
        raise ValueError(f"{what} needs data and segment_ids of known rank, got {data.shape} and {segment_ids.shape}")
    return reshape(counts, [-1] + [1] * (data.shape.ndims - segment_ids.shape.ndims))


def _unsorted_counts(data, segment_ids, num_segments, what):
    counts = unsorted_segment_sum(cast(ones_like(segment_ids), data.dtype), segment_ids, num_segments)
    return _per_segment(maximum(counts, 1), data, segment_ids, what)


def _float_data(data, what):
    data = convert_to_tensor(data)
    if not data.dtype.is_floating:
        raise TypeError(f"{what}: data must be floating-point, got {data.dtype.name}")
    return data


def unsorted_segment_mean(data, segment_ids, num_segments, name=None):
    """The mean of the rows of ``data`` in each segment (ids as ``unsorted_segment_sum``); empty segments are 0."""
    with name_scope(name, "UnsortedSegmentMean"):
        data, segment_ids = _float_data(data, "unsorted_segment_mean"), convert_to_tensor(segment_ids)
        counts = _unsorted_counts(data, segment_ids, num_segments, "unsorted_segment_mean")
        return divide(unsorted_segment_sum(data, segment_ids, num_segments), counts)


def unsorted_segment_sqrt_n(data, segment_ids, num_segments, name=None):
    """The sum of the rows of ``data`` in each segment divided by the square root of their count."""
    with name_scope(name, "UnsortedSegmentSqrtN"):
        data, segment_ids = _float_data(data, "unsorted_segment_sqrt_n"), convert_to_tensor(segment_ids)
        counts = _unsorted_counts(data, segment_ids, num_segments, "unsorted_segment_sqrt_n")
        return divide(unsorted_segment_sum(data, segment_ids, num_segments), sqrt(counts))


def segment_mean(data, segment_ids, name=None):
    """The mean of the rows of ``data`` in each segment of the sorted ``segment_ids`` (as ``segment_sum``);
    ids that do not occur give zero rows."""
    with name_scope(name, "SegmentMean"):
        data, segment_ids = _float_data(data, "segment_mean"), convert_to_tensor(segment_ids)
        counts = segment_sum(cast(ones_like(segment_ids), data.dtype), segment_ids)
        return divide(segment_sum(data, segment_ids), _per_segment(maximum(counts, 1), data, segment_ids,
                                                                   "segment_mean"))


__all__ += ["segment_mean", "unsorted_segment_mean", "unsorted_segment_sqrt_n"]
