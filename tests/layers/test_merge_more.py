"""Merge layers Subtract, Multiply, Average, Maximum, Minimum and Dot (and their lowercase functions):
conformance on each device, outputs and input gradients against tf_keras 2.21 (a fixture), Keras's
broadcasting and shape checks, configs, argument errors, and a model holding them through save / load_model."""
import json

import numpy as np
import pytest

import gpunet as gn
from gpunet import layers as L

from ._activation_merge_reference import CASES, REFERENCE, run_case

MERGES = CASES["merges"]
ELEMENTWISE = {"Subtract": np.subtract, "Multiply": np.multiply, "Average": lambda a, b: (a + b) / 2,
               "Maximum": np.maximum, "Minimum": np.minimum}
FUNCTIONS = {"Subtract": L.subtract, "Multiply": L.multiply, "Average": L.average, "Maximum": L.maximum,
             "Minimum": L.minimum}


def _model(device, shapes, merge):
    with gn.device(device):
        inputs = [L.Input(s) for s in shapes]
        out = merge(inputs)
    return gn.models.Model(inputs, out), out


def _run_merge_test(layer, shapes, device, batch=3):
    """run_layer_test's checks for a merge layer (several inputs, no weights): static and run-time output
    shapes against compute_output_shape, placement, dtype, config round trip with equal outputs."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((batch,) + s).astype("float32") for s in shapes]
    model, out = _model(device, shapes, layer)
    expected = layer.compute_output_shape([(None,) + s for s in shapes])
    assert tuple(out.shape.as_list()) == expected
    assert out.device == gn.DeviceSpec.from_string(device).canonical()
    got = model.predict(arrays)
    assert got.shape == (batch,) + expected[1:] and got.dtype == np.float32
    assert layer.get_weights() == [] and layer.trainable_weights == []
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    np.testing.assert_array_equal(_model(device, shapes, clone)[0].predict(arrays), got)
    return arrays, got


@pytest.mark.parametrize("cls_name", sorted(ELEMENTWISE))
def test_elementwise_conformance(cls_name, device):
    """Each elementwise merge (class and function) against NumPy."""
    arrays, got = _run_merge_test(getattr(L, cls_name)(), [(2, 4), (2, 4)], device)
    want = ELEMENTWISE[cls_name](*arrays)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    func_model, _ = _model(device, [(2, 4), (2, 4)], FUNCTIONS[cls_name])
    np.testing.assert_allclose(func_model.predict(arrays), want, rtol=1e-6)


@pytest.mark.parametrize("kwargs, shapes", [
    ({"axes": 1}, [(4,), (4,)]),
    ({"axes": -1, "normalize": True}, [(2, 4), (3, 4)]),
    ({"axes": [1, 2]}, [(3, 2), (5, 3)]),
    ({"axes": [3, -2]}, [(2, 3, 4), (4, 5)]),
])
def test_dot_conformance(kwargs, shapes, device):
    _run_merge_test(L.Dot(**kwargs), shapes, device)


@pytest.mark.parametrize("name", sorted(MERGES))
def test_values_and_gradients_match_tf_keras(name, device):
    cls, kwargs, names = MERGES[name]
    inputs = [REFERENCE[f"in_{n}"] for n in names]
    out, grads = run_case(name, cls, kwargs, inputs, device)
    np.testing.assert_allclose(out, REFERENCE[f"{name}/out"], rtol=1e-5, atol=1e-6)
    for i, grad in enumerate(grads):
        np.testing.assert_allclose(grad, REFERENCE[f"{name}/grad{i}"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(n for n in MERGES if MERGES[n][0] == "Dot"))
def test_dot_against_numpy(name):
    _, kwargs, names = MERGES[name]
    x1, x2 = (REFERENCE[f"in_{n}"].astype("float64") for n in names)
    axes = kwargs["axes"] if isinstance(kwargs["axes"], list) else [kwargs["axes"]] * 2
    axes = [a % x.ndim for a, x in zip(axes, (x1, x2))]
    if kwargs.get("normalize"):
        x1 = x1 / np.sqrt(np.maximum((x1 ** 2).sum(axes[0], keepdims=True), 1e-12))
        x2 = x2 / np.sqrt(np.maximum((x2 ** 2).sum(axes[1], keepdims=True), 1e-12))
    want = np.stack([np.tensordot(u, v, [[axes[0] - 1], [axes[1] - 1]]) for u, v in zip(x1, x2)])
    want = want.reshape(len(want), -1) if want.ndim == 1 else want
    got = run_case(name, "Dot", kwargs, [REFERENCE[f"in_{n}"] for n in names], "/cpu:0")[0]
    np.testing.assert_allclose(got, want.reshape(got.shape), rtol=1e-5, atol=1e-6)
    layer = L.Dot(**kwargs)
    assert layer.compute_output_shape([(None,) + x1.shape[1:], (None,) + x2.shape[1:]]) == (None,) + got.shape[1:]


@pytest.mark.parametrize("shapes, want, static", [
    ([(3,), (2, 3)], (None, 2, 3), (None, 2, 3)),
    ([(1, 3), (4, 1)], (None, 4, 3), (None, 4, 3)),
    # Keras's compute_output_shape keeps an unknown dim unknown; the graph's broadcast knows it must be 4
    ([(None, 3), (4, 3)], (None, None, 3), (None, 4, 3)),
    ([(2, 3), (2, 3), (1, 3)], (None, 2, 3), (None, 2, 3)),
])
def test_elementwise_broadcasting(shapes, want, static, device):
    """Keras checks shapes aligned on the right and gives lower-rank inputs new axes after the batch axis."""
    rng = np.random.default_rng(2)
    model, out = _model(device, shapes, L.multiply)
    assert L.Multiply().compute_output_shape([(None,) + s for s in shapes]) == want
    assert tuple(out.shape.as_list()) == static
    arrays = [rng.standard_normal((2,) + tuple(d or 4 for d in s)).astype("float32") for s in shapes]
    lifted = [x.reshape((2,) + (1,) * (len(want) - x.ndim) + x.shape[1:]) for x in arrays]
    np.testing.assert_allclose(model.predict(arrays), np.prod(np.broadcast_arrays(*lifted), axis=0), rtol=1e-6)


def test_shape_errors():
    a, b, c = L.Input((3,)), L.Input((3,)), L.Input((4,))
    with pytest.raises(ValueError, match=r"Inputs have incompatible shapes. Received shapes \(3,\) and \(4,\)"):
        L.Multiply()([a, c])
    with pytest.raises(ValueError, match=r"A `Subtract` layer should be called on exactly 2 inputs. Received: "
                                         r"input_shape=\[\(None, 3\), \(None, 3\), \(None, 3\)\]"):
        L.Subtract()([a, b, a])
    with pytest.raises(ValueError, match="A `Subtract` layer should be called on exactly 2 inputs"):
        L.subtract([a])
    with pytest.raises(ValueError, match="at least 2 inputs"):
        L.Maximum()([a])
    with pytest.raises(ValueError, match="Cannot merge tensors with different batch sizes"):
        L.Average()([L.Input(batch_shape=(2, 3)), L.Input(batch_shape=(5, 3))])
    with pytest.raises(ValueError, match=r"Incompatible input shapes: axis values 3 \(at axis 1\) != 4 \(at axis 1\)"
                                         r". Full input shapes: \(None, 3\), \(None, 4\)"):
        L.Dot(axes=1)([a, c])
    with pytest.raises(ValueError, match="A `Dot` layer should be called on a list of 2 inputs"):
        L.Dot(axes=1)([a, b, a])
    with pytest.raises(ValueError, match="axis 0 is the batch axis"):
        L.dot([a, b], axes=0)


@pytest.mark.parametrize("axes, error, message", [
    ((1, 2, 3), ValueError, r"Invalid format for argument `axes`: it should contain two elements. Received: "
                            r"axes=\(1, 2, 3\)"),
    ("x", TypeError, "Invalid type for argument `axes`: it should be a list or an int. Received: axes=x"),
    ([1, "a"], ValueError, r"Invalid format for argument `axes`: list elements should be integers. Received: "
                           r"axes=\[1, 'a'\]"),
])
def test_dot_argument_errors(axes, error, message):
    with pytest.raises(error, match=message):
        L.Dot(axes=axes)


def test_configs_match_tf_keras():
    assert L.Multiply(name="m").get_config() == {"name": "m", "trainable": True, "dtype": "float32"}
    assert L.Dot(axes=1, name="d").get_config() == {"name": "d", "trainable": True, "dtype": "float32", "axes": 1,
                                                    "normalize": False}
    assert L.Dot(axes=(1, -1), normalize=True).get_config()["axes"] == [1, -1]
    assert [L.Subtract().name.split("_")[0], L.Dot(1).name.split("_")[0]] == ["subtract", "dot"]


def test_dot_normalize_is_cosine_similarity(device):
    model, out = _model(device, [(3,), (3,)], lambda xs: L.dot(xs, axes=-1, normalize=True))
    assert out.shape.as_list() == [None, 1]
    x = np.array([[1, 0, 0], [1, 2, 2], [3, 0, 4]], "float32")
    y = np.array([[0, 5, 0], [2, 4, 4], [-3, 0, -4]], "float32")
    np.testing.assert_allclose(model.predict([x, y])[:, 0], [0, 1, -1], atol=1e-6)


def test_model_with_merges_trains_and_round_trips(tmp_path):
    rng = np.random.default_rng(4)
    a, b = L.Input((3,)), L.Input((3,))
    ha, hb = L.Dense(3)(a), L.Dense(3)(b)
    merged = L.concatenate([L.subtract([ha, hb]), L.multiply([ha, hb]), L.average([ha, hb]), L.maximum([ha, hb]),
                            L.minimum([ha, hb]), L.Dot(axes=1, normalize=True)([ha, hb])])
    model = gn.models.Model([a, b], merged)
    x = [rng.standard_normal((6, 3)).astype("float32") for _ in range(2)]
    model.compile(gn.optimizers.SGD(0.1), "mse")
    before = model.get_weights()
    model.train_on_batch(x, rng.standard_normal((6, 16)).astype("float32"))
    assert all(not np.array_equal(u, v) for u, v in zip(before, model.get_weights()))
    want = model.predict(x)

    clone = gn.models.Model.from_config(json.loads(json.dumps(model.get_config())))
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(x), want, rtol=1e-6)
    model.save(str(tmp_path / "m"))
    np.testing.assert_allclose(gn.models.load_model(str(tmp_path / "m")).predict(x), want, rtol=1e-6)


@pytest.mark.parametrize("merge, width", [(L.subtract, 3), (L.multiply, 3), (L.average, 3), (L.maximum, 3),
                                          (L.minimum, 3), (lambda xs: L.dot(xs, axes=1, normalize=True), 1)])
@pytest.mark.parametrize("batch", [0, 2])
def test_float64_and_empty_batches(merge, width, batch, device):
    """float64 inputs stay float64 and agree with float32; an empty batch gives an empty output."""
    rng = np.random.default_rng(9)
    arrays = [rng.standard_normal((batch, 3)) for _ in range(2)]
    outs = []
    for dtype in ("float32", "float64"):
        with gn.device(device):
            inputs = [L.Input((3,), dtype=dtype) for _ in arrays]
            model = gn.models.Model(inputs, merge(inputs))
        outs.append(model.predict([a.astype(dtype) for a in arrays]))
        assert outs[-1].dtype == dtype and outs[-1].shape == (batch, width)
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-6)


def test_add_broadcasts_as_keras_and_keeps_one_addn_for_equal_shapes():
    a, b, c = L.Input((4, 3)), L.Input((3,)), L.Input((4, 1))
    y = L.Add()([a, b, c])
    assert tuple(y.shape.as_list()) == (None, 4, 3) == L.Add().compute_output_shape([(None, 4, 3), (None, 3),
                                                                                      (None, 4, 1)])
    rng = np.random.default_rng(0)
    xa, xb, xc = (rng.standard_normal(s).astype("float32") for s in [(2, 4, 3), (2, 3), (2, 4, 1)])
    np.testing.assert_allclose(gn.models.Model([a, b, c], y).predict([xa, xb, xc]), xa + xb[:, None, :] + xc,
                               rtol=1e-6)
    same = L.Add()([L.Input((3,)), L.Input((3,))])
    assert same.op.type == "AddN"
    with pytest.raises(ValueError, match=r"Inputs have incompatible shapes. Received shapes \(3,\) and \(4,\)"):
        L.Add()([L.Input((3,)), L.Input((4,))])
