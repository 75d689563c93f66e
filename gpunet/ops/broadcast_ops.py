"""Broadcasting: gn.broadcast_to, and the run-time helpers behind the gradients of broadcasting ops
(sum a gradient back to an operand's shape; broadcast a value to another tensor's shape)."""
from __future__ import annotations

from ..graph.core_ops import convert_to_tensor
from ..graph.registry import define_op
from ..graph.shape import broadcast
from ._helpers import dims_text, int_list_arg, out
from ._runtime_args import int_arg

__all__ = ["broadcast_to"]


def _sum_to_kernel(ctx):
    def sum_to(grad, like):
        shape = like.shape
        if grad.shape == shape:
            return grad
        lead = grad.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(i + lead for i, d in enumerate(shape) if d == 1 and grad.shape[i + lead] != 1)
        return grad.sum(axis=axes).reshape(shape) if axes else grad.reshape(shape)
    return sum_to


define_op("SumToShapeOf", lambda i, a: [(i[0].dtype, i[1]._shape)], {"any": _sum_to_kernel},
          grad=lambda op, g: [broadcast_to_like(g, op.inputs[0]), None])


def sum_to_shape_of(grad, like):
    """``grad`` summed over the axes that broadcasting added to ``like`` (no op when static shapes match)."""
    if grad._shape is not None and grad._shape == like._shape and None not in grad._shape:
        return grad
    return out("SumToShapeOf", [grad, like], default_name="Sum")


def _broadcast_like_kernel(ctx):
    broadcast_fn = ctx.xp.broadcast_to
    return lambda x, like: broadcast_fn(x, like.shape)


define_op("BroadcastToLike", lambda i, a: [(i[0].dtype, i[1]._shape)], {"any": _broadcast_like_kernel},
          grad=lambda op, g: [sum_to_shape_of(g, op.inputs[0]), None])


def broadcast_to_like(x, like):
    """``x`` broadcast to the run-time shape of ``like``."""
    return out("BroadcastToLike", [x, like], default_name="BroadcastTo")


def _broadcast_to_infer(inputs, attrs):
    x, shape = inputs[0], attrs["shape"]
    if x._shape is not None and broadcast(x._shape, shape) != shape:
        raise ValueError(f"BroadcastTo: a tensor of shape {dims_text(x._shape)} cannot be broadcast to "
                         f"{dims_text(shape)}")
    return [(x.dtype, shape)]


def _broadcast_to_kernel(ctx):
    broadcast_fn, shape = ctx.xp.broadcast_to, ctx.attrs["shape"]
    return lambda x: broadcast_fn(x, shape)


define_op("BroadcastTo", _broadcast_to_infer, {"any": _broadcast_to_kernel},
          grad=lambda op, g: [sum_to_shape_of(g, op.inputs[0])])


def broadcast_to(input, shape, name=None):
    """``input`` repeated along its size-1 (and new leading) dimensions to ``shape``."""
    shape, shape_t = int_arg(shape, "shape")
    if shape_t is not None:
        from . import _run_time_variants as run_time
        return run_time.broadcast_to(convert_to_tensor(input), shape_t, name)
    shape = tuple(int_list_arg(shape, "shape", "BroadcastTo"))
    return out("BroadcastTo", [convert_to_tensor(input)], {"shape": shape}, name=name, default_name="BroadcastTo")
