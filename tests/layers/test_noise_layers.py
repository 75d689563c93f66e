"""Noise layers (GaussianNoise, GaussianDropout, AlphaDropout, SpatialDropout1D/2D/3D) and
ActivityRegularization: conformance on each device, the identity at inference, statistics of the
training draws (large samples, bounds many standard errors wide), seeds, the learning phase,
configs and errors as tf_keras 2 gives them, activity losses in fit/evaluate, save/load."""
import math
import re

import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L

from .layer_test_utils import run_layer_test

ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946


@pytest.mark.parametrize("layer_cls, kwargs, input_shape", [
    (L.GaussianNoise, {"stddev": 0.3}, (3, 4)),
    (L.GaussianDropout, {"rate": 0.4, "seed": 3}, (3, 4)),
    (L.AlphaDropout, {"rate": 0.2}, (2, 3, 4)),
    (L.AlphaDropout, {"rate": 0.2, "noise_shape": (None, 1, 4)}, (2, 3, 4)),
    (L.SpatialDropout1D, {"rate": 0.5}, (2, 3, 4)),
    (L.SpatialDropout2D, {"rate": 0.5}, (2, 3, 4, 5)),
    (L.SpatialDropout2D, {"rate": 0.5, "data_format": "channels_first"}, (2, 3, 4, 5)),
    (L.SpatialDropout3D, {"rate": 0.1}, (2, 2, 3, 2, 3)),
    (L.ActivityRegularization, {"l1": 0.1, "l2": 0.01}, (3, 4)),
], ids=lambda v: getattr(v, "__name__", None))
def test_conformance(layer_cls, kwargs, input_shape, device):
    # predict runs at inference, where every one of these layers is the identity
    out = run_layer_test(layer_cls, kwargs, input_shape, device=device)
    expected = np.random.default_rng(0).standard_normal(input_shape).astype(np.float32)
    np.testing.assert_array_equal(out, expected)


def _run(layer, data, phase, device="/cpu:0", runs=1, training=None):
    with gn.device(device):
        x = gn.placeholder(gn.float32, (None,) + data.shape[1:])
        y = layer(x) if training is None else layer(x, training=training)
    assert y.device == gn.DeviceSpec.from_string(device).canonical()
    feed = {x: data} if phase is None else {x: data, K.learning_phase(): phase}
    return [K.get_session().run(y, feed) for _ in range(runs)]


NOISY = [lambda: L.GaussianNoise(0.5), lambda: L.GaussianDropout(0.3), lambda: L.AlphaDropout(0.3),
         lambda: L.SpatialDropout1D(0.3), lambda: L.SpatialDropout2D(0.3), lambda: L.SpatialDropout3D(0.3)]


@pytest.mark.parametrize("make", NOISY, ids=["gaussian_noise", "gaussian_dropout", "alpha_dropout", "spatial1d",
                                             "spatial2d", "spatial3d"])
def test_identity_at_inference_and_random_while_training(make):
    rank = {"SpatialDropout2D": 4, "SpatialDropout3D": 5}.get(type(make()).__name__, 3)
    # at least 20 channel draws per run, so two runs agree by chance with probability < 0.58**20 (1e-5)
    data = np.random.default_rng(1).standard_normal((4, 3, 5, 8, 6)[:rank]).astype(np.float32)
    for phase in (None, False):  # the phase placeholder's default is inference
        for out in _run(make(), data, phase, runs=2):
            np.testing.assert_array_equal(out, data)
    np.testing.assert_array_equal(_run(make(), data, True, training=False)[0], data)
    first, second = _run(make(), data, True, runs=2)
    assert not np.array_equal(first, data) and not np.array_equal(first, second)  # fresh draws per run
    assert not np.array_equal(_run(make(), data, False, training=True)[0], data)


def test_training_false_builds_no_random_op():
    x = gn.placeholder(gn.float32, (None, 4))
    for layer in (L.GaussianNoise(1.0), L.GaussianDropout(0.5), L.AlphaDropout(0.5), L.SpatialDropout1D(0.5)):
        layer(x if layer.__class__.__name__ != "SpatialDropout1D" else gn.reshape(x, [-1, 2, 2]), training=False)
    types = {op.type for op in gn.get_default_graph().get_operations()}
    assert not types & {"RandomStandardNormal", "RandomUniform", "Dropout"}, types


