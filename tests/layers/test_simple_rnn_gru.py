"""SimpleRNN and GRU (reset_after True and False): values and gradients against tf_keras 2.21
(simple_rnn_gru_reference.npz from make_simple_rnn_gru_reference.py) with an unknown time dimension,
go_backwards, return_state and initial_state; configs, errors, conformance on each device, save/load."""
import os

import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L

from .layer_test_utils import run_layer_test

REF = np.load(os.path.join(os.path.dirname(__file__), "simple_rnn_gru_reference.npz"), allow_pickle=False)
CONFIGS = {"last": (False, False, False), "sequences": (True, False, False), "backwards": (True, True, False),
           "state": (True, False, True), "state_backwards": (False, True, True)}
LAYERS = {"simple": (L.SimpleRNN, {}), "gru": (L.GRU, {}), "gru_before": (L.GRU, {"reset_after": False})}


def _weights(prefix):
    return [REF[f"{prefix}_{key}"] for key in ("kernel", "recurrent_kernel", "bias")]


def _model(prefix, sequences, backwards, with_state, **kwargs):
    cls, extra = LAYERS[prefix]
    x = L.Input((None, 4))
    state = [L.Input((3,))] if with_state else None
    layer = cls(3, return_sequences=sequences, return_state=True, go_backwards=backwards, **extra, **kwargs)
    outputs = layer(x, initial_state=state)
    return gn.models.Model([x] + (state or []), outputs), layer


