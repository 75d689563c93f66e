"""Maxima, minima and products over segments: ``segment_max/min/prod`` (sorted ids) and
``unsorted_segment_max/min/prod``, with TF1's values and gradients.

Empty segments hold, as TF1: for the unsorted ops the reduction's identity (the dtype's lowest value for a
maximum, its highest for a minimum, 1 for a product); for the sorted ops 0 for a maximum or minimum and 1
for a product. The rows of a segment merge by a segmented scan (_scatter_combine.py), written once against
``xp``.

Gradients (as TF1's): a maximum or minimum sends a segment's gradient to the entries equal to it, shared
equally among ties; a product sends ``grad * product / entry`` to each entry, with an entry that is the
segment's only zero getting the product of the others and segments of two or more zeros getting 0.
"""
from __future__ import annotations

import numpy as np

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.registry import define_op
from ._helpers import dims_text, one_int, out
from ._scatter_combine import scatter_combine
from .array_ops import expand_dims
from .concat_ops import concat
from .creation_ops import ones_like, zeros_like
from .indexing_ops import gather
from .logic_ops import equal, greater, logical_and, where
from .math_ops import cast, divide, maximum, multiply
from .segment_ops import _segment_infer, segment_sum, unsorted_segment_sum

__all__ = ["segment_max", "segment_min", "segment_prod", "unsorted_segment_max", "unsorted_segment_min",
           "unsorted_segment_prod"]

_COMBINE = {"Max": "maximum", "Min": "minimum", "Prod": "multiply"}


def _identity(reduction, dtype):
    """What an empty unsorted segment holds: the value that leaves the reduction unchanged."""
    if reduction == "Prod":
        return 1
    info = np.finfo(dtype) if dtype.kind in "fc" else np.iinfo(dtype)
    return info.min if reduction == "Max" else info.max


def _dtypes_ok(reduction, dtype):
    if reduction == "Prod":
        return not dtype.is_bool and dtype.name != "string"
    return dtype.is_floating or dtype.is_integer  # real numbers: TF1 has no maximum of complex or bool


def _reduced(xp, data, rows, ids, reduction):
    """``rows`` reduced segments of ``data``; ids that are negative or ``rows`` and more are dropped."""
    k, dtype = ids.ndim, data.dtype
    result = xp.full((rows + 1,) + data.shape[k:], _identity(reduction, dtype), dtype=dtype)
    flat_ids = ids.reshape(-1)
    flat_ids = xp.where((flat_ids < 0) | (flat_ids >= rows), rows, flat_ids)  # a scratch row takes them
    scatter_combine(xp, result, flat_ids, data.reshape((-1,) + data.shape[k:]), getattr(xp, _COMBINE[reduction]))
    return result[:rows]


# -- unsorted -----------------------------------------------------------------------------------------------------
def _unsorted_kernel(reduction):
    def build(ctx):
        xp, rows, check = ctx.xp, ctx.attrs["num_segments"], ctx.value_check()

        def reduce(data, ids):
            if ids.size:
                check(ids.max() >= rows, lambda host: _out_of_range(host, rows), ids)
            return _reduced(xp, data, rows, ids, reduction)
        return reduce
    return build


def _out_of_range(ids, rows):
    flat = ids.reshape(-1)
    at = int((flat >= rows).argmax())
    return f"segment_ids[{at}] = {flat[at]} is out of range [0, {rows})"


def _unsorted_infer(reduction):
    op_type = f"UnsortedSegment{reduction}"

    def infer(inputs, attrs):
        _check_dtype(op_type, reduction, inputs[0])
        return _segment_infer(inputs, attrs, op_type, attrs["num_segments"])
    return infer


def _check_dtype(op_type, reduction, data):
    if not _dtypes_ok(reduction, data.dtype):
        raise TypeError(f"{op_type} does not support data of dtype {data.dtype.name}")


def _unsorted(reduction, data, segment_ids, num_segments, name):
    op_type = f"UnsortedSegment{reduction}"
    rows = one_int(num_segments, "num_segments", op_type)
    if rows < 0:
        raise ValueError(f"{op_type}: num_segments must be non-negative, got {rows}")
    inputs = [convert_to_tensor(data), convert_to_tensor(segment_ids)]
    return out(op_type, inputs, {"num_segments": rows}, name=name, default_name=op_type)


def unsorted_segment_max(data, segment_ids, num_segments, name=None):
    """``output[i, ...] = max(data[j..., ...] for the j... where segment_ids[j...] == i)`` for ``i`` in
    ``[0, num_segments)``; ids as ``unsorted_segment_sum``; an empty segment holds the dtype's lowest value."""
    return _unsorted("Max", data, segment_ids, num_segments, name)


def unsorted_segment_min(data, segment_ids, num_segments, name=None):
    """The minimum over each segment (as ``unsorted_segment_max``); an empty segment holds the dtype's highest
    value."""
    return _unsorted("Min", data, segment_ids, num_segments, name)


def unsorted_segment_prod(data, segment_ids, num_segments, name=None):
    """The product over each segment (as ``unsorted_segment_max``); an empty segment holds 1."""
    return _unsorted("Prod", data, segment_ids, num_segments, name)


