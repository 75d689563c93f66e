"""Reordering along an axis: ``reverse`` (ReverseV2), ``sort``, ``argsort`` and ``unique``, as TF1."""
from __future__ import annotations

from collections import namedtuple

from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import as_dtype, int32, int64
from ..graph.registry import define_op
from ._helpers import dims_text, int_list_arg, one_int, out, outs, rank_of, same_as_input, single_axis

__all__ = ["argsort", "reverse", "reverse_v2", "sort", "unique"]


# -- reverse ------------------------------------------------------------------------------------------------------
def _reverse_kernel(ctx):
    flip, axes = ctx.xp.flip, ctx.attrs["axis"]
    return lambda x: flip(x, axes) if axes else x.copy()


define_op("ReverseV2", same_as_input, {"any": _reverse_kernel},
          grad=lambda op, g: [reverse(g, op.attrs["axis"])],
          doc="the input with the order of its entries reversed along each of ``axis``")


def reverse(tensor, axis, name=None):
    """``tensor`` with the order of its entries reversed along each dimension in ``axis`` (ints, each at
    most once; negative counts from the end). The gradient is the reversed gradient."""
    x = convert_to_tensor(tensor)
    rank = rank_of(x)
    axes = [single_axis(a, rank, "ReverseV2") for a in int_list_arg(axis, "axis", "ReverseV2")]
    if len(set(axes)) != len(axes):
        raise ValueError(f"ReverseV2: axis {int_list_arg(axis, 'axis', 'ReverseV2')} names a dimension twice")
    return out("ReverseV2", [x], {"axis": tuple(sorted(axes))}, name=name, default_name="ReverseV2")


reverse_v2 = reverse


# -- sort / argsort -----------------------------------------------------------------------------------------------
def _order(xp, x, axis, descending):
    """The stable order of ``x`` along ``axis``; descending: largest first, ties by the lower index (as TF1's
    top_k), read backwards from a stable sort of the reversed axis."""
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    return n - 1 - xp.flip(xp.argsort(xp.flip(x, axis), axis=axis, kind="stable"), axis)


def _sort_kernel(ctx):
    xp, axis, descending = ctx.xp, ctx.attrs["axis"], ctx.attrs["descending"]
    return lambda x: xp.take_along_axis(x, _order(xp, x, axis, descending), axis)


def _argsort_kernel(ctx):
    xp, axis, descending = ctx.xp, ctx.attrs["axis"], ctx.attrs["descending"]
    return lambda x: _order(xp, x, axis, descending).astype(xp.int32)


def _sort_grad_kernel(ctx):
    """``g`` permuted as sorting ``x`` permutes it, or (``inverse``: Sort's gradient) each entry of ``g`` back
    to where its sorted value came from; each is the other's adjoint."""
    xp, axis, descending, inverse = ctx.xp, ctx.attrs["axis"], ctx.attrs["descending"], ctx.attrs["inverse"]

    def permute(g, x):
        order = _order(xp, x, axis, descending)
        return xp.take_along_axis(g, xp.argsort(order, axis=axis, kind="stable") if inverse else order, axis)
    return permute


def _sort_grad(g, x, attrs, inverse):
    return out("SortGrad", [g, x], {**attrs, "inverse": inverse}, default_name="SortGrad")


def _sort_infer(inputs, attrs):
    x = inputs[0]
    if not (x.dtype.is_floating or x.dtype.is_integer):
        raise TypeError(f"Sort: values must be a real number dtype, got {x.dtype.name}")
    return [(x.dtype, x._shape)]


define_op("Sort", _sort_infer, {"any": _sort_kernel},
          grad=lambda op, g: [_sort_grad(g, op.inputs[0], op.attrs, inverse=True)],
          doc="the values sorted along ``axis`` (stable)")
define_op("SortGrad", lambda i, a: [(i[0].dtype, i[0]._shape)], {"any": _sort_grad_kernel},
          grad=lambda op, gg: [_sort_grad(gg, op.inputs[1], op.attrs, not op.attrs["inverse"]), None],
          doc="values permuted as sorting another tensor permutes it (or back: the gradient of Sort)")
define_op("ArgSort", lambda i, a: [(int32, _sort_infer(i, a)[0][1])], {"any": _argsort_kernel},
          differentiable=False, doc="the indices that sort the values along ``axis`` (stable)")


def _sort_attrs(values, axis, direction, op_type):
    x = convert_to_tensor(values)
    if rank_of(x) == 0:
        raise ValueError(f"{op_type}: values must be at least 1-dimensional, got a scalar")
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"{op_type}: direction must be 'ASCENDING' or 'DESCENDING', got {direction!r}")
    axis = single_axis(one_int(axis, "axis", op_type), rank_of(x), op_type)
    return x, {"axis": axis, "descending": direction == "DESCENDING"}


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """``values`` sorted along ``axis`` (the last by default), ``ASCENDING`` or ``DESCENDING``; equal values keep
    their order. The gradient goes back to where each value came from."""
    x, attrs = _sort_attrs(values, axis, direction, "Sort")
    return out("Sort", [x], attrs, name=name, default_name="sort")


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """The int32 indices that sort ``values`` along ``axis`` (``ASCENDING`` or ``DESCENDING``); always stable
    (equal values in index order), whatever ``stable`` says."""
    x, attrs = _sort_attrs(values, axis, direction, "ArgSort")
    return out("ArgSort", [x], attrs, name=name, default_name="argsort")


# -- unique -------------------------------------------------------------------------------------------------------
def _unique_infer(inputs, attrs):
    x = inputs[0]
    if x._shape is not None and len(x._shape) != 1:
        raise ValueError(f"Unique: x must be a vector, got shape {dims_text(x._shape)}")
    return [(x.dtype, (None,)), (attrs["out_idx"], x._shape)]


def _unique_kernel(ctx):
    """Built on a stable sort: equal values form runs, the first of each run is its first occurrence; the
    runs are then renumbered in order of first occurrence, as TF1 numbers them."""
    xp, idx_dtype = ctx.xp, ctx.out_dtype(1)

    def unique_fn(x):
        order = xp.argsort(x, kind="stable")
        ordered = x[order]
        starts = xp.concatenate([xp.ones(min(x.size, 1), dtype=bool), ordered[1:] != ordered[:-1]])
        run = xp.cumsum(starts) - 1                  # run number of each sorted entry
        firsts = order[starts]                       # each run's first occurrence, runs by value
        by_first = xp.argsort(firsts, kind="stable")
        number = xp.empty_like(by_first)
        number[by_first] = xp.arange(by_first.size)  # run -> its number in order of first occurrence
        idx = xp.empty(x.size, dtype=idx_dtype)
        idx[order] = number[run]
        return x[firsts[by_first]], idx
    return unique_fn


define_op("Unique", _unique_infer, {"any": _unique_kernel}, differentiable=False,
          doc="the distinct values in order of first occurrence, and each entry's index among them")

UniqueOutput = namedtuple("Unique", ["y", "idx"])  # what TF1's unique returns


def unique(x, out_idx=int32, name=None):
    """``Unique(y, idx)`` (a namedtuple, as TF1): the distinct values of the vector ``x`` in order of first
    occurrence, and for each entry of ``x`` the index of its value in ``y`` (``x == y[idx]``), of ``out_idx``."""
    out_idx = as_dtype(out_idx)
    if out_idx not in (int32, int64):
        raise TypeError(f"Unique: out_idx must be int32 or int64, got {out_idx.name}")
    y, idx = outs("Unique", [convert_to_tensor(x)], {"out_idx": out_idx}, name=name, default_name="Unique")
    return UniqueOutput(y, idx)
