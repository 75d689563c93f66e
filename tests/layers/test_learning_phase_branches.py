"""Dropout and BatchNormalization pick their training or inference computation with a ``gn.cond`` on
the learning phase: probes (a py_func counting its runs) show the untaken branch never runs."""
import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L


def _probe(monkeypatch, owner, name):
    """Wrap ``owner.name`` so every run of the ops it builds bumps a counter."""
    real, runs = getattr(owner, name), []

    def count(x):
        runs.append(1)
        return x

    def probed(x, *args, **kwargs):
        ran = gn.py_func(count, [x], x.dtype)
        with gn.control_dependencies([ran]):
            return real(gn.identity(x), *args, **kwargs)
    monkeypatch.setattr(owner, name, probed)
    return runs


@pytest.mark.parametrize("phase, expect_runs", [(False, 0), (True, 1)])
def test_dropout_builds_its_mask_only_in_the_training_branch(monkeypatch, phase, expect_runs):
    runs = _probe(monkeypatch, gn.nn, "dropout")
    x = gn.placeholder(gn.float32, (None, 1000))
    y = L.Dropout(0.5)(x)
    data = np.ones((4, 1000), np.float32)
    with gn.Session() as sess:
        out = sess.run(y, {x: data, K.learning_phase(): phase})
    assert len(runs) == expect_runs
    if phase:
        assert set(np.unique(out)) == {0.0, 2.0}
    else:
        np.testing.assert_array_equal(out, data)


def test_dropout_default_phase_is_inference_without_random_ops(monkeypatch):
    runs = _probe(monkeypatch, gn.nn, "dropout")
    x = gn.placeholder(gn.float32, (None, 8))
    y = L.Dropout(0.3)(x)
    data = np.arange(16, dtype=np.float32).reshape(2, 8)
    with gn.Session() as sess:
        for _ in range(3):
            np.testing.assert_array_equal(sess.run(y, {x: data}), data)
    assert runs == []


@pytest.mark.parametrize("phase", [False, True])
def test_batchnorm_computes_batch_moments_only_while_training(monkeypatch, phase):
    runs = _probe(monkeypatch, gn.nn, "moments")
    x = gn.placeholder(gn.float32, (None, 3))
    layer = L.BatchNormalization()
    y = layer(x)
    data = np.array([[1, 2, 3], [3, 6, 9]], np.float32)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        out = sess.run(y, {x: data, K.learning_phase(): phase})
    assert len(runs) == (1 if phase else 0)
    if phase:
        mean, var = data.mean(0), data.var(0)
        expected = (data - mean) / np.sqrt(var + 1e-3)
    else:
        expected = data / np.sqrt(1 + 1e-3)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_batchnorm_updates_in_fit_and_inference_uses_moving_statistics(monkeypatch):
    runs = _probe(monkeypatch, gn.nn, "moments")
    model = gn.models.Sequential([L.BatchNormalization(momentum=0.5, input_shape=(2,))])
    model.compile("sgd", "mse")
    data = np.array([[0, 10], [4, 30]], np.float32)
    model.fit(data, data, batch_size=2, epochs=1, verbose=0, shuffle=False)
    assert len(runs) == 1  # one training step: the batch moments ran once, for output and update together
    bn = model.layers[0]
    np.testing.assert_allclose(gn.backend.get_value(bn.moving_mean), 0.5 * data.mean(0), rtol=1e-6)
    np.testing.assert_allclose(gn.backend.get_value(bn.moving_variance), 0.5 + 0.5 * data.var(0), rtol=1e-6)
    out = model.predict(data)
    assert len(runs) == 1  # inference did not compute batch moments
    gamma, beta = gn.backend.get_value(bn.gamma), gn.backend.get_value(bn.beta)  # moved by the sgd step
    expected = gamma * (data - 0.5 * data.mean(0)) / np.sqrt(0.5 + 0.5 * data.var(0) + 1e-3) + beta
    np.testing.assert_allclose(out, expected, rtol=1e-5)
