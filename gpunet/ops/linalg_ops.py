"""Matrix products: matmul (batched and broadcast for rank > 2, as TF1's BatchMatMulV2) and tensordot."""
from __future__ import annotations

import numpy as np

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.registry import define_op
from ..graph.shape import broadcast
from ..graph.validation import bounded_repr
from ._helpers import binary_args, dims_text, int_list_arg, op_scope, out, rank_of
from .array_ops import transpose
from .broadcast_ops import sum_to_shape_of

__all__ = ["matmul", "tensordot"]


def _check_operands(op_type, a, b):
    if a.dtype != b.dtype:
        raise TypeError(f"{op_type}: inputs must have the same dtype, got {a.dtype.name} and {b.dtype.name}")
    if not (a.dtype.is_floating or a.dtype.is_integer):
        raise TypeError(f"{op_type} does not support dtype {a.dtype.name}")


def _inner_dims(sa, sb, ta, tb, op_type):
    """(m, n) of the product of the last two dims of ``sa`` and ``sb`` (checked where known)."""
    m, ka = (None, None) if sa is None else (sa[-2:][::-1] if ta else sa[-2:])
    kb, n = (None, None) if sb is None else (sb[-2:][::-1] if tb else sb[-2:])
    if ka is not None and kb is not None and ka != kb:
        raise ValueError(f"Dimensions must be equal, but are {ka} and {kb} for '{op_type}' with input shapes: "
                         f"{dims_text(sa)}, {dims_text(sb)}.")
    return m, n


def _matmul_infer(inputs, attrs):
    a, b = inputs
    _check_operands("MatMul", a, b)
    for s in (a._shape, b._shape):
        if s is not None and len(s) != 2:
            raise ValueError(f"Shape must be rank 2 but is rank {len(s)} for 'MatMul' with input shapes: "
                             f"{dims_text(a._shape)}, {dims_text(b._shape)}.")
    return [(a.dtype, _inner_dims(a._shape, b._shape, attrs["transpose_a"], attrs["transpose_b"], "MatMul"))]


def _batch_matmul_infer(inputs, attrs):
    a, b = inputs
    _check_operands("BatchMatMulV2", a, b)
    for s in (a._shape, b._shape):
        if s is not None and len(s) < 2:
            raise ValueError(f"Shape must be at least rank 2 but is rank {len(s)} for 'BatchMatMulV2' with input "
                             f"shapes: {dims_text(a._shape)}, {dims_text(b._shape)}.")
    m, n = _inner_dims(a._shape, b._shape, attrs["transpose_a"], attrs["transpose_b"], "BatchMatMulV2")
    if a._shape is None or b._shape is None:
        return [(a.dtype, None)]
    return [(a.dtype, broadcast(a._shape[:-2], b._shape[:-2]) + (m, n))]


def _matmul_kernel(ctx):
    into = _matmul_into_kernel(ctx)
    return lambda a, b: into(None, a, b)


def _matmul_into_kernel(ctx):
    ta, tb, matmul_fn, swap = ctx.attrs["transpose_a"], ctx.attrs["transpose_b"], ctx.xp.matmul, ctx.xp.swapaxes

    def product(out, a, b):
        _check_run_shapes(ctx, a, b)  # shapes only (no device sync): NumPy would take a vector as a matrix
        return matmul_fn(swap(a, -1, -2) if ta else a, swap(b, -1, -2) if tb else b, out=out)
    return product


def _check_run_shapes(ctx, a, b):
    exact = ctx.op.type == "MatMul"
    for x in (a, b):
        if x.ndim < 2 or (exact and x.ndim != 2):
            wanted = "matrices" if exact else "rank >= 2"
            raise errors.InvalidArgumentError(None, ctx.op, f"{ctx.op.type}: the inputs must be {wanted}, "
                                                            f"got {_shown(a, b)}")
    if not exact and not _broadcastable(a.shape[:-2], b.shape[:-2]):
        raise errors.InvalidArgumentError(None, ctx.op, f"In[0] and In[1] must have compatible batch dimensions: "
                                                        f"{dims_text(a.shape)} vs. {dims_text(b.shape)}")
    inner_a = a.shape[-2] if ctx.attrs["transpose_a"] else a.shape[-1]
    inner_b = b.shape[-1] if ctx.attrs["transpose_b"] else b.shape[-2]
    if inner_a != inner_b:
        raise errors.InvalidArgumentError(None, ctx.op, f"Matrix size-incompatible: {_shown(a, b)}")


def _broadcastable(batch_a, batch_b):
    return all(x == y or 1 in (x, y) for x, y in zip(reversed(batch_a), reversed(batch_b)))


def _shown(a, b):
    return f"In[0]: {dims_text(a.shape)}, In[1]: {dims_text(b.shape)}"


def _matmul_grad(op, g):
    """The four transpose cases of d(a @ b); batch dims that broadcast are summed back."""
    a, b = op.inputs
    ta, tb = op.attrs["transpose_a"], op.attrs["transpose_b"]
    if not ta and not tb:
        da, db = matmul(g, b, transpose_b=True), matmul(a, g, transpose_a=True)
    elif not ta and tb:
        da, db = matmul(g, b), matmul(g, a, transpose_a=True)
    elif ta and not tb:
        da, db = matmul(b, g, transpose_b=True), matmul(a, g)
    else:
        da, db = matmul(b, g, transpose_a=True, transpose_b=True), matmul(g, a, transpose_a=True, transpose_b=True)
    if op.type == "MatMul":
        return [da, db]
    return [sum_to_shape_of(da, a), sum_to_shape_of(db, b)]


