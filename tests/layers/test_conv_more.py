"""Conv1D, Conv2DTranspose, DepthwiseConv2D and SeparableConv2D: conformance on each device, values and
gradients against tf_keras 2.21 (conv_more_reference.npz from make_conv_more_reference.py), Keras's
output-shape rules, configs, errors, causality, regularizers and save/load round trips."""
import json
import os

import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L

from .layer_test_utils import run_layer_test

REF = np.load(os.path.join(os.path.dirname(__file__), "conv_more_reference.npz"), allow_pickle=False)
REF_CASES = json.loads(str(REF["cases"]))

CONFORMANCE = [
    pytest.param(L.Conv1D, {"filters": 3, "kernel_size": 3}, (2, 7, 2), id="conv1d-valid"),
    pytest.param(L.Conv1D, {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same"}, (2, 5, 3),
                 id="conv1d-same-strided"),
    pytest.param(L.Conv1D, {"filters": 2, "kernel_size": 3, "padding": "causal", "dilation_rate": 2,
                            "activation": "relu"}, (2, 6, 2), id="conv1d-causal-dilated"),
    pytest.param(L.Conv1D, {"filters": 2, "kernel_size": 2, "data_format": "channels_first", "use_bias": False},
                 (2, 3, 5), id="conv1d-channels-first"),
    pytest.param(L.Conv2DTranspose, {"filters": 3, "kernel_size": 3}, (2, 4, 4, 2), id="conv2dT-valid"),
    pytest.param(L.Conv2DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same",
                                     "output_padding": 1}, (2, 3, 4, 2), id="conv2dT-same-output-padding"),
    pytest.param(L.Conv2DTranspose, {"filters": 2, "kernel_size": (2, 3), "strides": (2, 1),
                                     "data_format": "channels_first", "activation": "tanh"}, (2, 3, 3, 4),
                 id="conv2dT-channels-first"),
    pytest.param(L.Conv2DTranspose, {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "padding": "same"},
                 (2, 5, 5, 1), id="conv2dT-dilated"),
    pytest.param(L.DepthwiseConv2D, {"kernel_size": 3}, (2, 5, 5, 2), id="depthwise-valid"),
    pytest.param(L.DepthwiseConv2D, {"kernel_size": 2, "strides": 2, "padding": "same", "depth_multiplier": 3,
                                     "data_format": "channels_first"}, (2, 2, 5, 4), id="depthwise-channels-first"),
    pytest.param(L.DepthwiseConv2D, {"kernel_size": 3, "dilation_rate": 2, "activation": "relu"}, (2, 6, 6, 1),
                 id="depthwise-dilated"),
    pytest.param(L.SeparableConv2D, {"filters": 3, "kernel_size": 3, "padding": "same"}, (2, 5, 5, 2),
                 id="separable-same"),
    pytest.param(L.SeparableConv2D, {"filters": 2, "kernel_size": (3, 2), "strides": (1, 2), "depth_multiplier": 2,
                                     "data_format": "channels_first", "use_bias": False}, (2, 3, 6, 5),
                 id="separable-channels-first"),
]


@pytest.mark.parametrize("layer_cls, kwargs, input_shape", CONFORMANCE)
def test_conformance(layer_cls, kwargs, input_shape, device):
    run_layer_test(layer_cls, kwargs, input_shape, device=device)


def _ref_case(case_id):
    (_, cls_name, kwargs, _), = [c for c in REF_CASES if c[0] == case_id]
    arrays = {key.split("/", 1)[1]: REF[key] for key in REF.files if key.startswith(case_id + "/")}
    return getattr(L, cls_name), kwargs, arrays


def _run_with_grads(layer, arrays, device, input_shape):
    with gn.device(device):
        x = gn.placeholder(gn.float32, input_shape)
        y = layer(x)
        dx, dkernel = gn.gradients(gn.reduce_sum(y * arrays["probe"]), [x, layer.weights[0]])
    layer.set_weights([arrays[f"w{i}"] for i in range(len(layer.weights))])
    return y, K.get_session().run([y, dx, dkernel], {x: arrays["x"]})


