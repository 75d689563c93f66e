"""Indexing by coordinates and by masks: ``gather_nd`` and ``boolean_mask``.

Both check their indices at run time (an out-of-range coordinate or a mask of the wrong shape is
an InvalidArgumentError, never a wrapped-around or silently dropped value). Their gradients are
dense, as gather's: GatherNdGrad adds the gradient slices into zeros at the coordinates
(repeated coordinates add up), BooleanMaskGrad writes them back at the mask's True entries.
"""
from __future__ import annotations

import builtins

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.registry import define_op
from ._helpers import dims_text, op_scope, out, rank_of, single_axis
from ._scatter_combine import scatter_add_at

__all__ = ["boolean_mask", "gather_nd"]

_all = builtins.slice(None)


# -- gather_nd ------------------------------------------------------------------------------------
def _gather_nd_infer(inputs, attrs):
    params, indices = inputs[:2]
    if not indices.dtype.is_integer:
        raise TypeError(f"GatherNd: indices must be int32 or int64, got {indices.dtype.name}")
    if params._shape is None or indices._shape is None or indices._shape[-1:] == (None,):
        return [(params.dtype, None)]
    if not indices._shape:
        raise ValueError("GatherNd: indices must be at least 1-dimensional, got a scalar")
    depth = indices._shape[-1]
    if depth > len(params._shape):
        raise ValueError(f"GatherNd: index innermost dimension length {depth} must be <= params rank "
                         f"{len(params._shape)} (params shape {dims_text(params._shape)})")
    return [(params.dtype, indices._shape[:-1] + params._shape[depth:])]


def _coordinates(xp, indices, shape):
    """``indices[..., i]`` as a tuple of index arrays, after checking each lies in ``[0, shape[i])``."""
    depth = indices.shape[-1]
    bounds = xp.asarray(shape[:depth], dtype=indices.dtype)
    bad = (indices < 0) | (indices >= bounds)
    if bool(bad.any()):
        where = tuple(int(i) for i in xp.argwhere(bad.any(axis=-1))[0])
        raise IndexError(f"indices{list(where)} = {[int(i) for i in indices[where]]} does not index into param "
                         f"shape {list(shape)}")
    return tuple(indices[..., i] for i in range(depth))


def _nd_depth_message(params, indices):
    if indices.ndim == 0:
        return f"indices must be at least a vector, got a scalar {indices.tolist()}"
    return (f"index innermost dimension length must be <= params rank; saw: {indices.shape[-1]} vs. {params.ndim} "
            f"(params shape {dims_text(params.shape)}, indices shape {dims_text(indices.shape)})")


def _gather_nd_kernel(ctx):
    xp = ctx.xp

    def gather_nd_fn(params, indices):
        if indices.ndim == 0 or indices.shape[-1] > params.ndim:  # shapes known only when fed
            raise errors.InvalidArgumentError(None, ctx.op, _nd_depth_message(params, indices))
        if indices.shape[-1] == 0:  # empty coordinates pick the whole of params, once per index row
            return xp.broadcast_to(params, indices.shape[:-1] + params.shape).copy()
        return params[_coordinates(xp, indices, params.shape)]
    return gather_nd_fn


def _gather_nd_grad_kernel(ctx):
    xp, dtype = ctx.xp, ctx.out_dtype()
    add_at = scatter_add_at(xp)

    def scatter(g, indices, params):
        if indices.shape[-1] == 0:
            return g.sum(axis=tuple(range(indices.ndim - 1))).astype(dtype, copy=False)
        result = xp.zeros(params.shape, dtype=dtype)
        add_at(result, _coordinates(xp, indices, params.shape), g)
        return result
    return scatter


define_op("GatherNd", _gather_nd_infer, {"any": _gather_nd_kernel},
          grad=lambda op, g: [gather_nd_grad(g, op.inputs[1], op.inputs[0]), None])
define_op("GatherNdGrad", lambda i, a: [(i[0].dtype, i[2]._shape)], {"any": _gather_nd_grad_kernel},
          grad=lambda op, g: [gather_nd(g, op.inputs[1]), None, None])


def gather_nd_grad(g, indices, params):
    """The dense gradient of ``gather_nd(params, indices)``: ``g`` added into zeros at the coordinates."""
    return out("GatherNdGrad", [g, indices, params], default_name="GatherNdGrad")


