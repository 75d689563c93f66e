"""``gpunet-bench plot RESULTS.json... -o scaling.png``: images/sec and scaling efficiency against the
number of devices, one line per configuration (model, variable update, batch, optimizer...)."""
from __future__ import annotations

import os

from .flags import Parser
from .records import load_records
from .report import scaling_rows

__all__ = ["main", "series"]


def main(argv=None) -> int:
    """Reads the results files and writes the figure; exit status 2 for a file that is not one."""
    parser = Parser(prog="gpunet-bench plot", description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", metavar="RESULTS.json")
    parser.add_argument("-o", "--output", default="scaling.png", help="the PNG to write (default scaling.png)")
    parser.add_argument("--title", default="gpunet-bench: data-parallel scaling")
    args = parser.parse_args(argv)
    try:
        lines = series([r for path in args.results for r in load_records(path)])
    except (OSError, ValueError, KeyError) as exc:
        parser.error(f"cannot read the results: {exc}")
    try:
        import matplotlib
    except ImportError:
        parser.error("plot needs matplotlib: pip install 'gpunet[bench]'")
    matplotlib.use("Agg")  # files only: no display needed (a container has none)
    _draw(lines, args.output, args.title)
    print(f"wrote {args.output} ({len(lines)} configuration(s))")
    return 0


def series(records) -> dict:
    """``{label: scaling rows}``: one line per configuration, its points sorted by device count (the
    last record wins when a count repeats)."""
    grouped = {}
    for r in records:
        grouped.setdefault(_label(r), {})[r["num_devices"]] = r["images_per_sec"]["total"]
    return {label: scaling_rows(sorted(points.items())) for label, points in grouped.items()}


def _label(record) -> str:
    c = record["configuration"]
    mode = "forward" if c["forward_only"] else c["optimizer"]
    return f"{c['model']} {c['variable_update']} (params {c['local_parameter_device']}), " \
           f"batch {record['batch_size']}, {mode}"


def _draw(lines, output, title):
    import matplotlib.pyplot as plt
    figure, (speed, efficiency) = plt.subplots(1, 2, figsize=(11, 4.2))
    for label, rows in lines.items():
        devices = [r["devices"] for r in rows]
        speed.plot(devices, [r["images_per_sec"] for r in rows], marker="o", label=label)
        efficiency.plot(devices, [100 * r["efficiency"] for r in rows], marker="o", label=label)
    speed.set(xlabel="devices", ylabel="images/sec", title="throughput")
    efficiency.set(xlabel="devices", ylabel="efficiency (%)", title="scaling efficiency", ylim=(0, None))
    for axes in (speed, efficiency):
        axes.grid(alpha=0.3)
        axes.set_xticks(sorted({r["devices"] for rows in lines.values() for r in rows}))
    speed.legend(fontsize=7)
    figure.suptitle(title)
    figure.tight_layout()
    temporary = f"{output}.tmp{os.getpid()}.png"
    figure.savefig(temporary, dpi=100)
    plt.close(figure)
    os.replace(temporary, output)
