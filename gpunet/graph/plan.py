"""The compiler (prune -> place -> partition -> schedule -> free) and the plan it produces.

A Plan is immutable once built. ``Plan.run`` is the per-step path: a flat loop over prepared
steps ``(kernel, input slots, output slot(s), slots to free)``; everything else — kernel
selection, device checks, copy insertion, last-use analysis — happened in ``build_plan``.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from .. import errors
from ..device import DeviceMismatchError
from ..device import copy as device_copy
from .core_ops import placeholder_message
from .graph import Operation, Tensor
from .registry import KernelContext
from .timeline import TimedStep
from .validation import MESSAGE_LIMIT, bounded, is_oversized


class CopyStep:
    """The step that copies one tensor to one device; it remembers the bytes it last moved, so a
    report after a run can state what a tensor of unknown static shape really costs."""

    __slots__ = ("tensor", "src", "dst", "measured_bytes")

    def __init__(self, tensor, src, dst):
        self.tensor = tensor
        self.src = src
        self.dst = dst
        self.measured_bytes = None

    def __call__(self, array):
        out = device_copy(array, self.src, self.dst)
        self.measured_bytes = out.nbytes
        return out


@dataclass(frozen=True)
class CopyInfo:
    tensor: Tensor
    src: object          # Device
    dst: object          # Device
    static_bytes: int | None   # per step, when the static shape is fully known
    step: CopyStep

    @property
    def bytes(self) -> int | None:
        """Bytes per step: from the static shape, else as measured by the last run (None before)."""
        return self.static_bytes if self.static_bytes is not None else self.step.measured_bytes

    def log_line(self) -> str:
        if self.bytes is None:
            size = "? bytes"
        else:
            size = f"{self.bytes} bytes" + (" (measured)" if self.static_bytes is None else "")
        return f"{self.tensor.name}: (Copy): {self.src.name} -> {self.dst.name} ({size} per step)"


class Plan:
    def __init__(self, fetches, feeds, ops, placement, copies, steps, feed_steps, fetch_steps, n_slots):
        self.fetches = fetches
        self.feeds = feeds
        self.ops = ops
        self.placement = placement
        self.copies = copies
        self._steps = steps
        self._feed_steps = feed_steps
        self._fetch_steps = fetch_steps
        self._n_slots = n_slots

    def run(self, feed_values):
        vals = [None] * self._n_slots
        for index, from_host, slot in self._feed_steps:
            vals[slot] = from_host(feed_values[index])
        step = None
        try:
            for step in self._steps:
                fn, ins, out, frees = step[0], step[1], step[2], step[3]
                if out.__class__ is int:
                    vals[out] = fn(*[vals[i] for i in ins])
                elif out is None:
                    fn(*[vals[i] for i in ins])
                else:
                    for slot, value in zip(out, fn(*[vals[i] for i in ins])):
                        vals[slot] = value
                for i in frees:
                    vals[i] = None
        except Exception as exc:
            raise _op_error(step, exc) from exc
        return [None if convert is None else convert(feed_values[s] if from_feed else vals[s])
                for s, from_feed, convert in self._fetch_steps]

    def run_traced(self, feed_values, step_stats):
        """``run`` with every step timed into ``step_stats``; ``run`` itself stays untouched."""
        traced = copy.copy(self)
        traced._steps = [(TimedStep(s, step_stats, *_trace_name(s)),) + s[1:] for s in self._steps]
        return traced.run(feed_values)

    # -- descriptions (read the same placement data) ----------------------------------------
    def log_lines(self) -> list[str]:
        """TF1's order: ops with inputs (and variables) in graph order, then the other ops without
        inputs (constants, placeholders); then copies and a summary."""
        first = [op for op in self.ops if op.inputs or op.op_def.stateful]
        ordered = first + [op for op in self.ops if not (op.inputs or op.op_def.stateful)]
        lines = []
        for op in ordered:
            p = self.placement[op]
            line = f"{op.name}: ({op.type}): {p.device.name}"
            if p.soft:
                line += f"  [{p.reason}; requested {p.requested}]"
            lines.append(line)
        lines += [c.log_line() for c in self.copies]
        lines.append(self.summary())
        return lines

    def summary(self) -> str:
        counts = {}
        for op in self.ops:
            counts[self.placement[op].device.name] = counts.get(self.placement[op].device.name, 0) + 1
        per_device = ", ".join(f"{n} on {d}" for d, n in counts.items())
        known = [c.bytes for c in self.copies if c.bytes is not None]
        size = f"{sum(known)} bytes" + (" + unknown" if len(known) < len(self.copies) else "")
        soft = sum(1 for op in self.ops if self.placement[op].soft)
        return (f"Placement summary: {len(self.ops)} ops ({per_device}); {len(self.copies)} copies, "
                f"{size} per step; {soft} soft fallbacks")


def _trace_name(step):
    """(event name, type) of a step in a trace: copies are named 'copy <tensor> from <device>'."""
    fn, op = step[0], step[4]
    if fn.__class__ is CopyStep:
        return f"copy {fn.tensor.name} from {fn.src.short_name}", "Copy"
    return op.name, op.type


def _op_error(step, exc):
    if step is None:
        return exc
    op, device = step[4], step[5]
    fn = step[0].inner if step[0].__class__ is TimedStep else step[0]
    if fn.__class__ is CopyStep:
        where = f"\n\t [[copy of {fn.tensor.name} from {fn.src.name} to {device.name}]]"
    else:
        where = f"\n\t [[node {op.name} ({op.type}) on {device.name}]]"
    if isinstance(exc, errors.OpError):
        error_class, text = type(exc), exc.message
    elif isinstance(exc, DeviceMismatchError):
        error_class, text = errors.InternalError, str(exc)
    elif isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError" or is_oversized(exc):
        used = device.backend.memory_info()["used_bytes"]
        in_use = "" if used is None else f" ({used} bytes in use on the device)"
        error_class, text = errors.ResourceExhaustedError, f"out of memory: {exc}{in_use}"
    elif isinstance(exc, (ValueError, TypeError, IndexError, ArithmeticError)):
        error_class, text = errors.InvalidArgumentError, str(exc)
    else:
        error_class, text = errors.InternalError, f"{type(exc).__name__}: {exc}"
    return error_class(None, op, bounded(text, MESSAGE_LIMIT) + where)


# -- the compiler -----------------------------------------------------------------------------
def prune(fetches, feeds) -> list[Operation]:
    """The ops the fetches need, stopping at fed tensors, in graph (= topological) order."""
    fed = set(feeds)
    needed, stack = set(), []
    for item in fetches:
        if isinstance(item, Tensor):
            if item not in fed:
                stack.append(item.op)
        else:
            stack.append(item)
    while stack:
        op = stack.pop()
        if op in needed:
            continue
        needed.add(op)
        stack.extend(t.op for t in op.inputs if t not in fed)
        stack.extend(op.control_inputs)
    return sorted(needed, key=lambda op: op._id)


def build_plan(fetches, feeds, placer, state, graph) -> Plan:
    ops = prune(fetches, feeds)
    for op in ops:
        if op.type == "Placeholder":
            raise errors.InvalidArgumentError(None, op, placeholder_message(op))
    placement = placer.place(ops, graph)
    builder = _StepBuilder(placement, state, feeds)
    for op in ops:
        builder.add_op(op)
    fetch_steps = [builder.fetch(item) for item in fetches]
    return Plan(fetches, feeds, ops, placement, builder.copies, builder.finish(), builder.feed_steps,
                fetch_steps, builder.n_slots)


class _StepBuilder:
    def __init__(self, placement, state, feeds):
        self.placement = placement
        self.state = state
        self.feed_index = {t: i for i, t in enumerate(feeds)}
        self.slot_of = {}        # (tensor, device) -> slot
        self.home = {}           # tensor -> device that produced it
        self.steps = []
        self.copies = []
        self.feed_steps = []
        self.n_slots = 0
        self.fetched = set()
        self.aliasing = set()    # tensors whose value may share memory with a variable's buffer

    def _new_slot(self) -> int:
        self.n_slots += 1
        return self.n_slots - 1

    def _input(self, tensor, device) -> int:
        key = (tensor, device)
        if key in self.slot_of:
            return self.slot_of[key]
        slot = self.slot_of[key] = self._new_slot()
        if tensor in self.feed_index:
            self.feed_steps.append((self.feed_index[tensor], device.backend.from_host, slot))
            return slot
        src = self.home[tensor]
        if tensor.dtype.name == "string" and device.device_type == "GPU":
            raise errors.InvalidArgumentError(None, tensor.op, f"string tensor {tensor.name} cannot be "
                                                               f"copied to {device.name}")
        step = CopyStep(tensor, src, device)
        self.copies.append(CopyInfo(tensor, src, device, _static_bytes(tensor), step))
        self.steps.append((step, [self._input(tensor, src)], slot, None, tensor.op, device))
        return slot

    def add_op(self, op):
        device = self.placement[op].device
        ins = [self._input(t, device) for t in op.inputs]
        outs = []
        for t in op.outputs:
            self.home[t] = device
            outs.append(self._new_slot())
            self.slot_of[(t, device)] = outs[-1]
        if (op.op_def.aliases_state and op.type != "Const") or any(t in self.aliasing for t in op.inputs):
            # conservative: any kernel may hand back (a view of) its input. Constants are read-only
            # arrays, so values derived from them are recognised at fetch time instead.
            self.aliasing.update(op.outputs)
        ctx = KernelContext(op, device, self.state)
        try:
            with device.backend.context():
                kernel = op.op_def.kernel_for(device.device_type)(ctx)
        except Exception as exc:  # a builder rejecting its attributes: say which op and device
            raise _op_error((None, None, None, None, op, device), exc) from exc
        out = outs[0] if len(outs) == 1 else (tuple(outs) or None)
        self.steps.append((device.backend.wrap_kernel(kernel), ins, out, None, op, device))

    def fetch(self, item):
        if isinstance(item, Operation):
            return (None, None, None)  # an op fetches as None
        if item in self.feed_index:
            return (self.feed_index[item], True, np.asarray)
        device = self.home[item]
        slot = self.slot_of[(item, device)]
        self.fetched.add(slot)
        # the caller owns what a fetch returns: later steps must not change it in place
        to_host, copy = device.backend.to_host, item in self.aliasing and device.backend.kind != "cupy"
        return (slot, False, lambda v: _host_value(to_host(v), copy))

    def finish(self):
        """Attach to each step the slots whose last reader it is (fetched slots are kept)."""
        last = {}
        for k, step in enumerate(self.steps):
            for slot in step[1]:
                last[slot] = k
            for slot in (step[2],) if step[2].__class__ is int else step[2] or ():
                last.setdefault(slot, k)
        frees = [[] for _ in self.steps]
        for slot, k in last.items():
            if slot not in self.fetched:
                frees[k].append(slot)
        return [(fn, ins, out, tuple(frees[k]), op, device)
                for k, (fn, ins, out, _, op, device) in enumerate(self.steps)]


def _host_value(value, copy):
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return value[()]
        return value.copy() if copy or not value.flags.writeable else value
    return value


def _static_bytes(tensor):
    shape = tensor._shape
    if shape is None or None in shape:
        return None
    return math.prod(shape) * tensor.dtype.np.itemsize  # Python ints: no int64 overflow
