"""Shape manipulation: reshape, transpose, expand_dims/squeeze, tile, shape queries, stop_gradient.

Several kernels return views of their input (reshape, transpose, expand_dims, squeeze); the plan
copies a fetched value that may share a variable's buffer, so they need no copy of their own.
"""
from __future__ import annotations

import math

import numpy as np

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import as_dtype, int32
from ..graph.registry import define_op
from ._helpers import (constant_value, dims_text, int_list_arg, out, rank_of, same_as_input, shape_from_tensor,
                       single_axis)
from ._host_shapes import host_args
from ._rank_checks import rank_checked
from ._runtime_args import int_arg
from .creation_ops import holds_tensors, ones_like, shape_arg, zeros_like  # noqa: F401  (importable from here)

__all__ = ["expand_dims", "rank", "reshape", "shape", "size", "squeeze", "stop_gradient", "tile", "transpose"]


# -- reshape --------------------------------------------------------------------------------------
def _reshape_infer(inputs, attrs):
    x, target = inputs[0], attrs["shape"]
    if target is None:  # a run-time shape of unknown length
        return [(x.dtype, None)]
    target = list(target)
    if target.count(-1) > 1 or any(d is not None and d < -1 for d in target):
        raise ValueError(f"Reshape: only one dimension may be -1 and none below it, got {target}")
    total = math.prod(x._shape) if x._shape is not None and None not in x._shape else None
    rest = [d for d in target if d != -1]
    if -1 in target:
        known_rest = None if None in rest else math.prod(rest)
        if total is not None and known_rest is not None:
            if known_rest == 0 or total % known_rest:
                raise ValueError(f"Cannot reshape a tensor with {total} elements to shape {target} "
                                 f"for input shape {dims_text(x._shape)}")
            target[target.index(-1)] = total // known_rest
        else:
            target[target.index(-1)] = None
    elif total is not None and None not in target and total != math.prod(target):
        raise ValueError(f"Cannot reshape a tensor with {total} elements to shape {target} "
                         f"({math.prod(target)} elements) for input shape {dims_text(x._shape)}")
    return [(x.dtype, tuple(target))]


def _reshape_kernel(ctx):
    host, reshaped = ctx.attrs.get("host_args"), _checked_reshape(ctx.op)
    if host is not None:  # the target shape is computed on the host from the shapes of the other inputs
        target = host.program(ctx.state)
        return lambda x, *sources: reshaped(x, _dims(target(*sources)[0]))
    if len(ctx.op.inputs) == 2:  # the target shape is a device tensor: read back each step
        return lambda x, shape: reshaped(x, _dims(shape.tolist()))
    shape = tuple(ctx.attrs["shape"])
    return lambda x: reshaped(x, shape)


def _checked_reshape(op):
    """``x.reshape(shape)`` with TF1's message when the shape does not fit (known only at run time)."""
    def reshaped(x, shape):
        if min(shape, default=0) < -1:  # NumPy would take any negative size for -1
            raise errors.InvalidArgumentError(None, op, _reshape_error(x.shape, shape))
        try:
            return x.reshape(shape)
        except ValueError:
            raise errors.InvalidArgumentError(None, op, _reshape_error(x.shape, shape)) from None
    return reshaped


def _reshape_error(input_shape, shape):
    negative = [i for i, d in enumerate(shape) if d < -1]
    if negative:
        return f"Size {negative[0]} must be non-negative, not {shape[negative[0]]}"
    free = [i for i, d in enumerate(shape) if d == -1]
    if len(free) > 1:
        return f"Only one input size may be -1, not both {free[0]} and {free[1]}"
    size, known = math.prod(input_shape), math.prod(d for d in shape if d != -1)
    if free and not known:
        return ("Reshape cannot infer the missing input size for an empty tensor unless all specified input sizes "
                "are non-zero")
    wanted = f"requires a multiple of {known}" if free else f"has {known}"
    return f"Input to reshape is a tensor with {size} values, but the requested shape {wanted}"