def test_training_argument_may_be_a_bool_tensor():
    x = gn.placeholder(gn.float32, (None, 1000))
    flag = gn.placeholder(gn.bool, ())
    y = L.GaussianNoise(1.0)(x, training=flag)
    data = np.zeros((2, 1000), np.float32)
    sess = K.get_session()
    np.testing.assert_array_equal(sess.run(y, {x: data, flag: False}), data)
    assert sess.run(y, {x: data, flag: True}).std() > 0.5


def test_gaussian_noise_statistics(device):
    out = _run(L.GaussianNoise(0.5), np.full((4, 50000), 2.0, np.float32), True, device)[0]
    assert out.dtype == np.float32
    # 200000 draws: the standard error of the mean is 0.0011 and of the std 0.0008
    assert abs(out.mean() - 2.0) < 0.01
    assert abs(out.std() - 0.5) < 0.01


def test_gaussian_dropout_statistics(device):
    rate = 0.2
    out = _run(L.GaussianDropout(rate), np.full((4, 50000), 3.0, np.float32), True, device)[0]
    noise = out / 3.0
    assert abs(noise.mean() - 1.0) < 0.01
    assert abs(noise.std() - math.sqrt(rate / (1 - rate))) < 0.01


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_alpha_dropout_values_and_statistics(rate, device):
    data = np.random.default_rng(2).standard_normal((4, 50000)).astype(np.float32)
    out = _run(L.AlphaDropout(rate), data, True, device)[0]
    a = ((1 - rate) * (1 + rate * ALPHA_P ** 2)) ** -0.5
    b = -a * ALPHA_P * rate
    dropped = np.isclose(out, a * ALPHA_P + b, rtol=0, atol=1e-6)
    assert abs(dropped.mean() - rate) < 0.01  # standard error <= 0.0012
    np.testing.assert_allclose(out[~dropped], a * data[~dropped] + b, rtol=1e-5, atol=1e-6)
    # the point of AlphaDropout: standard normal inputs keep mean 0 and variance 1
    assert abs(out.mean()) < 0.02
    assert abs(out.var() - 1.0) < 0.03


def test_alpha_dropout_noise_shape_shares_draws():
    data = np.ones((2000, 3, 4), np.float32)
    out = _run(L.AlphaDropout(0.5, noise_shape=(None, 1, 4)), data, True)[0]
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :1, :], out.shape))
    assert len(np.unique(out)) == 2


@pytest.mark.parametrize("layer_cls, shape, channel_axis, data_format", [
    (L.SpatialDropout1D, (5000, 3, 20), 2, None),
    (L.SpatialDropout2D, (1000, 3, 2, 10), 3, None),
    (L.SpatialDropout2D, (1000, 10, 3, 2), 1, "channels_first"),
    (L.SpatialDropout3D, (1000, 2, 2, 2, 10), 4, "channels_last"),
    (L.SpatialDropout3D, (1000, 10, 2, 2, 2), 1, "channels_first"),
])
def test_spatial_dropout_drops_whole_feature_maps(layer_cls, shape, channel_axis, data_format, device):
    rate = 0.4
    kwargs = {} if data_format is None else {"data_format": data_format}
    data = np.random.default_rng(4).uniform(1, 2, shape).astype(np.float32)
    out = _run(layer_cls(rate, **kwargs), data, True, device)[0]
    ratio = np.moveaxis(out / data, channel_axis, 1).reshape(shape[0], shape[channel_axis], -1)
    dropped, kept = np.all(ratio == 0, axis=2), np.all(np.isclose(ratio, 1 / (1 - rate), rtol=1e-6), axis=2)
    assert np.all(dropped | kept)  # each map all zero or all scaled
    assert abs(dropped.mean() - rate) < 0.03  # >= 10000 maps: standard error <= 0.005


def _seeded_draw(make, graph_seed):
    with gn.Graph().as_default():
        gn.set_random_seed(graph_seed)
        x = gn.constant(np.ones((3, 4, 5), np.float32))
        y = make()(x, training=True)
        with gn.Session() as sess:
            return sess.run(y), sess.run(y)


@pytest.mark.parametrize("make", [lambda: L.GaussianNoise(1.0, seed=5), lambda: L.GaussianDropout(0.5, seed=5),
                                  lambda: L.AlphaDropout(0.5, seed=5), lambda: L.SpatialDropout1D(0.5, seed=5)],
                         ids=["gaussian_noise", "gaussian_dropout", "alpha_dropout", "spatial1d"])
