"""The compiler (prune -> place -> partition -> schedule -> free) and the plan it produces.

A Plan is immutable once built. ``Plan.run`` is the per-step path: a flat loop over prepared
steps ``(kernel, input slots, output slot(s), slots to free)``; everything else — kernel
selection, device checks, copy insertion, last-use analysis — happened in ``build_plan``.
"""
from __future__ import annotations

import contextlib
import copy
import math
from dataclasses import dataclass

import numpy as np

from .. import errors
from ..device import DeviceMismatchError
from ..device import copy as device_copy
from . import checks, executor, memory
from .copy_stats import HOST, DeviceTransfers, counting, current, planned_transfers
from .core_ops import REF_READERS, FedVariable, placeholder_message
from .graph import Operation, Tensor
from .registry import KernelContext
from .timeline import TimedStep
from .validation import MESSAGE_LIMIT, bounded, is_oversized

__all__ = ["CopyInfo", "CopyStep", "FeedStep", "FetchStep", "Plan", "SyncStep", "build_plan", "prune",
           "with_nested_plans"]


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
        stats = current()
        if stats is not None:
            stats.record(self.src.name, self.dst.name, out.nbytes)
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


class FeedStep:
    """Puts fed value number ``index`` on ``device`` into ``slot``."""

    __slots__ = ("tensor", "device", "index", "slot", "convert")

    def __init__(self, tensor, device, index, slot, convert):
        self.tensor, self.device, self.index, self.slot, self.convert = tensor, device, index, slot, convert

    def where(self) -> str:
        return f"feed of {self.tensor.name} to {self.device.name}"


class FetchStep:
    """Reads one fetched value back to the host (``slot`` None: an op, which fetches as None)."""

    __slots__ = ("tensor", "device", "slot", "from_feed", "convert")

    def __init__(self, tensor, device, slot, from_feed, convert):
        self.tensor, self.device, self.slot, self.from_feed, self.convert = tensor, device, slot, from_feed, convert

    def __call__(self, vals, feed_values):
        if self.slot is None:
            return None
        return self.convert(feed_values[self.slot] if self.from_feed else vals[self.slot])

    def where(self) -> str:
        return f"fetch of {self.tensor.name} from {self.device.name if self.device else 'its feed'}"


class SyncStep:
    """Waits for a device the plan used (GPU kernels run asynchronously): ``sess.run`` returns
    only when the work it started is done, so timings and errors belong to this run."""

    __slots__ = ("device",)

    def __init__(self, device):
        self.device = device

    def __call__(self):
        self.device.backend.synchronize()

    def where(self) -> str:
        return f"waiting for {self.device.name} to finish the run"


