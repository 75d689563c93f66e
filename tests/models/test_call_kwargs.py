"""Functional models keep the keyword arguments of each layer call (tf_keras 2): ``training=`` and tensors such as
``mask=`` survive get_config / to_json / save + load_model and in-memory replay on new inputs, written in
``inbound_nodes`` as tf_keras 2.21 writes them (tests/models/data/call_kwargs_reference.json, made by
make_call_kwargs_reference.py)."""
import json
import os

import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L

with open(os.path.join(os.path.dirname(__file__), "data", "call_kwargs_reference.json")) as f:
    REF = json.load(f)


def inbound(model):
    """``{layer name: inbound_nodes}`` of a functional model's config, as JSON would hold it."""
    return {spec["name"]: spec["inbound_nodes"] for spec in json.loads(json.dumps(model.get_config()))["layers"]}


def save_and_load(model, tmp_path, **kwargs):
    model.save(str(tmp_path / "model"))
    return gn.models.load_model(str(tmp_path / "model"), **kwargs)


# -- training= ------------------------------------------------------------------------------------
def dropout_training(device):
    with gn.device(device):
        x = L.Input((4,), name="x")
        out = L.Dropout(0.5, name="drop")(L.Dense(4, name="dense")(x), training=True)
    model = gn.models.Model(x, out)
    model.set_weights([np.eye(4, dtype="float32"), np.zeros(4, "float32")])
    return model


def assert_drops_units(model):
    out = model.predict(np.ones((256, 4), "float32"), verbose=0)
    assert set(np.unique(out)) == {0.0, 2.0}  # units dropped, the kept ones scaled by 1 / (1 - rate)


def test_dropout_called_with_training_true_still_drops_after_save_and_load(device, tmp_path):
    model = dropout_training(device)
    assert_drops_units(model)
    assert inbound(model) == REF["inbound_nodes"]["dropout_training"]
    loaded = save_and_load(model, tmp_path)
    assert inbound(loaded) == REF["inbound_nodes"]["dropout_training"]
    assert_drops_units(loaded)


def test_to_json_keeps_the_call_kwargs(device):
    model = dropout_training(device)
    document = json.loads(model.to_json())
    assert document["class_name"] == "Functional"
    assert {spec["name"]: spec["inbound_nodes"] for spec in document["config"]["layers"]} == \
        REF["inbound_nodes"]["dropout_training"]
    rebuilt = gn.models.model_from_json(model.to_json(indent=2))
    rebuilt.set_weights(model.get_weights())
    assert rebuilt.get_config() == model.get_config()
    assert_drops_units(rebuilt)


def batchnorm_training_false():
    x = L.Input((4,), name="x")
    y = L.BatchNormalization(name="bn")(L.Dense(4, name="dense")(x), training=False)
    return gn.models.Model(x, L.Dense(2, name="d2")(y, training=False))


def test_training_false_is_kept_and_a_layer_without_training_drops_it_as_tf_keras(tmp_path):
    model = batchnorm_training_false()
    assert inbound(model) == REF["inbound_nodes"]["batchnorm_training_false"]  # d2's training=False not recorded
    model.compile("sgd", "mse")
    loaded = save_and_load(model, tmp_path)
    assert inbound(loaded) == REF["inbound_nodes"]["batchnorm_training_false"]
    data = np.random.default_rng(0).standard_normal((8, 4)).astype("float32") + 3
    loaded.fit(data, np.zeros((8, 2), "float32"), epochs=1, verbose=0)
    moving_mean = loaded.get_layer("bn").get_weights()[2]
    np.testing.assert_array_equal(moving_mean, np.zeros(4, "float32"))  # inference mode even while fitting