def gather_nd(params, indices, name=None, batch_dims=0):
    """Slices of ``params`` at the coordinates in ``indices``' last axis: shape
    ``indices.shape[:-1] + params.shape[indices.shape[-1]:]``."""
    if batch_dims:
        raise ValueError("gather_nd: batch_dims other than 0 is not supported")
    with op_scope(name, "GatherNd", [params, indices]) as scope:
        params = convert_to_tensor(params, name="params")
        indices = convert_to_tensor(indices, name="indices")
        return out("GatherNd", [params, indices], name=scope)


# -- boolean_mask ---------------------------------------------------------------------------------
def _mask_infer(inputs, attrs):
    tensor, mask = inputs[:2]
    if not mask.dtype.is_bool:
        raise TypeError(f"boolean_mask: mask must be a bool tensor, got {mask.dtype.name}")
    axis, k = attrs["axis"], len(mask._shape)
    if tensor._shape is None:
        return [(tensor.dtype, None)]
    if axis + k > len(tensor._shape):
        raise ValueError(f"boolean_mask: a mask of rank {k} at axis {axis} does not fit a tensor of shape "
                         f"{dims_text(tensor._shape)}")
    for t, m in zip(tensor._shape[axis:axis + k], mask._shape, strict=True):
        if t is not None and m is not None and t != m:
            raise ValueError(f"Shapes {dims_text(tensor._shape[axis:axis + k])} and {dims_text(mask._shape)} are "
                             f"incompatible (boolean_mask of a tensor of shape {dims_text(tensor._shape)})")
    return [(tensor.dtype, tensor._shape[:axis] + (None,) + tensor._shape[axis + k:])]


def _mask_key(ctx, tensor, mask):
    axis = ctx.attrs["axis"]
    if tensor.shape[axis:axis + mask.ndim] != mask.shape:
        raise ValueError(f"mask of shape {list(mask.shape)} does not match the dimensions {axis}.."
                         f"{axis + mask.ndim - 1} of the tensor of shape {list(tensor.shape)}")
    return (_all,) * axis + (mask,)


def _mask_kernel(ctx):
    return lambda tensor, mask: tensor[_mask_key(ctx, tensor, mask)]


def _mask_grad_kernel(ctx):
    xp, dtype = ctx.xp, ctx.out_dtype()

    def unmask(g, mask, tensor):
        result = xp.zeros(tensor.shape, dtype=dtype)
        result[_mask_key(ctx, tensor, mask)] = g
        return result
    return unmask


define_op("BooleanMask", _mask_infer, {"any": _mask_kernel},
          grad=lambda op, g: [boolean_mask_grad(g, op.inputs[1], op.inputs[0], op.attrs["axis"]), None])
define_op("BooleanMaskGrad", lambda i, a: [(i[0].dtype, i[2]._shape)], {"any": _mask_grad_kernel},
          grad=lambda op, g: [boolean_mask(g, op.inputs[1], axis=op.attrs["axis"]), None, None])


def boolean_mask_grad(g, mask, tensor, axis):
    """The gradient of ``boolean_mask(tensor, mask, axis)``: ``g`` written at the True entries, zeros elsewhere."""
    return out("BooleanMaskGrad", [g, mask, tensor], {"axis": axis}, default_name="BooleanMaskGrad")


def boolean_mask(tensor, mask, name="boolean_mask", axis=None):
    """The entries of ``tensor`` where ``mask`` is True: ``mask`` covers dimensions ``axis ..
    axis + mask.ndim - 1`` (axis 0 by default), which collapse into one of unknown size."""
    with op_scope(name, "boolean_mask", [tensor, mask]) as scope:
        tensor = convert_to_tensor(tensor, name="tensor")
        mask = convert_to_tensor(mask, name="mask")
        if mask._shape is None:
            raise ValueError("Number of mask dimensions must be specified, even if some dimensions are None. "
                             "E.g. shape=[None] is ok, but shape=None is not.")
        if not mask._shape:
            raise ValueError("mask cannot be scalar.")
        axis = single_axis(0 if axis is None else axis, rank_of(tensor), "boolean_mask")
        return out("BooleanMask", [tensor, mask], {"axis": axis}, name=scope)
