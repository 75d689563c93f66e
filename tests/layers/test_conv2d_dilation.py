"""Conv2D(dilation_rate=...) (and dilated SeparableConv2D): conformance on each device, values against tf_keras 2.21
for the same weights (tests/ops/dilated_conv_reference.npz from tests/ops/make_dilated_conv_reference.py),
compute_output_shape, configs (tf_keras's loads), Keras's argument errors and a save/load round trip."""
import json
import os

import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L
from gpunet.layers.keras_config import from_keras

from .layer_test_utils import run_layer_test

REF = np.load(os.path.join(os.path.dirname(__file__), os.pardir, "ops", "dilated_conv_reference.npz"),
              allow_pickle=False)
REF_LAYERS = {c[0]: c for c in json.loads(str(REF["layers"]))}


def _arrays(case_id):
    return {key.split("/", 1)[1]: REF[key] for key in REF.files if key.startswith(case_id + "/")}


@pytest.mark.parametrize("layer_cls, kwargs, input_shape", [
    pytest.param(L.Conv2D, {"filters": 3, "kernel_size": 3, "padding": "same", "dilation_rate": 2}, (2, 6, 7, 2),
                 id="conv2d-same"),
    pytest.param(L.Conv2D, {"filters": 2, "kernel_size": (2, 3), "dilation_rate": (3, 1), "activation": "relu"},
                 (2, 7, 5, 3), id="conv2d-valid"),
    pytest.param(L.Conv2D, {"filters": 2, "kernel_size": 2, "dilation_rate": (1, 2), "data_format": "channels_first"},
                 (2, 3, 5, 6), id="conv2d-channels-first"),
    pytest.param(L.SeparableConv2D, {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "padding": "same"},
                 (2, 6, 6, 2), id="separable-dilated"),
])
def test_conformance(layer_cls, kwargs, input_shape, device):
    run_layer_test(layer_cls, kwargs, input_shape, device=device)


@pytest.mark.parametrize("case_id", sorted(REF_LAYERS))
def test_values_match_tf_keras_for_the_same_weights(case_id, device):
    _, kwargs, input_shape = REF_LAYERS[case_id]
    a = _arrays(case_id)
    layer = L.Conv2D(**kwargs)
    with gn.device(device):
        inputs = L.Input(tuple(input_shape[1:]))
        model = gn.models.Model(inputs, layer(inputs))
    layer.set_weights([a["kernel"], a["bias"]])
    np.testing.assert_allclose(model.predict(a["x"]), a["y"], rtol=1e-5, atol=1e-5)
    assert list(layer.compute_output_shape((None,) + tuple(input_shape[1:]))) == [None] + a["output_shape"].tolist()


@pytest.mark.parametrize("case_id", sorted(REF_LAYERS))
def test_tf_keras_configs_load_and_give_the_same_values(case_id):
    a = _arrays(case_id)
    keras_config = json.loads(str(a["config"]))
    spec = from_keras(L.Conv2D, {"class_name": "Conv2D", "config": keras_config})
    layer = L.Conv2D.from_config(spec["config"])
    assert layer.dilation_rate == tuple(keras_config["dilation_rate"])
    mine = layer.get_config()
    assert {k: mine[k] for k in ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate")} == \
        {k: keras_config[k] for k in ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate")}
    model = gn.models.Sequential([L.InputLayer(a["x"].shape[1:]), layer])
    layer.set_weights([a["kernel"], a["bias"]])
    np.testing.assert_allclose(model.predict(a["x"]), a["y"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs, input_shape, expected", [
    ({"kernel_size": 3, "dilation_rate": 2}, (None, 9, 10, 2), (None, 5, 6, 4)),
    ({"kernel_size": (2, 3), "dilation_rate": (4, 3)}, (None, 9, 10, 2), (None, 5, 4, 4)),
    ({"kernel_size": 3, "dilation_rate": 5, "padding": "same"}, (None, 9, 10, 2), (None, 9, 10, 4)),
    ({"kernel_size": 3, "dilation_rate": 2}, (None, None, 10, 2), (None, None, 6, 4)),
    ({"kernel_size": 3, "dilation_rate": (2, 3), "data_format": "channels_first"}, (None, 2, 9, 10),
     (None, 4, 5, 4)),
])
def test_compute_output_shape_matches_the_built_output(kwargs, input_shape, expected):
    layer = L.Conv2D(4, **kwargs)
    assert tuple(layer.compute_output_shape(input_shape)) == expected
    assert tuple(layer(L.Input(input_shape[1:])).shape.as_list()) == expected


def test_config_round_trip_keeps_the_dilation():
    layer = L.Conv2D(2, 3, dilation_rate=(2, 3), name="d")
    config = layer.get_config()
    assert config["dilation_rate"] == [2, 3]
    assert L.Conv2D(2, 3).get_config()["dilation_rate"] == [1, 1]  # tf_keras's default, written as tf_keras does
    assert L.Conv2D.from_config(config).get_config() == config


@pytest.mark.parametrize("kwargs, message", [
    ({"strides": 2, "dilation_rate": 2}, r"`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                                         r"Received: strides=\(2, 2\) and dilation_rate=\(2, 2\)"),
    ({"dilation_rate": 0}, "The `dilation_rate` argument must be a tuple of 2 integers. Received: 0 including"),
    ({"dilation_rate": (1, 2, 3)},
     r"The `dilation_rate` argument must be a tuple of 2 integers. Received: \(1, 2, 3\)"),
    ({"dilation_rate": "x"}, "The `dilation_rate` argument must be a tuple of 2 integers"),
])
def test_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        L.Conv2D(2, 3, **kwargs)


def test_training_step_changes_the_dilated_kernel():
    rng = np.random.default_rng(2)
    model = gn.models.Sequential([L.InputLayer((8, 8, 2)), L.Conv2D(2, 3, dilation_rate=2, name="c")])
    model.compile("sgd", "mse")
    before = model.get_layer("c").get_weights()[0].copy()
    model.fit(rng.standard_normal((4, 8, 8, 2)).astype("float32"),
              rng.standard_normal((4, 4, 4, 2)).astype("float32"), epochs=1, verbose=0)
    assert not np.allclose(model.get_layer("c").get_weights()[0], before)


def test_model_with_a_dilated_conv2d_saves_and_loads(tmp_path):
    inputs = L.Input((9, 9, 2))
    outputs = L.Conv2D(3, 3, dilation_rate=(2, 3), padding="same", name="atrous")(inputs)
    model = gn.models.Model(inputs, outputs)
    data = np.random.default_rng(4).standard_normal((2, 9, 9, 2)).astype("float32")
    want = model.predict(data)
    json_text = model.to_json()
    model.save(str(tmp_path / "m"))
    K.clear_session()
    loaded = gn.models.load_model(str(tmp_path / "m"))
    assert loaded.get_layer("atrous").dilation_rate == (2, 3)
    np.testing.assert_allclose(loaded.predict(data), want, rtol=1e-6, atol=1e-6)
    assert gn.models.model_from_json(json_text).get_layer("atrous").dilation_rate == (2, 3)
