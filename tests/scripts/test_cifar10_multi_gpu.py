"""The CIFAR-10 tutorial's cifar10_multi_gpu_train.py (tests/scripts/tf1_programs/, only the import
changed and the data synthetic) run as a user runs it, in its own process, on two virtual GPUs: the
towers run on /gpu:0 and /gpu:1, the variables live on /cpu:0, the loss falls, and the summaries and
checkpoints are written where the program says."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = Path(__file__).resolve().parent / "tf1_programs"
LOCAL = "/job:localhost/replica:0/task:0/device:"
TOWER_TYPES = {"Conv2D", "MatMul", "Relu", "LRN", "MaxPool", "BiasAdd", "SparseSoftmaxCrossEntropyWithLogits",
               "Conv2DBackpropInput", "Conv2DBackpropFilter", "MaxPoolGrad", "LRNGrad", "ReluGrad"}
PLACEMENT = re.compile(r"^(\S+): \((\w+)\): (\S+)(.*)$", re.M)


def _run_training(train_dir, steps):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               GPUNET_VIRTUAL_GPUS="2")
    env.pop("GPUNET_TEST_CUPY_DOUBLE", None)
    args = ["--num_gpus=2", f"--max_steps={steps}", "--batch_size=16", f"--train_dir={train_dir}",
            "--log_device_placement=true"]
    result = subprocess.run([sys.executable, "-W", "ignore::DeprecationWarning", "cifar10_multi_gpu_train.py", *args],
                            cwd=PROGRAMS, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return result.stdout, result.stderr


@pytest.mark.slow
def test_cifar10_multi_gpu_train_runs_towers_on_two_gpus_and_learns(tmp_path):
    train_dir = tmp_path / "train"
    train_dir.mkdir()
    (train_dir / "stale").write_text("from an earlier run")  # main() clears the directory (tf.gfile)
    out, log = _run_training(train_dir, steps=81)

    losses = [float(v) for v in re.findall(r": step \d+, loss = ([0-9.]+) \(", out)]
    assert len(losses) == 9, out
    assert min(losses[-2:]) < 0.7 * losses[0], losses  # cross-entropy ~2.3 + weight decay at the start

    placed = {}
    for name, op_type, device, _ in PLACEMENT.findall(log):
        placed.setdefault((name, op_type), set()).add(device)
    for tower in (0, 1):
        ops = {(n, t): d for (n, t), d in placed.items() if n.startswith(f"tower_{tower}/") and t in TOWER_TYPES}
        assert {t for _, t in ops} == TOWER_TYPES, sorted({t for _, t in ops})
        assert all(d == {f"{LOCAL}GPU:{tower}"} for d in ops.values()), ops
        assert placed[(f"tower_{tower}/PyFunc", "PyFunc")] == {f"{LOCAL}CPU:0"}  # soft placement: no GPU kernel
    variables = {n: d for (n, t), d in placed.items() if t == "VariableV2"}
    model = {f"{layer}/{kind}" for layer in ("conv1", "conv2", "local3", "local4", "softmax_linear")
             for kind in ("weights", "biases")}
    assert model | {"global_step"} <= set(variables), sorted(variables)
    assert {f"{v}/ExponentialMovingAverage" for v in model} <= set(variables)
    assert all(d == {f"{LOCAL}CPU:0"} for d in variables.values()), variables

    files = sorted(os.listdir(train_dir))
    assert "stale" not in files and "checkpoint" in files, files
    assert any(f.startswith("model.ckpt-0") for f in files) and any(f.startswith("model.ckpt-80") for f in files)
    assert any(f.startswith("events.out.tfevents.") for f in files), files
