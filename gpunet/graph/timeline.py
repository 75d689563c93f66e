"""Run traces: per-step start/end times by device (``RunOptions(trace_level=FULL_TRACE)``) and
their Chrome-trace JSON (``gn.timeline.Timeline``), loadable in Perfetto or chrome://tracing.

Only a traced run builds ``TimedStep`` wrappers; an untraced ``Plan.run`` never reaches this module.
Steps may run on several threads at once (one per device): ``StepStats.add`` takes a lock, and each
record says which thread ran it."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

__all__ = ["DeviceStepStats", "HOST", "NodeExecStats", "StepStats", "TimedStep", "Timeline"]

HOST = "host"   # the source of a fed value: the caller's NumPy array


@dataclass(frozen=True)
class NodeExecStats:
    """One executed step: an op (``op_type`` its type) or a copy (``op_type`` 'Copy', with the
    ``bytes`` it moved and its ``src_device``; the destination is ``device``)."""

    node_name: str
    op_type: str
    device: str
    start_us: float    # microseconds on a process-wide clock
    end_us: float
    thread: str = ""              # name of the thread that ran the step
    src_device: str | None = None  # copies: the device (or 'host' for a feed) the value came from
    bytes: int | None = None       # copies: bytes moved

    @property
    def is_copy(self) -> bool:
        return self.op_type == "Copy"


@dataclass
class DeviceStepStats:
    device: str
    node_stats: list = field(default_factory=list)


class StepStats:
    """What a traced run recorded, grouped by device as in TF1's ``RunMetadata.step_stats``;
    safe to fill from several threads."""

    def __init__(self):
        self.dev_stats = []
        self._by_device = {}
        self._lock = threading.Lock()  # devices of a concurrent run record from their own threads

    def add(self, stats: NodeExecStats):
        with self._lock:
            group = self._by_device.get(stats.device)
            if group is None:
                group = self._by_device[stats.device] = DeviceStepStats(stats.device)
                self.dev_stats.append(group)
            group.node_stats.append(stats)

    @property
    def node_stats(self):
        """Every recorded step in the order it started."""
        with self._lock:
            every = [s for d in self.dev_stats for s in d.node_stats]
        return sorted(every, key=lambda s: s.start_us)

    @property
    def copies(self):
        """The recorded copies (feeds included), in the order they started."""
        return [s for s in self.node_stats if s.is_copy]


class TimedStep:
    """Wraps one plan step's function (a kernel, a copy or a feed) to record its time on ``device``
    (traced runs only; the device is synchronized after the step so a GPU kernel's time is its own).
    ``src`` is set for copies: the source device, or None for a feed from the host."""

    __slots__ = ("inner", "stats", "name", "op_type", "device", "src")

    def __init__(self, inner, stats, name, op_type, device, src=None):
        self.inner, self.stats, self.name, self.op_type, self.device = inner, stats, name, op_type, device
        self.src = src

    def __call__(self, *args):
        start = time.perf_counter()
        out = self.inner(*args)
        self.device.backend.synchronize()
        end = time.perf_counter()
        self.stats.add(NodeExecStats(self.name, self.op_type, self.device.name, start * 1e6, end * 1e6,
                                     threading.current_thread().name, *self._copy_fields(out)))
        return out

    def _copy_fields(self, out):
        if self.op_type != "Copy":
            return None, None
        source = self.src.name if self.src is not None else HOST
        return source, getattr(out, "nbytes", None)


class Timeline:
    """``Timeline(run_metadata.step_stats).generate_chrome_trace_format()`` -> JSON text with one
    process per device, holding two rows: its ops (events named after the op) and the copies into
    it (events named 'copy …', with bytes and both devices in ``args``)."""

    OPS_ROW, COPIES_ROW = 0, 1

    def __init__(self, step_stats: StepStats):
        if step_stats is None:
            raise ValueError("No step stats: run with options=gn.RunOptions(trace_level=gn.RunOptions.FULL_TRACE) "
                             "and run_metadata=gn.RunMetadata() first.")
        self.step_stats = step_stats

    def generate_chrome_trace_format(self, show_dataflow=True, show_memory=False) -> str:
        """The trace as JSON text; ``show_dataflow`` adds an arrow from each copy's source row."""
        nodes = self.step_stats.node_stats
        origin = nodes[0].start_us if nodes else 0.0
        pids = {d.device: pid for pid, d in enumerate(self.step_stats.dev_stats)}
        events = [e for device, pid in pids.items() for e in _row_names(device, pid)]
        for flow_id, node in enumerate(nodes):
            events.append(_event(node, pids[node.device], origin))
            if show_dataflow and node.is_copy and node.src_device in pids:
                events += _flow(flow_id, node, pids, origin)
        return json.dumps({"traceEvents": events}, indent=1)


def _row_names(device, pid):
    return [{"name": "process_name", "ph": "M", "pid": pid, "args": {"name": device}},
            {"name": "process_sort_index", "ph": "M", "pid": pid, "args": {"sort_index": pid}},
            {"name": "thread_name", "ph": "M", "pid": pid, "tid": Timeline.OPS_ROW, "args": {"name": "ops"}},
            {"name": "thread_name", "ph": "M", "pid": pid, "tid": Timeline.COPIES_ROW, "args": {"name": "copies in"}}]


def _event(node, pid, origin):
    args = {"name": node.node_name, "op": node.op_type, "thread": node.thread}
    if node.is_copy:
        args.update({"bytes": node.bytes, "src": node.src_device, "dst": node.device})
    return {"name": node.node_name, "cat": "Copy" if node.is_copy else "Op", "ph": "X", "pid": pid,
            "tid": Timeline.COPIES_ROW if node.is_copy else Timeline.OPS_ROW, "ts": round(node.start_us - origin, 3),
            "dur": round(node.end_us - node.start_us, 3), "args": args}


def _flow(flow_id, node, pids, origin):
    """A flow arrow from the source device's ops row to the copy (Chrome's 's'/'f' events)."""
    ts = round(node.start_us - origin, 3)
    return [{"name": "copy", "cat": "dataflow", "ph": "s", "id": flow_id, "pid": pids[node.src_device],
             "tid": Timeline.OPS_ROW, "ts": ts},
            {"name": "copy", "cat": "dataflow", "ph": "f", "bp": "e", "id": flow_id, "pid": pids[node.device],
             "tid": Timeline.COPIES_ROW, "ts": ts}]
