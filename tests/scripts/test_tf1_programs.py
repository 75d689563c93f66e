"""TF1 programs run as a user runs them, in their own process, with only the import changed
(tests/scripts/tf1_programs/): the MNIST tutorial's fully_connected_feed.py + mnist.py and the
models repo's convolutional MNIST (self-test and a short run on the digits), and the popular example
scripts' logistic regression, multilayer perceptron, raw convolutional network and recurrent network,
and TensorFlow's word2vec_basic (skip-gram with NCE)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = Path(__file__).resolve().parent / "tf1_programs"


def run_program(name, *args, expect=0):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.pop("GPUNET_VIRTUAL_GPUS", None)
    result = subprocess.run([sys.executable, "-W", "ignore::DeprecationWarning", str(PROGRAMS / name), *args],
                            cwd=PROGRAMS, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == expect, result.stdout + result.stderr
    return result.stdout


def test_programs_differ_from_tensorflow_only_in_the_import():
    for path in PROGRAMS.glob("*.py"):
        source = path.read_text()
        assert "import tensorflow" not in source.replace("was: import tensorflow", "")
        assert "import gpunet.compat.v1 as tf" in source, path.name


@pytest.mark.slow
def test_fully_connected_feed_trains_and_evaluates():
    out = run_program("fully_connected_feed.py", "--max_steps=600", "--learning_rate=0.3", "--batch_size=50")
    losses = [float(v) for v in re.findall(r"^Step \d+: loss = ([0-9.]+) \(", out, re.M)]
    assert len(losses) == 6 and losses[-1] < losses[0] / 4, out
    evals = re.findall(r"^  Num examples: (\d+)  Num correct: (\d+)  Precision @ 1: ([0-9.]+)$", out, re.M)
    assert [int(n) for n, _, _ in evals] == [1200, 200, 350]  # train, validation, test (whole batches of 50)
    assert all(int(correct) / int(n) == pytest.approx(float(p), abs=1e-4) for n, correct, p in evals)
    assert float(evals[-1][2]) >= 0.9, out  # test precision


def test_fully_connected_feed_refuses_an_unknown_flag():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, str(PROGRAMS / "fully_connected_feed.py"), "--max_step=5"],
                            cwd=PROGRAMS, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Unknown command line flag 'max_step'" in result.stderr


def test_convolutional_self_test_reaches_zero_test_error():
    out = run_program("convolutional.py", "--self_test")
    assert "Running self-test." in out and "Initialized!" in out
    assert re.search(r"^test_error 0\.0$", out, re.M), out


@pytest.mark.slow
def test_convolutional_trains_on_the_digits_with_a_decaying_rate():
    out = run_program("convolutional.py", "--num_epochs=2", "--base_learning_rate=0.05")
    losses = [float(v) for v in re.findall(r"^Minibatch loss: ([0-9.]+), learning rate: ", out, re.M)]
    rates = [float(v) for v in re.findall(r"learning rate: ([0-9.]+)$", out, re.M)]
    assert len(losses) == 2 and losses[-1] < losses[0] / 2, out
    assert rates == [0.05, pytest.approx(0.05 * 0.95)]  # staircase: one decay per epoch
    assert float(re.search(r"^Test error: ([0-9.]+)%$", out, re.M).group(1)) < 25.0, out


def _epoch_costs(out):
    return [float(v) for v in re.findall(r"^Epoch: \d{4} cost= ?([0-9.]+)$", out, re.M)]


def test_logistic_regression_learns_the_digits():
    out = run_program("logistic_regression.py")
    costs = _epoch_costs(out)
    assert len(costs) == 3 and costs[0] > costs[1] > costs[2], out  # epochs 5, 10 and 15
    assert float(re.search(r"^Accuracy: ([0-9.]+)$", out, re.M).group(1)) >= 0.9, out


def test_multilayer_perceptron_learns_the_digits():
    out = run_program("multilayer_perceptron.py")
    costs = _epoch_costs(out)
    assert len(costs) == 4 and costs[-1] < costs[0] / 3, out  # epochs 1, 6, 11 and 16
    assert float(re.search(r"^Accuracy: ([0-9.]+)$", out, re.M).group(1)) >= 0.93, out


@pytest.mark.slow
def test_raw_convolutional_network_learns_the_digits_with_dropout():
    out = run_program("convolutional_network_raw.py")
    rows = re.findall(r"^Iter (\d+), Minibatch Loss= ([0-9.]+), Training Accuracy= ([0-9.]+)$", out, re.M)
    assert [int(i) for i, _, _ in rows] == [64, 3200, 6400, 9600], out
    assert float(rows[-1][1]) < float(rows[0][1]) / 4, out
    assert float(re.search(r"^Testing Accuracy: ([0-9.]+)$", out, re.M).group(1)) >= 0.9, out


def test_recurrent_network_classifies_the_digits_row_by_row():
    out = run_program("recurrent_network.py")
    rows = re.findall(r"^Step (\d+), Minibatch Loss= ([0-9.]+), Training Accuracy= ([0-9.]+)$", out, re.M)
    assert [int(step) for step, _, _ in rows] == [1, 100, 200, 300], out
    assert float(rows[-1][1]) < float(rows[0][1]) / 4, out
    assert float(re.search(r"^Testing Accuracy: ([0-9.]+)$", out, re.M).group(1)) >= 0.9, out


def test_word2vec_learns_embeddings_whose_neighbours_share_the_topic():
    out = run_program("word2vec_basic.py")
    losses = [float(v) for v in re.findall(r"^Average loss at step  \d+ :  ([0-9.]+)$", out, re.M)]
    assert len(losses) == 5 and losses[-1] < losses[0] / 3 and losses[-1] < losses[1], out
    neighbours = re.findall(r"^Nearest to t(\d)w\d+:((?: t\dw\d+,)+)$", out, re.M)
    assert len(neighbours) == 8, out
    same = [topic == other for topic, words in neighbours for other in re.findall(r"t(\d)w", words)]
    assert len(same) == 32 and sum(same) >= 0.8 * len(same), out
