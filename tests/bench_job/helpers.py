"""Running ``python -m gpunet.bench`` in a fresh process (the device set is fixed per process), on a
machine without GPUs: the job must make its own virtual GPUs."""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--width", "4", "--num_warmup_batches", "2", "--batch_size", "16"]


def bench(*args, cwd=None, timeout=300):
    """``python -m gpunet.bench ARGS``: the CompletedProcess (text)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    env.pop("GPUNET_VIRTUAL_GPUS", None)
    env.pop("GPUNET_BENCH_JSON", None)
    return subprocess.run([sys.executable, "-m", "gpunet.bench", *args], cwd=cwd or ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def step_lines(stdout):
    """``[(step, mean, std, jitter, loss)]`` of the ``Step Img/sec total_loss`` lines."""
    pattern = r"^(\d+)\timages/sec: ([\d.]+) \+/- ([\d.]+) \(jitter = ([\d.]+)\)\t([\d.]+)$"
    return [tuple(float(g) for g in m.groups()) for m in re.finditer(pattern, stdout, flags=re.MULTILINE)]


def totals(stdout):
    """The numbers of the ``total images/sec: X`` lines."""
    return [float(x) for x in re.findall(r"^total images/sec: ([\d.]+)$", stdout, flags=re.MULTILINE)]
