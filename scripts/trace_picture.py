"""Draw a Chrome trace written by gpunet (``gn.timeline.Timeline``) as a picture: one row of ops
per device and, under it, the copies into that device (the README's docs/trace.png comes from here).

    python scripts/trace_picture.py trace.json trace.png   # draw an existing trace
    python scripts/trace_picture.py --tower trace.png      # trace a 2-virtual-GPU tower step, draw it

Needs matplotlib (extra ``plot``)."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

OPS_COLOUR, COPY_COLOUR = "#4c72b0", "#dd8452"


def rows(trace: dict) -> list[tuple[str, list[dict]]]:
    """(label, span events) per row: each device's ops, then the copies into it, in device order."""
    names = {e["pid"]: e["args"]["name"] for e in trace["traceEvents"] if e.get("name") == "process_name"}
    spans = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    out = []
    for pid in sorted(names):
        short = names[pid].rsplit("device:", 1)[-1]
        out.append((f"{short} ops", [e for e in spans if e["pid"] == pid and e["cat"] != "Copy"]))
        out.append((f"{short} copies in", [e for e in spans if e["pid"] == pid and e["cat"] == "Copy"]))
    return out


def draw(trace: dict, path: str):
    """Writes a PNG of ``trace`` to ``path``: a bar per event, copies labelled with their bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = rows(trace)
    end = max((e["ts"] + e["dur"] for _, events in table for e in events), default=1.0)
    fig, ax = plt.subplots(figsize=(12, 0.6 * len(table) + 1.2))
    for y, (_, events) in enumerate(table):
        for e in events:
            copy = e["cat"] == "Copy"
            ax.broken_barh([(e["ts"], max(e["dur"], 0.006 * end))], (y - 0.35, 0.7),
                           facecolors=COPY_COLOUR if copy else OPS_COLOUR, edgecolor="white", linewidth=0.5)
            if e["dur"] < 0.04 * end:  # too narrow to hold a label (drawn a little wider to stay visible)
                continue
            label = _size(e["args"].get("bytes")) if copy else e["name"].rsplit("/", 1)[-1]
            ax.text(e["ts"] + e["dur"] / 2, y, label, ha="center", va="center", fontsize=6, clip_on=True,
                    color="white" if not copy else "black")
    ax.set_yticks(range(len(table)), [label for label, _ in table])
    ax.invert_yaxis()
    ax.set_xlabel("time since the first step (µs)")
    ax.set_title("gpunet trace: ops per device (blue), copies into each device (orange)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _size(n):
    if n is None:
        return "?"
    return f"{n / 1024:.0f} KiB" if n >= 1024 else f"{n} B"


def tower_trace() -> dict:
    """The trace of one step of two matmul towers, one per virtual GPU, fed and summed on the CPU."""
    os.environ.setdefault("GPUNET_VIRTUAL_GPUS", "2")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import numpy as np

    import gpunet as gn

    x = gn.placeholder(gn.float32, [1024, 256], name="x")
    with gn.device("/cpu:0"):
        w = gn.constant(np.random.default_rng(0).standard_normal((256, 256)).astype(np.float32), name="w")
        halves = gn.split(x, 2, axis=0, name="split")
    towers = []
    for k in range(2):
        with gn.device(f"/gpu:{k}"), gn.name_scope(f"tower{k}"):
            hidden = gn.nn.relu(gn.matmul(halves[k], w))
            towers.append(gn.reduce_sum(gn.matmul(hidden, w), axis=0))
    with gn.device("/cpu:0"):
        total = gn.add_n(towers, name="total")
    metadata = gn.RunMetadata()
    options = gn.RunOptions(trace_level=gn.RunOptions.FULL_TRACE)
    with gn.Session() as sess:
        feed = {x: np.ones((1024, 256), np.float32)}
        sess.run(total, feed)   # warm up: the traced step shows steady-state times
        sess.run(total, feed, options=options, run_metadata=metadata)
    return json.loads(gn.timeline.Timeline(metadata.step_stats).generate_chrome_trace_format())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="trace.json picture.png, or picture.png with --tower")
    parser.add_argument("--tower", action="store_true", help="trace a 2-virtual-GPU tower step first")
    parser.add_argument("--save-trace", help="with --tower: also write the trace JSON here")
    args = parser.parse_args(argv)
    if args.tower:
        trace = tower_trace()
        if args.save_trace:
            Path(args.save_trace).write_text(json.dumps(trace, indent=1))
        picture = args.paths[0]
    else:
        trace, picture = json.loads(Path(args.paths[0]).read_text()), args.paths[1]
    draw(trace, picture)
    print(f"wrote {picture}")


if __name__ == "__main__":
    main()
