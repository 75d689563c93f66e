"""Weight constraints (gn.layers.constraints): values against tf_keras 2.21 (constraints_reference.npz, made by
make_constraints_reference.py) and NumPy, TF1's Variable(constraint=) projected after each optimizer update,
Keras layers' *_constraint arguments through fit, configs, save/load_model, a replicated step, bad input."""
import json
import os

import numpy as np
import pytest

import gpunet as gn
from gpunet import layers as L
from gpunet.layers import constraints as C
from gpunet.parallel import ReplicatedTrainer

REF = np.load(os.path.join(os.path.dirname(__file__), "constraints_reference.npz"))
CASES = {"max_norm": (C.MaxNorm(0.8, axis=0), "w2"), "max_norm_axis1": (C.MaxNorm(1.5, axis=1), "w2"),
         "max_norm_conv": (C.MaxNorm(1.0, axis=[0, 1, 2]), "w4"), "non_neg": (C.NonNeg(), "w2"),
         "unit_norm": (C.UnitNorm(axis=0), "w2"), "unit_norm_axis1": (C.UnitNorm(axis=1), "w2"),
         "min_max_norm": (C.MinMaxNorm(0.9, 1.2, rate=0.7, axis=0), "w2"),
         "min_max_norm_default": (C.MinMaxNorm(), "w2"), "radial3": (C.RadialConstraint(), "w4"),
         "radial4": (C.RadialConstraint(), "w4even"), "radial5": (C.RadialConstraint(), "w4five")}
EPS = 1e-7


def _run(constraint, value, device, dtype=gn.float32):
    with gn.device(device):
        out = constraint(gn.constant(value, dtype=dtype))
    assert out.dtype == dtype and out.device == gn.DeviceSpec.from_string(device).canonical()
    with gn.Session() as sess:
        return sess.run(out)


@pytest.mark.parametrize("case", sorted(CASES))
def test_values_match_tf_keras(case, device):
    constraint, key = CASES[case]
    np.testing.assert_allclose(_run(constraint, REF[key], device), REF[case], rtol=1e-6, atol=1e-7)


def _norms(w, axis):
    return np.sqrt(np.sum(w * w, axis=axis, keepdims=True))


NUMPY = {  # tf_keras's formulas, epsilon included
    "MaxNorm": (C.MaxNorm(1.0, axis=1), lambda w: w * (np.clip(_norms(w, 1), 0, 1.0) / (EPS + _norms(w, 1)))),
    "NonNeg": (C.NonNeg(), lambda w: w * (w >= 0)),
    "UnitNorm": (C.UnitNorm(axis=-1), lambda w: w / (EPS + _norms(w, -1))),
    "MinMaxNorm": (C.MinMaxNorm(0.5, 2.0, rate=0.25, axis=0), lambda w: w * (
        (0.25 * np.clip(_norms(w, 0), 0.5, 2.0) + 0.75 * _norms(w, 0)) / (EPS + _norms(w, 0)))),
    "MinMaxNorm_max_below_min": (C.MinMaxNorm(3.0, 1.0, axis=0), lambda w: w * (3.0 / (EPS + _norms(w, 0)))),
}


@pytest.mark.parametrize("dtype", [gn.float32, gn.float64])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (0, 4), (1, 1)])
@pytest.mark.parametrize("name", sorted(NUMPY))
def test_values_match_numpy_formulas_for_each_dtype_and_shape(name, shape, dtype, device):
    constraint, reference = NUMPY[name]
    w = np.random.default_rng(3).normal(size=shape).astype(dtype.np) * 2
    tolerance = 1e-6 if dtype == gn.float32 else 1e-12
    np.testing.assert_allclose(_run(constraint, w, device, dtype), reference(w), rtol=tolerance, atol=tolerance)


def test_zero_weights_stay_zero_and_radial_needs_a_square_rank_4_kernel():
    for constraint in (C.MaxNorm(), C.UnitNorm(), C.MinMaxNorm(1.0, 2.0)):
        np.testing.assert_array_equal(_run(constraint, np.zeros((2, 3), np.float32), "/cpu:0"), 0.0)
    with pytest.raises(ValueError, match=r"The weight tensor must have rank 4. Received weight tensor with shape: "):
        C.RadialConstraint()(gn.zeros((3, 3)))
    with pytest.raises(ValueError, match="RadialConstraint needs a square kernel"):
        C.RadialConstraint()(gn.zeros((3, 2, 1, 1)))


CONFIGS = {  # tf_keras 2.21's get_config of each default constraint
    "MaxNorm": {"max_value": 2, "axis": 0}, "NonNeg": {}, "UnitNorm": {"axis": 0},
    "MinMaxNorm": {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}, "RadialConstraint": {}}
