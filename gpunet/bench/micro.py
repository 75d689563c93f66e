"""``gpunet-bench micro`` (also ``python -m gpunet.bench``): runs bench/, prints gpunet/NumPy ratios.

Runs ``pytest bench`` with pytest-benchmark enabled (from a source checkout), writes its JSON to
``--json`` (default ``.benchmarks/latest.json``) and prints one row per benchmark group: the
median time of the gpunet side, of the NumPy side, their ratio and the target.
``OPENBLAS_NUM_THREADS`` is set to 1 unless already set: single-threaded BLAS gives steadier
numbers on a small machine, and both sides use the same BLAS. Extra arguments go to pytest
(``python -m gpunet.bench -k mlp``). ``--table PATH`` prints the table of an earlier run.
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["TARGETS", "bench_dir", "format_table", "main", "ratio_rows", "run_benchmarks"]

DEFAULT_JSON = os.path.join(".benchmarks", "latest.json")

# group -> (kind, limit): 'ratio' compares gpunet's median with NumPy's; 'seconds' is absolute.
TARGETS = {
    "mlp-train-step-b128": ("ratio", 1.10),
    "lenet-train-step-b64": ("ratio", 1.5),
    "session-run-tiny-constants": ("seconds", 20e-6),
    "session-run-tiny-fed": ("seconds", 20e-6),
    "keras-mlp-fit-epoch": ("ratio", 1.10),     # fit vs a hand-written loop (impl "baseline")
    "keras-mlp-predict-1": ("ratio", 1.5),      # predict vs Session.run of the same graph
}


def bench_dir() -> Path:
    """bench/ beside the gpunet package (a source checkout or an editable install)."""
    folder = Path(__file__).resolve().parents[2] / "bench"
    if not (folder / "__init__.py").is_file():
        raise FileNotFoundError(f"the benchmarks live in bench/ of a gpunet source checkout; not found at {folder}")
    return folder


def run_benchmarks(json_path, pytest_args) -> int:
    """Runs ``pytest bench`` with pytest-benchmark on, its JSON to ``json_path``; pytest's exit status."""
    folder = bench_dir()
    Path(json_path).parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    command = [sys.executable, "-m", "pytest", str(folder), "-q", "-p", "no:cacheprovider",
               "--benchmark-enable", "--benchmark-columns=min,median,mean,stddev,rounds",
               f"--benchmark-json={os.path.abspath(json_path)}", *pytest_args]
    print(f"OPENBLAS_NUM_THREADS={env['OPENBLAS_NUM_THREADS']} {' '.join(command)}", flush=True)
    return subprocess.call(command, cwd=folder.parent, env=env)


def ratio_rows(report) -> list[dict]:
    """One row per group: medians per side (seconds), their ratio (and the ratio of the fastest
    rounds, less sensitive to a busy machine), the target and whether the median met it."""
    groups = {}
    for bench in report["benchmarks"]:
        impl = bench.get("extra_info", {}).get("impl", "gpunet")
        groups.setdefault(bench["group"], {})[impl] = bench["stats"]
    rows = []
    for group in sorted(groups):
        sides = groups[group]
        # the reference side: NumPy, or a gpunet baseline (a raw loop) for the Keras API groups
        gpunet, numpy = sides.get("gpunet"), sides.get("numpy") or sides.get("baseline")
        ratio = min_ratio = None
        if gpunet and numpy:
            ratio, min_ratio = gpunet["median"] / numpy["median"], gpunet["min"] / numpy["min"]
        row = {"group": group, "gpunet": gpunet and gpunet["median"], "numpy": numpy and numpy["median"],
               "ratio": ratio, "min_ratio": min_ratio, "target": None, "met": None}
        if group in TARGETS:
            kind, limit = TARGETS[group]
            value = ratio if kind == "ratio" else row["gpunet"]
            row["target"] = f"<= {limit:.2f}x" if kind == "ratio" else f"<= {_time(limit)}"
            row["met"] = None if value is None else value <= limit
        rows.append(row)
    return rows


def format_table(rows) -> str:
    """The rows of ``ratio_rows`` as an aligned text table."""
    header = ("benchmark group", "gpunet (median)", "NumPy/baseline", "ratio", "ratio of mins", "target", "")
    table = [header]
    for r in rows:
        verdict = {True: "ok", False: "MISS", None: ""}[r["met"]]
        table.append((r["group"], _time(r["gpunet"]), _time(r["numpy"]), _ratio(r["ratio"]), _ratio(r["min_ratio"]),
                      r["target"] or "-", verdict))
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
             .rstrip() for row in table]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _ratio(value) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _time(seconds) -> str:
    if seconds is None:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def main(argv=None) -> int:
    """Runs the micro-benchmarks (or reads an earlier run with ``--table``) and prints the table."""
    parser = argparse.ArgumentParser(prog="gpunet-bench micro", description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", default=DEFAULT_JSON, help=f"where to write the results (default {DEFAULT_JSON})")
    parser.add_argument("--table", metavar="PATH", help="only print the table of an earlier run's JSON")
    args, pytest_args = parser.parse_known_args(argv)
    json_path = args.table or args.json
    if not args.table:
        code = run_benchmarks(json_path, pytest_args)
        if code != 0 or not os.path.isfile(json_path):
            print(f"benchmarks failed (pytest exit status {code})", file=sys.stderr)
            return code or 1
    with open(json_path) as f:
        report = json.load(f)
    print()
    print(f"gpunet / NumPy, {report.get('datetime', '?')}, "
          f"{report.get('machine_info', {}).get('cpu', {}).get('brand_raw', 'unknown CPU')}")
    print(format_table(ratio_rows(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
