"""Shape values on the host, as TF1's HostMemory kernels keep them: ``reshape(x, [shape(x)[0], -1])``
on a GPU must not copy a shape to the device and read it back (a blocking sync) every step.

An op flagged ``host_memory`` (Shape, Size, Rank) computes its output from its inputs' shapes
alone, which are host metadata even for device arrays. A small integer value computed from such
outputs and constants (slices, stacks, arithmetic: :func:`host_shape` finds it) is a function of
shapes; an op that takes it as a shape argument (Reshape, Fill, Range) is built with the tensors
whose shapes it needs as inputs instead, and evaluates the expression on the host in its kernel
(:class:`HostShapeProgram`, the ops' own generic kernels run with NumPy): the value never exists
on a device, and the shape ops do not run as steps of the plan.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..device import find
from ..graph.registry import KernelContext
from ._helpers import constant_value

MAX_OPS = 64  # a shape expression is small; beyond this the value is computed as usual
MAX_REMEMBERED = 64  # values a program keeps, one per distinct set of input shapes


@dataclass(frozen=True, eq=False)
class HostShape:
    """How to compute ``value`` on the host: ``ops`` (in graph order) from the shapes of ``sources``."""

    value: object        # the shape-valued Tensor as the user built it
    sources: tuple       # the tensors whose run-time shapes it reads
    ops: tuple


@dataclass(frozen=True, eq=False)
class HostArgs:
    """Shape arguments of one op, all computed on the host: per argument a NumPy constant or a
    :class:`HostShape`; ``sources`` (their union) become the op's inputs in place of the arguments."""

    args: tuple
    sources: tuple

    def program(self, state):
        """``fn(*source_arrays) -> [NumPy value per argument]``, compiled once per plan."""
        parts = [HostShapeProgram(arg, state) if isinstance(arg, HostShape) else arg for arg in self.args]
        picks = [[self.sources.index(t) for t in arg.sources] if isinstance(arg, HostShape) else None
                 for arg in self.args]

        def evaluate(*sources):
            return [part if pick is None else part(*[sources[i] for i in pick]) for part, pick in zip(parts, picks)]
        return evaluate


def host_args(tensors) -> HostArgs | None:
    """The shape arguments ``tensors`` as :class:`HostArgs` when each is a constant or a function of
    shapes and at least one is the latter; None when some need a value computed on a device."""
    args, sources = [], []
    for tensor in tensors:
        known = constant_value(tensor)
        spec = host_shape(tensor) if known is None else None
        if known is None and spec is None:
            return None
        args.append(known if spec is None else spec)
        sources += [t for t in (spec.sources if spec else ()) if t not in sources]
    return HostArgs(tuple(args), tuple(sources)) if sources else None


def host_shape(tensor) -> HostShape | None:
    """``tensor`` as a function of other tensors' shapes (and constants), or None when it needs values."""
    ops, sources, stack = set(), [], [tensor.op]
    while stack:
        op = stack.pop()
        if op in ops:
            continue
        if len(ops) == MAX_OPS or not _host_evaluable(op):
            return None
        ops.add(op)
        if op.op_def.host_memory:
            sources += [t for t in op.inputs if t not in sources]
        else:
            stack += [t.op for t in op.inputs]
    if not sources:
        return None
    return HostShape(tensor, tuple(sources), tuple(sorted(ops, key=lambda op: op._id)))


def _host_evaluable(op) -> bool:
    """A shape op, a constant, or a pure op with a generic kernel and integer outputs (whose own
    inputs are checked in turn): never a placeholder, a variable or anything with a side effect."""
    d = op.op_def
    if d.host_memory or op.type == "Const":
        return True
    if d.stateful or d.aliases_state or "any" not in d.kernels or op.control_inputs or not op.inputs:
        return False
    return all(t.dtype.is_integer for t in op.outputs)


class HostShapeProgram:
    """``HostShape`` compiled once per plan: ``program(*source_arrays)`` is the NumPy value."""

    def __init__(self, spec: HostShape, state):
        cpu = find("CPU", 0)
        slot = {t: i for i, t in enumerate(spec.sources)}
        self.steps = []
        for op in spec.ops:
            kernel = op.op_def.kernel_for("CPU")(KernelContext(op, cpu, state))
            ins = [slot[t] for t in op.inputs]
            outs = []
            for t in op.outputs:
                slot[t] = len(slot)
                outs.append(slot[t])
            self.steps.append((kernel, ins, outs))
        self.result = slot[spec.value]
        self.n_slots = len(slot)
        self.known = {}  # source shapes -> value: the value depends on nothing else

    def __call__(self, *sources):
        shapes = tuple(s.shape for s in sources)
        value = self.known.get(shapes)
        if value is None:
            if len(self.known) == MAX_REMEMBERED:  # shapes that change every step must not pile up
                self.known.clear()
            value = self.known[shapes] = self._evaluate(sources)
            if isinstance(value, np.ndarray):
                value.flags.writeable = False  # shared by every later call with these shapes
        return value

    def _evaluate(self, sources):
        values = list(sources) + [None] * (self.n_slots - len(sources))
        for kernel, ins, outs in self.steps:
            result = kernel(*[values[i] for i in ins])
            for i, value in zip(outs, result if len(outs) > 1 else (result,)):
                values[i] = value
        return values[self.result]
