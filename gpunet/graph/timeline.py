"""Run traces: per-step start/end times by device (``RunOptions(trace_level=FULL_TRACE)``) and
their Chrome-trace JSON (``gn.timeline.Timeline``), loadable in Perfetto or chrome://tracing."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class NodeExecStats:
    """One executed step: an op (``op_type`` its type) or a copy (``op_type`` 'Copy')."""

    node_name: str
    op_type: str
    device: str
    start_us: float    # microseconds on a process-wide clock
    end_us: float


@dataclass
class DeviceStepStats:
    device: str
    node_stats: list = field(default_factory=list)


class StepStats:
    """What a traced run recorded, grouped by device as in TF1's ``RunMetadata.step_stats``."""

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
        """Every recorded step in the order it ran."""
        return sorted((s for d in self.dev_stats for s in d.node_stats), key=lambda s: s.start_us)


class TimedStep:
    """Wraps one plan step's function (a kernel, a copy or a feed) to record its time on ``device``
    (traced runs only; the device is synchronized after the step so a GPU kernel's time is its own)."""

    __slots__ = ("inner", "stats", "name", "op_type", "device")

    def __init__(self, inner, stats, name, op_type, device):
        self.inner, self.stats, self.name, self.op_type, self.device = inner, stats, name, op_type, device

    def __call__(self, *args):
        start = time.perf_counter()
        out = self.inner(*args)
        self.device.backend.synchronize()
        end = time.perf_counter()
        self.stats.add(NodeExecStats(self.name, self.op_type, self.device.name, start * 1e6, end * 1e6))
        return out


class Timeline:
    """``Timeline(run_metadata.step_stats).generate_chrome_trace_format()`` -> JSON text with one
    row (process) per device; op events are named after their op, copies start with 'copy'."""

    def __init__(self, step_stats: StepStats):
        if step_stats is None:
            raise ValueError("No step stats: run with options=gn.RunOptions(trace_level=gn.RunOptions.FULL_TRACE) "
                             "and run_metadata=gn.RunMetadata() first.")
        self.step_stats = step_stats

    def generate_chrome_trace_format(self, show_dataflow=True, show_memory=False) -> str:
        nodes = self.step_stats.node_stats
        origin = nodes[0].start_us if nodes else 0.0
        events = []
        for pid, device in enumerate(d.device for d in self.step_stats.dev_stats):
            events.append({"name": "process_name", "ph": "M", "pid": pid, "args": {"name": device}})
            events.append({"name": "process_sort_index", "ph": "M", "pid": pid, "args": {"sort_index": pid}})
        pids = {d.device: pid for pid, d in enumerate(self.step_stats.dev_stats)}
        for node in nodes:
            events.append({"name": node.node_name, "cat": "Copy" if node.op_type == "Copy" else "Op", "ph": "X",
                           "pid": pids[node.device], "tid": 0, "ts": round(node.start_us - origin, 3),
                           "dur": round(node.end_us - node.start_us, 3),
                           "args": {"name": node.node_name, "op": node.op_type}})
        return json.dumps({"traceEvents": events}, indent=1)
