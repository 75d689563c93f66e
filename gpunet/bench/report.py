"""What the benchmark prints (tf_cnn_benchmarks style) and the statistics it reports.

The printed numbers come from the same functions as the JSON's (``throughput``), so the two agree:
a ``--display_every`` line shows the mean and spread of the per-step images/sec of the steps so
far, and ``total images/sec`` is the global batch times the steps over their summed seconds."""
from __future__ import annotations

import statistics
import sys

__all__ = ["Printer", "scaling_rows", "format_scaling", "throughput"]


def throughput(global_batch: int, step_times: list) -> dict:
    """images/sec of ``step_times``: the total, and the spread of the per-step rates."""
    rates = [global_batch / t for t in step_times]
    median = statistics.median(rates)
    ordered = sorted(rates)
    return {"total": global_batch * len(step_times) / sum(step_times),
            "mean": statistics.fmean(rates),
            "std": statistics.pstdev(rates),
            "median": median,
            "jitter": 1.4826 * statistics.median(abs(r - median) for r in rates),  # scaled MAD, as tf_cnn
            "min": ordered[0], "max": ordered[-1],
            "p10": ordered[int(0.1 * (len(ordered) - 1))], "p90": ordered[int(0.9 * (len(ordered) - 1))]}


class Printer:
    """The terminal output of a run; ``out`` is stdout unless a test hands another stream."""

    def __init__(self, out=None):
        self.out = out or sys.stdout

    def line(self, text=""):
        """Print one line and flush (so a container's log shows it at once)."""
        print(text, file=self.out, flush=True)

    def device_mapping(self, devices, virtual_reason=None):
        """The devices of the run and what each is; says so when the GPUs are virtual."""
        if virtual_reason:
            self.line(f"Virtual GPUs: {virtual_reason}")
        self.line("Device mapping:")
        for device in devices:
            kind = "virtual GPU in host memory" if device.virtual and device.device_type == "GPU" else \
                device.backend.description
            self.line(f"  {device.short_name} -> {device.name}: {kind}")

    def configuration(self, text):
        """The configuration about to run."""
        self.line(text)

    def placement(self, summary):
        """The plan's placement summary (ops per device, copies per step)."""
        self.line(summary)

    def warmup(self, count):
        """Iterates ``range(count)`` with a progress bar on a terminal (tqdm), plain lines elsewhere."""
        if count == 0:
            return iter(())
        if _is_terminal(self.out):
            try:
                from tqdm import tqdm
                return tqdm(range(count), desc="Warm-up", unit="step", file=self.out, leave=False)
            except ImportError:
                pass
        self.line(f"Warm-up: {count} steps")
        return iter(range(count))

    def header(self):
        """The column names of the step lines."""
        self.line("Step\tImg/sec\ttotal_loss")

    def step(self, step, global_batch, step_times, loss):
        """tf_cnn_benchmarks' line: the images/sec of the steps so far (mean +/- std, jitter), the loss."""
        rate = throughput(global_batch, step_times)
        self.line(f"{step}\timages/sec: {rate['mean']:.1f} +/- {rate['std']:.1f} (jitter = {rate['jitter']:.1f})"
                  f"\t{loss:.3f}")

    def total(self, images_per_sec):
        """The result line."""
        self.line("-" * 40)
        self.line(f"total images/sec: {images_per_sec:.2f}")
        self.line("-" * 40)

    def scaling(self, rows):
        """The scaling table of several device counts."""
        self.line("")
        self.line(format_scaling(rows))


def scaling_rows(results) -> list[dict]:
    """``[(devices, images/sec)]`` -> rows with the speed-up over the first count and the efficiency
    (speed-up per added device: 1.0 is perfect linear scaling)."""
    base_devices, base_rate = results[0]
    return [{"devices": n, "images_per_sec": rate, "speedup": rate / base_rate,
             "efficiency": (rate / base_rate) / (n / base_devices)} for n, rate in results]


def format_scaling(rows) -> str:
    """The scaling table as text."""
    lines = ["Scaling:", f"{'devices':>8}  {'images/sec':>11}  {'speed-up':>8}  {'efficiency':>10}"]
    lines += [f"{r['devices']:>8}  {r['images_per_sec']:>11.2f}  {r['speedup']:>7.2f}x  {r['efficiency']:>9.1%}"
              for r in rows]
    return "\n".join(lines)


def _is_terminal(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
