"""fit with ModelCheckpoint(resume=True) killed with SIGKILL at random moments and started again
ends with exactly the weights of an uninterrupted fit: weights, Adam slots, iterations, the epoch,
NumPy's shuffling state and the dropout generators all come back."""
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import gpunet as gn

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("keras_checkpointed_fit.py")
EPOCHS, KILLS = 24, 8


def _start(ckpt_dir, out):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               OPENBLAS_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, str(SCRIPT), str(ckpt_dir), str(EPOCHS), str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            bufsize=0)  # unbuffered: readline must not read ahead lines communicate() then misses


def _numbers(lines, word):
    return [int(line.split()[1]) for line in lines if line.startswith(word)]


def _weights(path):
    with np.load(path) as saved:
        return [saved[k] for k in saved.files]


def _run_to_end(ckpt_dir, out):
    proc = _start(ckpt_dir, out)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr.decode()
    return stdout.decode().splitlines()


def test_a_killed_and_resumed_fit_ends_with_the_weights_of_an_uninterrupted_one(tmp_path):
    began = time.monotonic()
    reference = _run_to_end(tmp_path / "reference", tmp_path / "reference.npz")
    epoch_time = (time.monotonic() - began) / EPOCHS  # an upper bound: start-up included
    assert _numbers(reference, "resumed") == [0] and _numbers(reference, "epoch") == list(range(1, EPOCHS + 1))
    rng = random.Random(5)
    ckpt_dir, finished_epochs, kills = tmp_path / "killed", 0, 0
    while kills < KILLS:
        proc = _start(ckpt_dir, tmp_path / "killed.npz")
        first = proc.stdout.readline().decode()
        assert first.startswith("resumed "), proc.communicate(timeout=60)[1].decode()
        resumed = int(first.split()[1])
        # nothing finished is lost; at most the epoch whose save completed just before the kill is gained
        assert finished_epochs <= resumed <= finished_epochs + 1
        seen = [proc.stdout.readline().decode() for _ in range(rng.randrange(2))]  # an epoch finished, or not
        time.sleep(rng.uniform(0.0, epoch_time))
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=60)
        if proc.returncode != -signal.SIGKILL:  # it finished before the kill
            break
        kills += 1
        finished_epochs = max([resumed] + _numbers(seen + out.decode().splitlines(), "epoch"))
        if finished_epochs >= EPOCHS:
            break
        assert gn.train.latest_checkpoint(str(ckpt_dir / "training_state")) is not None or finished_epochs == 0
    assert kills >= KILLS // 2, "the fit finished too fast to be killed"
    tail = _run_to_end(ckpt_dir, tmp_path / "killed.npz")
    assert _numbers(tail, "resumed")[0] >= finished_epochs and _numbers(tail, "epoch")[-1:] in ([EPOCHS], [])
    for got, want in zip(_weights(tmp_path / "killed.npz"), _weights(tmp_path / "reference.npz"), strict=True):
        np.testing.assert_array_equal(got, want)


def test_the_state_directory_keeps_two_states_each_with_its_sidecar(tmp_path):
    _run_to_end(tmp_path, tmp_path / "out.npz")
    names = sorted(os.listdir(tmp_path / "training_state"))
    assert names == ["checkpoint", f"state-{EPOCHS - 1}.json", f"state-{EPOCHS - 1}.safetensors",
                     f"state-{EPOCHS}.json", f"state-{EPOCHS}.safetensors"]
    latest = str(tmp_path / "training_state" / f"state-{EPOCHS}")
    variables = {name for name, _ in gn.train.list_variables(latest)}
    assert {"Adam/iterations", "dense/kernel", "dense/kernel/Adam", "dense/kernel/Adam_1", "dense_1/bias"} <= variables
    assert int(gn.train.load_variable(latest, "Adam/iterations")) == EPOCHS * 384 // 8
