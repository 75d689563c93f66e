"""LSTM on gn.while_loop: values against tf_keras 2.21 (lstm_reference.npz from make_lstm_reference.py)
with an unknown time dimension, go_backwards, return_state and initial_state; gradients against finite
differences of a float64 NumPy LSTM; initial_state as real inputs of functional models (replay, save/load)."""
import os

import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L

from .layer_test_utils import run_layer_test

REF = np.load(os.path.join(os.path.dirname(__file__), "lstm_reference.npz"), allow_pickle=False)
CONFIGS = {"last": (False, False, False), "sequences": (True, False, False), "backwards": (True, True, False),
           "state": (True, False, True), "state_backwards": (False, True, True)}
WEIGHTS = [REF["kernel"], REF["recurrent_kernel"], REF["bias"]]


def numpy_lstm(x, kernel, recurrent, bias, h, c, go_backwards=False):
    """tf_keras's LSTM in float64: gates i, f, c, o; returns (all h in processing order, h, c)."""
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))
    u, hs = recurrent.shape[0], []
    for t in (reversed(range(x.shape[1])) if go_backwards else range(x.shape[1])):
        z = x[:, t] @ kernel + h @ recurrent + bias
        c = sigmoid(z[:, u:2 * u]) * c + sigmoid(z[:, :u]) * np.tanh(z[:, 2 * u:3 * u])
        h = sigmoid(z[:, 3 * u:]) * np.tanh(c)
        hs.append(h)
    return np.stack(hs, 1), h, c


def _model(sequences, backwards, with_state, units=3, features=4):
    x = L.Input((None, features))
    states = [L.Input((units,)), L.Input((units,))] if with_state else None
    layer = L.LSTM(units, return_sequences=sequences, return_state=True, go_backwards=backwards)
    outputs = layer(x, initial_state=states)
    return gn.models.Model([x] + (states or []), outputs), layer


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_matches_tf_keras_with_unknown_time_dimension(name):
    sequences, backwards, with_state = CONFIGS[name]
    model, layer = _model(sequences, backwards, with_state)
    assert model.inputs[0].shape.as_list() == [None, None, 4]
    layer.set_weights(WEIGHTS)
    got = model.predict([REF["x"], REF["h0"], REF["c0"]] if with_state else REF["x"])
    for value, suffix in zip(got, ("out", "h", "c")):
        np.testing.assert_allclose(value, REF[f"{name}_{suffix}"], rtol=1e-5, atol=1e-6, err_msg=f"{name}_{suffix}")


