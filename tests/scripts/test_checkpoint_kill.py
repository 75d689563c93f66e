"""Checkpoints survive kill -9: a training process saving every step is SIGKILLed at random
moments; each time the latest checkpoint is complete, the next process restores it and goes on,
no completed step is lost, and the final weights equal those of an uninterrupted run exactly."""
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import gpunet as gn

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("checkpointed_training.py")
TRIALS = 24
FOREVER = 10 ** 9  # steps: a killed run never finishes by itself


def _start(ckpt_dir, total_steps, save_every=1, device="/cpu:0"):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               OPENBLAS_NUM_THREADS="1", GPUNET_VIRTUAL_GPUS="2")  # /gpu:0 and /gpu:1 exist, in host memory
    return subprocess.Popen([sys.executable, str(SCRIPT), str(ckpt_dir), str(total_steps), str(save_every), device],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            bufsize=0)  # unbuffered: readline must not read ahead lines communicate() then misses


def _steps(lines, word):
    return [int(line.split()[1]) for line in lines if line.startswith(word)]


def _run_to_end(ckpt_dir, total_steps, save_every=1, device="/cpu:0"):
    proc = _start(ckpt_dir, total_steps, save_every, device)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    return out.decode().splitlines()


def _kill_at_random_moment(ckpt_dir, rng):
    """Start a run; once it has resumed and saved a step, let it train for a random while (often
    mid-save: saving is most of a step), SIGKILL it; its output lines."""
    proc = _start(ckpt_dir, FOREVER)
    first = [proc.stdout.readline().decode().strip() for _ in range(2)]
    assert first[0].startswith("resumed ") and first[1].startswith("saved "), proc.communicate(timeout=60)[1]
    time.sleep(rng.uniform(0.0, 0.2))
    os.kill(proc.pid, signal.SIGKILL)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    return first + out.decode().splitlines()


def _latest_step(ckpt_dir):
    """The global step in the latest checkpoint (read in full, so its checksum is verified)."""
    latest = gn.train.latest_checkpoint(str(ckpt_dir))
    if latest is None:
        return 0
    step = int(gn.train.load_variable(latest, "global_step"))
    assert latest.endswith(f"model.ckpt-{step}")
    return step


def _final_weights(ckpt_dir):
    return {key: gn.train.load_variable(str(ckpt_dir), key) for key, _ in gn.train.list_variables(str(ckpt_dir))}


def test_sigkill_at_random_moments_loses_at_most_the_step_in_flight(tmp_path):
    rng = random.Random(20260)
    killed, reference = tmp_path / "killed", tmp_path / "reference"
    killed.mkdir(), reference.mkdir()
    completed = 0  # the last step a process reported saved
    for _ in range(TRIALS):
        lines = _kill_at_random_moment(killed, rng)
        resumed, saved = _steps(lines, "resumed")[0], _steps(lines, "saved")
        assert completed <= resumed <= completed + 1  # restored the latest, lost nothing completed
        assert saved == list(range(resumed + 1, resumed + 1 + len(saved)))  # and went on from there
        completed = saved[-1] if saved else resumed
        on_disk = _latest_step(killed)
        assert completed <= on_disk <= completed + 1, (completed, on_disk)
        state = gn.train.get_checkpoint_state(str(killed))
        for prefix in (state.all_model_checkpoint_paths if state else []):
            gn.train.load_variable(prefix, "global_step")  # every listed checkpoint is complete
    assert completed >= TRIALS  # every trial trained and saved before its kill
    total = _latest_step(killed) + 3
    assert _steps(_run_to_end(killed, total), "saved")[-1] == total
    _run_to_end(reference, total, save_every=0)
    resumed_weights, uninterrupted = _final_weights(killed), _final_weights(reference)
    assert sorted(resumed_weights) == sorted(uninterrupted)
    for key, value in uninterrupted.items():
        np.testing.assert_array_equal(resumed_weights[key], value, err_msg=key)


@pytest.mark.parametrize("resume_on", ["/cpu:0", "/gpu:1"])
def test_stopping_and_resuming_ends_with_the_weights_of_an_uninterrupted_run(tmp_path, resume_on):
    """Saved by one process on the CPU, restored by another onto ``resume_on`` (a virtual GPU:
    the variables and the optimizer's slots live there), trained on: bit-identical to a run on
    the CPU that never stopped."""
    resumed, uninterrupted = tmp_path / "resumed", tmp_path / "uninterrupted"
    resumed.mkdir(), uninterrupted.mkdir()
    assert _run_to_end(resumed, 7) == ["resumed 0"] + [f"saved {i}" for i in range(1, 8)]
    assert _run_to_end(resumed, 15, save_every=5, device=resume_on)[0] == "resumed 7"
    assert _run_to_end(uninterrupted, 15, save_every=0) == ["resumed 0", "saved 15"]
    a, b = _final_weights(resumed), _final_weights(uninterrupted)
    assert sorted(a) == ["beta1_power", "beta2_power", "global_step"] + sorted(
        f"{layer}/{kind}{slot}" for layer in ("hidden", "logits") for kind in ("bias", "kernel")
        for slot in ("", "/Adam", "/Adam_1"))
    for key in b:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    at_step_7 = gn.train.load_variable(str(resumed / "model.ckpt-7"), "hidden/kernel")
    assert not np.array_equal(a["hidden/kernel"], at_step_7)  # the resumed run did train