def _dims(values):
    return tuple(int(d) for d in values)


define_op("Reshape", _reshape_infer, {"any": _reshape_kernel},
          grad=lambda op, g: [reshape_like(g, op.inputs[0])] + [None] * (len(op.inputs) - 1))


def _reshape_like_kernel(ctx):
    return lambda x, like: x.reshape(like.shape)


define_op("ReshapeLike", lambda i, a: [(i[0].dtype, i[1]._shape)], {"any": _reshape_like_kernel},
          grad=lambda op, g: [reshape_like(g, op.inputs[0]), None])


def reshape_like(x, like, name=None):
    """``x`` reshaped to the run-time shape of ``like`` (gradients of shape changes)."""
    if x._shape is not None and x._shape == like._shape and None not in x._shape:
        return x
    return out("ReshapeLike", [x, like], name=name, default_name="Reshape")


def _require_int_shape(dtype):
    """TF1 takes only int32/int64 shapes: [2.0, 3.0] is a TypeError, not a shape read as ints."""
    kind = getattr(dtype, "kind", None) or ("i" if dtype.is_integer else "f")
    if kind not in "iuO":
        name = getattr(dtype, "name", dtype)
        raise TypeError(f"Value passed to parameter 'shape' has DataType {name} not in list of allowed values: "
                        "int32, int64")


def reshape(tensor, shape, name=None):
    """``shape``: ints with at most one -1, or a 1-D int tensor, or a list mixing ints and scalar
    tensors (``[gn.shape(x)[0], -1]``); what is known when the graph is built is used for the static shape."""
    x = convert_to_tensor(tensor)
    if not holds_tensors(shape):
        if isinstance(shape, (list, tuple, np.ndarray)) and np.size(shape):  # [] is a float64 array to NumPy
            _require_int_shape(np.asarray(shape).dtype)
        dims = tuple(int_list_arg(shape, "shape", "Reshape"))
        return out("Reshape", [x], {"shape": dims}, name=name, default_name="Reshape")
    shape = shape_arg(shape)
    _require_int_shape(shape.dtype)
    known = constant_value(shape)
    if known is not None:
        return out("Reshape", [x], {"shape": tuple(int(d) for d in known)}, name=name, default_name="Reshape")
    if shape.op.type == "Shape":
        return out("ReshapeLike", [x, shape.op.inputs[0]], name=name, default_name="Reshape")
    host = host_args([shape])
    if host is not None:  # [gn.shape(x)[0], -1]: computed on the host, never on a device (TF1's HostMemory)
        return out("Reshape", [x, *host.sources], {"shape": shape_from_tensor(shape), "host_args": host},
                   name=name, default_name="Reshape")
    return out("Reshape", [x, shape], {"shape": shape_from_tensor(shape)}, name=name, default_name="Reshape")


# -- shape queries --------------------------------------------------------------------------------
def _shape_kernel(ctx):
    dtype, xp = ctx.out_dtype(), ctx.xp
    return lambda x: xp.asarray(x.shape, dtype=dtype)


def _size_kernel(ctx):
    dtype, xp = ctx.out_dtype(), ctx.xp
    return lambda x: xp.asarray(x.size, dtype=dtype)


def _rank_kernel(ctx):
    dtype, xp = ctx.out_dtype(), ctx.xp
    return lambda x: xp.asarray(x.ndim, dtype=dtype)


# host_memory: a consumer taking a shape argument computes these on the host (ops/_host_shapes.py)
define_op("Shape", lambda i, a: [(a["out_type"], (rank_of(i[0]),))], {"any": _shape_kernel}, differentiable=False,
          host_memory=True)
define_op("Size", lambda i, a: [(a["out_type"], ())], {"any": _size_kernel}, differentiable=False, host_memory=True)
define_op("Rank", lambda i, a: [(int32, ())], {"any": _rank_kernel}, differentiable=False, host_memory=True)


