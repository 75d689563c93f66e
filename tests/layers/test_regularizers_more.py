"""activity_regularizer on every layer, the recurrent layers' kernel/recurrent/bias regularizers and
BatchNormalization's beta/gamma regularizers: tf_keras 2.21 models (regularizers_reference.npz, made by
make_regularizers_reference.py) loaded from their JSON give the same losses (regularization included), the same
first SGD step and the same number of loss terms; the activity penalty's batch scaling against NumPy; configs,
save/load_model."""
import json
import os

import numpy as np
import pytest

import gpunet as gn
from gpunet import layers as L
from gpunet.layers import regularizers as R
from gpunet.layers.keras_config import from_keras

REF = np.load(os.path.join(os.path.dirname(__file__), "regularizers_reference.npz"))
NAMES = json.loads(str(REF["names"]))


def _tf_keras_model(name, device):
    with gn.device(device):
        model = gn.models.model_from_json(str(REF[f"{name}/json"]))
    count = len([k for k in REF.files if k.startswith(f"{name}/w")])
    model.set_weights([REF[f"{name}/w{i}"] for i in range(count)])
    model.compile(gn.optimizers.SGD(learning_rate=0.1), "mse")
    return model, count


@pytest.mark.parametrize("name", NAMES)
def test_tf_keras_models_give_the_same_losses_and_step(name, device):
    model, count = _tf_keras_model(name, device)
    assert len(model.losses) == int(REF[f"{name}/n_losses"])
    x, y = REF[f"{name}/x"], REF[f"{name}/y"]
    np.testing.assert_allclose(model.test_on_batch(x, y), REF[f"{name}/test_loss"], rtol=1e-5)
    np.testing.assert_allclose(model.train_on_batch(x, y), REF[f"{name}/train_loss"], rtol=1e-5)
    for got, want in zip(model.get_weights(), [REF[f"{name}/after{i}"] for i in range(count)]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def _penalty(model, x):
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        return sess.run(gn.add_n(model.losses), {model.inputs[0]: x})


@pytest.mark.parametrize("batch", [1, 5, 0])
def test_activity_penalty_is_divided_by_the_batch_size(batch, device):
    x = np.random.default_rng(batch).normal(size=(batch, 3)).astype(np.float32)
    with gn.device(device):
        inputs = L.Input((3,))
        layer = L.Activation("linear", activity_regularizer=R.l1_l2(0.3, 0.7))
        model = gn.models.Model(inputs, layer(inputs))
    expected = (0.3 * np.abs(x).sum() + 0.7 * np.square(x).sum()) / max(batch, 1)
    assert model.losses[0].device == gn.DeviceSpec.from_string(device).canonical()
    np.testing.assert_allclose(_penalty(model, x), expected, rtol=1e-6)


def test_each_output_and_each_call_adds_a_penalty():
    a, b = L.Input((2,)), L.Input((2,))
    lstm = L.LSTM(3, return_state=True, activity_regularizer=R.l2(0.1))
    lstm(gn.expand_dims(a, 1))
    assert len(lstm.losses) == 3  # output, h and c, as tf_keras
    dense = L.Dense(2, activity_regularizer=R.l1(0.1))
    dense(a), dense(b)
    assert len(dense.losses) == 2


KERAS_CONFIGS = [
    ("Dense", {"units": 2, "activity_regularizer": {"class_name": "L2", "config": {"l2": 0.25}}}),
    ("Flatten", {"activity_regularizer": {"class_name": "L1", "config": {"l1": 0.5}}}),
    ("GRU", {"units": 2, "kernel_regularizer": {"class_name": "L1", "config": {"l1": 0.5}},
             "recurrent_regularizer": {"class_name": "L2", "config": {"l2": 0.5}},
             "bias_regularizer": {"class_name": "L1L2", "config": {"l1": 0.1, "l2": 0.2}}}),
    ("BatchNormalization", {"beta_regularizer": {"class_name": "L1", "config": {"l1": 0.5}},
                            "gamma_regularizer": {"class_name": "L2", "config": {"l2": 0.5}}}),
]


@pytest.mark.parametrize("class_name,config", KERAS_CONFIGS, ids=[c for c, _ in KERAS_CONFIGS])
def test_tf_keras_configs_are_accepted_and_round_trip(class_name, config):
    cls = getattr(L, class_name)
    spec = from_keras(cls, {"class_name": class_name, "config": {"name": "x", **config}})
    layer = cls.from_config(spec["config"])
    got = layer.get_config()
    for key, value in config.items():
        if key.endswith("regularizer"):
            want = R.get(value).get_config()
            assert got[key] == {"class_name": "L1L2", "config": want}
            assert cls.from_config(got).get_config()[key] == got[key]


def test_activity_regularizer_is_absent_from_configs_when_unset():
    assert "activity_regularizer" not in L.Dense(2).get_config()
    assert L.Dense(2, activity_regularizer=R.l2(0.5)).get_config()["activity_regularizer"] == {
        "class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.5}}


def test_bad_regularizers_are_refused():
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier: 3"):  # tf_keras's class
        L.Dense(2, activity_regularizer=3)
    with pytest.raises(ValueError, match="Unknown regularizer: 'L3'"):
        L.LSTM(2, recurrent_regularizer={"class_name": "L3", "config": {}})


@pytest.mark.parametrize("name", ["lstm", "batch_norm"])
def test_save_and_load_model_keep_the_regularizers(name, tmp_path):
    model, _ = _tf_keras_model(name, "/cpu:0")
    x, y = REF[f"{name}/x"], REF[f"{name}/y"]
    path = str(tmp_path / "model.h5")
    model.save(path)
    gn.reset_default_graph()
    loaded = gn.models.load_model(path)
    assert len(loaded.losses) == int(REF[f"{name}/n_losses"])
    np.testing.assert_allclose(loaded.test_on_batch(x, y), REF[f"{name}/test_loss"], rtol=1e-5)
