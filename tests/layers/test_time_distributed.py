"""TimeDistributed: values and gradients against tf_keras 2.21 (time_distributed_reference.npz from
make_time_distributed_reference.py) for Dense and Conv2D inner layers, unknown time steps, weights shared
across steps, config round trip with the inner layer serialized, errors, conformance on each device, save/load."""
import os

import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L

from .layer_test_utils import run_layer_test

REF = np.load(os.path.join(os.path.dirname(__file__), "time_distributed_reference.npz"), allow_pickle=False)
INNER = {"dense": lambda: L.Dense(3, activation="tanh"), "conv": lambda: L.Conv2D(2, 3, padding="same")}


def _layer_on_unknown_steps(name):
    x = gn.placeholder(gn.float32, (None, None) + REF[f"{name}_x"].shape[2:])
    layer = L.TimeDistributed(INNER[name]())
    y = layer(x)
    layer.set_weights([REF[f"{name}_kernel"], REF[f"{name}_bias"]])
    return layer, x, y


@pytest.mark.parametrize("name", sorted(INNER))
def test_matches_tf_keras_with_unknown_time_steps(name):
    layer, x, y = _layer_on_unknown_steps(name)
    assert y.shape.as_list() == [None, None] + list(REF[f"{name}_out"].shape[2:])
    got = K.get_session().run(y, {x: REF[f"{name}_x"]})
    np.testing.assert_allclose(got, REF[f"{name}_out"], rtol=1e-5, atol=1e-5)
    # one set of weights for every step: each step alone gives the same output
    short = K.get_session().run(y, {x: REF[f"{name}_x"][:, 1:2]})
    np.testing.assert_allclose(short, REF[f"{name}_out"][:, 1:2], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(INNER))
def test_gradients_match_tf_keras(name):
    layer, x, y = _layer_on_unknown_steps(name)
    loss = gn.reduce_sum(y * REF[f"{name}_probe"])
    wrt = [layer.layer.kernel, layer.layer.bias, x]
    grads = K.get_session().run(gn.gradients(loss, wrt), {x: REF[f"{name}_x"]})
    for key, grad in zip(("kernel", "bias", "x"), grads):
        np.testing.assert_allclose(grad, REF[f"{name}_grad_{key}"], rtol=1e-4, atol=1e-4, err_msg=key)


def test_weights_are_the_inner_layer_s_and_shared_across_time():
    layer = L.TimeDistributed(L.Dense(3))
    layer(L.Input((7, 4)))
    assert layer.weights == layer.layer.weights
    assert [tuple(w.shape.as_list()) for w in layer.weights] == [(4, 3), (3,)]
    assert layer.count_params() == 15


def test_config_round_trip_serializes_the_inner_layer():
    layer = L.TimeDistributed(L.Dense(3, activation="relu", name="inner"), name="td")
    config = layer.get_config()
    assert sorted(config) == ["dtype", "layer", "name", "trainable"]
    assert config["layer"]["class_name"] == "Dense" and config["layer"]["config"]["units"] == 3
    clone = L.TimeDistributed.from_config(config)
    assert isinstance(clone.layer, L.Dense) and clone.layer.name == "inner" and clone.name == "td"
    assert clone.get_config() == config
    with pytest.raises(ValueError, match="Unknown layer: Nope"):
        L.TimeDistributed.from_config({**config, "layer": {"class_name": "Nope", "config": {}}})


def test_output_shape_and_errors_as_tf_keras():
    assert L.TimeDistributed(L.Dense(3)).compute_output_shape((None, 5, 4)) == (None, 5, 3)
    assert L.TimeDistributed(L.Flatten()).compute_output_shape((2, None, 3, 4)) == (2, None, 12)
    with pytest.raises(ValueError, match=r"with at least 3 dimensions, received: \(None, 4\)"):
        L.TimeDistributed(L.Dense(3))(L.Input((4,)))
    with pytest.raises(ValueError, match="with a `tf.keras.layers.Layer` instance. Received: 3"):
        L.TimeDistributed(3)


def test_training_flag_reaches_the_inner_layer():
    x = gn.placeholder(gn.float32, (None, None, 6))
    y = L.TimeDistributed(L.Dropout(0.5))(x)
    data = np.ones((2, 3, 6), "float32")
    sess = K.get_session()
    np.testing.assert_array_equal(sess.run(y, {x: data}), data)
    trained = sess.run(y, {x: data, K.learning_phase(): True})
    assert set(np.unique(trained)) <= {0.0, 2.0} and (trained == 0).any()


CASES = [
    pytest.param({"layer": L.Dense(3)}, (2, 4, 5), id="dense"),
    pytest.param({"layer": L.Conv2D(2, 3)}, (2, 3, 5, 5, 1), id="conv2d"),
    pytest.param({"layer": L.Flatten()}, (2, 3, 2, 2), id="flatten"),
]


@pytest.mark.parametrize("kwargs, input_shape", CASES)
def test_conformance(kwargs, input_shape, device):
    inner = kwargs["layer"]
    fresh = type(inner).from_config(inner.get_config())  # a new inner layer per run (each gets built on its device)
    run_layer_test(L.TimeDistributed, {"layer": fresh}, input_shape, device=device)


def test_sequential_model_saved_and_loaded(tmp_path):
    model = gn.models.Sequential([L.LSTM(4, return_sequences=True, input_shape=(None, 3)),
                                  L.TimeDistributed(L.Dense(2, activation="sigmoid"))])
    model.compile(gn.optimizers.SGD(0.1), "mse")
    data = np.random.default_rng(0).standard_normal((4, 5, 3)).astype("float32")
    before = model.get_weights()
    model.train_on_batch(data, np.ones((4, 5, 2), "float32"))
    assert not all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    want = model.predict(data)
    model.save(str(tmp_path / "m"))
    K.clear_session()
    loaded = gn.models.load_model(str(tmp_path / "m"))
    assert isinstance(loaded.layers[-1], L.TimeDistributed) and isinstance(loaded.layers[-1].layer, L.Dense)
    np.testing.assert_allclose(loaded.predict(data), want, rtol=1e-6)
