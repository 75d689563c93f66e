"""``gn.layers.regularizers/initializers/constraints/activations.get`` accept what tf_keras 2.21's accept (None,
names, config dicts, callables) and refuse the rest with tf_keras's error class, against getters_reference.npz
(make_getters_reference.py); layers take those names (``kernel_regularizer='l2'``...) and keep them through
get_config / from_config / to_json."""
import json
import os

import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L
from gpunet.layers import activations, constraints, initializers, regularizers

from .make_getters_reference import ACTIVATIONS, BAD, CONSTRAINTS, INITIALIZERS, REGULARIZERS, SAMPLE_SHAPE, X

REF = np.load(os.path.join(os.path.dirname(__file__), "getters_reference.npz"), allow_pickle=False)
MODULES = {"regularizers": regularizers, "initializers": initializers, "constraints": constraints,
           "activations": activations}


@pytest.mark.parametrize("name", REGULARIZERS)
def test_regularizer_names_give_tf_keras_factors(name):
    config = regularizers.get(name).get_config()
    got = np.array([config["l1"], config["l2"]], np.float32)
    np.testing.assert_array_equal(got, REF[f"regularizer_{name}"].astype(np.float32))


@pytest.mark.parametrize("name", INITIALIZERS)
def test_initializer_names_draw_what_tf_keras_draws(name):
    sample = K.get_session().run(initializers.get(name)(SAMPLE_SHAPE, dtype=gn.float32))
    mean, std, largest = REF[f"initializer_{name}"]
    assert sample.shape == SAMPLE_SHAPE and sample.dtype == np.float32
    if std == 0.0:
        np.testing.assert_array_equal(sample, np.full(SAMPLE_SHAPE, mean, np.float32))
        return
    np.testing.assert_allclose(sample.std(), std, rtol=0.06)
    assert abs(sample.mean() - mean) < 0.1 * std
    np.testing.assert_allclose(np.abs(sample).max(), largest, rtol=0.25)


