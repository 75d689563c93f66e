"""Comparisons, logical ops and selection: equal ... greater_equal, logical_and/or/not/xor, and
gn.where (TF1's Select for ``where(c, x, y)``; int64 coordinates for ``where(c)``)."""
from __future__ import annotations

import numpy as np

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import int64
from ..graph.registry import define_op, elementwise
from ..graph.shape import broadcast
from ._elementwise import any_dtype, bools, define_binary, define_predicate, define_unary, public_binary
from ._helpers import binary_args, bool_broadcast_infer, op_scope, out, rank_of
from .creation_ops import zeros_like
from .broadcast_ops import sum_to_shape_of

__all__ = ["equal", "greater", "greater_equal", "is_finite", "is_inf", "is_nan", "less", "less_equal", "logical_and",
           "logical_not", "logical_or", "logical_xor", "not_equal", "where"]

for _type, _fn, _doc in (("Equal", "equal", "x == y elementwise (bool)."),
                         ("NotEqual", "not_equal", "x != y elementwise (bool)."),
                         ("Less", "less", "x < y elementwise (bool)."),
                         ("LessEqual", "less_equal", "x <= y elementwise (bool)."),
                         ("Greater", "greater", "x > y elementwise (bool)."),
                         ("GreaterEqual", "greater_equal", "x >= y elementwise (bool).")):
    define_binary(_type, elementwise(_fn), check=any_dtype, infer=bool_broadcast_infer, doc=_doc)
for _type, _fn, _doc in (("LogicalAnd", "logical_and", "x AND y for bool tensors."),
                         ("LogicalOr", "logical_or", "x OR y for bool tensors.")):
    define_binary(_type, elementwise(_fn), check=bools, infer=bool_broadcast_infer, doc=_doc)

equal = public_binary("Equal", "Equal")
not_equal = public_binary("NotEqual", "NotEqual")
less = public_binary("Less", "Less")
less_equal = public_binary("LessEqual", "LessEqual")
greater = public_binary("Greater", "Greater")
greater_equal = public_binary("GreaterEqual", "GreaterEqual")
logical_and = public_binary("LogicalAnd", "LogicalAnd")
logical_or = public_binary("LogicalOr", "LogicalOr")
logical_not = define_unary("LogicalNot", "LogicalNot", elementwise("logical_not"), check=bools,
                           doc="y = not x, elementwise.")
is_nan = define_predicate("IsNan", "is_nan", elementwise("isnan"), "Which elements of a float tensor are NaN (bool).")
is_inf = define_predicate("IsInf", "is_inf", elementwise("isinf"), "Which elements of a float tensor are +-inf (bool).")
is_finite = define_predicate("IsFinite", "is_finite", elementwise("isfinite"),
                             "Which elements of a float tensor are neither NaN nor +-inf (bool).")


def logical_xor(x, y, name="LogicalXor"):
    """(x OR y) AND NOT (x AND y), built from the three ops as TF1 does."""
    with op_scope(name, "LogicalXor") as scope:
        x, y = binary_args("LogicalXor", x, y, names=("x", "y"))
        return logical_and(logical_or(x, y), logical_not(logical_and(x, y)), name=scope)


# -- Select: where(c, x, y) -------------------------------------------------------------------------
def _select_infer(inputs, attrs):
    cond, x, y = inputs
    if not cond.dtype.is_bool:
        raise TypeError(f"Select: the condition must be a bool tensor, got {cond.dtype.name}")
    if x.dtype != y.dtype:
        raise TypeError(f"Select: x and y must have the same dtype, got {x.dtype.name} and {y.dtype.name}")
    shape = broadcast(x._shape, y._shape)
    if _cond_is_row_selector(cond._shape, shape):
        if shape[0] is not None and cond._shape[0] is not None and shape[0] != cond._shape[0]:
            raise ValueError(f"Select: a vector condition of size {cond._shape[0]} must match the first "
                             f"dimension of x, {shape[0]}")
        return [(x.dtype, shape)]
    return [(x.dtype, broadcast(cond._shape, shape))]


def _cond_is_row_selector(cond_shape, shape):
    """TF1: a vector condition for a higher-rank x picks whole rows (entries along axis 0)."""
    return cond_shape is not None and shape is not None and len(cond_shape) == 1 and len(shape) > 1


def _select_kernel(ctx):
    where, op = ctx.xp.where, ctx.op
    cond, x, y = ctx.op.inputs
    shape = ctx.op.outputs[0]._shape
    if _cond_is_row_selector(cond._shape, shape):
        trailing = (1,) * (len(shape) - 1)
        return lambda c, a, b: where(c.reshape(c.shape + trailing), a, b)
    if cond._shape is not None and shape is not None:
        return where

    def select_(c, a, b):  # ranks known only when fed: a vector condition still picks rows, as in TF1
        rank = max(a.ndim, b.ndim)
        if c.ndim == 1 and rank > 1:
            rows = a.shape[0] if a.ndim == rank else b.shape[0]
            if c.shape[0] != rows:  # NumPy would match it against the last axis instead
                raise errors.InvalidArgumentError(None, op, f"Number of batches of 'then' must match size of "
                                                            f"'cond', but saw: {rows} vs. {c.shape[0]}")
            c = c.reshape(c.shape + (1,) * (rank - 1))
        return where(c, a, b)
    return select_


def _select_grad(op, g):
    cond, x, y = op.inputs
    zeros = zeros_like(g)
    return [None, sum_to_shape_of(select(cond, g, zeros), x), sum_to_shape_of(select(cond, zeros, g), y)]


define_op("Select", _select_infer, {"any": _select_kernel}, grad=_select_grad)


def select(condition, x, y, name=None):
    """Elementwise ``x`` where ``condition`` else ``y`` (a vector condition selects rows, as in TF1)."""
    with op_scope(name, "Select", [condition, x, y]) as scope:
        cond = convert_to_tensor(condition, name="condition")
        x, y = binary_args("Select", x, y, names=("x", "y"))
        return out("Select", [cond, x, y], name=scope)


# -- Where: where(c) ----------------------------------------------------------------------------------
def _where_kernel(ctx):
    argwhere = ctx.xp.argwhere
    return lambda cond: argwhere(cond).astype(np.int64, copy=False)


define_op("Where", lambda i, a: [(int64, (None, rank_of(i[0])))], {"any": _where_kernel}, differentiable=False)


def where(condition, x=None, y=None, name=None):
    """``where(c, x, y)``: x where c else y (TF1's Select). ``where(c)``: the int64 coordinates
    of the true (non-zero) entries of c, one row each."""
    if (x is None) != (y is None):
        raise ValueError("x and y must both be non-None or both be None.")
    if x is None:
        return out("Where", [convert_to_tensor(condition)], name=name, default_name="Where")
    return select(condition, x, y, name=name)
