"""Memory plans: each device's peak bytes estimated from a plan's shapes and slot lifetimes, the
bytes measured in a run, and the check that a GPU plan fits before its first step.

The estimate walks the plan's steps as ``Plan.run`` does: a step's outputs become live when it
runs, a slot dies after its last reader (the frees ``_StepBuilder.finish`` attached), fetched slots
live to the end. Variables the plan uses count for the whole run (their buffers persist), and a
read of a variable is its buffer, not a new one. Unknown dimensions take the batch size of the fed
values (at build time, before any feed, they count as 1: the estimate is then a lower bound). Each
array counts what the device's allocator takes for it (CuPy's pool: whole 512-byte units), while the
tensors listed at the peak keep their own sizes."""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass

from .. import errors
from ..device import VirtualArray
from .core_ops import VarSlot

__all__ = ["DeviceEstimate", "DeviceMemory", "LARGEST_SHOWN", "LiveTensor", "MemoryReport", "check_fits", "estimate",
           "measure", "report"]

LARGEST_SHOWN = 3


@dataclass(frozen=True)
class LiveTensor:
    name: str
    nbytes: int
    op: object = None    # the Operation producing it (None for a variable's buffer)


@dataclass(frozen=True)
class DeviceEstimate:
    """One device's estimated peak: variables plus the transient tensors live at the worst step."""

    device: object               # Device
    variable_bytes: int
    peak_bytes: int              # variables + transient peak
    live_at_peak: tuple          # LiveTensor, largest first
    assumed_dims: bool           # some unknown dimension was assumed

    @property
    def largest(self):
        return self.live_at_peak[:LARGEST_SHOWN]


# -- the estimate -------------------------------------------------------------------------------
def estimate(plan, fed_shapes=None) -> dict:
    """``{device: DeviceEstimate}`` for ``plan``; ``fed_shapes`` (by feed index) fixes the fed
    tensors' shapes and the batch size unknown dimensions take."""
    sizer = _Sizer(plan, fed_shapes or {})
    live = {}                                     # slot -> (device, LiveTensor)
    peaks = {}                                    # device -> (bytes, live tensors)
    for step in plan._feed_steps:
        live[step.slot] = (step.device, sizer.live(step.tensor, step.index))
    _note_peaks(live, peaks)
    copied = {id(c.step): c.tensor for c in plan.copies}
    for fn, _, out, frees, op, device in plan._steps:
        for slot, tensor in _outputs(fn, out, op, copied):
            live[slot] = (device, sizer.live(tensor) if tensor is not None else LiveTensor(op.name, 0, op))
        _note_peaks(live, peaks)
        for slot in frees:
            live.pop(slot, None)
    variables = sizer.variable_bytes()
    devices = list(dict.fromkeys(list(peaks) + list(variables)))
    return {d: _device_estimate(d, variables.get(d, 0), peaks.get(d, (0, ())), sizer.assumed) for d in devices}


def _device_estimate(device, variable_bytes, peak, assumed):
    transient, tensors = peak
    ordered = tuple(sorted(tensors, key=lambda t: -t.nbytes))
    return DeviceEstimate(device, variable_bytes, variable_bytes + transient, ordered, assumed)


def _outputs(fn, out, op, copied):
    """(slot, tensor) for each output of one step; tensor None for a variable's own buffer."""
    slots = (out,) if out.__class__ is int else tuple(out or ())
    if id(fn) in copied:
        return [(slots[0], copied[id(fn)])]
    if op.type == "VariableV2" or _updates_variable(op):  # the variable's own persistent buffer
        return [(slot, None) for slot in slots]
    return list(zip(slots, op.outputs, strict=True))


def _updates_variable(op) -> bool:
    """A read, assign or optimizer update of the variable at input 0: its output is that buffer."""
    return op.op_def.aliases_state and bool(op.inputs) and op.inputs[0].op.type == "VariableV2"


def _note_peaks(live, peaks):
    per_device = {}
    for device, tensor in live.values():
        per_device.setdefault(device, []).append(tensor)
    for device, tensors in per_device.items():
        total = sum(_taken(device, t.nbytes) for t in tensors)
        if total > peaks.get(device, (-1, ()))[0]:
            peaks[device] = (total, tuple(t for t in tensors if t.nbytes))