@pytest.mark.parametrize("name", CONSTRAINTS)
def test_constraint_names_give_tf_keras_classes_and_configs(name):
    constraint = constraints.get(name)
    assert [type(constraint).__name__, constraint.get_config()] == json.loads(str(REF[f"constraint_{name}"]))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_names_compute_what_tf_keras_computes(name):
    got = K.get_session().run(activations.get(name)(gn.constant(X)))
    np.testing.assert_allclose(got, REF[f"activation_{name}"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("module, index", [(m, i) for m, ids in BAD.items() for i in range(len(ids))])
def test_bad_identifiers_raise_tf_keras_error_classes_naming_them(module, index):
    identifier = BAD[module][index]
    error_class, message = json.loads(str(REF[f"error_{module}_{index}"]))
    shown = identifier["class_name"] if isinstance(identifier, dict) else identifier
    with pytest.raises(getattr(__builtins__, error_class, None) or {"ValueError": ValueError,
                                                                     "TypeError": TypeError}[error_class]) as caught:
        MODULES[module].get(identifier)
    assert type(caught.value).__name__ == error_class
    assert message.split(repr(shown) if repr(shown) in message else str(shown))[0].rstrip(" :") in str(caught.value)
    assert repr(shown) in str(caught.value)


def test_an_unknown_regularizer_name_is_refused_where_tf_keras_would_keep_the_string():
    # tf_keras 2.21's regularizers.get('nope') returns 'nope' (and a layer given it silently adds no penalty)
    with pytest.raises(ValueError, match=r"Unknown regularizer: 'nope'; known: \['L1', 'L1L2', 'L2', 'l1'"):
        regularizers.get("nope")


@pytest.mark.parametrize("module", sorted(MODULES))
def test_none_callables_and_config_dicts_are_accepted(module):
    def fn(w):
        return w

    get = MODULES[module].get
    assert get(fn) is fn
    assert get(None) is (activations.linear if module == "activations" else None)


def test_config_dicts_in_tf_keras_formats():
    assert regularizers.get({"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.5},
                             "registered_name": None}).get_config() == {"l1": 0.0, "l2": 0.5}
    assert activations.get({"module": "builtins", "class_name": "function", "config": "relu",
                            "registered_name": "function"}) is gn.nn.relu
    leaky = activations.get({"class_name": "LeakyReLU", "config": {"alpha": 0.5}})
    assert isinstance(leaky, L.LeakyReLU) and leaky.alpha == 0.5
    assert isinstance(activations.get("ReLU"), L.ReLU)  # tf_keras: an advanced-activation layer by class name
    constraint = constraints.get({"module": "keras.constraints", "class_name": "MaxNorm",
                                  "config": {"max_value": 3, "axis": 1}, "registered_name": None})
    assert constraint.get_config() == {"max_value": 3, "axis": 1}


def test_a_plain_callable_regularizer_works_but_cannot_be_saved():
    layer = L.Dense(2, kernel_regularizer=lambda w: 0.5 * gn.reduce_sum(w), kernel_initializer="ones")
    layer(L.Input((3,)))
    K.initialize_variables(layer.weights)
    assert K.get_session().run(layer.losses) == [pytest.approx(3.0)]
    with pytest.raises(ValueError, match="Only gn.layers.regularizers objects can be saved in a config"):
        layer.get_config()


def string_arguments_model():
    inputs = L.Input((5,), dtype="int32")
    embedded = L.Embedding(7, 4, embeddings_regularizer="l1", embeddings_initializer="RandomNormal")(inputs)
    recurrent = L.LSTM(3, return_sequences=True, recurrent_regularizer="l1_l2", kernel_initializer="lecun_uniform",
                       recurrent_constraint="unitnorm", activation="softsign")(embedded)
    dense = L.Dense(2, kernel_regularizer="l2", bias_regularizer="L1L2", kernel_initializer="he_normal",
                    kernel_constraint="maxnorm", activity_regularizer="L2", activation="LeakyReLU")(recurrent)
    return gn.models.Model(inputs, L.BatchNormalization(gamma_regularizer="L1", beta_initializer="Zeros")(dense))


def penalty(kind, factor, value):
    return factor * (np.sum(np.abs(value)) if kind == "l1" else np.sum(np.square(value)))


def test_layers_take_names_and_add_tf_keras_default_penalties():
    model = string_arguments_model()
    embedding, lstm, dense, norm = model.layers[1:]
    weights = {w.name: v for w, v in zip(model.weights, model.get_weights())}
    value = {name: weights[getattr(layer, attr).name] for name, layer, attr in [
        ("embeddings", embedding, "embeddings"), ("kernel", dense, "kernel"), ("gamma", norm, "gamma")]}
    recurrent = [v for name, v in weights.items() if "recurrent_kernel" in name][0]
    expected = [penalty("l1", 0.01, value["embeddings"]),
                penalty("l1", 0.01, recurrent) + penalty("l2", 0.01, recurrent),
                penalty("l2", 0.01, value["kernel"]), penalty("l1", 0.01, value["gamma"]),
                0.0]  # bias_regularizer='L1L2': tf_keras's class defaults are l1=l2=0
    weight_losses = [t for t in model.losses if "ActivityRegularizer" not in t.name]
    np.testing.assert_allclose(sorted(K.get_session().run(weight_losses)), sorted(expected), rtol=1e-5)


def test_string_arguments_round_trip_through_config_and_json():
    model = string_arguments_model()
    clone = gn.models.model_from_json(model.to_json())
    for layer, cloned in zip(model.layers, clone.layers):
        assert cloned.get_config() == layer.get_config()
        assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()
    dense = model.layers[3].get_config()
    assert dense["kernel_regularizer"] == {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.01}}
    assert dense["activity_regularizer"] == {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.01}}
    assert dense["kernel_constraint"] == {"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}}
    assert dense["activation"]["class_name"] == "LeakyReLU"
    ids = np.array([[1, 2, 0, 3, 4], [6, 5, 4, 3, 2]], np.int32)
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(ids), model.predict(ids), rtol=1e-6)
    model.compile("sgd", "mse")
    assert np.isfinite(model.fit(ids, np.ones((2, 5, 2), np.float32), epochs=1, verbose=0).history["loss"][0])
