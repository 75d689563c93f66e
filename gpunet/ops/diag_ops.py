"""Diagonals and evenly spaced values: ``diag``, ``diag_part``, ``eye``, ``linspace`` (``lin_space``), as TF1."""
from __future__ import annotations

import math

import numpy as np

from .. import errors
from ..graph.core_ops import constant, convert_to_tensor
from ..graph.dtypes import as_dtype, float32
from ..graph.registry import define_op
from ._helpers import dims_text, int_list_arg, one_int, out, tensor_arg

__all__ = ["diag", "diag_part", "eye", "lin_space", "linspace"]


# -- diag / diag_part ---------------------------------------------------------------------------------------------
def _diag_infer(inputs, attrs):
    shape = inputs[0]._shape
    return [(inputs[0].dtype, None if shape is None else shape + shape)]


def _diag_kernel(ctx):
    xp = ctx.xp

    def diag_fn(x):
        n = x.size
        result = xp.zeros((n, n), dtype=x.dtype)
        result[xp.arange(n), xp.arange(n)] = x.reshape(-1)
        return result.reshape(x.shape + x.shape)
    return diag_fn


def _diag_part_infer(inputs, attrs):
    x, shape = inputs[0], inputs[0]._shape
    if shape is None:
        return [(x.dtype, None)]
    half = len(shape) // 2
    if len(shape) % 2 or any(None not in (a, b) and a != b for a, b in zip(shape[:half], shape[half:])):
        raise ValueError(f"DiagPart: the input must have an even rank and shape [d1, ..., dk, d1, ..., dk], "
                         f"got {dims_text(shape)}")
    return [(x.dtype, tuple(a if a is not None else b for a, b in zip(shape[:half], shape[half:])))]


def _diag_part_kernel(ctx):
    op = ctx.op

    def diag_part_fn(x):
        half = x.ndim // 2
        if x.ndim % 2 or x.shape[:half] != x.shape[half:]:
            raise errors.InvalidArgumentError(None, op, f"DiagPart: the input must have shape [d1, ..., dk, d1, ..., "
                                                        f"dk], got {list(x.shape)}")
        n = math.prod(x.shape[:half])
        return x.reshape(n * n)[::n + 1].reshape(x.shape[:half]).copy()  # every (n+1)-th entry: the diagonal
    return diag_part_fn


define_op("Diag", _diag_infer, {"any": _diag_kernel}, grad=lambda op, g: [diag_part(g)],
          doc="a tensor of rank 2k with ``diagonal`` on its diagonal and zeros elsewhere")
define_op("DiagPart", _diag_part_infer, {"any": _diag_part_kernel}, grad=lambda op, g: [diag(g)],
          doc="the diagonal of a tensor of shape [d1, ..., dk, d1, ..., dk]")


def diag(diagonal, name=None):
    """``output[i1, ..., ik, i1, ..., ik] = diagonal[i1, ..., ik]``, zeros elsewhere (rank 2k for a rank-k
    input). The gradient is the diagonal part of the gradient."""
    return out("Diag", [convert_to_tensor(diagonal)], name=name, default_name="Diag")


def diag_part(input, name=None):
    """``output[i1, ..., ik] = input[i1, ..., ik, i1, ..., ik]`` for an input of shape [d1, ..., dk, d1, ..., dk].
    The gradient is ``diag`` of the gradient."""
    return out("DiagPart", [convert_to_tensor(input)], name=name, default_name="DiagPart")


# -- eye ----------------------------------------------------------------------------------------------------------
def eye(num_rows, num_columns=None, batch_shape=None, dtype=float32, name=None):
    """A ``num_rows`` x ``num_columns`` (default: square) matrix with ones on the diagonal, of ``dtype``, repeated
    over ``batch_shape`` (leading dimensions); the sizes are ints known when the graph is built."""
    rows = one_int(num_rows, "num_rows", "eye")
    columns = rows if num_columns is None else one_int(num_columns, "num_columns", "eye")
    batch = () if batch_shape is None else tuple(int_list_arg(batch_shape, "batch_shape", "eye"))
    if min((rows, columns) + batch) < 0:
        raise ValueError(f"eye: sizes must be non-negative, got num_rows={rows}, num_columns={columns}, "
                         f"batch_shape={list(batch)}")
    dtype = as_dtype(dtype)
    value = np.broadcast_to(np.eye(rows, columns, dtype=dtype.np), batch + (rows, columns))
    return constant(value, dtype, name=name or "eye")


# -- linspace -----------------------------------------------------------------------------------------------------
def _linspace_infer(inputs, attrs):
    start, stop = inputs
    if not start.dtype.is_floating or stop.dtype != start.dtype:
        raise TypeError(f"LinSpace: start and stop must be floats of one dtype, got {start.dtype.name} and "
                        f"{stop.dtype.name}")
    for t, what in ((start, "start"), (stop, "stop")):
        if t._shape not in (None, ()):
            raise ValueError(f"LinSpace: {what} must be a scalar, got shape {dims_text(t._shape)}")
    return [(start.dtype, (attrs["num"],))]


def _linspace_kernel(ctx):
    xp, num, dtype = ctx.xp, ctx.attrs["num"], ctx.out_dtype()
    return lambda start, stop: xp.linspace(start, stop, num).astype(dtype, copy=False)


define_op("LinSpace", _linspace_infer, {"any": _linspace_kernel}, differentiable=False,
          doc="``num`` evenly spaced values from ``start`` to ``stop`` (both included)")


def linspace(start, stop, num, name=None):
    """``num`` evenly spaced values from ``start`` to ``stop``, both included (``num`` = 1: just ``start``);
    ``num`` is a positive int known when the graph is built."""
    count = one_int(num, "num", "LinSpace")
    if count < 1:
        raise ValueError(f"LinSpace: requires num > 0, got {count}")
    start = tensor_arg(start, "start")
    stop = tensor_arg(stop, "stop", dtype=start.dtype)
    return out("LinSpace", [start, stop], {"num": count}, name=name, default_name="LinSpace")


lin_space = linspace
