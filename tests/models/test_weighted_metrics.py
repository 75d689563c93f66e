"""compile(weighted_metrics=...): values against NumPy (sum(value * weight) / sum(weight) over all samples, whatever
the batches), names, temporal weights, save/load; the parity with tf_keras is in tests/keras_sweep."""
import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L


def _model(weighted, metrics=None, loss="mse", input_shape=(3,)):
    model = gn.models.Sequential([L.Dense(2, input_shape=input_shape, kernel_initializer="ones")])
    model.compile(gn.optimizers.SGD(0.0), loss, metrics=metrics, weighted_metrics=weighted)
    return model


@pytest.mark.parametrize("batch_size", [1, 3, 4, 7])
def test_weighted_mae_is_the_weighted_mean_over_samples(batch_size, device):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((7, 3)).astype("float32"), rng.standard_normal((7, 2)).astype("float32")
    w = rng.uniform(0.0, 2.0, 7).astype("float32")
    with gn.device(device):
        model = _model(["mae"], metrics=["mae"])
        got = model.evaluate(x, y, sample_weight=w, batch_size=batch_size, verbose=0, return_dict=True)
        plain = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    per_sample = np.abs(x.sum(1, keepdims=True) - y).mean(1)
    np.testing.assert_allclose(got["weighted_mae"], (per_sample * w).sum() / w.sum(), rtol=1e-5)
    np.testing.assert_allclose(got["mae"], per_sample.mean(), rtol=1e-5)
    assert plain["weighted_mae"] == pytest.approx(plain["mae"], rel=1e-6)  # no weights: the plain mean


def test_temporal_weights_weigh_each_step(device):
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((4, 5, 3)).astype("float32"), rng.standard_normal((4, 5, 2)).astype("float32")
    w = rng.uniform(0.0, 2.0, (4, 5)).astype("float32")
    with gn.device(device):
        model = _model(["mae"], input_shape=(5, 3))
        got = model.evaluate(x, y, sample_weight=w, batch_size=3, verbose=0, return_dict=True)
    per_step = np.abs(x.sum(-1, keepdims=True) - y).mean(-1)
    np.testing.assert_allclose(got["mae"], (per_step * w).sum() / w.sum(), rtol=1e-5)


def test_weighted_metrics_survive_save_and_load(tmp_path):
    model = _model(["mae"], metrics=["mae"])
    model.save(str(tmp_path / "m"))
    K.clear_session()
    assert gn.models.load_model(str(tmp_path / "m")).metrics_names == ["loss", "mae", "weighted_mae"]


def test_a_weighted_metrics_list_per_output_must_match_the_outputs():
    inputs = L.Input((3,))
    model = gn.models.Model(inputs, [L.Dense(1, name="a")(inputs), L.Dense(1, name="b")(inputs)])
    with pytest.raises(ValueError, match="weighted_metrics"):
        model.compile("sgd", "mse", weighted_metrics=[["mae"], ["mae"], ["mae"]])