class Plan:
    def __init__(self, fetches, feeds, ops, placement, copies, steps, feed_steps, fetch_steps, n_slots,
                 sync_steps=(), schedule=None):
        self.fetches = fetches
        self.feeds = feeds
        self.ops = ops
        self.placement = placement
        self.copies = copies
        self._steps = steps
        self._stretches = _stretches(steps)
        self._feed_steps = feed_steps
        self._fetch_steps = fetch_steps
        self._n_slots = n_slots
        self._sync_steps = sync_steps
        self._schedule = schedule  # per-device groups of steps when the plan spans devices (executor.py)
        self._guards = ()          # entered around each run (OpDef.run_guard): set by build_plan

    @property
    def concurrent(self) -> bool:
        """Whether the plan's devices run at once (its steps span devices) when run with workers."""
        return self._schedule is not None

    def run(self, feed_values, workers=None, copy_stats=None):
        """Run the plan. With ``workers`` (a session's :class:`executor.DeviceWorkers`), a plan that
        spans devices runs each device's part at once; ``copy_stats`` records the run's transfers."""
        if copy_stats is None:
            return self._run(feed_values, workers)
        with counting(copy_stats):
            results = self._run(feed_values, workers)
        self._record_feeds_and_fetches(copy_stats, feed_values, results)
        return results

    def _run(self, feed_values, workers):
        if self._guards:
            with contextlib.ExitStack() as guarded:
                for guard in self._guards:
                    guarded.enter_context(guard)
                return self._run_unguarded(feed_values, workers)
        return self._run_unguarded(feed_values, workers)

    def _run_unguarded(self, feed_values, workers):
        with checks.collecting() as pending:  # run-time checks deferred on GPUs, read once at the end
            if self._schedule is None or workers is None:
                return self._execute(feed_values, pending)
            with workers.taken() as concurrent:
                if concurrent:
                    return self._execute_concurrent(feed_values, pending, workers)
            return self._execute(feed_values, pending)

    def _execute_concurrent(self, feed_values, pending, workers):
        vals = [None] * self._n_slots
        step = None
        try:
            for step in self._feed_steps:
                vals[step.slot] = step.convert(feed_values[step.index])
            step = None
            failure = self._schedule.execute(self._steps, vals, workers, pending)
            if failure is None:
                results = [step(vals, feed_values) for step in self._fetch_steps]
                for step in self._sync_steps:
                    step()
        except Exception as exc:
            raise _op_error(*(pending.failure() or (step, exc))) from exc
        failure = pending.failure() or failure
        if failure is not None:
            raise _op_error(*failure) from failure[1]
        return results

    def _record_feeds_and_fetches(self, stats, feed_values, results):
        for step in self._feed_steps:
            if step.device.device_type != "CPU":
                stats.record(HOST, step.device.name, np.asarray(feed_values[step.index]).nbytes, "feed")
        for step, value in zip(self._fetch_steps, results):
            if step.device is not None and step.device.device_type != "CPU" and value is not None:
                stats.record(step.device.name, HOST, np.asarray(value).nbytes, "fetch")

    def _execute(self, feed_values, pending):
        vals = [None] * self._n_slots
        step = None
        try:
            for step in self._feed_steps:
                vals[step.slot] = step.convert(feed_values[step.index])
            for context, steps in self._stretches:
                with context:  # a GPU is made current once per stretch of its steps, not per op
                    for step in steps:
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
            results = []
            for step in self._fetch_steps:
                results.append(step(vals, feed_values))
            for step in self._sync_steps:
                step()
        except Exception as exc:  # a value a deferred check flagged earlier is the likelier cause
            raise _op_error(*(pending.failure() or (step, exc))) from exc
        failure = pending.failure()
        if failure is not None:
            raise _op_error(*failure)
        return results

    def run_traced(self, feed_values, step_stats, workers=None, copy_stats=None):
        """``run`` with every step timed into ``step_stats``; ``run`` itself stays untouched. Feeds
        are recorded as copies, and each device is synchronized after each step so the time
        recorded for a kernel is its own (not the tail of an asynchronous feed before it)."""
        feeds = [FeedStep(f.tensor, f.device, f.index, f.slot,
                          TimedStep(f.convert, step_stats, f"feed {f.tensor.name}", "Copy", f.device))
                 for f in self._feed_steps]
        steps = [(TimedStep(s[0], step_stats, *_trace_name(s), s[5], _copy_source(s[0])),) + s[1:]
                 for s in self._steps]
        return self.with_steps(steps, feeds).run(feed_values, workers, copy_stats)

    def with_steps(self, steps, feed_steps) -> Plan:
        """This plan running ``steps`` and ``feed_steps`` — its own, each function wrapped (to
        time or meter it) — in their place; what the plan derives from its steps is derived anew."""
        other = copy.copy(self)
        other._steps, other._feed_steps = steps, feed_steps
        other._stretches = _stretches(steps)
        return other

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
        transfers = self.transfers_per_step()
        per_replica = "".join(f"; {t.describe()}" for t in transfers)
        return (f"Placement summary: {len(self.ops)} ops ({per_device}); {len(self.copies)} copies, "
                f"{size} per step; {soft} soft fallbacks{per_replica}")

    def transfers_per_step(self) -> list[DeviceTransfers]:
        """Per non-CPU device (each replica), the bytes it receives from and sends to the host per
        step: planned copies, feeds and prefetched inputs to it, copies and fetches from it (see copy_stats.py)."""
        prefetched = [(self.placement[op].device, _static_bytes(t)) for op in self.ops if op.op_def.from_host
                      for t in op.outputs]
        return planned_transfers([(c.src, c.dst, c.bytes) for c in self.copies],
                                 [(f.device, _static_bytes(f.tensor)) for f in self._feed_steps] + prefetched,
                                 [(f.device, _static_bytes(f.tensor)) for f in self._fetch_steps if f.device])


