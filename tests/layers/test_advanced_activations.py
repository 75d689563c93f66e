"""Advanced activation layers (LeakyReLU, PReLU, ELU, ReLU, Softmax, ThresholdedReLU): conformance on each
device, outputs and input gradients against tf_keras 2.21 (a fixture), configs, argument errors, PReLU's
trainable alpha, and a model holding them through a JSON config and save / load_model."""
import json

import numpy as np
import pytest

import gpunet as gn
from gpunet import layers as L

from ._activation_merge_reference import CASES, REFERENCE, run_case
from .layer_test_utils import run_layer_test

ACTIVATIONS = CASES["activations"]

CONFORMANCE = [
    pytest.param(L.LeakyReLU, {}, (3, 4), id="leaky"),
    pytest.param(L.PReLU, {"alpha_initializer": "ones"}, (3, 4), id="prelu"),
    pytest.param(L.PReLU, {"shared_axes": [1, 2]}, (2, 3, 4, 5), id="prelu-shared"),
    pytest.param(L.ELU, {"alpha": 0.5}, (3, 4), id="elu"),
    pytest.param(L.ReLU, {"max_value": 1.0, "negative_slope": 0.1, "threshold": 0.2}, (2, 3, 4), id="relu"),
    pytest.param(L.Softmax, {"axis": 1}, (2, 3, 4), id="softmax"),
    pytest.param(L.Softmax, {"axis": [1, 2]}, (2, 3, 4), id="softmax-axes"),
    pytest.param(L.ThresholdedReLU, {"theta": 0.5}, (3, 4), id="thresholded"),
]


@pytest.mark.parametrize("layer_cls, kwargs, input_shape", CONFORMANCE)
def test_conformance(layer_cls, kwargs, input_shape, device):
    run_layer_test(layer_cls, kwargs, input_shape, device=device)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_values_and_gradients_match_tf_keras(name, device):
    cls, kwargs = ACTIVATIONS[name]
    out, (grad,) = run_case(name, cls, kwargs, [REFERENCE["x"]], device)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, REFERENCE[f"{name}/out"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad, REFERENCE[f"{name}/grad0"], rtol=1e-5, atol=1e-6)


def test_relu_piecewise_against_numpy():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 0.7, 1.9, 2.0, 2.5], "float32")
    layer = L.ReLU(max_value=2.0, negative_slope=0.5, threshold=0.5)
    got = gn.backend.get_session().run(layer(gn.constant(x)))
    # max_value from the cap on; x above the threshold (a tie gives 0); negative_slope * (x - threshold) below
    want = np.where(x >= 2.0, 2.0, np.where(x > 0.5, x, 0.5 * (x - 0.5)))
    np.testing.assert_allclose(got, want.astype("float32"), rtol=1e-6)


def test_configs_match_tf_keras():
    assert L.LeakyReLU(name="l").get_config() == {"name": "l", "trainable": True, "dtype": "float32",
                                                  "alpha": 0.30000001192092896}
    assert L.ELU(name="e").get_config()["alpha"] == 1.0
    assert L.ReLU(name="r").get_config() == {"name": "r", "trainable": True, "dtype": "float32", "max_value": None,
                                             "negative_slope": 0.0, "threshold": 0.0}
    assert L.Softmax().get_config()["axis"] == -1
    assert L.Softmax(axis=(1, 2)).get_config()["axis"] == [1, 2]
    assert L.ThresholdedReLU().get_config()["theta"] == 1.0
    config = L.PReLU(name="p", shared_axes=1).get_config()
    assert config == {"name": "p", "trainable": True, "dtype": "float32", "alpha_initializer": "zeros",
                      "alpha_regularizer": None, "alpha_constraint": None, "shared_axes": [1]}
    assert L.PReLU().get_config()["shared_axes"] is None


def test_default_names():
    names = [L.LeakyReLU().name, L.PReLU().name, L.ReLU().name, L.ThresholdedReLU().name]
    assert [n.rsplit("_", 1)[0] if n[-1].isdigit() else n for n in names] == [
        "leaky_re_lu", "p_re_lu", "re_lu", "thresholded_re_lu"]