def test_seeded_runs_are_reproducible(make):
    first, again, other = _seeded_draw(make, 1), _seeded_draw(make, 1), _seeded_draw(make, 2)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])  # a new draw each run of the same graph
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("layer, expected", [
    (L.GaussianNoise(0.1, name="n"), {"stddev": 0.1, "seed": None}),
    (L.GaussianDropout(0.1, name="n"), {"rate": 0.1, "seed": None}),
    (L.AlphaDropout(0.1, name="n"), {"rate": 0.1, "seed": None}),
    (L.SpatialDropout1D(0.1, name="n"), {"rate": 0.1, "noise_shape": None, "seed": None}),
    (L.SpatialDropout2D(0.1, name="n"), {"rate": 0.1, "noise_shape": None, "seed": None,
                                         "data_format": "channels_last"}),
    (L.SpatialDropout3D(0.1, name="n", data_format="channels_first"),
     {"rate": 0.1, "noise_shape": None, "seed": None, "data_format": "channels_first"}),
    (L.ActivityRegularization(name="n"), {"l1": 0.0, "l2": 0.0}),
], ids=lambda v: type(v).__name__ if isinstance(v, L.Layer) else "")
def test_configs_as_tf_keras(layer, expected):
    assert layer.get_config() == {"name": "n", "trainable": True, "dtype": "float32", **expected}
    assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()


def test_default_names_as_tf_keras():
    layers = [L.GaussianNoise(0.1), L.GaussianDropout(0.1), L.AlphaDropout(0.1), L.SpatialDropout2D(0.1),
              L.ActivityRegularization()]
    stems = ["gaussian_noise", "gaussian_dropout", "alpha_dropout", "spatial_dropout2d", "activity_regularization"]
    for layer, stem in zip(layers, stems):
        assert re.fullmatch(rf"{stem}(_\d+)?", layer.name), layer.name


@pytest.mark.parametrize("make", [L.GaussianDropout, L.AlphaDropout, L.SpatialDropout1D, L.SpatialDropout2D,
                                  L.SpatialDropout3D])
@pytest.mark.parametrize("rate", [-0.1, 1, 1.5, "0.5", True])
def test_rate_out_of_range_is_refused(make, rate):
    with pytest.raises(ValueError, match=rf"Invalid value {rate} received for `rate`, expected a value between "
                                         r"0 and 1"):
        make(rate)


def test_negative_stddev_is_refused():
    with pytest.raises(ValueError, match="Invalid value -0.1 received for `stddev`"):
        L.GaussianNoise(-0.1)


@pytest.mark.parametrize("make", [L.SpatialDropout2D, L.SpatialDropout3D])
def test_bad_data_format_is_refused(make):
    with pytest.raises(ValueError, match="data_format must be 'channels_last' or 'channels_first', got 'x'"):
        make(0.5, data_format="x")


@pytest.mark.parametrize("make, rank", [(L.SpatialDropout1D, 3), (L.SpatialDropout2D, 4), (L.SpatialDropout3D, 5)])
def test_spatial_dropout_input_rank_is_checked(make, rank):
    layer = make(0.5, name="sd")
    with pytest.raises(ValueError, match=rf'Input 0 of layer "sd" is incompatible with the layer: expected '
                                         rf"ndim={rank}, found ndim=2. Full shape received: \(None, 3\)"):
        layer(L.Input((3,)))


def test_activity_loss_divided_by_batch_size():
    x = gn.placeholder(gn.float32, (None, 3))
    layer = L.ActivityRegularization(l1=0.1, l2=0.2)
    y = layer(x)
    assert len(layer.losses) == 1
    data = np.array([[1, -2, 3], [0, 4, -1]], np.float32)
    out, loss = K.get_session().run([y, layer.losses[0]], {x: data})
    np.testing.assert_array_equal(out, data)
    assert loss == pytest.approx((0.1 * np.abs(data).sum() + 0.2 * (data ** 2).sum()) / 2, rel=1e-6)
    assert K.get_session().run(layer.losses[0], {x: np.zeros((0, 3), np.float32)}) == 0.0