def shape(input, name=None, out_type=int32):
    """The shape of ``input`` as a 1-D ``out_type`` (int32) tensor, known at run time; not differentiable."""
    return out("Shape", [convert_to_tensor(input)], {"out_type": as_dtype(out_type)}, name=name, default_name="Shape")


def size(input, name=None, out_type=int32):
    """The number of elements of ``input`` as an ``out_type`` (int32) scalar; not differentiable."""
    return out("Size", [convert_to_tensor(input)], {"out_type": as_dtype(out_type)}, name=name, default_name="Size")


def rank(input, name=None):
    """The number of dimensions of ``input`` as an int32 scalar; not differentiable."""
    return out("Rank", [convert_to_tensor(input)], name=name, default_name="Rank")


# -- expand_dims / squeeze / transpose ------------------------------------------------------------
def _expand_dims_infer(inputs, attrs):
    x = inputs[0]
    if x._shape is None:
        return [(x.dtype, None)]
    dims = list(x._shape)
    dims.insert(attrs["axis"], 1)
    return [(x.dtype, tuple(dims))]


def _expand_dims_kernel(ctx):
    axis, xp = ctx.attrs["axis"], ctx.xp
    return lambda x: xp.expand_dims(x, axis)


define_op("ExpandDims", _expand_dims_infer, {"any": _expand_dims_kernel},
          grad=lambda op, g: [reshape_like(g, op.inputs[0])])


def expand_dims(input, axis=None, name=None, dim=None):
    """``input`` with a dimension of length 1 inserted at ``axis`` (in ``[-rank - 1, rank]``).

    ``dim`` is TF1's deprecated name of ``axis``; the gradient is reshaped back to ``input``'s shape.
    """
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("expand_dims: axis must be given")
    x = convert_to_tensor(input)
    return out("ExpandDims", [x], {"axis": single_axis(axis, rank_of(x), "ExpandDims", extra=1)},
               name=name, default_name="ExpandDims")


def _squeeze_infer(inputs, attrs):
    x, axes = inputs[0], attrs["axis"]
    if x._shape is None:
        return [(x.dtype, None)]
    if axes is None:
        if None in x._shape:
            return [(x.dtype, None)]  # which unknown dims are 1 is only known at run time
        return [(x.dtype, tuple(d for d in x._shape if d != 1))]
    for a in axes:
        if x._shape[a] not in (1, None):
            raise ValueError(f"Can not squeeze dim[{a}], expected a dimension of 1, got {x._shape[a]} "
                             f"for input shape {dims_text(x._shape)}")
    return [(x.dtype, tuple(d for i, d in enumerate(x._shape) if i not in axes))]


def _squeeze_kernel(ctx):
    axes, xp, op, shape = ctx.attrs["axis"], ctx.xp, ctx.op, ctx.op.inputs[0]._shape
    if axes is None or (shape is not None and all(shape[a] == 1 for a in axes)):
        return lambda x: xp.squeeze(x, axis=axes)

    def squeeze_(x):  # the sizes (or the rank) are known only when fed
        for a in axes:
            if not -x.ndim <= a < x.ndim:
                raise errors.InvalidArgumentError(None, op, f"Tried to squeeze dim index {a} for tensor with "
                                                            f"{x.ndim} dimensions.")
            if x.shape[a] != 1:
                raise errors.InvalidArgumentError(None, op, f"Can not squeeze dim[{a}], expected a dimension of 1, "
                                                            f"got {x.shape[a]}")
        return xp.squeeze(x, axis=axes)
    return squeeze_


define_op("Squeeze", _squeeze_infer, {"any": _squeeze_kernel},
          grad=lambda op, g: [reshape_like(g, op.inputs[0])])


def squeeze(input, axis=None, name=None, squeeze_dims=None):
    """``input`` without its dimensions of length 1: those in ``axis`` (each must be 1), or all of them.

    ``squeeze_dims`` is TF1's deprecated name of ``axis``; the gradient is reshaped back to ``input``'s shape.
    """
    axis = squeeze_dims if axis is None else axis
    x = convert_to_tensor(input)
    if axis is not None:
        axis = [axis] if np.ndim(axis) == 0 else list(axis)
        axis = tuple(sorted({single_axis(a, rank_of(x), "Squeeze") for a in axis}))
    return out("Squeeze", [x], {"axis": axis}, name=name, default_name="Squeeze")