class _Sizer:
    """Bytes of a tensor from its static shape, fed shapes and the batch size of the feeds."""

    def __init__(self, plan, fed_shapes):
        self.plan, self.fed_shapes = plan, fed_shapes
        leading = [s[0] for s in fed_shapes.values() if len(s)]
        self.batch = max(leading) if leading else 1
        self.assumed = False

    def live(self, tensor, feed_index=None) -> LiveTensor:
        return LiveTensor(tensor.name, self.nbytes(tensor, feed_index), tensor.op)

    def nbytes(self, tensor, feed_index=None) -> int:
        shape = self.fed_shapes.get(feed_index) if feed_index is not None else None
        if shape is None:
            shape = tensor._shape
            if shape is None or None in shape:
                self.assumed = True
                shape = [self.batch if d is None else d for d in (shape or [self.batch])]
        return math.prod(shape) * tensor.dtype.np.itemsize

    def variable_bytes(self) -> dict:
        total = {}
        for op in self.plan.ops:
            if op.type == "VariableV2" and op.outputs[0] not in self.plan.feeds:
                device = self.plan.placement[op].device
                total[device] = total.get(device, 0) + _taken(device, self.nbytes(op.outputs[0]))
        return total


def _taken(device, nbytes):
    """Bytes an array of ``nbytes`` holds on ``device``: CuPy's pool rounds each one up."""
    return device.backend.capabilities.allocated_bytes(nbytes)


# -- the check before a GPU plan's first step -------------------------------------------------------
def check_fits(plan):
    """Raises ``ResourceExhaustedError`` naming the largest tensors when the estimated transient
    peak of a device-memory device exceeds what its pool can still hand out. Variables are not
    counted: initialized ones already hold pool memory (their initializer plans are checked)."""
    if not any(p.device.backend.capabilities.device_memory for p in plan.placement.values()):
        return
    for device, est in estimate(plan).items():
        if not device.backend.capabilities.device_memory:
            continue
        available = _available(_memory_info(device))
        need = est.peak_bytes - est.variable_bytes
        if available is not None and need > available:
            biggest = est.largest[0].op if est.largest else None
            raise errors.ResourceExhaustedError(None, biggest, _too_big_message(device, need, available, est))


def _memory_info(device):
    try:
        return device.backend.memory_info()
    except Exception:  # no figures: the check is skipped, a real out-of-memory still reports in the step
        return None


def _available(info):
    if info is None or info.free_bytes is None:
        return None
    cached = (info.pool_bytes or 0) - (info.used_bytes or 0)
    available = info.free_bytes + cached
    if info.limit_bytes is not None:
        available = min(available, info.limit_bytes - (info.used_bytes or 0))
    return available


def _too_big_message(device, need, available, est):
    largest = ", ".join(f"{t.name} ({t.nbytes} bytes)" for t in est.largest)
    bound = " at least" if est.assumed_dims else ""
    where = f"\n\t [[node {est.largest[0].op.name} ({est.largest[0].op.type}) on {device.name}]]" if est.largest else ""
    return (f"The plan needs{bound} {need} bytes at its peak on {device.name}, but only {available} bytes are "
            f"available there; largest tensors live at the peak: {largest}. Feed smaller batches, place some "
            "ops on another device, or free memory (per_process_gpu_memory_fraction, other sessions)." + where)


# -- the measured run ---------------------------------------------------------------------------------
def measure(plan, feed_values, state) -> dict:
    """Runs ``plan`` once through ``Plan.run`` (its effects happen, as in ``sess.run``) with each
    step wrapped to record what it produced, and returns each device's peak ``{device: bytes}``:
    the live arrays (each buffer once per device, a view counts as its base) plus the buffers of the variables
    the plan uses (``state``: the session's values). On device-memory devices the live arrays are
    read from the pool instead: its used bytes above what it held before the run."""
    meter = _Meter(plan, state)
    feeds = []
    for f in plan._feed_steps:
        feeds.append(copy.copy(f))
        feeds[-1].convert = _MeteredStep(f.convert, meter, f.slot, f.device, ())
    released = [()] + [s[3] for s in plan._steps[:-1]]  # a step's frees happen before the next one runs
    steps = [(_MeteredStep(s[0], meter, s[2], s[5], gone),) + s[1:]
             for s, gone in zip(plan._steps, released, strict=True)]
    plan.with_steps(steps, feeds).run(feed_values)
    return meter.peaks


class _MeteredStep:
    """One step's function, recording its outputs (and dropping what the plan freed before it)."""

    __slots__ = ("inner", "meter", "out", "device", "released")

    def __init__(self, inner, meter, out, device, released):
        self.inner, self.meter, self.out, self.device, self.released = inner, meter, out, device, released

    def __call__(self, *args):
        self.meter.release(self.released)
        result = self.inner(*args)
        self.meter.produced(self.out, result, self.device)
        if getattr(self.inner, "shares", False):
            self.meter.shared(result, self.device)
        return result