@pytest.mark.parametrize("case_id", [c[0] for c in REF_CASES])
def test_values_and_gradients_match_tf_keras(case_id, device):
    layer_cls, kwargs, arrays = _ref_case(case_id)
    layer = layer_cls(**kwargs)
    batch, *rest = arrays["x"].shape
    y, (got, dx, dkernel) = _run_with_grads(layer, arrays, device, [None] + rest)
    assert y.shape.as_list() == [None] + list(arrays["y"].shape[1:])
    assert y.device == gn.DeviceSpec.from_string(device).canonical()
    np.testing.assert_allclose(got, arrays["y"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dx, arrays["dx"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dkernel, arrays["dkernel"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case_id", ["c1-same-s2", "ct-same-op1"])
def test_unknown_spatial_sizes_are_computed_at_run_time(case_id):
    layer_cls, kwargs, arrays = _ref_case(case_id)
    layer = layer_cls(**kwargs)
    unknown = [None] * (arrays["x"].ndim - 1) + [arrays["x"].shape[-1]]
    y, (got, _, _) = _run_with_grads(layer, arrays, "/cpu:0", unknown)
    assert y.shape.as_list() == [None] * (arrays["x"].ndim - 1) + [kwargs["filters"]]
    np.testing.assert_allclose(got, arrays["y"], rtol=1e-5, atol=1e-5)


# -- output shapes (Keras's conv_output_length / deconv_output_length) ---------------------------------------
@pytest.mark.parametrize("kwargs, input_shape, expected", [
    ({"kernel_size": 3}, (None, 10, 2), (None, 8, 4)),
    ({"kernel_size": 3, "strides": 3}, (None, 10, 2), (None, 3, 4)),
    ({"kernel_size": 3, "padding": "same", "strides": 3}, (None, 10, 2), (None, 4, 4)),
    ({"kernel_size": 3, "padding": "causal", "dilation_rate": 4}, (5, 10, 2), (5, 10, 4)),
    ({"kernel_size": 3, "dilation_rate": 4}, (None, 10, 2), (None, 2, 4)),
    ({"kernel_size": 3, "dilation_rate": 4}, (None, None, 2), (None, None, 4)),
    ({"kernel_size": 2, "data_format": "channels_first"}, (None, 2, 10), (None, 4, 9)),
])
def test_conv1d_output_shape(kwargs, input_shape, expected):
    assert L.Conv1D(4, **kwargs).compute_output_shape(input_shape) == expected


@pytest.mark.parametrize("kwargs, input_shape, expected", [
    ({"kernel_size": 3}, (None, 4, 5, 2), (None, 6, 7, 4)),
    ({"kernel_size": 3, "strides": 2}, (None, 4, 5, 2), (None, 9, 11, 4)),
    ({"kernel_size": 2, "strides": 3}, (None, 4, 5, 2), (None, 12, 15, 4)),
    ({"kernel_size": 3, "strides": 2, "padding": "same"}, (None, 4, 5, 2), (None, 8, 10, 4)),
    ({"kernel_size": 4, "strides": 2, "padding": "same", "output_padding": 1}, (None, 4, 5, 2), (None, 7, 9, 4)),
    ({"kernel_size": 3, "strides": 2, "output_padding": (0, 1)}, (None, 4, 5, 2), (None, 9, 12, 4)),
    ({"kernel_size": 3, "dilation_rate": 2}, (None, 4, None, 2), (None, 8, None, 4)),
    ({"kernel_size": 3, "data_format": "channels_first"}, (None, 2, 4, 5), (None, 4, 6, 7)),
])
def test_conv2d_transpose_output_shape(kwargs, input_shape, expected):
    assert L.Conv2DTranspose(4, **kwargs).compute_output_shape(input_shape) == expected


# -- configs ---------------------------------------------------------------------------------------------------
_COMMON_KEYS = {"name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding", "data_format",
                "dilation_rate", "activation", "use_bias", "kernel_initializer", "bias_initializer",
                "kernel_regularizer", "bias_regularizer", "kernel_constraint", "bias_constraint"}


def test_conv1d_config_defaults_as_keras():
    config = L.Conv1D(2, 3).get_config()
    assert set(config) == _COMMON_KEYS
    assert (config["kernel_size"], config["strides"], config["dilation_rate"]) == ([3], [1], [1])
    assert (config["padding"], config["data_format"], config["activation"]) == ("valid", "channels_last", "linear")
    assert config["use_bias"] is True and config["kernel_regularizer"] is None
    assert config["name"].startswith("conv1d")


def test_conv2d_transpose_config_defaults_as_keras():
    config = L.Conv2DTranspose(2, 3).get_config()
    assert set(config) == _COMMON_KEYS | {"output_padding"}
    assert (config["kernel_size"], config["strides"], config["dilation_rate"]) == ([3, 3], [1, 1], [1, 1])
    assert (config["padding"], config["data_format"], config["output_padding"]) == ("valid", "channels_last", None)
    assert config["name"].startswith("conv2d_transpose")
    with_padding = L.Conv2DTranspose(2, 3, strides=(2, 3), output_padding=(1, 2), padding="SAME").get_config()
    assert with_padding["output_padding"] == [1, 2] and with_padding["padding"] == "same"


def test_conv2d_transpose_follows_image_data_format(monkeypatch):
    monkeypatch.setattr(K, "image_data_format", lambda: "channels_first")
    assert L.Conv2DTranspose(2, 3).data_format == "channels_first"
    assert L.Conv1D(2, 3).data_format == "channels_last"  # Keras's Conv1D default is fixed


def test_aliases():
    assert L.Convolution1D is L.Conv1D and L.Convolution2DTranspose is L.Conv2DTranspose


# -- errors ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("layer_cls", [L.Conv1D, L.Conv2DTranspose])
@pytest.mark.parametrize("kwargs, message", [
    ({"filters": 0}, "Invalid value for argument `filters`. Expected a strictly positive value. Received filters=0."),
    ({"filters": -2}, "Received filters=-2."),
    ({"kernel_size": 0}, "The `kernel_size` argument must be a tuple of .* integers. Received: 0 including \\{0\\} "
                         "that does not satisfy the requirement `> 0`."),
    ({"strides": (1, 2, 3)}, "The `strides` argument must be a tuple of . integers. Received: \\(1, 2, 3\\)"),
    ({"dilation_rate": "x"}, "The `dilation_rate` argument must be a tuple of . integers"),
    ({"padding": "full"}, 'The `padding` argument must be a list/tuple or one of "valid", "same"'),
    ({"strides": 2, "dilation_rate": 2}, "`strides > 1` not supported in conjunction with `dilation_rate > 1`."),
    ({"data_format": "NHWC"}, "data_format must be 'channels_last' or 'channels_first'"),
])
def test_argument_errors(layer_cls, kwargs, message):
    arguments = {"filters": 2, "kernel_size": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        layer_cls(**arguments)


def test_causal_padding_is_conv1d_only():
    with pytest.raises(ValueError, match="Causal padding is only supported for `Conv1D`"):
        L.Conv2DTranspose(2, 3, padding="causal")


@pytest.mark.parametrize("output_padding, message", [
    (2, r"Strides must be greater than output padding. Received strides=\(2, 2\), output_padding=\(2, 2\)."),
    ((0, 3), r"Received strides=\(2, 2\), output_padding=\(0, 3\)"),
    (-1, "The `output_padding` argument must be a tuple of 2 integers. Received: -1 including \\{-1\\} that does not "
         "satisfy the requirement `>= 0`."),
])
def test_output_padding_errors(output_padding, message):
    with pytest.raises(ValueError, match=message):
        L.Conv2DTranspose(2, 3, strides=2, output_padding=output_padding)


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match="output_padding"):
        L.Conv1D(2, 3, output_padding=1)


@pytest.mark.parametrize("layer_cls, shape, message", [
    (L.Conv1D, (None, 4), "expected ndim=3, found ndim=2"),
    (L.Conv1D, (None, 4, None), "channel dimension of the inputs should be defined"),
    (L.Conv2DTranspose, (None, 4, 4), "expected ndim=4, found ndim=3"),
    (L.Conv2DTranspose, (None, 4, 4, None), "channel dimension of the inputs should be defined"),
])
def test_input_errors(layer_cls, shape, message):
    with pytest.raises(ValueError, match=message):
        layer_cls(2, 3)(gn.placeholder(gn.float32, shape))


def test_conv1d_input_shorter_than_its_window():
    with pytest.raises(ValueError, match="Computed output size would be negative"):
        L.Conv1D(2, 5)(gn.placeholder(gn.float32, (None, 3, 2)))


# -- behaviour -------------------------------------------------------------------------------------------------
def test_causal_output_never_sees_later_steps():
    x = L.Input((9, 2))
    model = gn.models.Model(x, L.Conv1D(3, 3, padding="causal", dilation_rate=2)(x))
    data = np.random.default_rng(3).standard_normal((2, 9, 2)).astype("float32")
    base = model.predict(data)
    for t in range(9):
        changed = data.copy()
        changed[:, t] += 10.0
        moved = np.any(model.predict(changed) != base, axis=(0, 2))
        assert not moved[:t].any(), t
        # output t reads steps t, t-2, t-4: a change at t moves exactly those outputs that read it
        np.testing.assert_array_equal(np.flatnonzero(moved), [s for s in (t, t + 2, t + 4) if s < 9])


def test_conv1d_matches_numpy_with_strides_and_dilation():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 11, 3)).astype("float32")
    model_in = L.Input((11, 3))
    layer = L.Conv1D(4, 3, dilation_rate=3, use_bias=False)
    model = gn.models.Model(model_in, layer(model_in))
    kernel = layer.get_weights()[0]
    want = np.stack([sum(x[:, t + 3 * k] @ kernel[k] for k in range(3)) for t in range(5)], 1)
    np.testing.assert_allclose(model.predict(x), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("layer_cls, shape", [(L.Conv1D, (None, 6, 2)), (L.Conv2DTranspose, (None, 3, 3, 2))])
def test_regularizers_add_losses(layer_cls, shape):
    layer = layer_cls(2, 2, kernel_regularizer=L.regularizers.l2(0.5), bias_regularizer={"l1": 0.25, "l2": 0.0})
    layer(gn.placeholder(gn.float32, shape))
    kernel = np.full(layer.kernel.shape.as_list(), 0.5, "float32")
    layer.set_weights([kernel, np.array([1.0, -3.0], "float32")])
    penalties = K.get_session().run(layer.losses)
    np.testing.assert_allclose(sorted(penalties), sorted([0.5 * np.sum(kernel ** 2), 0.25 * 4.0]), rtol=1e-6)
    assert layer.get_config()["kernel_regularizer"] == {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.5}}


def test_model_with_both_layers_saves_and_loads(tmp_path):
    inputs = L.Input((8, 3))
    hidden = L.Conv1D(4, 3, padding="causal", name="c1")(inputs)
    image = L.Reshape((8, 1, 4))(hidden)
    outputs = L.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=1, name="up")(image)
    model = gn.models.Model(inputs, outputs)
    assert outputs.shape.as_list() == [None, 16, 2, 2]
    data = np.random.default_rng(9).standard_normal((2, 8, 3)).astype("float32")
    want = model.predict(data)
    model.save(str(tmp_path / "m"))
    K.clear_session()
    loaded = gn.models.load_model(str(tmp_path / "m"))
    assert [type(layer).__name__ for layer in loaded.layers][1:] == ["Conv1D", "Reshape", "Conv2DTranspose"]
    assert loaded.get_layer("up").output_padding == (1, 1)
    np.testing.assert_allclose(loaded.predict(data), want, rtol=1e-6, atol=1e-6)
    assert loaded.get_layer("c1").get_config() == model.get_layer("c1").get_config()


# -- DepthwiseConv2D and SeparableConv2D -------------------------------------------------------------------------
@pytest.mark.parametrize("layer, input_shape, expected", [
    (L.DepthwiseConv2D(3), (None, 6, 7, 2), (None, 4, 5, 2)),
    (L.DepthwiseConv2D(3, depth_multiplier=3, strides=2, padding="same"), (None, 6, 7, 2), (None, 3, 4, 6)),
    (L.DepthwiseConv2D(3, dilation_rate=2), (None, None, 7, 2), (None, None, 3, 2)),
    (L.DepthwiseConv2D(2, depth_multiplier=2, data_format="channels_first"), (None, 3, 4, 4), (None, 6, 3, 3)),
    (L.SeparableConv2D(5, 3), (None, 6, 7, 2), (None, 4, 5, 5)),
    (L.SeparableConv2D(5, 3, strides=(2, 3), padding="same", depth_multiplier=4), (4, 6, 7, 2), (4, 3, 3, 5)),
    (L.SeparableConv2D(5, 2, data_format="channels_first"), (None, 2, 4, 4), (None, 5, 3, 3)),
])
def test_depthwise_output_shape(layer, input_shape, expected):
    assert layer.compute_output_shape(input_shape) == expected


_DEPTHWISE_KEYS = _COMMON_KEYS - {"filters", "kernel_initializer", "kernel_regularizer", "kernel_constraint"} | {
    "depth_multiplier", "depthwise_initializer", "depthwise_regularizer", "depthwise_constraint"}


def test_depthwise_configs_as_keras():
    config = L.DepthwiseConv2D(3).get_config()
    assert set(config) == _DEPTHWISE_KEYS and config["name"].startswith("depthwise_conv2d")
    assert (config["kernel_size"], config["strides"], config["dilation_rate"]) == ([3, 3], [1, 1], [1, 1])
    assert (config["padding"], config["depth_multiplier"], config["activation"]) == ("valid", 1, "linear")
    separable = L.SeparableConv2D(4, (3, 2), depth_multiplier=2).get_config()
    assert set(separable) == _DEPTHWISE_KEYS | {"filters", "pointwise_initializer", "pointwise_regularizer",
                                                "pointwise_constraint"}
    assert (separable["filters"], separable["kernel_size"], separable["depth_multiplier"]) == (4, [3, 2], 2)
    assert separable["name"].startswith("separable_conv2d")
    assert L.SeparableConvolution2D is L.SeparableConv2D


@pytest.mark.parametrize("build, message", [
    (lambda: L.DepthwiseConv2D(0), "The `kernel_size` argument must be a tuple of 2 integers"),
    (lambda: L.DepthwiseConv2D(3, strides=2, dilation_rate=2), "`strides > 1` not supported in conjunction"),
    (lambda: L.DepthwiseConv2D(3, padding="causal"), "Causal padding is only supported for `Conv1D`"),
    (lambda: L.DepthwiseConv2D(3, depth_multiplier=0), "Expected a positive integer. Received depth_multiplier=0."),
    (lambda: L.SeparableConv2D(0, 3), "Received filters=0."),
    (lambda: L.SeparableConv2D(2, 3, padding="full"), 'one of "valid", "same"'),
])
def test_depthwise_argument_errors(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize("layer_cls", [L.DepthwiseConv2D, lambda k: L.SeparableConv2D(2, k)])
def test_depthwise_input_errors(layer_cls):
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        layer_cls(2)(gn.placeholder(gn.float32, (None, 4, 4)))
    with pytest.raises(ValueError, match="channel dimension of the inputs should be defined"):
        layer_cls(2)(gn.placeholder(gn.float32, (None, 4, 4, None)))


def test_separable_weights_and_regularizers():
    layer = L.SeparableConv2D(3, 2, depth_multiplier=2, depthwise_regularizer=L.regularizers.l1(0.5),
                              pointwise_regularizer=L.regularizers.l2(0.25))
    layer(gn.placeholder(gn.float32, (None, 4, 4, 2)))
    assert [layer.weight_name(w) for w in layer.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert [w.shape.as_list() for w in layer.weights] == [[2, 2, 2, 2], [1, 1, 4, 3], [3]]
    layer.set_weights([np.full((2, 2, 2, 2), -1.0, "float32"), np.full((1, 1, 4, 3), 2.0, "float32"),
                       np.zeros(3, "float32")])
    np.testing.assert_allclose(sorted(K.get_session().run(layer.losses)), [0.5 * 16, 0.25 * 4 * 12], rtol=1e-6)


def test_model_with_depthwise_layers_saves_and_loads(tmp_path):
    inputs = L.Input((6, 6, 2))
    hidden = L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", name="dw")(inputs)
    outputs = L.SeparableConv2D(3, 2, strides=2, name="sep", data_format="channels_last")(hidden)
    model = gn.models.Model(inputs, outputs)
    assert outputs.shape.as_list() == [None, 3, 3, 3]
    data = np.random.default_rng(4).standard_normal((2, 6, 6, 2)).astype("float32")
    want = model.predict(data)
    model.save(str(tmp_path / "m"))
    K.clear_session()
    loaded = gn.models.load_model(str(tmp_path / "m"))
    assert loaded.get_layer("dw").get_config() == model.get_layer("dw").get_config()
    assert type(loaded.get_layer("sep")) is L.SeparableConv2D
    np.testing.assert_allclose(loaded.predict(data), want, rtol=1e-6, atol=1e-6)