def _transpose_infer(inputs, attrs):
    x, perm = inputs[0], attrs["perm"]
    if x._shape is None:
        return [(x.dtype, None if perm is None else (None,) * len(perm))]
    perm = perm if perm is not None else tuple(reversed(range(len(x._shape))))
    if sorted(perm) != list(range(len(x._shape))):
        raise ValueError(f"transpose: perm {list(perm)} is not a permutation of the {len(x._shape)} dimensions "
                         f"of input shape {dims_text(x._shape)}")
    return [(x.dtype, tuple(x._shape[p] for p in perm))]


def _transpose_kernel(ctx):
    perm, xp = ctx.attrs["perm"], ctx.xp
    return lambda x: xp.transpose(x, perm)


def _transpose_grad(op, g):
    perm = op.attrs["perm"]
    return [transpose(g, None if perm is None else tuple(np.argsort(perm)))]


def _perm_fits(shape, attrs):
    """TF1's check of a graph-time ``perm`` against the rank of a value fed to a tensor of unknown rank."""
    perm = attrs["perm"]
    if perm is None or len(perm) == len(shape):
        return None
    return f"transpose expects a vector of size {len(shape)}. But input(1) is a vector of size {len(perm)}"


define_op("Transpose", _transpose_infer, {"any": rank_checked(_transpose_kernel, _perm_fits)}, grad=_transpose_grad)


def transpose(a, perm=None, name="transpose", conjugate=False):
    """Permute dimensions; ``perm=None`` reverses them (a matrix transpose for rank 2)."""
    x = convert_to_tensor(a)
    perm, perm_t = int_arg(perm, "perm")
    if perm_t is not None:
        from . import _run_time_variants as run_time
        return run_time.transpose(x, perm_t, name)
    if perm is not None:
        perm = tuple(int_list_arg(perm, "perm", "Transpose"))
        rank = rank_of(x)
        if rank is not None and len(perm) == rank:
            perm = tuple(p % rank if -rank <= p < 0 else p for p in perm)
    return out("Transpose", [x], {"perm": perm}, name=name, default_name="transpose")


# -- tile -----------------------------------------------------------------------------------------
def _tile_infer(inputs, attrs):
    x, multiples = inputs[0], attrs["multiples"]
    if multiples is None:  # known when the graph runs
        return [(x.dtype, _dynamic_tile_shape(x, attrs, inputs))]
    if x._shape is None:
        return [(x.dtype, (None,) * len(multiples))]
    if len(multiples) != len(x._shape):
        raise ValueError(f"Tile: multiples {list(multiples)} must have one entry per dimension of input shape "
                         f"{dims_text(x._shape)}")
    return [(x.dtype, tuple(None if d is None else d * m for d, m in zip(x._shape, multiples)))]


def _dynamic_tile_shape(x, attrs, inputs):
    host = attrs.get("host_args")
    multiples = host.args[0].value if host is not None else inputs[1]
    if not multiples.dtype.is_integer:
        raise TypeError(f"Tile: multiples must be int32 or int64, got {multiples.dtype.name}")
    known = shape_from_tensor(multiples)
    rank = len(known) if known is not None else rank_of(x)
    if rank is None:
        return None
    if x._shape is not None and len(x._shape) != rank:
        raise ValueError(f"Tile: multiples must have one entry per dimension of input shape {dims_text(x._shape)}, "
                         f"got {rank}")
    dims = x._shape or (None,) * rank
    known = known or (None,) * rank
    return tuple(None if d is None or m is None else d * m for d, m in zip(dims, known))