def _stretches(steps):
    """The steps as (device context, consecutive steps on that device): a run enters each stretch's
    context once (CuPy: its card and its stream become current), and the kernels of that device see
    it current already instead of entering it per op. Logical GPUs sharing a card are separate
    devices, so each stretch runs on its own logical GPU's stream."""
    stretches = []
    for step in steps:
        if stretches and stretches[-1][0] is step[5]:
            stretches[-1][1].append(step)
        else:
            stretches.append((step[5], [step]))
    return tuple((device.backend.context(), tuple(group)) for device, group in stretches)


def _trace_name(step):
    """(event name, type) of a step in a trace: copies are named 'copy <tensor> from <device>'."""
    fn, op = step[0], step[4]
    if fn.__class__ is CopyStep:
        return f"copy {fn.tensor.name} from {fn.src.short_name}", "Copy"
    return op.name, op.type


def _copy_source(fn):
    return fn.src if fn.__class__ is CopyStep else None


def _op_error(step, exc):
    """The ``gn.errors`` error for ``exc`` raised by ``step``, naming the op or tensor and the device."""
    if step is None:
        return exc
    if step.__class__ in (FeedStep, FetchStep, SyncStep):
        op = None if step.__class__ is SyncStep else step.tensor.op
        device, where = step.device, f"\n\t [[{step.where()}]]"
    else:
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
    elif isinstance(exc, MemoryError) or is_oversized(exc):  # CuPy's OutOfMemoryError is a MemoryError
        error_class, text = errors.ResourceExhaustedError, f"out of memory: {exc}{_memory_of(device)}"
    elif isinstance(exc, (ValueError, TypeError, IndexError, ArithmeticError)):
        error_class, text = errors.InvalidArgumentError, str(exc)
    else:
        error_class, text = errors.InternalError, f"{type(exc).__name__}: {exc}"
    return error_class(None, op, bounded(text, MESSAGE_LIMIT) + where)


def _memory_of(device) -> str:
    if device is None:
        return ""
    try:
        return device.backend.memory_info().describe()
    except Exception:  # the report of an out-of-memory error must not fail itself
        return ""


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
    for op in reversed(ops):  # made inside a cond branch or loop body (gpunet/graph/control_flow.py)
        if getattr(op, "_control_flow_context", None) is not None:
            raise errors.InvalidArgumentError(None, op, op._control_flow_context.escape_message(op))
    _check_fed_variables(ops, feeds)
    placement = placer.place(ops, graph)
    builder = _StepBuilder(placement, state, feeds)
    for op in ops:
        builder.add_op(op)
    fetch_steps = [builder.fetch(item) for item in fetches]
    ops, placement = with_nested_plans(ops, placement, builder)
    steps = builder.finish()
    plan = Plan(fetches, feeds, ops, placement, builder.copies, steps, builder.feed_steps,
                fetch_steps, builder.n_slots, builder.sync_steps(), builder.schedule(steps))
    memory.check_fits(plan)  # a GPU plan that cannot fit fails here, before its first step
    guards = (op.op_def.run_guard(state, op) for op in ops if op.op_def.run_guard is not None)
    plan._guards = tuple({id(g): g for g in guards}.values())  # the ops of one collective share its guard
    return plan


def with_nested_plans(ops, placement, builder):
    """Ops and placement including those of control-flow sub-plans (a branch, a loop body) that
    kernels compiled while this plan was built: logs and reports describe them with the plan."""
    if not builder.nested:
        return ops, placement
    placement = dict(placement)
    for sub in builder.nested:
        placement.update(sub.placement)
        builder.copies.extend(sub.copies)
    return sorted(placement, key=lambda op: op._id), placement