class _Meter:
    """The arrays one measured run holds in its slots, by device, and the peaks seen so far."""

    def __init__(self, plan, state):
        self.held = {}        # slot -> (device, value)
        self.copied = {}      # (buffer id, device) -> (buffer, the bytes of it a shared copy gave the device)
        self.peaks = {}
        self.variables = {state.slot(op): plan.placement[op].device
                          for op in plan.ops if op.type == "VariableV2" and op.outputs[0] not in plan.feeds}
        devices = set(self.variables.values()) | {s[5] for s in plan._steps} | {f.device for f in plan._feed_steps}
        self.baseline = {d: _pool_used(d) for d in devices if d.backend.capabilities.device_memory}
        # on a pool device a variable made during the run is in the pool's growth already
        self.resident = {id(v.value) for v in self.variables if v.value is not None}

    def release(self, slots):
        for slot in slots:
            self.held.pop(slot, None)

    def produced(self, out, result, device):
        if out.__class__ is int:
            self.held[out] = (device, result)
        elif out:
            for slot, value in zip(out, result, strict=True):
                self.held[slot] = (device, value)
        self._note()

    def shared(self, result, device):
        """A copy that shares another device's buffer (graph/steps.py) holds on ``device`` what a copy of
        its bytes would: each such copy counts there, at most the whole buffer."""
        buffer = _buffer(result.data if result.__class__ is VirtualArray else result)
        if buffer is not None:
            _, before = self.copied.get((id(buffer), device), (buffer, 0))
            self.copied[(id(buffer), device)] = (buffer, min(buffer.nbytes, before + result.nbytes))

    def _note(self):
        totals, seen = {}, set()
        arrays = [(v.value, d) for v, d in self.variables.items() if d not in self.baseline or id(v.value) in
                  self.resident]
        arrays += [(value, d) for d, value in self.held.values() if d not in self.baseline]
        for value, device in arrays:
            value = value.value if isinstance(value, VarSlot) else value
            buffer = _buffer(value.data if value.__class__ is VirtualArray else value)
            # per device: a buffer shared between host-memory devices is each one's copy (graph/steps.py)
            key = (id(buffer), device)
            if buffer is not None and key not in seen:
                seen.add(key)
                totals[device] = totals.get(device, 0) + self.copied.get(key, (None, buffer.nbytes))[1]
        for device, before in self.baseline.items():
            totals[device] = totals.get(device, 0) + _pool_used(device) - before
        for device, total in totals.items():
            self.peaks[device] = max(self.peaks.get(device, 0), total)


def _pool_used(device):
    device.backend.synchronize()
    return device.backend.memory_info().used_bytes or 0


def _buffer(value):
    """The array owning ``value``'s memory (a view counts as its base), or None for non-arrays."""
    if not hasattr(value, "nbytes"):
        return None
    while getattr(value, "base", None) is not None and hasattr(value.base, "nbytes"):
        value = value.base
    return value


# -- the report -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeviceMemory:
    """One row of a memory report (bytes)."""

    device: str
    estimated_bytes: int
    measured_bytes: int
    variable_bytes: int
    largest: tuple              # LiveTensor at the estimated peak, largest first
    assumed_dims: bool
    pooled: bool = False        # measured from the device's memory pool (CuPy), not from live arrays

    @property
    def ratio(self) -> float:
        """estimated / measured (1.0 when both are 0)."""
        if not self.measured_bytes:
            return 1.0 if not self.estimated_bytes else math.inf
        return self.estimated_bytes / self.measured_bytes


class MemoryReport:
    """Per device: the estimated peak of a plan against the peak measured in one run of it."""

    def __init__(self, rows):
        self.rows = list(rows)

    def row(self, device: str) -> DeviceMemory:
        for r in self.rows:
            if r.device == device:
                return r
        raise KeyError(f"device {device!r} is not in this report")

    def __str__(self):
        header = ("device", "estimated peak", "measured peak", "variables", "largest at peak")
        table = [header] + [(r.device, f"{r.estimated_bytes}" + ("*" if r.assumed_dims else ""),
                             f"{r.measured_bytes}", f"{r.variable_bytes}",
                             ", ".join(f"{t.name} ({t.nbytes})" for t in r.largest) or "-") for r in self.rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in table]
        lines.insert(1, "  ".join("-" * w for w in widths))
        if any(r.assumed_dims for r in self.rows):
            lines.append("* unknown dimensions taken as the fed batch size")
        return "\n".join(lines)

    __repr__ = __str__


def report(plan, feed_values, state) -> MemoryReport:
    """Estimates ``plan`` for these feeds, runs it once measuring, and pairs the two per device."""
    estimates = estimate(plan, {i: tuple(getattr(v, "shape", ())) for i, v in enumerate(feed_values)})
    measured = measure(plan, feed_values, state)
    rows = [DeviceMemory(d.name, e.peak_bytes, measured.get(d, 0), e.variable_bytes, e.largest, e.assumed_dims,
                         d.backend.capabilities.device_memory) for d, e in estimates.items()]
    return MemoryReport(rows)