def _tile_kernel(ctx):
    multiples, tile_fn, host = ctx.attrs["multiples"], ctx.xp.tile, ctx.attrs.get("host_args")
    if multiples is not None:
        return lambda x: tile_fn(x, multiples)
    if host is not None:  # multiples computed on the host from the shapes of the inputs
        multiples_of = host.program(ctx.state)
        return lambda x, *sources: tile_fn(x, _run_multiples(ctx, x, multiples_of(*sources)[0]))
    return lambda x, m: tile_fn(x, _run_multiples(ctx, x, m.tolist()))  # read back each step


def _run_multiples(ctx, x, values):
    multiples = tuple(int(m) for m in values)
    if len(multiples) != x.ndim or any(m < 0 for m in multiples):
        raise errors.InvalidArgumentError(None, ctx.op, f"Tile: multiples must be {x.ndim} non-negative ints (one "
                                                        f"per dimension of the input), got {list(multiples)}")
    return multiples


def _multiples_fit(shape, attrs):
    """TF1's check of graph-time ``multiples`` against the rank of a value fed to a tensor of unknown rank
    (NumPy's tile would prepend dimensions instead)."""
    multiples = attrs["multiples"]
    if multiples is None or len(multiples) == len(shape):
        return None
    return f"Expected multiples argument to be a vector of length {len(shape)} but got length {len(multiples)}"


define_op("Tile", _tile_infer, {"any": rank_checked(_tile_kernel, _multiples_fit)},
          grad=lambda op, g: [tile_grad(g, op.inputs[0], op.attrs["multiples"])] + [None] * (len(op.inputs) - 1))


def _tile_grad_kernel(ctx):
    static, zeros = ctx.attrs["multiples"], ctx.xp.zeros

    def sum_tiles(g, like):
        if static is None and like.size == 0:  # multiples of an empty input cannot be read back from g
            return zeros(like.shape, dtype=g.dtype)
        multiples = static or [n // d for n, d in zip(g.shape, like.shape)]
        split_dims = [n for pair in zip(multiples, like.shape) for n in pair]  # (m0, d0, m1, d1, ...)
        return g.reshape(split_dims).sum(axis=tuple(range(0, 2 * len(multiples), 2)))
    return sum_tiles


define_op("TileGrad", lambda i, a: [(i[0].dtype, i[1]._shape)], {"any": _tile_grad_kernel},
          grad=lambda op, g: [tile(g, op.attrs["multiples"]), None])


def tile_grad(g, like, multiples):
    """``g`` (shaped like ``tile(like, multiples)``) summed over the tiles: shaped like ``like``."""
    return out("TileGrad", [g, like], {"multiples": None if multiples is None else tuple(multiples)},
               default_name="Sum")


def tile(input, multiples, name=None):
    """``input`` repeated ``multiples[i]`` times along each dimension i (output dim i = dim i * multiples[i]);
    ``multiples`` are ints, or an int tensor known only at run time.

    The gradient sums the copies back.
    """
    x = convert_to_tensor(input)
    if holds_tensors(multiples) and constant_value(shape_arg(multiples, "multiples")) is None:
        return _dynamic_tile(x, shape_arg(multiples, "multiples"), name)
    multiples = tuple(int_list_arg(multiples, "multiples", "Tile"))
    return out("Tile", [x], {"multiples": multiples}, name=name, default_name="Tile")


def _dynamic_tile(x, multiples, name):
    """Tile by multiples known when the graph runs: computed on the host when they are a function of
    shapes (``[tf.shape(y)[0], 1]``), read back from the device otherwise."""
    host = host_args([multiples])
    if host is not None:
        return out("Tile", [x, *host.sources], {"multiples": None, "host_args": host}, name=name, default_name="Tile")
    return out("Tile", [x, multiples], {"multiples": None}, name=name, default_name="Tile")


# -- stop_gradient --------------------------------------------------------------------------------
define_op("StopGradient", same_as_input, {"any": lambda ctx: lambda x: x}, differentiable=False)


def stop_gradient(input, name=None):
    """The value of ``input``; gradients do not flow through it."""
    return out("StopGradient", [convert_to_tensor(input)], name=name, default_name="StopGradient")
