"""TF1 names the CIFAR-10 tutorial's scripts use: gn.nn.zero_fraction, top_k's TopKV2 namedtuple and
gn.train.start_queue_runners."""
import threading

import numpy as np
import pytest

import gpunet as gn


@pytest.mark.parametrize("value", [np.float32(0), np.float32(2.5), np.array([0, 1, 0, 3], np.int32),
                                   np.array([[0.0, -1.0], [0.0, 0.0]], np.float32), np.zeros((0, 3), np.float32)],
                         ids=["0-d-zero", "0-d", "int32", "matrix", "empty"])
def test_zero_fraction_is_the_fraction_of_zero_entries(value, device):
    x = gn.placeholder(gn.as_dtype(value.dtype), value.shape)
    with gn.device(device):
        fraction = gn.nn.zero_fraction(x)
    assert fraction.dtype == gn.float32 and fraction.shape.as_list() == []
    assert fraction.op.name.startswith("zero_fraction/")
    with gn.Session() as sess:
        got = sess.run(fraction, {x: value})
    expected = np.mean(value == 0) if value.size else np.nan
    np.testing.assert_allclose(got, expected)


def test_top_k_returns_tf1s_namedtuple():
    result = gn.nn.top_k(gn.constant([[1.0, 3.0, 2.0]]), 2)
    assert type(result).__name__ == "TopKV2" and result._fields == ("values", "indices")
    values, indices = result
    assert values is result.values and indices is result.indices
    with gn.Session() as sess:
        got = sess.run(result)
    assert got[0].tolist() == [[3.0, 2.0]] and got[1].tolist() == [[1, 2]]


class _Runner:
    """A user's queue runner: what TF1's start_queue_runners calls on each one."""

    def __init__(self):
        self.calls = []

    def create_threads(self, sess, coord=None, daemon=False, start=False):
        self.calls.append((sess, coord, daemon, start))
        return [threading.Thread(target=lambda: None)]


def test_start_queue_runners_starts_the_runners_of_the_graph():
    assert gn.train.start_queue_runners(gn.Session()) == []  # a graph without runners: no threads
    runner = _Runner()
    gn.add_to_collection(gn.GraphKeys.QUEUE_RUNNERS, runner)
    coord = gn.train.Coordinator()
    with gn.Session() as sess:
        threads = gn.train.start_queue_runners(sess=sess, coord=coord)
        assert len(threads) == 1 and runner.calls == [(sess, coord, True, True)]
        with sess.as_default():
            gn.train.start_queue_runners(daemon=False, start=False)
        assert runner.calls[-1] == (sess, None, False, False)


def test_start_queue_runners_without_a_session_says_so():
    with pytest.raises(ValueError, match="No default session is registered"):
        gn.train.start_queue_runners()