NAMES = {"max_norm": C.MaxNorm, "non_neg": C.NonNeg, "unit_norm": C.UnitNorm, "min_max_norm": C.MinMaxNorm,
         "radial_constraint": C.RadialConstraint}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_names_aliases_configs_and_serialization(name):
    cls = NAMES[name]
    assert getattr(C, name) is cls
    for identifier in (name, cls.__name__, {"class_name": cls.__name__, "config": {}}):
        assert type(C.get(identifier)) is cls
    made = cls()
    assert made.get_config() == CONFIGS[cls.__name__]
    saved = json.loads(json.dumps(C.serialize(made)))
    assert saved == {"class_name": cls.__name__, "config": CONFIGS[cls.__name__]}
    assert C.deserialize(saved).get_config() == made.get_config()
    # tf_keras 2.13+ writes 'module' and 'registered_name' too
    assert type(C.get({"module": "keras.constraints", "registered_name": None, **saved})) is cls


def test_get_passes_callables_and_none_and_refuses_the_rest():
    assert C.get(None) is None and C.serialize(None) is None
    assert C.get(np.abs) is np.abs
    made = C.MaxNorm(3.0, axis=[0, 1])
    assert C.get(made) is made and C.deserialize(C.serialize(made)).get_config() == {"max_value": 3.0, "axis": [0, 1]}
    with pytest.raises(ValueError, match="Could not interpret constraint function identifier: 3"):
        C.get(3)
    with pytest.raises(ValueError, match="Unknown constraint: 'nope'"):
        C.get("nope")
    with pytest.raises(ValueError, match="Only gn.layers.constraints objects can be saved in a config"):
        C.serialize(np.abs)


def test_a_variable_refuses_a_constraint_that_is_not_callable():
    with pytest.raises(ValueError, match="The `constraint` argument must be a callable."):
        gn.Variable(1.0, constraint="max_norm")
    with pytest.raises(ValueError, match="Could not interpret constraint function identifier: 2"):
        L.Dense(2, kernel_constraint=2)
    assert gn.Variable(1.0).constraint is None


@pytest.mark.parametrize("use_get_variable", [False, True])
def test_a_tf1_training_loop_projects_after_each_update(use_get_variable, device):
    w0 = np.array([[3.0, -1.0], [4.0, 0.5]], np.float32)
    x = np.array([[1.0, 2.0], [-1.0, 0.5]], np.float32)
    with gn.device(device):
        if use_get_variable:
            w = gn.get_variable("w", initializer=w0, constraint=C.MaxNorm(2.0))
        else:
            w = gn.Variable(w0, constraint=C.MaxNorm(2.0))
        loss = gn.reduce_sum(gn.square(gn.matmul(x, w)))
        step = gn.train.GradientDescentOptimizer(0.01).minimize(loss)
    expected = w0
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(w), w0)  # the constraint does not touch the initial value
        for _ in range(3):
            sess.run(step)
            expected = expected - 0.01 * 2 * x.T @ (x @ expected)  # the update, then the projection
            norms = _norms(expected, 0)
            expected = expected * (np.clip(norms, 0, 2.0) / (EPS + norms))
            np.testing.assert_allclose(sess.run(w), expected, rtol=1e-5)
    assert np.all(_norms(expected, 0) <= 2.0 + 1e-5)


def _dense_model(device, *layer_args):
    with gn.device(device):
        inputs = L.Input((4,))
        model = gn.models.Model(inputs, L.Dense(3, *layer_args, kernel_constraint=C.MaxNorm(1.0),
                                                bias_constraint="non_neg", name="dense")(inputs))
    model.set_weights([REF["kernel0"], REF["bias0"]])
    return model


