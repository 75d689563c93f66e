"""The activations tf_keras 2.21 has that gpunet lacked (gelu exact and approximate, mish, silu, leaky_relu,
log_softmax) and the ``Erf`` op exact gelu needs: values and gradients against tf_keras/TF
(activations_more_reference.npz, made by make_activations_more_reference.py) in float32 and float64 on each device,
erf against math.erf and its gradient against finite differences, a tf_keras model using them (one SGD step),
configs, save/load_model, bad input."""
import math
import os

import numpy as np
import pytest

import gpunet as gn
from gpunet import layers as L
from gpunet.layers import activations as A

from .layer_test_utils import run_layer_test

REF = np.load(os.path.join(os.path.dirname(__file__), "activations_more_reference.npz"))
FUNCTIONS = {"gelu": A.get("gelu"), "gelu_approximate": lambda x: A.gelu(x, approximate=True), "mish": A.get("mish"),
             "silu": A.get("silu"), "leaky_relu": A.get("leaky_relu"), "log_softmax": A.get("log_softmax"),
             "relu6": A.get("relu6"), "erf": gn.erf}


def cotangent(x):
    """The weights of the summed output whose gradient the fixture holds (as make_activations_more_reference.py)."""
    return (np.arange(x.size) % 3 + 1).reshape(x.shape).astype(x.dtype)


def _value_and_grad(fn, x, device):
    with gn.device(device):
        tensor = gn.constant(x)
        y = fn(tensor)
        grad, = gn.gradients(gn.reduce_sum(y * cotangent(x)), [tensor])
    assert y.dtype == tensor.dtype and y.device == gn.DeviceSpec.from_string(device).canonical()
    with gn.Session() as sess:
        return sess.run([y, grad])


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("wide", [False, True], ids=["float32", "float64"])
def test_values_and_gradients_match_tf_keras(name, wide, device):
    if wide and name.startswith("gelu"):
        pytest.skip("TF's float64 gelu rounds its constants to float32 first: checked against math below instead")
    x, suffix = (REF["x64"], "/64") if wide else (REF["x"], "")
    value, grad = _value_and_grad(FUNCTIONS[name], x, device)
    assert value.dtype == x.dtype
    tolerance = dict(rtol=1e-12, atol=1e-300) if wide else dict(rtol=2e-6, atol=1e-6)
    if wide and name == "leaky_relu":
        tolerance["rtol"] = 3e-8  # TF holds alpha in a float attribute: 0.2 becomes 0.20000000298 in float64
    np.testing.assert_allclose(value, REF[f"{name}{suffix}"], **tolerance)
    if not wide and name == "gelu_approximate":
        # TF's float32 tanh is Eigen's rational approximation: near saturation its 1 - tanh(x) ** 2 is off by ulps of 1
        tolerance["atol"] = 1e-5
    np.testing.assert_allclose(grad, REF[f"{name}/grad64" if wide else f"{name}/grad"], **tolerance)


@pytest.mark.parametrize("fn, reference, rtol", [(gn.erf, math.erf, 2e-15), (gn.erfc, math.erfc, 5e-14)])
def test_erf_and_erfc_match_math_over_their_whole_range(fn, reference, rtol, device):
    x = np.concatenate([np.linspace(-9, 9, 4001), [0.0, -0.0, 1e-300, 1.4999999999, 1.5, 1.5000000001, 26.0, 40.0]])
    with gn.device(device):
        y = fn(gn.constant(x))
    with gn.Session() as sess:
        got = sess.run(y)
    np.testing.assert_allclose(got, [reference(v) for v in x], rtol=rtol, atol=1e-300)


def _gelu_reference(x, approximate):
    """GELU and its derivative in float64 with math's erfc and tanh."""
    if approximate:
        c, k = math.sqrt(2 / math.pi), 0.044715
        t = np.tanh(c * (x + k * x ** 3))
        return 0.5 * x * (1 + t), 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * k * x * x)
    erfc = np.array([math.erfc(-v / math.sqrt(2)) for v in x.ravel()]).reshape(x.shape)
    return 0.5 * x * erfc, 0.5 * erfc + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)