# -- sorted -------------------------------------------------------------------------------------------------------
def _sorted_kernel(reduction):
    def build(ctx):
        xp, op = ctx.xp, ctx.op

        def reduce(data, ids):
            if not ids.size:
                return xp.zeros((0,) + data.shape[1:], dtype=data.dtype)
            rows = int(ids[-1]) + 1  # read back: a host sync, as segment_sum
            if bool((ids[1:] < ids[:-1]).any()):
                raise errors.InvalidArgumentError(None, op, "segment ids are not increasing")
            if bool((ids[0] < 0)):
                raise errors.InvalidArgumentError(None, op, f"Segment id {int(ids[0])} out of range [0, {rows}), "
                                                  "possibly because 'segment_ids' input is not sorted.")
            result = _reduced(xp, data, rows, ids, reduction)
            if reduction == "Prod":
                return result
            present = xp.zeros((rows,) + (1,) * (data.ndim - 1), dtype=bool)
            present[ids] = True
            return xp.where(present, result, xp.zeros_like(result))  # TF1's sorted extrema of nothing are 0
        return reduce
    return build


def _sorted_infer(reduction):
    op_type = f"Segment{reduction}"

    def infer(inputs, attrs):
        if inputs[1]._shape is not None and len(inputs[1]._shape) != 1:
            raise ValueError(f"{op_type}: segment_ids must be a vector, got shape {dims_text(inputs[1]._shape)}")
        _check_dtype(op_type, reduction, inputs[0])
        return _segment_infer(inputs, attrs, op_type, None)
    return infer


def _sorted(reduction, data, segment_ids, name):
    op_type = f"Segment{reduction}"
    return out(op_type, [convert_to_tensor(data), convert_to_tensor(segment_ids)], name=name, default_name=op_type)


def segment_max(data, segment_ids, name=None):
    """``output[i, ...] = max(data[j, ...] for j where segment_ids[j] == i)``; ``segment_ids`` is a sorted
    vector of non-negative ids (else an InvalidArgumentError); ids that do not occur give zero rows."""
    return _sorted("Max", data, segment_ids, name)


def segment_min(data, segment_ids, name=None):
    """The minimum over each segment of the sorted ``segment_ids`` (as ``segment_max``)."""
    return _sorted("Min", data, segment_ids, name)


def segment_prod(data, segment_ids, name=None):
    """The product over each segment of the sorted ``segment_ids``; ids that do not occur give rows of 1."""
    return _sorted("Prod", data, segment_ids, name)


# -- gradients (composites, as TF1's) -------------------------------------------------------------------------------
class _Segments:
    """How a gradient sums over and gathers from the segments of one op: sorted, or unsorted with negative ids
    reading zeros."""

    def __init__(self, op):
        self.data, self.ids = op.inputs[0], op.inputs[1]
        self.rows = op.attrs.get("num_segments")

    def sum(self, values):
        if self.rows is None:
            return segment_sum(values, self.ids)
        return unsorted_segment_sum(values, self.ids, self.rows)

    def gather(self, values):
        if self.rows is None:
            return gather(values, self.ids)
        padded = concat([values, zeros_like(values[:1])], 0)  # negative ids read this zero row
        scratch = zeros_like(self.ids) + cast(self.rows, self.ids.dtype)
        return gather(padded, where(self.ids < 0, scratch, self.ids))

    def kept(self, mask):
        """``mask`` and the entry's id is not negative (every id of a sorted op)."""
        if self.rows is None:
            return mask
        valid = self.ids >= 0
        for _ in range(self.data.shape.ndims - self.ids.shape.ndims):
            valid = expand_dims(valid, -1)
        return logical_and(mask, valid)


def _extremum_grad(op, grad):
    segments = _Segments(op)
    selected = segments.kept(equal(segments.data, segments.gather(op.outputs[0])))
    counts = segments.sum(cast(selected, grad.dtype))
    shares = divide(grad, maximum(counts, ones_like(counts)))  # ties share equally; empty segments send nothing
    return [where(selected, segments.gather(shares), zeros_like(segments.data)), None]


def _prod_grad(op, grad):
    segments, data = _Segments(op), op.inputs[0]
    is_zero = equal(data, zeros_like(data))
    zeros_in_segment = segments.sum(cast(is_zero, grad.dtype))
    grad = where(greater(zeros_in_segment, ones_like(zeros_in_segment)), zeros_like(grad), grad)
    non_zero = where(is_zero, ones_like(data), data)
    others = where(is_zero, segments.gather(_reduce_like(op, non_zero)),
                   divide(segments.gather(op.outputs[0]), non_zero))
    return [multiply(segments.gather(grad), others), None]


def _reduce_like(op, values):
    """The product of ``values`` over the segments of ``op`` (a SegmentProd or UnsortedSegmentProd)."""
    if op.type == "SegmentProd":
        return segment_prod(values, op.inputs[1])
    return unsorted_segment_prod(values, op.inputs[1], op.attrs["num_segments"])


for _reduction in ("Max", "Min", "Prod"):
    _grad = _prod_grad if _reduction == "Prod" else _extremum_grad
    define_op(f"UnsortedSegment{_reduction}", _unsorted_infer(_reduction), {"any": _unsorted_kernel(_reduction)},
              grad=_grad, doc=f"``output[i] = {_COMBINE[_reduction]} of data[j] over the j with segment_ids[j] == i``")
    define_op(f"Segment{_reduction}", _sorted_infer(_reduction), {"any": _sorted_kernel(_reduction)}, grad=_grad,
              doc=f"``output[i] = {_COMBINE[_reduction]} of data[j] over the j with segment_ids[j] == i`` (sorted ids)")
