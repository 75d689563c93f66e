"""Bidirectional around SimpleRNN, GRU and LSTM: values against tf_keras 2.21 (bidirectional_reference.npz from
make_bidirectional_reference.py) for each merge mode, return_sequences and return_state, unknown time steps;
weights order, config round trip, errors, conformance on each device, a model saved and loaded."""
import os

import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L

from .layer_test_utils import run_layer_test

REF = np.load(os.path.join(os.path.dirname(__file__), "bidirectional_reference.npz"), allow_pickle=False)
CASES = {
    "gru_concat_seq": (lambda: L.GRU(3, return_sequences=True), "concat"),
    "lstm_sum_last": (lambda: L.LSTM(3), "sum"),
    "simple_ave_seq": (lambda: L.SimpleRNN(3, return_sequences=True), "ave"),
    "gru_mul_state": (lambda: L.GRU(3, return_sequences=True, return_state=True), "mul"),
    "lstm_none_seq": (lambda: L.LSTM(3, return_sequences=True), None),
    "lstm_concat_state": (lambda: L.LSTM(3, return_state=True), "concat"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_tf_keras_with_unknown_time_steps(name):
    make, mode = CASES[name]
    x = L.Input((None, 5))
    layer = L.Bidirectional(make(), merge_mode=mode)
    model = gn.models.Model(x, layer(x))
    layer.set_weights([REF[f"{name}_w{i}"] for i in range(6)])
    got = model.predict(REF["x"])
    got = got if isinstance(got, list) else [got]
    want = [REF[f"{name}_out{i}"] for i in range(5) if f"{name}_out{i}" in REF]
    assert len(got) == len(want)
    for i, (value, reference) in enumerate(zip(got, want)):
        np.testing.assert_allclose(value, reference, rtol=1e-5, atol=1e-5, err_msg=f"output {i}")
    assert [tuple(t.shape.as_list()[1:]) for t in model.outputs] == [w.shape[1:] if w.ndim == 2 else
                                                                     (None,) + w.shape[2:] for w in want]


def test_weights_forward_then_backward_with_keras_names():
    layer = L.Bidirectional(L.GRU(3, name="gru"))
    layer(L.Input((None, 4)))
    assert (layer.forward_layer.name, layer.backward_layer.name) == ("forward_gru", "backward_gru")
    assert layer.weights == layer.forward_layer.weights + layer.backward_layer.weights
    assert (layer.forward_layer.go_backwards, layer.backward_layer.go_backwards) == (False, True)
    assert [tuple(w.shape.as_list()) for w in layer.weights] == [(4, 9), (3, 9), (2, 9)] * 2


def test_initial_state_is_split_between_the_directions():
    x, states = L.Input((None, 5)), [L.Input((3,)) for _ in range(4)]
    layer = L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode=None)
    forward, backward = layer(x, initial_state=states)
    model = gn.models.Model([x] + states, [forward, backward])
    layer.set_weights([REF[f"lstm_none_seq_w{i}"] for i in range(6)])
    rng = np.random.default_rng(0)
    values = [rng.standard_normal((2, 3)).astype("float32") for _ in range(4)]
    got_forward, got_backward = model.predict([REF["x"]] + values)
    alone = L.LSTM(3, return_sequences=True)
    h, c = L.Input((3,)), L.Input((3,))
    single = gn.models.Model([x, h, c], alone(x, initial_state=[h, c]))
    alone.set_weights([REF[f"lstm_none_seq_w{i}"] for i in range(3)])
    np.testing.assert_allclose(got_forward, single.predict([REF["x"]] + values[:2]), rtol=1e-5, atol=1e-6)
    assert not np.allclose(got_forward, REF["lstm_none_seq_out0"])  # the given state was used
    with pytest.raises(ValueError, match="the state should be a list containing the states of the underlying RNNs"):
        L.Bidirectional(L.LSTM(3))(x, initial_state=states[:3])
    assert got_backward.shape == (2, 4, 3)


def test_config_round_trip_and_errors():
    layer = L.Bidirectional(L.SimpleRNN(2, return_sequences=True, name="rnn"), merge_mode="sum", name="bi")
    config = layer.get_config()
    assert sorted(config) == ["dtype", "layer", "merge_mode", "name", "trainable"]
    assert config["layer"]["class_name"] == "SimpleRNN" and config["layer"]["config"]["name"] == "rnn"
    clone = L.Bidirectional.from_config(config)
    assert clone.get_config() == config and clone.forward_layer.name == "forward_rnn"
    assert L.Bidirectional(L.GRU(3)).get_config()["merge_mode"] == "concat"
    with pytest.raises(ValueError, match=r"Invalid merge mode. Received: max. Merge mode should be one of"):
        L.Bidirectional(L.GRU(3), merge_mode="max")
    with pytest.raises(ValueError, match="with a `tf.keras.layers.Layer` instance. Received: 3"):
        L.Bidirectional(3)
    with pytest.raises(ValueError, match="needs a recurrent layer"):
        L.Bidirectional(L.Dense(3))
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        L.Bidirectional(L.GRU(3))(L.Input((4,)))


@pytest.mark.parametrize("make, mode", [
    pytest.param(lambda: L.GRU(2, return_sequences=True), "concat", id="gru-concat"),
    pytest.param(lambda: L.LSTM(2), "ave", id="lstm-ave"),
    pytest.param(lambda: L.SimpleRNN(3, go_backwards=True), "mul", id="simple-backwards-mul"),
])
def test_conformance(make, mode, device):
    run_layer_test(L.Bidirectional, {"layer": make(), "merge_mode": mode}, (2, 4, 3), device=device)


def test_model_trains_saves_and_loads(tmp_path):
    model = gn.models.Sequential([L.Bidirectional(L.GRU(4, return_sequences=True), input_shape=(None, 3)),
                                  L.TimeDistributed(L.Dense(1))])
    model.compile(gn.optimizers.Adam(0.01), "mse")
    data = np.random.default_rng(1).standard_normal((8, 5, 3)).astype("float32")
    target = np.cumsum(data[..., :1], axis=1)[:, ::-1].copy()
    first = model.train_on_batch(data, target)
    for _ in range(20):
        last = model.train_on_batch(data, target)
    assert last < first
    want = model.predict(data)
    model.save(str(tmp_path / "m"))
    K.clear_session()
    loaded = gn.models.load_model(str(tmp_path / "m"))
    np.testing.assert_allclose(loaded.predict(data), want, rtol=1e-5, atol=1e-6)