@pytest.mark.parametrize("prefix", sorted(LAYERS))
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_matches_tf_keras_with_unknown_time_dimension(prefix, name):
    sequences, backwards, with_state = CONFIGS[name]
    model, layer = _model(prefix, sequences, backwards, with_state)
    assert model.inputs[0].shape.as_list() == [None, None, 4]
    layer.set_weights(_weights(prefix))
    out, h = model.predict([REF["x"], REF["h0"]] if with_state else REF["x"])
    np.testing.assert_allclose(out, REF[f"{prefix}_{name}_out"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, REF[f"{prefix}_{name}_h"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("prefix", sorted(LAYERS))
@pytest.mark.parametrize("steps", [1, 3])
def test_one_graph_runs_any_number_of_steps(prefix, steps):
    model, layer = _model(prefix, True, False, False)
    layer.set_weights(_weights(prefix))
    full, _ = model.predict(REF["x"])
    # a causal recurrence: the first steps of the full sequence are the outputs of the short one
    short, h = model.predict(REF["x"][:, :steps])
    assert short.shape == (3, steps, 3)
    np.testing.assert_allclose(short, full[:, :steps], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, full[:, steps - 1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("prefix", sorted(LAYERS))
def test_gradients_match_tf_keras(prefix):
    cls, extra = LAYERS[prefix]
    x = gn.placeholder(gn.float32, (None, None, 4))
    layer = cls(3, return_sequences=True, **extra)
    loss = gn.reduce_sum(layer(x) * REF["probe"])
    layer.set_weights(_weights(prefix))
    wrt = [layer.kernel, layer.recurrent_kernel, layer.bias, x]
    grads = K.get_session().run(gn.gradients(loss, wrt), {x: REF["x"]})
    for key, grad in zip(("kernel", "recurrent_kernel", "bias", "x"), grads):
        np.testing.assert_allclose(grad, REF[f"{prefix}_grad_{key}"], rtol=1e-4, atol=1e-5, err_msg=key)


def test_gru_weights_layout_is_tf_keras_s():
    for reset_after, bias_shape in [(True, (2, 12)), (False, (12,))]:
        layer = L.GRU(4, reset_after=reset_after)
        layer(L.Input((None, 5)))
        assert [layer.weight_name(w) for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
        assert [tuple(w.shape.as_list()) for w in layer.weights] == [(5, 12), (4, 12), bias_shape]
    layer = L.SimpleRNN(4, use_bias=False)
    layer(L.Input((2, 5)))
    assert [tuple(w.shape.as_list()) for w in layer.weights] == [(5, 4), (4, 4)]


def test_configs_and_defaults_as_tf_keras():
    simple, gru = L.SimpleRNN(3).get_config(), L.GRU(3).get_config()
    shared = {"trainable": True, "dtype": "float32", "return_sequences": False, "return_state": False,
              "go_backwards": False, "units": 3, "activation": "tanh", "use_bias": True, "dropout": 0.0,
              "recurrent_dropout": 0.0, "kernel_initializer": "glorot_uniform",
              "recurrent_initializer": "orthogonal", "bias_initializer": "zeros"}
    assert {k: simple[k] for k in shared} == shared
    assert {k: gru[k] for k in shared} == shared
    assert gru["recurrent_activation"] == "sigmoid" and gru["reset_after"] is True
    assert "reset_after" not in simple and "recurrent_activation" not in simple
    clone = L.GRU.from_config(L.GRU(2, activation="relu", reset_after=False, go_backwards=True).get_config())
    assert (clone.units, clone.reset_after, clone.go_backwards) == (2, False, True)
    assert L.SimpleRNN(2, dropout=1.5, recurrent_dropout=-1).get_config()["dropout"] == 1.0  # clipped as Keras


@pytest.mark.parametrize("cls", [L.SimpleRNN, L.GRU])
def test_argument_errors(cls):
    with pytest.raises(ValueError, match=r"invalid value for argument `units`, expected a positive integer, got 0"):
        cls(0)
    with pytest.raises(ValueError, match=r"expected ndim=3, found ndim=2. Full shape received: \(None, 4\)"):
        cls(3)(L.Input((4,)))
    with pytest.raises(ValueError, match=r"expects initial_state=\[h\] \(1 tensor\), got 2"):
        cls(3)(L.Input((2, 4)), initial_state=[L.Input((3,)), L.Input((3,))])
    with pytest.raises(ValueError, match="Unknown activation function: 'nope'"):
        cls(3, activation="nope")
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        cls(3, implementation_detail=1)


@pytest.mark.parametrize("cls", [L.SimpleRNN, L.GRU])
def test_dropout_only_in_the_training_phase(cls):
    x = gn.placeholder(gn.float32, (None, None, 4))
    plain, dropped = cls(3, return_sequences=True), cls(3, dropout=0.5, recurrent_dropout=0.5, return_sequences=True)
    y_plain, y_dropped = plain(x), dropped(x)
    dropped.set_weights(plain.get_weights())
    sess = K.get_session()
    reference = sess.run(y_plain, {x: REF["x"]})
    np.testing.assert_allclose(sess.run(y_dropped, {x: REF["x"]}), reference, rtol=1e-6)
    assert not np.allclose(sess.run(y_dropped, {x: REF["x"], K.learning_phase(): True}), reference)


CASES = [
    pytest.param(L.SimpleRNN, {"units": 3}, id="simple"),
    pytest.param(L.SimpleRNN, {"units": 2, "return_sequences": True, "go_backwards": True, "activation": "relu"},
                 id="simple-seq-backwards"),
    pytest.param(L.GRU, {"units": 3}, id="gru"),
    pytest.param(L.GRU, {"units": 2, "return_sequences": True, "reset_after": False, "dropout": 0.2,
                         "recurrent_dropout": 0.1}, id="gru-before-seq-dropout"),
    pytest.param(L.GRU, {"units": 2, "use_bias": False, "go_backwards": True}, id="gru-no-bias"),
]


@pytest.mark.parametrize("cls, kwargs", CASES)
def test_conformance(cls, kwargs, device):
    run_layer_test(cls, kwargs, (2, 4, 3), device=device)


@pytest.mark.parametrize("prefix", ["simple", "gru"])
def test_saved_model_loads_with_the_same_outputs(prefix, tmp_path):
    model, layer = _model(prefix, True, False, True)
    layer.set_weights(_weights(prefix))
    model.save(str(tmp_path / "m"))
    K.clear_session()
    loaded = gn.models.load_model(str(tmp_path / "m"))
    assert type(loaded.layers[-1]) is type(layer)
    out, h = loaded.predict([REF["x"], REF["h0"]])
    np.testing.assert_allclose(out, REF[f"{prefix}_state_out"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h, REF[f"{prefix}_state_h"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", [L.SimpleRNN, L.GRU])
def test_learns_the_toy_task_with_unknown_length(cls):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((256, 6, 1)).astype("float32")
    y = (x.sum(axis=(1, 2)) > 0).astype("float32")[:, None]
    model = gn.models.Sequential([cls(8, input_shape=(None, 1)), L.Dense(1, activation="sigmoid")])
    model.compile(gn.optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] > 0.9
