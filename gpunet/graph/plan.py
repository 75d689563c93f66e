"""The plan a session runs: immutable once built (by gpunet/graph/compiler.py). ``Plan.run`` is the
per-step path: a flat loop over prepared steps ``(kernel, input slots, output slot(s), slots to free,
op, device)`` — or, when the plan spans devices, the concurrent executor's per-device schedule;
everything else (kernel selection, device checks, copy insertion, last-use analysis) happened when
the plan was built.
"""
from __future__ import annotations

import contextlib
import copy
import math

import numpy as np

from .. import errors
from ..device import DeviceMismatchError
from . import checks
from .copy_stats import HOST, DeviceTransfers, counting, planned_transfers
from .steps import CopyStep, FeedStep, FetchStep, SyncStep
from .timeline import TimedStep
from .validation import MESSAGE_LIMIT, bounded, is_oversized

__all__ = ["Plan"]


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
