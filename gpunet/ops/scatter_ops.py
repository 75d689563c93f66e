"""TF1's scatter updates of variables: ``scatter_update/add/sub/mul/div/max/min`` (rows picked by indices)
and ``scatter_nd_update/add/sub`` (slices picked by coordinates), each an op that writes the variable's
buffer in place and outputs the updated variable.

As TF1: repeated indices accumulate for add/sub/mul/div/max/min and leave the winner
undefined for the updates; an index out of range is an InvalidArgumentError naming the first bad one (on a
host device before anything is written; on a GPU the check is deferred to the end of the run, as every
index check, and the bad positions are dropped so no other row is written by a wrapped index); integer
division truncates toward zero and a zero divisor is an InvalidArgumentError. Shapes are checked when the
op is built (ValueError). ``use_locking`` holds the variable's lock for the update; it defaults to True for
``scatter_update``/``scatter_nd_update`` and to False for the others, as in TF1. No gradients, as TF1: gradients
stop at the add/sub/mul/div and nd ops, and differentiating through scatter_update/max/min is a LookupError.

Add and subtract of the dtypes CuPy adds atomically (int32, uint32, uint64, float16/32/64) scatter with the
atomic scatter-add; the others merge repeated rows first (a segmented scan, _scatter_combine.py), so a divide
divides by the product of a row's divisors (formed in float64: exact up to 2**53, after which an int64
variable's quotient may be off).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from ..graph.checks import DEFERRED_DEVICE_TYPES
from ..graph.core_ops import convert_to_tensor, locking
from ..graph.registry import apply_op, define_op
from ..graph.variables import Variable, variable_of
from ._helpers import dims_text
from ._scatter_combine import scatter_add_rows, scatter_combine
from ._value_checks import check_indices, check_nonzero_divisor

__all__ = ["scatter_add", "scatter_div", "scatter_max", "scatter_min", "scatter_mul", "scatter_nd_add",
           "scatter_nd_sub", "scatter_nd_update", "scatter_sub", "scatter_update"]

_EXTREMA_DTYPES = frozenset({"float16", "float32", "float64", "int32", "int64"})  # TF1's ScatterMax/Min


# -- how each op writes one batch of rows ---------------------------------------------------------------------
def _assign(xp, target, rows, updates):
    target[rows] = updates  # repeated rows: one of them wins, as in TF1


def _add(xp, target, rows, updates):
    scatter_add_rows(xp, target, rows, updates)


def _subtract(xp, target, rows, updates):
    _add(xp, target, rows, -updates)  # unsigned integers wrap around, as TF1's do


def _combining(name):
    def write(xp, target, rows, updates):
        if name == "divide":  # by the product of a row's divisors, formed in float64 (no overflow wraps it)
            scatter_combine(xp, target, rows, updates.astype(xp.float64), xp.multiply, _divide_by_product(xp))
        else:
            scatter_combine(xp, target, rows, updates, getattr(xp, name))
    return write


def _divide_by_product(xp):
    def divide(a, divisors):
        if a.dtype.kind not in "iu":
            return (a / divisors).astype(a.dtype)
        # an integer quotient truncates toward zero, as C's; a product past |a| (or inf) leaves 0
        vanishes = xp.abs(divisors) > xp.abs(a.astype(xp.float64))
        b = xp.where(vanishes | (divisors == 0), xp.ones_like(divisors), divisors).astype(xp.int64)  # 0: the check
        a = a.astype(xp.int64)  # |b| <= |a| fits here whatever a's dtype (int8 -128 / 128 does not fit an int8)
        quotient = a // b + ((a % b != 0) & ((a < 0) != (b < 0)))
        return xp.where(vanishes, xp.zeros_like(quotient), quotient)
    return divide


@dataclass(frozen=True)
class ScatterKind:
    op_type: str
    write: Callable           # (xp, target, rows, updates): in place
    dtypes: Callable          # DType -> bool: what the variable may hold
    locks_by_default: bool
    stops_gradients: bool     # TF1's NotDifferentiable; otherwise TF1 has no gradient for it: a LookupError
    nd: bool = False          # coordinates in indices' last axis (ScatterNd*) rather than rows


def _numeric(dtype):
    return not dtype.is_bool and dtype.name != "string"


KINDS = {kind.op_type: kind for kind in (
    ScatterKind("ScatterUpdate", _assign, lambda d: d.name != "string", True, False),
    ScatterKind("ScatterAdd", _add, _numeric, False, True),
    ScatterKind("ScatterSub", _subtract, _numeric, False, True),
    ScatterKind("ScatterMul", _combining("multiply"), _numeric, False, True),
    ScatterKind("ScatterDiv", _combining("divide"), _numeric, False, True),
    ScatterKind("ScatterMax", _combining("maximum"), lambda d: d.name in _EXTREMA_DTYPES, False, False),
    ScatterKind("ScatterMin", _combining("minimum"), lambda d: d.name in _EXTREMA_DTYPES, False, False),
    ScatterKind("ScatterNdUpdate", _assign, lambda d: d.name != "string", True, True, nd=True),
    ScatterKind("ScatterNdAdd", _add, _numeric, False, True, nd=True),
    ScatterKind("ScatterNdSub", _subtract, _numeric, False, True, nd=True),
)}


# -- build time: dtypes and shapes ----------------------------------------------------------------------------
def _infer_for(kind):
    def infer(inputs, attrs):
        ref, indices, updates = inputs
        _check_dtypes(kind, ref, indices, updates)
        if ref._shape is not None and not ref._shape:
            raise ValueError(f"{kind.op_type}: the variable {ref.op.name} must be at least rank 1, got a scalar")
        expected = _updates_shape(kind, ref._shape, indices._shape)
        scalar = not kind.nd and updates._shape == ()  # TF1's row scatters broadcast a scalar update
        if expected is not None and updates._shape is not None and not scalar and not _fits(updates._shape,
                                                                                             expected):
            raise ValueError(f"{kind.op_type}: updates have shape {dims_text(updates._shape)}, but indices of shape "
                             f"{dims_text(indices._shape)} into the variable {ref.op.name} of shape "
                             f"{dims_text(ref._shape)} need updates of shape {dims_text(expected)}")
        return [(ref.dtype, ref._shape)]
    return infer


def _check_dtypes(kind, ref, indices, updates):
    if ref.op.type != "VariableV2":
        raise TypeError(f"{kind.op_type}: the first input must be a variable's ref, got {ref.name} from a "
                        f"{ref.op.type} op")
    if not kind.dtypes(ref.dtype):
        raise TypeError(f"{kind.op_type} does not support variables of dtype {ref.dtype.name} ({ref.op.name})")
    if indices.dtype.name not in ("int32", "int64"):
        raise TypeError(f"{kind.op_type}: indices must be int32 or int64, got {indices.dtype.name}")
    if updates.dtype != ref.dtype:
        raise TypeError(f"{kind.op_type}: updates are {updates.dtype.name}, the variable {ref.op.name} is "
                        f"{ref.dtype.name}")


def _updates_shape(kind, ref_shape, indices_shape):
    """The shape ``updates`` must have, or None where a rank is unknown."""
    if ref_shape is None or indices_shape is None:
        return None
    if not kind.nd:
        return indices_shape + ref_shape[1:]
    if not indices_shape:
        raise ValueError(f"{kind.op_type}: indices must be at least rank 1, got a scalar")
    depth = indices_shape[-1]
    if depth is None:
        return None
    if not 1 <= depth <= len(ref_shape):
        raise ValueError(f"{kind.op_type}: the last dimension of indices ({depth}) must be in [1, "
                         f"{len(ref_shape)}] for a variable of shape {dims_text(ref_shape)}")
    return indices_shape[:-1] + ref_shape[depth:]


def _fits(shape, expected):
    return len(shape) == len(expected) and all(None in (a, b) or a == b for a, b in zip(shape, expected))


# -- run time -------------------------------------------------------------------------------------------------
def _kernel_for(kind):
    def build(ctx):
        xp, check = ctx.xp, ctx.value_check()
        drops_bad = ctx.device.device_type in DEFERRED_DEVICE_TYPES  # the write runs before the check fails
        checks_divisor = kind.op_type == "ScatterDiv" and ctx.out_dtype().kind in "iu"
        addressed = _nd_rows if kind.nd else _rows

        def scatter(slot, indices, updates):
            value = slot.get()
            target, rows, good = addressed(xp, check, value, indices)
            lead = indices.shape[:-1] if kind.nd else indices.shape
            updates = xp.broadcast_to(updates, lead + target.shape[1:]).reshape((-1,) + target.shape[1:])
            if checks_divisor:
                check_nonzero_divisor(check, updates)
            if drops_bad and rows.size:
                keep = xp.nonzero(good)[0]
                rows, updates = rows[keep], updates[keep]
            kind.write(xp, target, rows, updates)
            return value
        return locking(ctx, scatter)
    return build


def _rows(xp, check, value, indices):
    """Row scatters: the variable itself, its rows, and which of them are in range."""
    check_indices(check, xp, indices, value.shape[0])
    rows = indices.reshape(-1)
    return value, rows, (rows >= 0) & (rows < value.shape[0])


def _nd_rows(xp, check, value, indices):
    """Coordinate scatters: the variable viewed as rows of the slices coordinates pick, the coordinates as
    row numbers, and which of them are in range."""
    depth = indices.shape[-1]
    lead = value.shape[:depth]
    coords = indices.reshape(-1, depth).astype(xp.int64)
    good = ((coords >= 0) & (coords < xp.asarray(lead, dtype=xp.int64))).all(axis=1)
    if coords.shape[0]:
        check(xp.logical_not(good.all()), lambda host: _nd_message(host, value.shape), indices)
    strides = [math.prod(lead[i + 1:]) for i in range(depth)]
    rows = (coords * xp.asarray(strides, dtype=xp.int64)).sum(axis=1)
    return value.reshape((math.prod(lead),) + value.shape[depth:]), rows, good


def _nd_message(indices, shape):
    depth = indices.shape[-1]
    flat = indices.reshape(-1, depth)
    at = int(((flat < 0) | (flat >= shape[:depth])).any(axis=1).argmax())
    where = ",".join(str(i) for i in _unravel(at, indices.shape[:-1]))
    coordinate = ", ".join(str(int(c)) for c in flat[at])
    return (f"indices{f'[{where}]' if where else ''} = [{coordinate}] does not index into shape "
            f"[{','.join(map(str, shape))}]")


def _unravel(flat, shape):
    out = []
    for size in reversed(shape):
        flat, i = divmod(flat, size)
        out.append(i)
    return reversed(out)


for _kind in KINDS.values():
    define_op(_kind.op_type, _infer_for(_kind), {"any": _kernel_for(_kind)}, stateful=True, aliases_state=True,
              differentiable=not _kind.stops_gradients, takes_refs=True,
              doc=f"TF1's {_kind.op_type}: updates the variable in place and outputs it")


# -- the public builders ----------------------------------------------------------------------------------------
def _scatter(op_type, what, ref, indices, updates, use_locking, name):
    variable = variable_of(ref)
    if not isinstance(variable, Variable):
        raise TypeError(f"gn.{what} needs a gn.Variable as its first argument, got {type(ref).__name__}")
    indices = convert_to_tensor(indices)
    updates = convert_to_tensor(updates, dtype=variable.dtype)
    with variable.graph.colocate_with(variable._variable):
        op = apply_op(op_type, [variable._ref, indices, updates], {"use_locking": bool(use_locking)},
                      name or op_type)
    return op.outputs[0]


def scatter_update(ref, indices, updates, use_locking=True, name=None):
    """``ref[indices[i...], ...] = updates[i..., ...]``; returns the updated variable. ``updates`` has shape
    ``indices.shape + ref.shape[1:]`` (or is a scalar); with repeated indices one of their updates wins."""
    return _scatter("ScatterUpdate", "scatter_update", ref, indices, updates, use_locking, name)


def scatter_add(ref, indices, updates, use_locking=False, name=None):
    """``ref[indices[i...], ...] += updates[i..., ...]`` (repeated indices add up); returns the variable."""
    return _scatter("ScatterAdd", "scatter_add", ref, indices, updates, use_locking, name)


def scatter_sub(ref, indices, updates, use_locking=False, name=None):
    """``ref[indices[i...], ...] -= updates[i..., ...]`` (repeated indices subtract each); returns the variable."""
    return _scatter("ScatterSub", "scatter_sub", ref, indices, updates, use_locking, name)


def scatter_mul(ref, indices, updates, use_locking=False, name=None):
    """``ref[indices[i...], ...] *= updates[i..., ...]`` (repeated indices multiply in turn)."""
    return _scatter("ScatterMul", "scatter_mul", ref, indices, updates, use_locking, name)


def scatter_div(ref, indices, updates, use_locking=False, name=None):
    """``ref[indices[i...], ...] /= updates[i..., ...]``; integers divide toward zero, a zero divisor fails."""
    return _scatter("ScatterDiv", "scatter_div", ref, indices, updates, use_locking, name)


def scatter_max(ref, indices, updates, use_locking=False, name=None):
    """``ref[indices[i...], ...] = max(ref[...], updates[i..., ...])`` (float16/32/64, int32, int64)."""
    return _scatter("ScatterMax", "scatter_max", ref, indices, updates, use_locking, name)


def scatter_min(ref, indices, updates, use_locking=False, name=None):
    """``ref[indices[i...], ...] = min(ref[...], updates[i..., ...])`` (float16/32/64, int32, int64)."""
    return _scatter("ScatterMin", "scatter_min", ref, indices, updates, use_locking, name)


def scatter_nd_update(ref, indices, updates, use_locking=True, name=None):
    """``ref[tuple(indices[i..., :])] = updates[i...]``: the last axis of ``indices`` holds coordinates into
    the leading ``indices.shape[-1]`` axes of ``ref``; ``updates`` has shape
    ``indices.shape[:-1] + ref.shape[indices.shape[-1]:]``."""
    return _scatter("ScatterNdUpdate", "scatter_nd_update", ref, indices, updates, use_locking, name)


def scatter_nd_add(ref, indices, updates, use_locking=False, name=None):
    """``ref[tuple(indices[i..., :])] += updates[i...]`` (coordinates as ``scatter_nd_update``; repeats add)."""
    return _scatter("ScatterNdAdd", "scatter_nd_add", ref, indices, updates, use_locking, name)


def scatter_nd_sub(ref, indices, updates, use_locking=False, name=None):
    """``ref[tuple(indices[i..., :])] -= updates[i...]`` (coordinates as ``scatter_nd_update``)."""
    return _scatter("ScatterNdSub", "scatter_nd_sub", ref, indices, updates, use_locking, name)