@pytest.mark.parametrize("steps", [1, 2, 7])
def test_one_graph_runs_any_number_of_steps(steps):
    model, layer = _model(True, False, False)
    layer.set_weights(WEIGHTS)
    assert model.outputs[0].shape.as_list() == [None, None, 3]
    x = np.random.default_rng(steps).standard_normal((2, steps, 4)).astype("float32")
    seq, h, c = model.predict(x)
    want_seq, want_h, want_c = numpy_lstm(x.astype("float64"), *WEIGHTS, np.zeros((2, 3)), np.zeros((2, 3)))
    assert seq.shape == (2, steps, 3)
    np.testing.assert_allclose(seq, want_seq, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c, want_c, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("backwards", [False, True])
def test_gradients_match_finite_differences(backwards):
    x, h0, c0 = (REF[k].astype("float64") for k in ("x", "h0", "c0"))
    probe = np.random.default_rng(0).standard_normal((3, 5, 3))
    xt, ht, ct = (gn.placeholder(gn.float32, shape) for shape in [(None, None, 4), (None, 3), (None, 3)])
    layer = L.LSTM(3, return_sequences=True, go_backwards=backwards)
    loss = gn.reduce_sum(layer(xt, initial_state=[ht, ct]) * probe.astype("float32"))
    layer.set_weights(WEIGHTS)
    wrt = [layer.kernel, layer.recurrent_kernel, layer.bias, xt, ht]
    grads = K.get_session().run(gn.gradients(loss, wrt), {xt: REF["x"], ht: REF["h0"], ct: REF["c0"]})

    def numpy_loss(kernel, recurrent, bias, x_, h_):
        return np.sum(numpy_lstm(x_, kernel, recurrent, bias, h_, c0, backwards)[0] * probe)
    point = [w.astype("float64") for w in WEIGHTS] + [x, h0]
    for index, grad in enumerate(grads):
        numeric = np.zeros_like(point[index])
        for flat in range(numeric.size):
            step = np.zeros(numeric.size)
            step[flat] = 1e-6
            plus, minus = list(point), list(point)
            plus[index] = point[index] + step.reshape(numeric.shape)
            minus[index] = point[index] - step.reshape(numeric.shape)
            numeric.flat[flat] = (numpy_loss(*plus) - numpy_loss(*minus)) / 2e-6
        np.testing.assert_allclose(grad, numeric, rtol=1e-3, atol=1e-4, err_msg=f"gradient {index}")


def test_initial_state_is_an_input_of_the_call_and_survives_save_and_load(tmp_path):
    model, layer = _model(True, False, True)
    layer.set_weights(WEIGHTS)
    node = layer._inbound_nodes[0]
    assert [t.name for t in node.input_tensors] == [t.name for t in model.inputs]
    data = [REF["x"], REF["h0"], REF["c0"]]
    model.save(str(tmp_path / "m"))
    K.clear_session()
    loaded = gn.models.load_model(str(tmp_path / "m"))
    for got, suffix in zip(loaded.predict(data), ("out", "h", "c")):
        np.testing.assert_allclose(got, REF[f"state_{suffix}"], rtol=1e-5, atol=1e-6)
    # the functional model used as a layer replays the call with the new state tensors
    x, h, c = L.Input((None, 4)), L.Input((3,)), L.Input((3,))
    outer = gn.models.Model([x, h, c], loaded([x, h, c]))
    np.testing.assert_allclose(outer.predict(data)[0], REF["state_out"], rtol=1e-5, atol=1e-6)


def test_initial_state_must_be_two_tensors():
    with pytest.raises(ValueError, match=r"expects initial_state=\[h, c\] \(2 tensors\), got 1"):
        L.LSTM(3)(L.Input((2, 4)), initial_state=[L.Input((3,))])


def test_dropout_only_in_the_training_phase():
    x = gn.placeholder(gn.float32, (None, None, 4))
    layer = L.LSTM(3, dropout=0.5, recurrent_dropout=0.5, return_sequences=True)
    y = layer(x)
    layer.set_weights(WEIGHTS)
    sess = K.get_session()
    inference = sess.run(y, {x: REF["x"]})
    want = numpy_lstm(REF["x"].astype("float64"), *WEIGHTS, np.zeros((3, 3)), np.zeros((3, 3)))[0]
    np.testing.assert_allclose(inference, want, rtol=1e-5, atol=1e-6)
    training = sess.run(y, {x: REF["x"], K.learning_phase(): True})
    assert not np.allclose(training, inference)


@pytest.mark.parametrize("kwargs", [{"units": 3, "go_backwards": True, "return_sequences": True},
                                    {"units": 2, "dropout": 0.3, "recurrent_dropout": 0.2, "return_state": False}])
def test_conformance(kwargs, device):
    run_layer_test(L.LSTM, kwargs, (2, 4, 3), device=device)


def test_learns_the_toy_task_with_unknown_length():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((256, 6, 1)).astype("float32")
    y = (x.sum(axis=(1, 2)) > 0).astype("float32")[:, None]
    model = gn.models.Sequential([L.LSTM(8, input_shape=(None, 1)), L.Dense(1, activation="sigmoid")])
    model.compile(gn.optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] > 0.9
    short = x[:, :3]
    assert model.predict(short).shape == (256, 1)