def _check_fed_variables(ops, feeds):
    """A fed variable tensor stands for the variable's value in this run: reads see it, but an
    update of the variable in the same run has nothing to update."""
    fed = {t for t in feeds if t.op.type == "VariableV2"}
    for op in ops:
        for t in op.inputs:
            if t in fed and op.type not in REF_READERS:
                raise errors.InvalidArgumentError(None, op, (
                    f"Cannot feed variable tensor {t.name} while {op.name} ({op.type}) updates the variable in "
                    f"the same run; feed {t.name} only to runs that read it"))


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
        self.nested = []         # sub-plans compiled by control-flow kernels (gpunet/graph/control_flow.py)
        self.used = {}           # devices any step runs on or copies to, in first-use order
        self.kernel_steps = {}   # op -> index of its kernel's step
        self.stateful = []       # indices of steps that may update state in place
        self.aliasing_copies = set()  # copy steps of values that may share a variable's buffer
        self.spans_devices = False    # a kernel's sub-plan runs on other devices: the plan runs flat

    def _new_slot(self) -> int:
        self.n_slots += 1
        return self.n_slots - 1

    def _input(self, tensor, device) -> int:
        key = (tensor, device)
        if key in self.slot_of:
            return self.slot_of[key]
        slot = self.slot_of[key] = self._new_slot()
        if tensor in self.feed_index:
            self.used[device] = True
            if tensor.op.type == "VariableV2":
                return self._fed_variable(tensor, device, slot)
            self.feed_steps.append(FeedStep(tensor, device, self.feed_index[tensor], slot, device.backend.from_host))
            return slot
        src = self.home[tensor]
        if tensor.dtype.name == "string" and device.device_type == "GPU":
            raise errors.InvalidArgumentError(None, tensor.op, f"string tensor {tensor.name} cannot be "
                                                               f"copied to {device.name}")
        step = CopyStep(tensor, src, device)
        self.copies.append(CopyInfo(tensor, src, device, _static_bytes(tensor), step))
        if tensor in self.aliasing or tensor.op.op_def.aliases_state:
            self.aliasing_copies.add(len(self.steps))
        self.steps.append((step, [self._input(tensor, src)], slot, None, tensor.op, device))
        self.used[device] = True
        return slot

    def _fed_variable(self, tensor, device, slot) -> int:
        """A fed variable tensor: the fed array, wrapped as the variable its readers expect."""
        fed = self._new_slot()
        self.feed_steps.append(FeedStep(tensor, device, self.feed_index[tensor], fed, device.backend.from_host))
        wrap = device.backend.wrap_kernel(lambda value: FedVariable(tensor.op.name, value))
        self.steps.append((wrap, [fed], slot, None, tensor.op, device))
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
        nested = getattr(kernel, "nested_plans", ())
        self.nested.extend(nested)
        self.spans_devices |= any({p.device for p in sub.placement.values()} - {device} for sub in nested)
        self.kernel_steps[op] = len(self.steps)
        if op.op_def.stateful or nested:
            self.stateful.append(len(self.steps))
        # a control-flow kernel hands device arrays on to its sub-plans, whose steps check them
        fn = kernel if getattr(kernel, "takes_device_arrays", False) else device.backend.wrap_kernel(kernel)
        self.steps.append((fn, ins, out, None, op, device))
        self.used[device] = True

    def fetch(self, item):
        if isinstance(item, Operation):
            return FetchStep(None, None, None, False, None)  # an op fetches as None
        if item in self.feed_index:
            return FetchStep(item, None, self.feed_index[item], True, np.asarray)
        device = self.home[item]
        slot = self.slot_of[(item, device)]
        aliasing = item in self.aliasing
        if item.op.type == "VariableV2":  # a variable's own tensor fetches as its value
            slot, aliasing = self._read_variable(item, device, slot), True
        self.fetched.add(slot)
        # the caller owns what a fetch returns: later steps must not change it in place (a transfer
        # from device memory is a fresh host buffer already)
        to_host = device.backend.to_host
        copy = aliasing and not device.backend.capabilities.device_memory
        return FetchStep(item, device, slot, False, lambda v: _host_value(to_host(v), copy))

    def schedule(self, steps):
        """The concurrent executor's per-device schedule, or None for a plan run as a flat loop."""
        if self.spans_devices:
            return None
        return executor.schedule(steps, self.kernel_steps, self.stateful, self.aliasing_copies)

    def sync_steps(self):
        """One wait per asynchronous device the plan uses (none on CPUs and virtual GPUs)."""
        return tuple(SyncStep(d) for d in self.used if d.backend.capabilities.asynchronous)

    def _read_variable(self, tensor, device, slot) -> int:
        value = self._new_slot()
        self.steps.append((device.backend.wrap_kernel(_read_slot), [slot], value, None, tensor.op, device))
        return value

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


def _read_slot(slot):
    return slot.get()


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
