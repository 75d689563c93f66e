"""Saving the 784-512-512-10 MLP with its Adam slots: ``gn.train.Saver.save`` (checksummed,
fsynced, atomic, with the state file) vs ``numpy.save`` of the same arrays into the same
directory, side by side in one benchmark group. The target is at most 2x numpy.save."""
import numpy as np
import pytest

import gpunet as gn

from . import models


@pytest.fixture
def trained_mlp():
    """A session holding the MLP after one Adam step: weights, slots, beta powers, global step."""
    x_value, y_value = models.batch((32, models.MLP_WIDTHS[0]))
    x = gn.placeholder(gn.float32, x_value.shape)
    y = gn.placeholder(gn.int32, y_value.shape)
    with gn.device(models.BENCH_DEVICE):
        logits, _ = models.dense_logits(x, models.mlp_params())
        loss = gn.reduce_mean(gn.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        step = gn.train.get_or_create_global_step()
        train = gn.train.AdamOptimizer(1e-3).minimize(loss, global_step=step)
    sess = gn.Session()
    sess.run(gn.global_variables_initializer())
    sess.run(train, {x: x_value, y: y_value})
    yield sess, step
    sess.close()


@pytest.mark.benchmark(group="save-mlp-adam")
def test_save_gpunet_saver(benchmark, trained_mlp, tmp_path):
    sess, step = trained_mlp
    saver = gn.train.Saver()
    benchmark.extra_info["impl"] = "gpunet"
    prefix = benchmark(saver.save, sess, str(tmp_path / "model"), global_step=step)
    names = [v.op.name for v in gn.global_variables()]
    assert len(names) == 6 * 3 + 3  # weights and biases, two Adam slots each, beta powers, global step
    for var, value in zip(gn.global_variables(), sess.run(gn.global_variables())):
        np.testing.assert_array_equal(gn.train.load_variable(prefix, var.op.name), value)


@pytest.mark.benchmark(group="save-mlp-adam")
def test_save_numpy_save(benchmark, trained_mlp, tmp_path):
    sess, _ = trained_mlp
    arrays = {v.op.name.replace("/", "__"): value for v, value in zip(gn.global_variables(),
                                                                      sess.run(gn.global_variables()))}
    benchmark.extra_info["impl"] = "numpy"

    def save_all():
        for name, value in arrays.items():
            np.save(tmp_path / f"{name}.npy", value)
    benchmark(save_all)
    assert len(list(tmp_path.iterdir())) == len(arrays)