@pytest.mark.parametrize("approximate", [False, True])
def test_float64_gelu_matches_math(approximate, device):
    x = np.concatenate([REF["x64"].ravel(), np.linspace(-12, 12, 97)])
    with gn.device(device):
        tensor = gn.constant(x)
        y = gn.nn.gelu(tensor, approximate=approximate)
        grad, = gn.gradients(gn.reduce_sum(y), [tensor])
    with gn.Session() as sess:
        got, got_grad = sess.run([y, grad])
    want, want_grad = _gelu_reference(x, approximate)
    tolerance = dict(rtol=1e-9, atol=1e-15) if approximate else dict(rtol=5e-13, atol=1e-300)
    np.testing.assert_allclose(got, want, **tolerance)
    np.testing.assert_allclose(got_grad, want_grad, **tolerance)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_erf_and_erfc_special_values_shapes_and_dtypes(dtype, device):
    cases = [np.array(0.5, dtype), np.zeros((0, 3), dtype), np.array([np.inf, -np.inf, np.nan, -0.0], dtype)]
    with gn.device(device):
        outs = [fn(c) for fn in (gn.erf, gn.erfc) for c in cases]
    with gn.Session() as sess:
        got = sess.run(outs)
    assert [g.dtype for g in got] == [np.dtype(dtype)] * 6 and [g.shape for g in got] == [(), (0, 3), (4,)] * 2
    rtol = 1e-3 if dtype == np.float16 else 1e-7
    np.testing.assert_allclose(got[0], dtype(math.erf(0.5)), rtol=rtol)
    np.testing.assert_allclose(got[3], dtype(math.erfc(0.5)), rtol=rtol)
    np.testing.assert_array_equal(got[2][[0, 1, 3]], [1.0, -1.0, 0.0])
    np.testing.assert_array_equal(got[5][[0, 1, 3]], [0.0, 2.0, 1.0])
    assert np.isnan(got[2][2]) and np.isnan(got[5][2])


@pytest.mark.parametrize("fn, reference", [(gn.erf, math.erf), (gn.erfc, math.erfc)])
def test_erf_and_erfc_gradients_match_finite_differences(fn, reference, device):
    x = np.array([-3.5, -1.2, -0.3, 0.0, 0.4, 1.5, 2.0, 3.2], np.float64)
    with gn.device(device):
        tensor = gn.constant(x)
        grad, = gn.gradients(gn.reduce_sum(fn(tensor)), [tensor])
    with gn.Session() as sess:
        got = sess.run(grad)
    h = 1e-6
    numeric = np.array([(reference(v + h) - reference(v - h)) / (2 * h) for v in x])
    np.testing.assert_allclose(got, numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("fn", [gn.erf, gn.erfc, gn.nn.gelu])
def test_integer_inputs_are_refused(fn):
    with pytest.raises(TypeError, match="int32"):
        fn(gn.constant([1, 2]))


def test_tf_keras_model_with_gelu_and_mish_takes_the_same_step(device):
    with gn.device(device):
        model = gn.models.model_from_json(str(REF["model/json"]))
    model.set_weights([REF[f"model/w{i}"] for i in range(4)])
    model.compile(gn.optimizers.SGD(learning_rate=0.1), "mse")
    np.testing.assert_allclose(model.train_on_batch(REF["model/x"], REF["model/y"]), REF["model/loss"], rtol=1e-5)
    for i, got in enumerate(model.get_weights()):
        np.testing.assert_allclose(got, REF[f"model/after{i}"], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name", ["gelu", "mish", "leaky_relu", "log_softmax"])
def test_names_round_trip_through_configs(name):
    assert L.Activation(name).get_config()["activation"] == name
    assert L.Dense(2, activation=name).get_config()["activation"] == name


def test_silu_is_saved_as_swish_as_tf_keras_does():
    assert A.get("silu") is A.get("swish") and L.Activation("silu").get_config()["activation"] == "swish"


@pytest.mark.parametrize("activation", ["gelu", "mish"])
def test_dense_with_the_new_activations_passes_conformance(activation, device):
    run_layer_test(L.Dense, {"units": 3, "activation": activation}, (2, 4), device=device)


def test_save_and_load_model_keep_the_activation(tmp_path):
    model = gn.models.Sequential([L.Dense(3, activation="gelu", input_shape=(4,)), L.Activation("mish")])
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    expected = model.predict(x, verbose=0)
    path = str(tmp_path / "model.h5")
    model.save(path)
    gn.reset_default_graph()
    loaded = gn.models.load_model(path)
    assert [layer.get_config()["activation"] for layer in loaded.layers] == ["gelu", "mish"]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)