def test_a_layer_shared_with_different_kwargs_keeps_each_call_apart(tmp_path):
    x = L.Input((4,), name="x")
    drop = L.Dropout(0.5, name="drop")
    model = gn.models.Model(x, [drop(x, training=True), drop(x)])
    assert inbound(model) == REF["inbound_nodes"]["shared_dropout"]
    loaded = save_and_load(model, tmp_path)
    dropped, kept = loaded.predict(np.ones((256, 4), "float32"), verbose=0)
    assert set(np.unique(dropped)) == {0.0, 2.0}
    np.testing.assert_array_equal(kept, np.ones((256, 4), "float32"))


# -- tensors in kwargs ----------------------------------------------------------------------------
LSTM_REF = REF["lstm_mask_outputs"]
XS, MASKS = np.array(LSTM_REF["x"], "float32"), np.array(LSTM_REF["mask"], bool)


def lstm_with_mask_input(device, name="lstm"):
    with gn.device(device):
        x, mk = L.Input((5, 2), name="x"), L.Input((5,), dtype="bool", name="mk")
        y = L.LSTM(3, name=name, return_sequences=True)(x, mask=mk, training=True)
    model = gn.models.Model([x, mk], y)
    model.set_weights([np.array(w, "float32") for w in LSTM_REF["weights"]])
    return model


def test_lstm_mask_from_an_input_round_trips_and_matches_tf_keras(device, tmp_path):
    model = lstm_with_mask_input(device)
    before = model.predict([XS, MASKS], verbose=0)
    np.testing.assert_allclose(before, np.array(LSTM_REF["out"]), rtol=1e-5, atol=1e-6)
    assert inbound(model) == REF["inbound_nodes"]["lstm_mask"]
    loaded = save_and_load(model, tmp_path)
    assert inbound(loaded) == REF["inbound_nodes"]["lstm_mask"]
    np.testing.assert_array_equal(loaded.predict([XS, MASKS], verbose=0), before)


def test_replay_on_new_inputs_substitutes_the_new_mask(device):
    model = lstm_with_mask_input(device)
    with gn.device(device):
        x2, mk2 = L.Input((5, 2)), L.Input((5,), dtype="bool")
        out = model([x2, mk2])
    values = K.get_session().run(out, {x2: XS, mk2: MASKS})
    np.testing.assert_allclose(values, np.array(LSTM_REF["out"]), rtol=1e-5, atol=1e-6)
    replayed = model.get_layer("lstm")._inbound_nodes[-1]
    assert replayed.kwargs["mask"] is mk2 and replayed.kwargs["training"] is True  # the new Input, not the model's
    assert model.get_layer("lstm")._inbound_nodes[0].kwargs["mask"] is model.inputs[1]