def test_one_keras_step_matches_tf_keras(device):
    model = _dense_model(device)
    model.compile(gn.optimizers.SGD(learning_rate=0.5), "mse")
    model.train_on_batch(REF["x"], REF["y"])
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(kernel, REF["kernel1"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bias, REF["bias1"], rtol=1e-5, atol=1e-6)
    assert np.any(REF["bias1"] == 0) and np.all(REF["bias1"] >= 0)  # the NonNeg bias did clip
    assert np.all(_norms(kernel, 0) <= 1.0 + 1e-6)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop", "adagrad"])
def test_each_keras_optimizer_projects_after_fit(optimizer, device):
    model = _dense_model(device)
    model.compile(gn.optimizers.get(optimizer), "mse")
    model.fit(REF["x"], REF["y"] * 40, epochs=2, batch_size=4, verbose=0)
    kernel, bias = model.get_weights()
    assert np.all(_norms(kernel, 0) <= 1.0 + 1e-6) and np.all(bias >= 0)
    assert not np.allclose(kernel, REF["kernel0"])


LAYERS = [  # (layer, the weights its *_constraint arguments constrain, input shape)
    (lambda c: L.Dense(3, kernel_constraint=c, bias_constraint=c), ("kernel", "bias"), (2, 4)),
    (lambda c: L.Conv2D(2, 3, kernel_constraint=c, bias_constraint=c), ("kernel", "bias"), (2, 5, 5, 2)),
    (lambda c: L.Conv1D(2, 3, kernel_constraint=c, bias_constraint=c), ("kernel", "bias"), (2, 5, 2)),
    (lambda c: L.Conv2DTranspose(2, 3, kernel_constraint=c, bias_constraint=c), ("kernel", "bias"), (2, 3, 3, 2)),
    (lambda c: L.DepthwiseConv2D(3, depthwise_constraint=c, bias_constraint=c), ("depthwise_kernel", "bias"),
     (2, 5, 5, 2)),
    (lambda c: L.SeparableConv2D(2, 3, depthwise_constraint=c, pointwise_constraint=c, bias_constraint=c),
     ("depthwise_kernel", "pointwise_kernel", "bias"), (2, 5, 5, 2)),
    (lambda c: L.Embedding(6, 3, embeddings_constraint=c), ("embeddings",), (2, 4)),
    (lambda c: L.PReLU(alpha_initializer="ones", alpha_constraint=c), ("alpha",), (2, 4)),
    (lambda c: L.LayerNormalization(beta_constraint=c, gamma_constraint=c), ("gamma", "beta"), (2, 4)),
    (lambda c: L.BatchNormalization(beta_constraint=c, gamma_constraint=c), ("gamma", "beta"), (2, 4)),
    (lambda c: L.LSTM(2, kernel_constraint=c, recurrent_constraint=c, bias_constraint=c),
     ("kernel", "recurrent_kernel", "bias"), (2, 3, 4)),
    (lambda c: L.GRU(2, kernel_constraint=c, recurrent_constraint=c, bias_constraint=c),
     ("kernel", "recurrent_kernel", "bias"), (2, 3, 4)),
    (lambda c: L.SimpleRNN(2, kernel_constraint=c, recurrent_constraint=c, bias_constraint=c),
     ("kernel", "recurrent_kernel", "bias"), (2, 3, 4)),
]
LIMIT = 1e-3  # small enough that every step takes some slice of every weight past it


@pytest.mark.parametrize("index", range(len(LAYERS)))
def test_layer_constraints_are_applied_stored_saved_and_restored(index, tmp_path):
    make, weights, shape = LAYERS[index]
    inputs = L.Input(shape[1:])
    layer = make(C.MaxNorm(LIMIT, axis=0))
    model = gn.models.Model(inputs, layer(inputs))
    config = layer.get_config()
    for weight in weights:
        assert config[f"{weight.replace('_kernel', '')}_constraint"] == {
            "class_name": "MaxNorm", "config": {"max_value": LIMIT, "axis": 0}}
        assert isinstance(getattr(layer, weight).constraint, C.MaxNorm)
    assert type(layer).from_config(json.loads(json.dumps(config))).get_config() == config
    model.compile(gn.optimizers.SGD(1.0), "mse")
    rng = np.random.default_rng(0)
    # small inputs (indices for the Embedding): no saturated unit, every weight gets a gradient
    x = rng.integers(0, 6, size=shape) if isinstance(layer, L.Embedding) else rng.normal(size=shape) * 0.1
    x = x.astype(np.float32)
    model.train_on_batch(x, model.predict(x) + 1.0)
    for weight in weights:  # every constrained weight was projected: its largest slice norm is the limit
        value = gn.backend.get_value(getattr(layer, weight))
        norms = _norms(value.reshape(value.shape[0], -1), 0)
        assert norms.max() <= LIMIT * (1 + 1e-5) and norms.max() > LIMIT * 0.99, (weight, norms)
    model.save(str(tmp_path / "model.h5"))
    loaded = gn.models.load_model(str(tmp_path / "model.h5"))
    assert loaded.layers[-1].get_config() == config
    for weight in weights:
        assert getattr(loaded.layers[-1], weight).constraint.get_config() == {"max_value": LIMIT, "axis": 0}


def test_unconstrained_layers_say_none():
    assert L.Dense(2).get_config()["kernel_constraint"] is None
    assert L.PReLU().get_config()["alpha_constraint"] is None


@pytest.mark.parametrize("vgpus", [2], indirect=True)
@pytest.mark.parametrize("variables_on", ["cpu", "gpu"])
def test_a_replicated_step_projects_as_one_device_does(vgpus, variables_on):
    rng = np.random.default_rng(1)
    w0, x, y = (rng.normal(size=s).astype(np.float32) for s in [(3, 2), (6, 3), (6, 2)])
    w0 *= 3
    grad = 2 * x.T @ (x @ w0 - y) / 6  # of the mean over the 6 rows of the squared errors' sums
    expected = w0 - 0.1 * grad
    expected = expected * (np.clip(_norms(expected, 0), 0, 1.0) / (EPS + _norms(expected, 0)))

    def tower_loss(xs, ys):
        w = gn.get_variable("w", initializer=w0, constraint=C.MaxNorm(1.0))
        return gn.reduce_sum(gn.square(gn.matmul(xs, w) - ys))

    optimizer = (lambda: gn.train.GradientDescentOptimizer(0.1)) if variables_on == "gpu" else \
        gn.train.GradientDescentOptimizer(0.1)
    trainer = ReplicatedTrainer(optimizer, gpus=2, variables_on=variables_on)
    train_op, _ = trainer.minimize(tower_loss, [gn.constant(x), gn.constant(y)])
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        sess.run(trainer.broadcast_op())
        sess.run(train_op)
        for variables in trainer.tower_variables:
            np.testing.assert_allclose(sess.run(variables[0]), expected, rtol=1e-5, atol=1e-6)