@pytest.mark.parametrize("make, message", [
    (lambda: L.ReLU(max_value=-1), "max_value of a ReLU layer cannot be a negative value. Received: -1"),
    (lambda: L.ReLU(negative_slope=-1), "negative_slope of a ReLU layer cannot be a negative value. Received: -1"),
    (lambda: L.ReLU(threshold=-1), "threshold of a ReLU layer cannot be a negative value. Received: -1"),
    (lambda: L.ReLU(threshold=None), "threshold of a ReLU layer cannot be a negative value. Received: None"),
    (lambda: L.LeakyReLU(alpha=None), "The alpha value of a Leaky ReLU layer cannot be None"),
    (lambda: L.ELU(alpha=None), "Alpha of an ELU layer cannot be None, expecting a float. Received: None"),
    (lambda: L.ThresholdedReLU(theta=-1), "The theta value of a Thresholded ReLU layer should be >=0. Received: -1"),
    (lambda: L.ThresholdedReLU(theta=None), "Theta of a Thresholded ReLU layer cannot be None"),
    (lambda: L.PReLU(alpha_initializer="nope"), "Unknown initializer"),
    (lambda: L.PReLU(alpha_constraint=3), "Could not interpret constraint function identifier: 3"),
])
def test_argument_errors(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()


def test_prelu_build_errors():
    with pytest.raises(ValueError, match="shared axis 3 is out of range"):
        L.PReLU(shared_axes=[3])(L.Input((3, 4)))
    with pytest.raises(ValueError, match="must be known"):
        L.PReLU()(L.Input((None, 4)))
    layer = L.PReLU(shared_axes=[1])
    layer(L.Input((None, 4)))  # a shared axis may be unknown
    assert layer.weights[0].shape.as_list() == [1, 4]


def test_prelu_alpha_trains_by_its_gradient(device):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 3, 2)).astype("float32")
    layer = L.PReLU(alpha_initializer="ones", shared_axes=[1], alpha_regularizer={"l1": 0.0, "l2": 0.5})
    with gn.device(device):
        inp = L.Input((3, 2))
        model = gn.models.Model(inp, layer(inp))
    assert layer.weights[0].shape.as_list() == [1, 2]
    model.compile(gn.optimizers.SGD(0.1), "mse")
    alpha = layer.get_weights()[0]
    target = np.zeros_like(x)
    model.train_on_batch(x, target)
    # loss = mean(y ** 2) + 0.5 * sum(alpha ** 2), y = x where x > 0 else alpha * x
    y = np.where(x > 0, x, alpha * x)
    grad = (2 * y * np.where(x > 0, 0, x) / x.size).sum(axis=(0, 1), keepdims=True)[0] + alpha
    np.testing.assert_allclose(layer.get_weights()[0], alpha - 0.1 * grad, rtol=1e-5, atol=1e-6)
    assert len(model.losses) == 1


def test_model_with_advanced_activations_round_trips(tmp_path):
    rng = np.random.default_rng(5)
    inp = L.Input((4,))
    hidden = L.PReLU(alpha_initializer="ones", shared_axes=None)(L.Dense(3)(inp))
    out = L.Softmax()(L.ReLU(max_value=2.0, negative_slope=0.1)(L.LeakyReLU(0.2)(L.ELU(0.5)(hidden))))
    model = gn.models.Model(inp, L.ThresholdedReLU(0.1)(out))
    model.layers[2].set_weights([rng.uniform(0, 1, (3,)).astype("float32")])
    x = rng.standard_normal((5, 4)).astype("float32")
    want = model.predict(x)

    clone = gn.models.Model.from_config(json.loads(json.dumps(model.get_config())))
    assert [type(layer).__name__ for layer in clone.layers] == [type(layer).__name__ for layer in model.layers]
    assert [layer.get_config() for layer in clone.layers[1:]] == [layer.get_config() for layer in model.layers[1:]]
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x), want, rtol=1e-6)

    model.save(str(tmp_path / "m"))
    np.testing.assert_allclose(gn.models.load_model(str(tmp_path / "m")).predict(x), want, rtol=1e-6)


@pytest.mark.parametrize("layer_cls, kwargs, input_shape", CONFORMANCE)
@pytest.mark.parametrize("batch", [0, 2])
def test_float64_and_empty_batches(layer_cls, kwargs, input_shape, batch, device):
    """A float64 layer keeps float64 (no silent downcast) and agrees with the float32 layer; an empty batch
    gives an empty output of the right shape."""
    x = np.random.default_rng(8).standard_normal((batch,) + input_shape[1:])
    outs = []
    for dtype in ("float32", "float64"):
        layer = layer_cls(dtype=dtype, **kwargs)
        with gn.device(device):
            inp = L.Input(input_shape[1:], dtype=dtype)
            model = gn.models.Model(inp, layer(inp))
        if layer.weights:
            layer.set_weights([np.full(w.shape.as_list(), 0.25) for w in layer.weights])
        outs.append(model.predict(x.astype(dtype)))
        assert outs[-1].dtype == dtype and outs[-1].shape == x.shape
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-6)


def test_softmax_axis_out_of_range():
    with pytest.raises(ValueError, match="axis 5 is out of range"):
        L.Softmax(axis=5)(L.Input((3,)))
