"""LayerNormalization: conformance on each device, values and gradients against tf_keras 2
(``layer_norm_reference.npz``, made by ``make_layer_norm_reference.py``) and finite differences,
config and errors as Keras gives them, and a saved/loaded model."""
import os

import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L

from .layer_test_utils import run_layer_test

REFERENCE = np.load(os.path.join(os.path.dirname(__file__), "layer_norm_reference.npz"))
REFERENCE_CASES = {"last": -1, "middle": 1, "pair": [1, 3], "all-but-batch": [-2, -1]}


@pytest.mark.parametrize("kwargs, input_shape", [
    ({}, (4, 3)),
    ({"axis": 1}, (2, 3, 4)),
    ({"axis": [1, 2], "center": False}, (2, 3, 4)),
    ({"axis": (-3, -1), "scale": False, "epsilon": 0.1}, (2, 3, 2, 4)),
    ({"gamma_regularizer": {"l1": 0.0, "l2": 0.01}}, (3, 5)),
])
def test_conformance(kwargs, input_shape, device):
    run_layer_test(L.LayerNormalization, kwargs, input_shape, device=device)


def _gradients(key, device):
    """gpunet's output and gradients for a reference case, with tf_keras's gamma and beta."""
    x, weights = REFERENCE[f"{key}/x"], REFERENCE[f"{key}/weights"]
    with gn.device(device):
        xt = gn.constant(x)
        layer = L.LayerNormalization(axis=REFERENCE_CASES[key])
        y = layer(xt)
        loss = gn.reduce_sum(y * weights)
        grads = gn.gradients(loss, [xt, layer.gamma, layer.beta])
    assert {t.device for t in [y] + grads} == {gn.DeviceSpec.from_string(device).canonical()}
    layer.set_weights([REFERENCE[f"{key}/gamma"], REFERENCE[f"{key}/beta"]])
    return K.get_session().run([y] + grads)


@pytest.mark.parametrize("key", sorted(REFERENCE_CASES))
def test_values_and_gradients_match_tf_keras(key, device):
    y, grad_x, grad_gamma, grad_beta = _gradients(key, device)
    np.testing.assert_allclose(y, REFERENCE[f"{key}/y"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grad_x, REFERENCE[f"{key}/grad_x"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(grad_gamma, REFERENCE[f"{key}/grad_gamma"], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(grad_beta, REFERENCE[f"{key}/grad_beta"], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("axis", [-1, [1, 2]])
def test_input_gradient_matches_finite_differences(axis):
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal((2, 3, 4))
    weights = rng.standard_normal((2, 3, 4))
    x = gn.placeholder(gn.float64, (2, 3, 4))
    layer = L.LayerNormalization(axis=axis, dtype="float64", gamma_initializer="random_normal")
    loss = gn.reduce_sum(layer(x) * weights)
    grad = gn.gradients(loss, x)[0]
    sess = K.get_session()
    K.initialize_variables(layer.weights)
    analytic = sess.run(grad, {x: x0})
    numeric, eps = np.zeros_like(x0), 1e-6
    for index in np.ndindex(x0.shape):
        step = np.zeros_like(x0)
        step[index] = eps
        numeric[index] = (sess.run(loss, {x: x0 + step}) - sess.run(loss, {x: x0 - step})) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6)


def test_same_in_training_and_inference():
    x = gn.placeholder(gn.float32, (None, 3))
    y = L.LayerNormalization()(x)
    data = np.array([[1, 2, 3], [0, 0, 6]], np.float32)
    sess = K.get_session()
    K.initialize_variables(gn.global_variables())
    train, infer = (sess.run(y, {x: data, K.learning_phase(): phase}) for phase in (True, False))
    np.testing.assert_array_equal(train, infer)
    expected = (data - data.mean(1, keepdims=True)) / np.sqrt(data.var(1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(infer, expected, rtol=1e-5, atol=1e-6)


def test_config_defaults_as_tf_keras():
    layer = L.LayerNormalization(name="ln")
    assert layer.get_config() == {
        "name": "ln", "trainable": True, "dtype": "float32", "axis": -1, "epsilon": 0.001, "center": True,
        "scale": True, "beta_initializer": "zeros", "gamma_initializer": "ones", "beta_regularizer": None,
        "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None}
    layer(L.Input((3, 4)))
    assert layer.get_config()["axis"] == [2]  # tf_keras keeps the resolved axes after build
    assert L.LayerNormalization(axis=(1, -1)).get_config()["axis"] == [1, -1]


def test_weights_have_the_normalized_axes_shape_gamma_first():
    layer = L.LayerNormalization(axis=[1, 2])
    layer(L.Input((3, 4, 5)))
    assert [layer.weight_name(w) for w in layer.weights] == ["gamma", "beta"]
    assert [tuple(w.shape.as_list()) for w in layer.weights] == [(3, 4), (3, 4)]
    only_beta = L.LayerNormalization(scale=False)
    only_beta(L.Input((6,)))
    assert [only_beta.weight_name(w) for w in only_beta.weights] == ["beta"]


def test_gamma_regularizer_is_a_layer_loss():
    layer = L.LayerNormalization(gamma_regularizer={"l1": 0.5, "l2": 0.0})
    layer(L.Input((4,)))
    assert len(layer.losses) == 1
    K.initialize_variables(layer.weights)
    assert K.get_session().run(layer.losses[0]) == pytest.approx(0.5 * 4)


@pytest.mark.parametrize("axis, message", [
    ("a", "Expected an int or a list/tuple of ints for the argument 'axis', but received: 'a'"),
    ([1, 0.5], "Expected an int or a list/tuple of ints"),
    (True, "Expected an int or a list/tuple of ints"),
])
def test_axis_type_errors(axis, message):
    with pytest.raises(TypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        L.LayerNormalization(axis=axis)


@pytest.mark.parametrize("axis, message", [
    (3, r"Invalid value for `axis` argument. Expected 0 <= axis < inputs.rank \(with inputs.rank=2\). "
        r"Received: axis=\(3,\)"),
    (-3, r"inputs.rank=2\). Received: axis=\(-3,\)"),
    ([1, -1], r"Duplicate axis: \(1, 1\)"),
])
def test_axis_value_errors_at_build(axis, message):
    with pytest.raises(ValueError, match=message):
        L.LayerNormalization(axis=axis)(L.Input((3,)))


def test_undefined_normalized_dimension_is_refused():
    with pytest.raises(ValueError, match="should have a defined dimension"):
        L.LayerNormalization()(gn.placeholder(gn.float32, (2, None)))


def test_a_bad_constraint_is_refused():
    with pytest.raises(ValueError, match="Unknown constraint: 'nope'"):
        L.LayerNormalization(gamma_constraint="nope")


def test_model_saved_and_loaded(tmp_path):
    model = gn.models.Sequential([L.Dense(4, input_shape=(3,)), L.LayerNormalization(axis=-1, epsilon=0.01)])
    ln = model.layers[1]
    ln.set_weights([np.array([1, 2, 3, 4], np.float32), np.array([0, 1, 0, -1], np.float32)])
    data = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    expected = model.predict(data)
    path = str(tmp_path / "ln.h5")
    model.save(path)
    loaded = gn.models.load_model(path)
    assert isinstance(loaded.layers[1], L.LayerNormalization)
    assert loaded.layers[1].get_config()["epsilon"] == 0.01
    np.testing.assert_allclose(loaded.predict(data), expected, rtol=1e-6)
