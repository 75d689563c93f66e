"""Traces: every copy recorded with its bytes and both devices, one Chrome-trace row per device
plus its copies row, thread-safe recording, and no tracing code at all on an untraced run."""
import json
import threading

import numpy as np
import pytest

import gpunet as gn
from gpunet.graph import timeline

CPU = "/job:localhost/replica:0/task:0/device:CPU:0"
GPU = "/job:localhost/replica:0/task:0/device:GPU:{}"
FULL = gn.RunOptions.FULL_TRACE


def _tower_step(batch=8, width=4):
    """x on the CPU, split in halves, one matmul tower per virtual GPU, the sum back on the CPU."""
    x = gn.placeholder(gn.float32, [batch, width], name="x")
    with gn.device("/cpu:0"):
        w = gn.constant(np.eye(width, dtype=np.float32), name="w")
        halves = gn.split(x, 2, axis=0, name="split")
    towers = []
    for k in range(2):
        with gn.device(f"/gpu:{k}"):
            towers.append(gn.reduce_sum(gn.matmul(halves[k], w, name=f"tower{k}"), name=f"sum{k}"))
    with gn.device("/cpu:0"):
        total = gn.add(towers[0], towers[1], name="total")
    return x, total


def _traced(fetch, feed):
    metadata = gn.RunMetadata()
    with gn.Session() as sess:
        value = sess.run(fetch, feed, options=gn.RunOptions(trace_level=FULL), run_metadata=metadata)
    return value, metadata.step_stats


def test_every_copy_is_recorded_with_its_bytes_and_both_devices(vgpus):
    x, total = _tower_step()
    data = np.arange(32, dtype=np.float32).reshape(8, 4)
    value, stats = _traced(total, {x: data})
    assert value == pytest.approx(data.sum())
    copies = {(c.node_name, c.src_device, c.device, c.bytes) for c in stats.copies}
    half = 4 * 4 * 4  # a [4, 4] float32 half of the batch
    assert copies == {
        ("feed x:0", "host", CPU, 8 * 4 * 4),
        ("copy split:0 from /cpu:0", CPU, GPU.format(0), half), ("copy split:1 from /cpu:0", CPU, GPU.format(1), half),
        ("copy w:0 from /cpu:0", CPU, GPU.format(0), 64), ("copy w:0 from /cpu:0", CPU, GPU.format(1), 64),
        ("copy sum0:0 from /gpu:0", GPU.format(0), CPU, 4), ("copy sum1:0 from /gpu:1", GPU.format(1), CPU, 4)}
    ops = [n for n in stats.node_stats if not n.is_copy]
    assert all(n.bytes is None and n.src_device is None for n in ops)
    assert {(n.node_name, n.device) for n in ops} >= {("tower0", GPU.format(0)), ("tower1", GPU.format(1)),
                                                       ("total", CPU)}
    # the concurrent executor runs the CPU's part and GPU 0's on the caller's thread, every other GPU's on
    # a worker thread of its own; a copy from a GPU to the CPU runs on the GPU's thread (it waits for it alone)
    main = threading.current_thread().name
    assert {(n.device, n.thread) for n in stats.node_stats} == {
        (CPU, main), (GPU.format(0), main), (GPU.format(1), "gpunet-/gpu:1"), (CPU, "gpunet-/gpu:1")}
    assert {n.thread for n in stats.copies if n.device == CPU and n.src_device != "host"} == {main, "gpunet-/gpu:1"}


def test_the_chrome_trace_has_a_row_per_device_and_copy_rows_with_arrows(vgpus):
    x, total = _tower_step()
    _, stats = _traced(total, {x: np.ones((8, 4), np.float32)})
    events = json.loads(gn.timeline.Timeline(stats).generate_chrome_trace_format())["traceEvents"]
    processes = {e["pid"]: e["args"]["name"] for e in events if e["name"] == "process_name"}
    assert sorted(processes.values()) == sorted([CPU, GPU.format(0), GPU.format(1)])
    rows = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e["name"] == "thread_name"}
    assert rows == {**{(pid, 0): "ops" for pid in processes}, **{(pid, 1): "copies in" for pid in processes}}
    spans = [e for e in events if e["ph"] == "X"]
    copies = [e for e in spans if e["cat"] == "Copy"]
    assert len(copies) == len(stats.copies) == 7
    assert all("copy" in e["name"] or e["name"].startswith("feed") for e in copies)
    assert all(e["tid"] == 1 and processes[e["pid"]] == e["args"]["dst"] and e["args"]["bytes"] > 0 for e in copies)
    ops = {e["name"]: processes[e["pid"]] for e in spans if e["cat"] == "Op"}
    assert ops["tower0"] == GPU.format(0) and ops["tower1"] == GPU.format(1) and ops["total"] == CPU
    assert all(e["tid"] == 0 for e in spans if e["cat"] == "Op")
    starts = [e for e in events if e["ph"] == "s"]
    ends = [e for e in events if e["ph"] == "f"]
    assert len(starts) == len(ends) == 6  # every device-to-device copy; the feed comes from the host
    assert all(processes[s["pid"]] != processes[f["pid"]] for s, f in zip(starts, ends, strict=True))
    plain = json.loads(gn.timeline.Timeline(stats).generate_chrome_trace_format(show_dataflow=False))
    assert not [e for e in plain["traceEvents"] if e["ph"] in "sf"]


@pytest.mark.parametrize("options, metadata", [(None, None), (None, "m"), ("no", "m"), ("full", None)])
def test_an_untraced_run_runs_no_timing_code(vgpus, monkeypatch, options, metadata):
    def forbidden(*args):
        raise AssertionError("timing code ran on an untraced run")

    monkeypatch.setattr(timeline.TimedStep, "__init__", forbidden)
    monkeypatch.setattr(timeline.StepStats, "__init__", forbidden)
    monkeypatch.setattr(timeline.time, "perf_counter", forbidden)
    x, total = _tower_step()
    run_options = {"no": gn.RunOptions(), "full": gn.RunOptions(trace_level=FULL), None: None}[options]
    run_metadata = gn.RunMetadata() if metadata else None
    with gn.Session() as sess:
        assert sess.run(total, {x: np.ones((8, 4), np.float32)}, options=run_options,
                        run_metadata=run_metadata) == 32.0
    assert run_metadata is None or run_metadata.step_stats is None


def test_steps_recorded_from_several_threads_are_all_kept_with_their_thread(vgpus):
    stats = timeline.StepStats()
    with gn.Session() as sess:
        devices = {d.name: d for d in sess.list_devices()}
    steps = [timeline.TimedStep(lambda v: v, stats, f"op{k}", "Identity", devices[GPU.format(k % 2)])
             for k in range(2)]

    def work(k):
        for _ in range(200):
            steps[k](1)

    threads = [threading.Thread(target=work, args=(k,), name=f"device-{k}") for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [len(d.node_stats) for d in stats.dev_stats] == [200, 200]
    assert {(n.node_name, n.device, n.thread) for n in stats.node_stats} == {
        ("op0", GPU.format(0), "device-0"), ("op1", GPU.format(1), "device-1")}
    starts = [n.start_us for n in stats.node_stats]
    assert starts == sorted(starts)