def test_nested_model_with_a_mask_kwarg_replays_saves_and_loads(device, tmp_path):
    inner = lstm_with_mask_input(device)
    with gn.device(device):
        x2, mk2 = L.Input((5, 2), name="x2"), L.Input((5,), dtype="bool", name="mk2")
        outer = gn.models.Model([x2, mk2], inner([x2, mk2]))
    expected = np.array(LSTM_REF["out"])
    np.testing.assert_allclose(outer.predict([XS, MASKS], verbose=0), expected, rtol=1e-5, atol=1e-6)
    loaded = save_and_load(outer, tmp_path)
    nested = loaded.get_layer(inner.name)
    assert {s["name"]: s["inbound_nodes"] for s in nested.get_config()["layers"]} == REF["inbound_nodes"]["lstm_mask"]
    np.testing.assert_allclose(loaded.predict([XS, MASKS], verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_initial_state_from_inputs_is_recorded_as_inputs_as_tf_keras(device, tmp_path):
    with gn.device(device):
        x, h, c = L.Input((5, 2), name="x"), L.Input((3,), name="h"), L.Input((3,), name="c")
        model = gn.models.Model([x, h, c], L.LSTM(3, name="lstm")(x, initial_state=[h, c]))
    assert inbound(model) == REF["inbound_nodes"]["lstm_initial_state"]
    rng = np.random.default_rng(1)
    data = [XS, rng.standard_normal((3, 3)).astype("float32"), rng.standard_normal((3, 3)).astype("float32")]
    before = model.predict(data, verbose=0)
    np.testing.assert_array_equal(save_and_load(model, tmp_path).predict(data, verbose=0), before)
    with gn.device(device):
        new_inputs = [L.Input((5, 2)), L.Input((3,)), L.Input((3,))]
        out = model(new_inputs)
    np.testing.assert_array_equal(K.get_session().run(out, dict(zip(new_inputs, data))), before)


def test_loading_waits_for_the_layer_that_makes_a_kwarg_tensor():
    x, mk = L.Input((5, 2), name="x"), L.Input((5,), dtype="bool", name="mk")
    mask = L.Reshape((5,), name="mask_maker")(mk)
    model = gn.models.Model([x, mk], L.LSTM(3, name="lstm")(x, mask=mask))
    config = model.get_config()
    assert inbound(model)["lstm"] == [[["x", 0, 0, {"mask": ["mask_maker", 0, 0]}]]]
    config["layers"].sort(key=lambda spec: spec["name"] != "lstm")  # the consumer before the mask's maker
    rebuilt = gn.models.Model.from_config(config)
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_array_equal(rebuilt.predict([XS, MASKS], verbose=0), model.predict([XS, MASKS], verbose=0))
    masked_out = rebuilt.predict([XS, np.zeros_like(MASKS)], verbose=0)
    np.testing.assert_array_equal(masked_out, np.zeros_like(masked_out))  # no step kept: the mask is used


def test_a_config_written_before_kwargs_were_saved_still_loads():
    model = dropout_training("/cpu:0")
    config = model.get_config()
    for spec in config["layers"]:
        spec["inbound_nodes"] = [[entry[:3] for entry in node] for node in spec["inbound_nodes"]]
    rebuilt = gn.models.Model.from_config(config)
    assert inbound(rebuilt)["drop"] == [[["dense", 0, 0, {}]]]
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_array_equal(rebuilt.predict(np.ones((4, 4), "float32"), verbose=0), np.ones((4, 4)))


# -- values JSON cannot hold -------------------------------------------------------------------------
class Scaled(L.Layer):
    """Multiplies its input by ``scale`` (a call argument)."""

    def call(self, inputs, scale=1.0):
        return inputs * gn.constant(np.asarray(scale, "float32"))


def test_array_and_number_kwargs_are_saved_as_lists_and_numbers(tmp_path):
    x = L.Input((4,), name="x")
    y = Scaled(name="scaled")(Scaled(name="halved")(x, scale=np.float32(0.5)), scale=np.arange(4, dtype="float32"))
    model = gn.models.Model(x, y)
    assert inbound(model)["scaled"] == [[["halved", 0, 0, {"scale": [0.0, 1.0, 2.0, 3.0]}]]]
    assert inbound(model)["halved"] == [[["x", 0, 0, {"scale": 0.5}]]]
    loaded = save_and_load(model, tmp_path, custom_objects={"Scaled": Scaled})
    np.testing.assert_array_equal(loaded.predict(np.ones((2, 4), "float32"), verbose=0),
                                  np.tile([0.0, 0.5, 1.0, 1.5], (2, 1)))


@pytest.mark.parametrize("value, described", [(object(), "of type object"), ({1, 2}, "of type set")])
def test_an_unserializable_kwarg_is_refused_naming_the_layer_and_argument(value, described, tmp_path):
    x = L.Input((4,))
    model = gn.models.Model(x, Carrier(name="odd")(x, thing=[1.0, value]))
    with pytest.raises(TypeError, match=rf"^Layer odd was called with thing=.* {described}, which cannot be saved in "
                                        r"the model's config \(JSON\)"):
        model.get_config()
    with pytest.raises(TypeError, match="Layer odd was called with thing="):
        model.save(str(tmp_path / "model"))
    assert os.listdir(tmp_path) == []  # nothing half-written


def test_a_raw_tensor_kwarg_is_refused_naming_the_layer_and_argument():
    x = L.Input((5, 2))
    mask = gn.constant(np.ones((3, 5), bool))
    model = gn.models.Model(x, L.LSTM(3, name="lstm")(x, mask=mask))
    with pytest.raises(TypeError, match=r"^Layer lstm was called with mask= tensor Const.*:0, which was not made by a "
                                        r"gpunet layer \(a raw graph op\)"):
        model.get_config()


class Carrier(L.Layer):
    """Passes its input through; takes an arbitrary ``thing``."""

    def call(self, inputs, thing=None):
        return inputs


def test_summary_connects_a_layer_to_the_tensors_of_its_kwargs_as_tf_keras():
    x, mk = L.Input((5, 2), name="x"), L.Input((5,), dtype="bool", name="mk")
    model = gn.models.Model([x, mk], L.LSTM(3, name="lstm")(x, mask=mk))
    lines = []
    model.summary(print_fn=lines.append)
    row = next(i for i, line in enumerate(lines) if line.startswith(" lstm (LSTM)"))
    assert lines[row].rstrip().endswith("['x[0][0]',") and lines[row + 1].strip() == "'mk[0][0]']"


def test_a_nested_model_called_with_training_passes_it_to_its_layers(device, tmp_path):
    with gn.device(device):
        x = L.Input((4,), name="x")
        plain = L.Dropout(0.5, name="plain")(L.Dense(4, name="dense")(x))
        explicit = L.Dropout(0.5, name="explicit")(plain, training=False)
    inner = gn.models.Model(x, explicit, name="inner")
    inner.set_weights([np.eye(4, dtype="float32"), np.zeros(4, "float32")])
    with gn.device(device):
        x2 = L.Input((4,), name="x2")
        outer = gn.models.Model(x2, inner(x2, training=True))
    assert inbound(outer)["inner"] == [[["x2", 0, 0, {"training": True}]]]
    assert_drops_units(outer)  # "plain" drops (training from the outer call), "explicit" keeps its training=False
    assert_drops_units(save_and_load(outer, tmp_path))
    np.testing.assert_array_equal(inner.predict(np.ones((4, 4), "float32"), verbose=0), np.ones((4, 4)))


@pytest.mark.parametrize("first", [{"input_shape": (4,)}, {}], ids=["built", "unbuilt"])
def test_a_nested_sequential_called_with_training_passes_it_to_its_layers(first, device):
    with gn.device(device):
        inner = gn.models.Sequential([L.Dense(4, **first), L.Dropout(0.5)])
        x = L.Input((4,))
        outer = gn.models.Model(x, inner(x, training=True))
    inner.set_weights([np.eye(4, dtype="float32"), np.zeros(4, "float32")])
    assert_drops_units(outer)
    np.testing.assert_array_equal(inner.predict(np.ones((4, 4), "float32"), verbose=0), np.ones((4, 4)))


def test_initial_state_and_mask_from_inputs_together_round_trip(tmp_path):
    x, mk = L.Input((5, 2), name="x"), L.Input((5,), dtype="bool", name="mk")
    h, c = L.Input((3,), name="h"), L.Input((3,), name="c")
    model = gn.models.Model([x, mk, h, c], L.LSTM(3, name="lstm")(x, initial_state=[h, c], mask=mk))
    # what tf_keras 2.21 writes for this call (checked with it): the kwargs ride with each input entry
    assert inbound(model)["lstm"] == [[[name, 0, 0, {"mask": ["mk", 0, 0]}] for name in ("x", "h", "c")]]
    states = np.random.default_rng(2).standard_normal((2, 3, 3)).astype("float32")
    data = [XS, MASKS, states[0], states[1]]
    before = model.predict(data, verbose=0)
    np.testing.assert_array_equal(save_and_load(model, tmp_path).predict(data, verbose=0), before)
    unmasked = model.predict([XS, np.ones_like(MASKS), states[0], states[1]], verbose=0)
    assert not np.allclose(unmasked[1], before[1])  # row 1 keeps only 2 steps: the mask is used
