"""Joins built in place: the producers of a join's inputs write straight into its buffer.

A replica's gradients travel as one buffer (gpunet/parallel/fusion.py). Joined by a ``FlatConcat``,
that is one more pass over every gradient's bytes on the device. Where an input's op can write its
result into given memory (``OpDef.into_kernel``: a matrix product, a bias gradient), runs on the join's
device and has the join as its only reader, the first such producer allocates the whole buffer and
writes its part, the later ones write theirs into it, and the join copies in only the rest. The
values are those of the plain plan bit for bit: each product is the same call, into other memory."""
from __future__ import annotations

import math
from collections import Counter

import numpy as np

__all__ = ["join_in_place"]


def join_in_place(steps, kernel_steps, fetched, context):
    """Rewrite in ``steps`` (builder tuples ``(fn, ins, out, frees, op, device)``) every join
    (``OpDef.joins_inputs``) with inputs that can be written in place. ``kernel_steps``: op -> its kernel
    step; ``fetched``: slots the caller reads; ``context(op, device)``: the op's KernelContext."""
    readers = Counter(slot for step in steps for slot in step[1])
    made_by = {steps[k][2]: k for k in kernel_steps.values() if steps[k][2].__class__ is int}
    for j, step in enumerate(steps):
        if step[4].op_def.joins_inputs:
            parts = [_Part(made_by[slot], slot, offset, tensor) for slot, offset, tensor in _pieces(step)
                     if _writable(steps, made_by.get(slot), step[5], readers[slot], slot in fetched)]
            if parts:
                _rewrite(steps, j, parts, context)


class _Part:
    """One input of a join written in place: its producer's step index, its slot, and where it goes."""

    def __init__(self, k, slot, offset, tensor):
        self.k, self.slot, self.offset, self.shape = k, slot, offset, tuple(tensor._shape)
        self.size = math.prod(self.shape)

    def view(self, buffer):
        return buffer[self.offset:self.offset + self.size].reshape(self.shape)


def _pieces(join):
    """``(slot, offset, tensor)`` of each input of ``join`` within its buffer."""
    offsets = np.cumsum([0] + [math.prod(t._shape) for t in join[4].inputs]).tolist()
    return list(zip(join[1], offsets, join[4].inputs))


def _writable(steps, k, device, readers, fetched):
    if k is None or readers != 1 or fetched:
        return False
    op = steps[k][4]
    return steps[k][5] is device and op.op_def.into_kernel is not None and len(op.outputs) == 1


def _rewrite(steps, j, parts, context):
    fn, ins, out, frees, join, device = steps[j]
    wrap = device.backend.wrap_kernel
    parts.sort(key=lambda p: p.k)
    buffer_slot, total = steps[parts[0].k][2], join.outputs[0]._shape[0]
    dtype, xp = join.outputs[0].dtype.np, device.backend.xp
    for n, part in enumerate(parts):
        p_fn, p_ins, p_out, p_frees, op, p_device = steps[part.k]
        into = op.op_def.into_kernel(context(op, device))
        if n == 0:
            steps[part.k] = (wrap(_allocating(into, part, xp, total, dtype)), p_ins, p_out, p_frees, op, p_device)
        else:
            steps[part.k] = (wrap(_writing(into, part)), [buffer_slot] + list(p_ins), p_out, p_frees, op, p_device)
    written = {p.slot for p in parts}
    rest = [(slot, offset, math.prod(tensor._shape)) for slot, offset, tensor in _pieces(steps[j])
            if slot not in written]
    steps[j] = (wrap(_filling(rest)), [buffer_slot] + [slot for slot, _, _ in rest], out, frees, join, device)


def _allocating(into, part, xp, total, dtype):
    def first(*inputs):
        buffer = xp.empty(total, dtype)
        into(part.view(buffer), *inputs)
        return buffer  # this step's slot holds the whole buffer: the join is its only reader
    return first


def _writing(into, part):
    return lambda buffer, *inputs: into(part.view(buffer), *inputs)


def _filling(rest):
    def fill(buffer, *values):
        for (_, offset, size), value in zip(rest, values):
            buffer[offset:offset + size] = value.reshape(-1)
        return buffer
    return fill