define_op("MatMul", _matmul_infer, {"any": _matmul_kernel}, grad=_matmul_grad, fresh_outputs=True,
          into_kernel=_matmul_into_kernel)
define_op("BatchMatMulV2", _batch_matmul_infer, {"any": _matmul_kernel}, grad=_matmul_grad, fresh_outputs=True,
          into_kernel=_matmul_into_kernel)


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, name=None):
    """``a @ b``; rank > 2 operands multiply their last two dims, broadcasting the leading (batch) dims."""
    with op_scope(name, "MatMul", [a, b]) as scope:
        a, b = binary_args("MatMul", a, b, names=("a", "b"))
        batched = any(r is None or r > 2 for r in (rank_of(a), rank_of(b)))  # unknown rank: batched, as TF1
        op_type = "BatchMatMulV2" if batched else "MatMul"
        attrs = {"transpose_a": bool(transpose_a or adjoint_a), "transpose_b": bool(transpose_b or adjoint_b)}
        return out(op_type, [a, b], attrs, name=scope)


# -- tensordot --------------------------------------------------------------------------------------
def _tensordot_infer(inputs, attrs):
    a, b = inputs
    _check_operands("Tensordot", a, b)
    ca, cb = attrs["axes"]
    for i, j in zip(ca, cb):
        if a._shape[i] is not None and b._shape[j] is not None and a._shape[i] != b._shape[j]:
            raise ValueError(f"Tensordot: dimension {i} of a ({a._shape[i]}) must equal dimension {j} of b "
                             f"({b._shape[j]}); shapes {dims_text(a._shape)} and {dims_text(b._shape)}")
    free_a = tuple(d for i, d in enumerate(a._shape) if i not in ca)
    free_b = tuple(d for j, d in enumerate(b._shape) if j not in cb)
    return [(a.dtype, free_a + free_b)]


def _tensordot_kernel(ctx):
    axes, tensordot_fn = ctx.attrs["axes"], ctx.xp.tensordot
    return lambda a, b: tensordot_fn(a, b, axes=axes)


def _reorder(t, labels):
    """Transpose ``t``, whose axis k holds input axis ``labels[k]``, into input axis order."""
    perm = tuple(int(p) for p in np.argsort(labels))
    return t if perm == tuple(range(len(perm))) else transpose(t, perm)


def _tensordot_grad(op, g):
    a, b = op.inputs
    ca, cb = op.attrs["axes"]
    free_a = [i for i in range(len(a._shape)) if i not in ca]
    free_b = [j for j in range(len(b._shape)) if j not in cb]
    g_free_b = list(range(len(free_a), len(free_a) + len(free_b)))
    da = tensordot(g, b, [g_free_b, free_b])  # axes: free a, then b's contracted axes in b's order
    db = tensordot(a, g, [free_a, list(range(len(free_a)))])  # axes: a's contracted axes in a's order, free b
    da_labels = free_a + [ca[cb.index(j)] for j in sorted(cb)]
    db_labels = [cb[ca.index(i)] for i in sorted(ca)] + free_b
    return [_reorder(da, da_labels), _reorder(db, db_labels)]


define_op("Tensordot", _tensordot_infer, {"any": _tensordot_kernel}, grad=_tensordot_grad)


def _tensordot_axes(axes, rank_a, rank_b):
    if np.ndim(axes) == 0:
        n = int(axes)
        if n < 0 or n > min(rank_a, rank_b):
            raise ValueError(f"tensordot: axes={n} must be between 0 and {min(rank_a, rank_b)} for inputs of "
                             f"rank {rank_a} and {rank_b}")
        return tuple(range(rank_a - n, rank_a)), tuple(range(n))
    if len(axes) != 2:
        raise ValueError(f"tensordot: axes must be an int or a pair of axis lists, got {bounded_repr(axes)}")
    ca, cb = (int_list_arg(ax, "axes", "Tensordot") for ax in axes)
    if len(ca) != len(cb):
        raise ValueError(f"tensordot: {len(ca)} axes of a but {len(cb)} axes of b")
    for ax, rank in ((ca, rank_a), (cb, rank_b)):
        if any(not -rank <= i < rank for i in ax) or len({i % rank for i in ax}) != len(ax):
            raise ValueError(f"tensordot: axes {list(ax)} are not distinct axes of a tensor of rank {rank}")
    return tuple(i % rank_a for i in ca), tuple(j % rank_b for j in cb)


def tensordot(a, b, axes, name=None):
    """Sum of products over ``axes``: an int N (last N of a with first N of b) or ``[axes_a, axes_b]``."""
    with op_scope(name, "Tensordot", [a, b]) as scope:
        a, b = convert_to_tensor(a, name="a"), convert_to_tensor(b, name="b")
        if rank_of(a) is None or rank_of(b) is None:
            raise ValueError("tensordot needs inputs of known rank")
        attrs = {"axes": _tensordot_axes(axes, rank_of(a), rank_of(b))}
        return out("Tensordot", [a, b], attrs, name=scope)
