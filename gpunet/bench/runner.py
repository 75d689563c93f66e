"""Runs one benchmark configuration: builds its graph, warms up, times every step, and measures one
extra step's copies (``RunMetadata.copy_stats``), memory (``Session.memory_report``) and, when
asked, its Chrome trace. Untimed steps train too, as warm-up steps do."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import gpunet as gn

from . import data, graph
from .report import Printer

__all__ = ["Measured", "RunSpec", "run_configuration"]


@dataclass(frozen=True)
class RunSpec:
    """One configuration: its graph and how long to run it."""

    graph: graph.GraphOptions
    data: str
    batch_size: int              # per replica
    num_batches: int
    num_warmup_batches: int
    display_every: int
    seed: int
    trace: str | None = None
    log_device_placement: bool = False

    @property
    def global_batch(self) -> int:
        return self.batch_size * len(self.graph.devices)


@dataclass
class Measured:
    """What a run measured: per timed step its seconds and mean loss, and one step's copies and memory."""

    step_times: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    placement_summary: str = ""
    copies: dict = field(default_factory=dict)
    memory: dict = field(default_factory=dict)


def run_configuration(spec: RunSpec, printer: Printer) -> Measured:
    """Runs ``spec``, printing as it goes; returns the measurements."""
    gn.set_random_seed(spec.seed)
    built = graph.build(spec.graph)
    batches = data.load(spec.data, spec.global_batch, spec.graph.shape, spec.seed)
    feed = _feeder(built, batches)
    fetches = [built.train_op, built.total_loss]
    measured = Measured()
    with gn.Session(config=gn.ConfigProto(log_device_placement=spec.log_device_placement)) as sess:
        sess.run(built.init_ops)
        measured.placement_summary = sess.placement_report(fetches, feed()).summary
        printer.placement(measured.placement_summary)
        for _ in printer.warmup(spec.num_warmup_batches):
            sess.run(fetches, feed())
        measured.copies = _copy_stats(sess, fetches, feed(), spec.trace)
        printer.header()
        for step in range(1, spec.num_batches + 1):
            _timed_step(sess, fetches, feed(), measured)
            if step % spec.display_every == 0 or step == spec.num_batches:
                printer.step(step, spec.global_batch, measured.step_times, measured.losses[-1])
        measured.memory = _memory(sess.memory_report(fetches, feed()))
    return measured


def _feeder(built, batches):
    def feed():
        images, labels = batches.next()
        return {built.images: images, built.labels: labels}
    return feed


def _timed_step(sess, fetches, feed, measured):
    start = time.perf_counter()
    _, loss = sess.run(fetches, feed)
    measured.step_times.append(time.perf_counter() - start)
    measured.losses.append(float(loss))


def _copy_stats(sess, fetches, feed, trace_path):
    """One step run with RunMetadata: per device, the copies and bytes it received and sent."""
    level = gn.RunOptions.FULL_TRACE if trace_path else gn.RunOptions.NO_TRACE
    metadata = gn.RunMetadata()
    sess.run(fetches, feed, options=gn.RunOptions(trace_level=level), run_metadata=metadata)
    if trace_path:
        _write_atomically(trace_path, gn.timeline.Timeline(metadata.step_stats).generate_chrome_trace_format())
    per_device = {}
    for t in metadata.copy_stats.transfers:
        _count(per_device, short_name(t.dst), "in", t)
        _count(per_device, short_name(t.src), "out", t)
    return dict(sorted(per_device.items()))


def _count(per_device, device, side, transfer):
    row = per_device.setdefault(device, {"copies_in": 0, "bytes_in": 0, "copies_out": 0, "bytes_out": 0,
                                         "feed_bytes": 0, "fetch_bytes": 0})
    if transfer.kind == "copy":
        row[f"copies_{side}"] += 1
        row[f"bytes_{side}"] += transfer.bytes
    elif transfer.kind == "feed" and side == "in":
        row["feed_bytes"] += transfer.bytes
    elif transfer.kind == "fetch" and side == "out":
        row["fetch_bytes"] += transfer.bytes


def _memory(report):
    return {short_name(r.device): {"estimated_peak_bytes": r.estimated_bytes, "measured_peak_bytes": r.measured_bytes,
                                   "variable_bytes": r.variable_bytes} for r in report.rows}


def short_name(canonical: str) -> str:
    """'/job:localhost/replica:0/task:0/device:GPU:1' -> '/gpu:1'."""
    kind, index = canonical.rsplit("device:", 1)[-1].split(":")
    return f"/{kind.lower()}:{index}"


def _write_atomically(path, text):
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = f"{path}.tmp{os.getpid()}"
    with open(temporary, "w") as f:
        f.write(text)
    os.replace(temporary, path)
