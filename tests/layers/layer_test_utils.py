"""``run_layer_test``: the conformance checks every layer passes (in the spirit of Keras's
``testing_utils.layer_test``): build, call, static and run-time output shapes against
``compute_output_shape``, config round trip, weights round trip, one training step, on a device."""
from __future__ import annotations

import numpy as np

import gpunet as gn
from gpunet import layers as L


def _random_input(shape, dtype, rng):
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, 10, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def _expected_shape(layer, input_shape):
    shape = layer.compute_output_shape((None,) + tuple(input_shape[1:]))
    return tuple(shape)


def _build(layer, input_shape, dtype, device):
    with gn.device(device):
        x = L.Input(batch_shape=(None,) + tuple(input_shape[1:]), dtype=dtype)
        y = layer(x)
    return gn.models.Model(x, y), y


def _check_placement(model, device):
    wanted = gn.DeviceSpec.from_string(device).canonical()
    for w in model.weights:
        assert w.device == wanted, (w.name, w.device, wanted)
    for t in model.outputs:
        assert t.device == wanted, (t.name, t.device, wanted)


def run_layer_test(layer_cls, kwargs, input_shape, device="/cpu:0", input_dtype="float32", trains=True,
                   deterministic=True, seed=0):
    """Run every conformance check on ``layer_cls(**kwargs)`` for inputs of ``input_shape``;
    returns the layer's output on random input (inference mode)."""
    rng = np.random.default_rng(seed)
    data = _random_input(input_shape, input_dtype, rng)
    layer = layer_cls(**kwargs)
    model, y = _build(layer, input_shape, input_dtype, device)
    assert layer.built
    expected = _expected_shape(layer, input_shape)
    assert tuple(y.shape.as_list()) == expected, (y.shape, expected)
    _check_placement(model, device)

    out = model.predict(data)
    assert out.shape == (input_shape[0],) + expected[1:], (out.shape, expected)
    assert out.dtype == np.dtype(y.dtype.name)
    assert np.all(np.isfinite(out))

    # weights round trip: values come back as set, and the output does not change
    weights = layer.get_weights()
    assert [w.shape for w in weights] == [tuple(v.shape.as_list()) for v in layer.weights]
    layer.set_weights(weights)
    for before, after in zip(weights, layer.get_weights()):
        np.testing.assert_array_equal(before, after)

    # config round trip: the same config, and (given the same weights) the same outputs
    config = layer.get_config()
    clone = layer_cls.from_config(config)
    assert clone.get_config() == config
    clone_model, _ = _build(clone, input_shape, input_dtype, device)
    clone.set_weights(weights)
    if deterministic:
        np.testing.assert_allclose(clone_model.predict(data), out, rtol=1e-5, atol=1e-6)

    if trains and layer.trainable_weights:
        target = rng.standard_normal(out.shape).astype(out.dtype)
        model.compile(gn.optimizers.SGD(0.1), "mse")
        model.train_on_batch(data, target)
        changed = [not np.array_equal(a, b) for a, b in zip(weights, layer.get_weights())]
        assert any(changed), f"{layer.name}: a training step changed no weight"
    return out
