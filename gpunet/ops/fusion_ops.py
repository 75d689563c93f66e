"""Many tensors as one buffer: ``flat_concat`` joins tensors of known shapes into one 1-D tensor and
``flat_split`` cuts such a buffer back into tensors of those shapes (views of it on the host).

Data-parallel training moves each replica's gradients across devices as one buffer
(gpunet/parallel/fusion.py). Each direction is one step of a plan, where a reshape per tensor plus a
concat (or a split plus a reshape per tensor) would be one step per tensor: in a replicated step the
threads of several devices share one interpreter, so every step saved is time the others get."""
from __future__ import annotations

import math

import numpy as np

from ..graph.core_ops import convert_to_tensor
from ..graph.registry import define_op
from ._helpers import dims_text, out, outs

__all__ = ["flat_concat", "flat_split"]


def _known_shape(tensor, op_type):
    if tensor._shape is None or None in tensor._shape:
        raise ValueError(f"{op_type}: {tensor.name} needs a fully known shape, got {dims_text(tensor._shape)}")
    return tuple(tensor._shape)


def _concat_infer(inputs, attrs):
    for t in inputs[1:]:
        if t.dtype != inputs[0].dtype:
            raise TypeError(f"FlatConcat: all inputs must have the same dtype, got {inputs[0].dtype.name} "
                            f"and {t.dtype.name}")
    return [(inputs[0].dtype, (sum(math.prod(_known_shape(t, "FlatConcat")) for t in inputs),))]


def _concat_kernel(ctx):
    concatenate = ctx.xp.concatenate
    return lambda *xs: concatenate([x.reshape(-1) for x in xs])


def _split_infer(inputs, attrs):
    (buffer,) = inputs
    shapes = attrs["shapes"]
    total = sum(math.prod(s) for s in shapes)
    if buffer._shape is not None and (len(buffer._shape) != 1 or buffer._shape[0] not in (None, total)):
        raise ValueError(f"FlatSplit: expected a 1-D buffer of {total} elements for shapes "
                         f"{[list(s) for s in shapes]}, got shape {dims_text(buffer._shape)}")
    return [(buffer.dtype, s) for s in shapes]


def _split_kernel(ctx):
    shapes = ctx.attrs["shapes"]
    bounds = np.cumsum([0] + [math.prod(s) for s in shapes]).tolist()
    pieces = list(zip(bounds[:-1], bounds[1:], shapes))

    def split(buffer):
        if buffer.shape != (bounds[-1],):
            raise ValueError(f"FlatSplit: expected a buffer of shape [{bounds[-1]}], got {dims_text(buffer.shape)}")
        return tuple(buffer[start:stop].reshape(shape) for start, stop, shape in pieces)
    return (lambda buffer: split(buffer)[0]) if len(shapes) == 1 else split


def _concat_grad(op, g):
    return flat_split(g, [t._shape for t in op.inputs])


def _split_grad(op, *grads):
    from .creation_ops import zeros
    filled = [g if g is not None else zeros(t._shape, dtype=t.dtype) for g, t in zip(grads, op.outputs)]
    return [flat_concat(filled)]


define_op("FlatConcat", _concat_infer, {"any": _concat_kernel}, grad=_concat_grad, fresh_outputs=True,
          joins_inputs=True,
          doc="tensors of known shapes, flattened and joined into one 1-D buffer")
define_op("FlatSplit", _split_infer, {"any": _split_kernel}, grad=_split_grad,
          doc="a 1-D buffer cut into tensors of the given shapes (the inverse of FlatConcat)")


def flat_concat(tensors, name="flat_concat"):
    """One 1-D tensor holding ``tensors`` (same dtype, fully known shapes) one after another, flattened."""
    tensors = [convert_to_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("flat_concat: no tensors to join")
    return out("FlatConcat", tensors, {}, name=name, default_name="FlatConcat")


def flat_split(buffer, shapes, name="flat_split"):
    """The tensors of ``shapes`` (fully known) that ``flat_concat`` joined into ``buffer``."""
    shapes = tuple(tuple(int(d) for d in s) for s in shapes)
    if not shapes:
        raise ValueError("flat_split: no shapes to cut the buffer into")
    build = out if len(shapes) == 1 else outs
    return build("FlatSplit", [convert_to_tensor(buffer)], {"shapes": shapes}, name=name, default_name="FlatSplit")