def test_activity_loss_in_fit_and_evaluate_as_tf_keras():
    # tf_keras 2.21 reports 6.0 for both: mse 4.0 plus (0.1 * 16 + 0.2 * 32) / 4 = 2.0
    model = gn.models.Sequential([L.Dense(2, kernel_initializer="ones", input_shape=(2,)),
                                  L.ActivityRegularization(l1=0.1, l2=0.2)])
    model.compile(gn.optimizers.SGD(0.01), "mse")
    x, y = np.ones((4, 2), np.float32), np.zeros((4, 2), np.float32)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(6.0, rel=1e-6)
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    assert history.history["loss"][0] == pytest.approx(6.0, rel=1e-6)


def test_activity_loss_has_a_gradient():
    model = gn.models.Sequential([L.Dense(2, kernel_initializer="ones", input_shape=(2,)),
                                  L.ActivityRegularization(l2=0.5)])
    model.compile(gn.optimizers.SGD(0.1), "mse")
    x = np.ones((4, 2), np.float32)
    before = model.get_weights()
    model.train_on_batch(x, x @ before[0] + before[1])  # zero mse: only the activity loss moves the weights
    kernel = model.get_weights()[0]
    # d/dk of 0.5 * sum((x @ k) ** 2) / 4 = x.T @ (x @ k) / 4 = 2 per entry; SGD step 0.1
    np.testing.assert_allclose(kernel, before[0] - 0.1 * 2.0, rtol=1e-6)


def test_model_with_noise_layers_saved_and_loaded(tmp_path):
    model = gn.models.Sequential([
        L.GaussianNoise(0.2, seed=1, input_shape=(4, 3)), L.SpatialDropout1D(0.3), L.AlphaDropout(0.1),
        L.GaussianDropout(0.2), L.Dense(2), L.ActivityRegularization(l1=0.01)])
    data = np.random.default_rng(0).standard_normal((5, 4, 3)).astype(np.float32)
    expected = model.predict(data)
    path = str(tmp_path / "noise.h5")
    model.save(path)
    loaded = gn.models.load_model(path)
    assert [type(a) for a in loaded.layers] == [type(b) for b in model.layers]
    assert [a.get_config() for a in loaded.layers] == [b.get_config() for b in model.layers]
    np.testing.assert_allclose(loaded.predict(data), expected, rtol=1e-6)
    assert len(loaded.losses) == 1


def test_spatial_dropout_refuses_a_noise_shape_and_1d_has_no_data_format():
    with pytest.raises(ValueError, match="noise_shape cannot be set"):
        L.SpatialDropout2D(0.5, noise_shape=(None, 1, 1, 3))
    with pytest.raises(TypeError):
        L.SpatialDropout1D(0.5, data_format="channels_first")
    assert isinstance(L.SpatialDropout3D(0.5), L.Dropout)


def test_alpha_dropout_noise_shape_rank_is_checked():
    with pytest.raises(ValueError, match=r"noise_shape \(None, 1\) does not have the rank of the inputs"):
        L.AlphaDropout(0.5, noise_shape=(None, 1))(gn.placeholder(gn.float32, (None, 2, 3)), training=True)


@pytest.mark.parametrize("make", NOISY + [lambda: L.ActivityRegularization(l1=1.0), lambda: L.LayerNormalization()],
                         ids=["gaussian_noise", "gaussian_dropout", "alpha_dropout", "spatial1d", "spatial2d",
                              "spatial3d", "activity_regularization", "layer_normalization"])
@pytest.mark.parametrize("phase", [False, True])
def test_empty_batch(make, phase):
    layer = make()
    rank = {"SpatialDropout2D": 4, "SpatialDropout3D": 5}.get(type(layer).__name__, 3)
    data = np.zeros((0, 3, 5, 2, 6)[:rank], np.float32)
    x = gn.placeholder(gn.float32, (None,) + data.shape[1:])
    y = layer(x)
    K.initialize_variables(layer.weights)
    out = K.get_session().run(y, {x: data, K.learning_phase(): phase})
    assert out.shape == data.shape and out.dtype == np.float32
    for loss in layer.losses:  # tf_keras's div_no_nan: zero, not NaN
        assert K.get_session().run(loss, {x: data}) == 0.0


@pytest.mark.parametrize("make", NOISY[:3], ids=["gaussian_noise", "gaussian_dropout", "alpha_dropout"])
def test_float64_inputs_stay_float64(make):
    x = gn.placeholder(gn.float64, (None, 4))
    y = make()(x, training=True)
    assert y.dtype == gn.float64
    assert K.get_session().run(y, {x: np.ones((2, 4))}).dtype == np.float64
