"""The README's commands as a user runs them: ``python -m gpunet.demo`` (the main job: the
MNIST-mechanics MLP on the digits, one replica per GPU) and ``python -m gpunet.demo --placement``."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import gpunet as gn
from tests.conftest import USING_DOUBLE

ROOT = Path(__file__).resolve().parents[2]
PLACEMENT_LINE = re.compile(r"^(\S+): \((\w+)\): (/job:localhost/replica:0/task:0/device:(?:CPU|GPU):\d)$")


def run_demo(*args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.pop("GPUNET_VIRTUAL_GPUS", None)
    result = subprocess.run([sys.executable, "-m", "gpunet.demo", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


@pytest.mark.skipif(USING_DOUBLE, reason="the CuPy double stands in for CuPy in this process only, not in the demo's")
def test_main_demo_trains_the_mlp_to_95_percent_with_one_replica_per_gpu():
    out = run_demo().stdout
    losses = [float(v) for v in re.findall(r"^Step \d+: loss = ([0-9.]+)", out, re.M)]
    assert len(losses) >= 5 and losses[-1] < losses[0] / 4
    accuracy = float(re.search(r"^Test accuracy: ([0-9.]+)$", out, re.M).group(1))
    assert accuracy >= 0.95
    assert re.search(r"^Test data eval: Num examples: 360  Num correct: \d+  Precision @ 1: ", out, re.M)
    assert re.search(r"^Throughput: \d+ samples/s \([0-9.]+ ms per step of 100 examples\)$", out, re.M)
    real = len(gn.config.list_physical_devices("GPU"))
    n = real or 2  # every GPU present, else two virtual ones
    gpus = ", ".join(f"device:GPU:{i}" for i in range(n))
    assert f"; {n} replicas ({gpus}{'' if real else ', virtual'}), weights on CPU:0" in out
    summary = re.search(r"^Placement summary: (\d+) ops \((.*)\); (\d+) copies", out, re.M)
    assert summary, out
    assert [part.rsplit("device:", 1)[1] for part in summary.group(2).split(", ")] == \
        ["CPU:0"] + [f"GPU:{i}" for i in range(n)]
    # per replica: 6 weights, its 2 batch slices and the 1 / batch scale in; one fused gradient buffer and its loss out
    assert int(summary.group(3)) == n * (6 + 2 + 1 + 1 + 1)


def test_main_demo_options_change_the_run():
    out = run_demo("--steps", "30", "--log-every", "10", "--batch-size", "50", "--learning-rate", "0.05").stdout
    assert re.findall(r"^Step (\d+):", out, re.M) == ["0", "10", "20", "29"]
    assert re.search(r"^Test accuracy: [0-9.]+$", out, re.M)


def test_main_demo_rejects_a_bad_option():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "gpunet.demo", "--steps", "0"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--steps must be at least 1" in result.stderr


def test_placement_demo_logs_tf1_lines_across_cpu_and_two_virtual_gpus():
    result = run_demo("--placement")
    placed = {}
    for line in result.stderr.splitlines():
        match = PLACEMENT_LINE.match(line)
        if match:
            placed[match.group(1)] = (match.group(2), match.group(3).rsplit("/", 1)[1])
    assert placed["h"] == ("MatMul", "device:GPU:0")
    assert placed["y"] == ("Sum", "device:GPU:1")
    assert placed["w"] == ("VariableV2", "device:CPU:0")
    assert re.search(r"^h:0: \(Copy\): \S+GPU:0 -> \S+GPU:1 \(\? bytes per step\)$", result.stderr, re.M)
    assert re.search(r"^Placement summary: .*GPU:0.*GPU:1", result.stderr, re.M)
    assert "y = [30. 30.]" in result.stdout  # ones(2, 3) @ [[0, 1], [2, 3], [4, 5]] * 2, summed
