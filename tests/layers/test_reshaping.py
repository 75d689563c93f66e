"""Reshaping layers (ZeroPadding1D/2D, Cropping1D/2D, UpSampling1D/2D, RepeatVector, Permute): values, input
gradients and configs against tf_keras 2 (fixture), conformance on each device, unknown sizes, Keras's argument
and rank errors, training through them and a saved model using them."""
import json
import re

import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L

from .keras_reference import cases_of, check_against_keras, check_config_against_keras, make_layer
from .layer_test_utils import run_layer_test

RESHAPING = cases_of("ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D", "UpSampling2D",
                     "RepeatVector", "Permute")


@pytest.mark.parametrize("case", RESHAPING)
def test_values_and_gradients_match_tf_keras(case, device):
    check_against_keras(case, device)


@pytest.mark.parametrize("case", RESHAPING)
def test_config_matches_tf_keras(case):
    check_config_against_keras(case)


@pytest.mark.parametrize("case", RESHAPING)
def test_conformance(case, device):
    layer, shape = make_layer(case)
    run_layer_test(type(layer), layer.get_config(), shape, device=device)


@pytest.mark.parametrize("layer, shape, axis, expected", [
    (L.ZeroPadding1D((1, 2)), (None, None, 3), 1, lambda x: np.pad(x, [(0, 0), (1, 2), (0, 0)])),
    (L.Cropping1D((2, 1)), (None, None, 3), 1, lambda x: x[:, 2:-1]),
    (L.UpSampling1D(3), (None, None, 3), 1, lambda x: np.repeat(x, 3, axis=1)),
    (L.UpSampling2D((2, 3), data_format="channels_first"), (None, 2, None, None), 2,
     lambda x: np.repeat(np.repeat(x, 2, axis=2), 3, axis=3)),
    (L.Cropping2D(((1, 0), (0, 2))), (None, None, None, 2), 1, lambda x: x[:, 1:, :-2]),
    (L.Permute((2, 1)), (None, None, 3), 1, lambda x: np.transpose(x, [0, 2, 1])),
], ids=["zeropad1d", "crop1d", "upsample1d", "upsample2d-cf", "crop2d", "permute"])
def test_unknown_sizes_take_the_run_time_size(layer, shape, axis, expected):
    x = gn.placeholder(gn.float32, shape)
    y = layer(x)
    assert tuple(y.shape.as_list()) == layer.compute_output_shape(shape)
    for steps in (5, 7):
        data_shape = [d if d is not None else steps for d in shape[1:]]
        data = np.random.default_rng(steps).standard_normal([2] + data_shape).astype("float32")
        np.testing.assert_array_equal(K.get_session().run(y, {x: data}), expected(data))


def test_bilinear_needs_known_rows_and_cols():
    with pytest.raises(ValueError, match=r"interpolation='bilinear'\) needs known rows and cols"):
        L.UpSampling2D(interpolation="bilinear")(gn.placeholder(gn.float32, (None, None, 4, 2)))


def test_defaults():
    assert L.ZeroPadding2D(2).padding == ((2, 2), (2, 2))
    assert L.ZeroPadding2D((1, 2)).padding == ((1, 1), (2, 2))
    assert L.ZeroPadding2D(((1, 2), 3)).padding == ((1, 2), (3, 3))
    assert L.Cropping2D().cropping == ((0, 0), (0, 0))
    assert L.UpSampling2D(3).size == (3, 3)
    assert L.RepeatVector(4).compute_output_shape((None, 5)) == (None, 4, 5)
    assert L.Permute([3, 1, 2]).compute_output_shape((None, 4, 5, 6)) == (None, 6, 4, 5)


@pytest.mark.parametrize("dims", [(1, 3), (0, 1), (1, 1), (2,)])
def test_permute_validates_dims_as_keras(dims):
    with pytest.raises(ValueError, match=rf"Invalid permutation argument `dims` for Permute Layer\. The set of indices "
                                         rf"in `dims` must be consecutive and start from 1\. Received "
                                         rf"dims={re.escape(str(dims))}"):
        L.Permute(dims)


@pytest.mark.parametrize("make, message", [
    (lambda: L.ZeroPadding2D((1, 2, 3)), r"`padding` should have two elements\. Received: \(1, 2, 3\)\."),
    (lambda: L.Cropping2D((1, 2, 3)), r"`cropping` should have two elements\. Received: \(1, 2, 3\)\."),
    (lambda: L.ZeroPadding2D("same"), r"`padding` should be either an int, a tuple of 2 ints"),
    (lambda: L.ZeroPadding2D(((1, 2, 3), 1)), r"The `1st entry of padding` argument must be a tuple of 2 integers"),
    (lambda: L.ZeroPadding1D((1, 2, 3)), r"The `padding` argument must be a tuple of 2 integers\. "
                                         r"Received: \(1, 2, 3\)"),
    (lambda: L.Cropping1D((1, 2, 3)), r"The `cropping` argument must be a tuple of 2 integers"),
    (lambda: L.Cropping1D(-1), r"Received: -1 including \{-1\} that does not satisfy the requirement `>= 0`"),
    (lambda: L.ZeroPadding2D(-1), r"that does not satisfy the requirement `>= 0`"),
    (lambda: L.UpSampling1D(0), r"The `size` argument must be a tuple of 1 integers\. Received: 0 including \{0\}"),
    (lambda: L.UpSampling2D((2, 1.5)), r"The `size` argument must be a tuple of 2 integers"),
    (lambda: L.Cropping2D(data_format="NCHW"), r"data_format must be 'channels_last' or 'channels_first'"),
])
def test_bad_arguments_are_value_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_interpolation_errors():
    with pytest.raises(NotImplementedError, match=r"Value not recognized for `interpolation`: cubic\. "
                                                  r"Supported values are: \['bilinear', 'nearest'"):
        L.UpSampling2D(interpolation="cubic")
    with pytest.raises(NotImplementedError, match=r"interpolation='bicubic' is not implemented in gpunet"):
        L.UpSampling2D(interpolation="bicubic")


def test_repeat_vector_needs_an_int():
    with pytest.raises(TypeError, match=r"Expected an integer value for `n`, got <class 'float'>\."):
        L.RepeatVector(3.0)


@pytest.mark.parametrize("layer, shape", [(L.Cropping1D((3, 3)), (6, 2)), (L.Cropping1D((3, 4)), (6, 2)),
                                          (L.Cropping2D(((1, 1), (2, 3))), (4, 5, 1)),
                                          (L.Cropping2D(((2, 2), (0, 0)), data_format="channels_first"), (1, 4, 5))])
def test_cropping_everything_is_a_value_error(layer, shape):
    with pytest.raises(ValueError, match=r"Argument `cropping` must be smaller than the input shape\. Received: "
                                         r"inputs\.shape=\(None, "):
        layer(L.Input(shape))


@pytest.mark.parametrize("layer, shape, ndim", [(L.RepeatVector(3), (4, 2), 2), (L.ZeroPadding1D(), (4,), 3),
                                                (L.Cropping2D(), (4, 4), 4), (L.UpSampling1D(), (3, 4, 5), 3),
                                                (L.UpSampling2D(), (4, 4), 4), (L.ZeroPadding2D(), (4, 4), 4),
                                                (L.Permute((2, 1)), (2, 3, 4), 3)])
def test_wrong_rank_is_keras_value_error(layer, shape, ndim):
    with pytest.raises(ValueError, match=rf"is incompatible with the layer: expected ndim={ndim}, "
                                         rf"found ndim={len(shape) + 1}"):
        layer(L.Input(shape))


def test_a_model_trains_through_the_reshaping_layers(device):
    rng = np.random.default_rng(5)
    with gn.device(device):
        inp = L.Input((4,))
        h = L.RepeatVector(6)(L.Dense(3)(inp))
        h = L.Cropping1D((1, 2))(L.ZeroPadding1D((2, 1))(h))
        h = L.UpSampling2D((2, 1), interpolation="bilinear")(L.Reshape((6, 3, 1))(h))
        h = L.Permute((3, 1, 2))(L.Cropping2D(((1, 1), (0, 1)))(L.ZeroPadding2D(1)(h)))
        out = L.Dense(1)(L.Flatten()(L.UpSampling1D(2)(L.Reshape((12, -1))(h))))
    model = gn.models.Model(inp, out)
    model.compile(gn.optimizers.SGD(0.01), "mse")
    x, y = rng.standard_normal((16, 4)).astype("float32"), rng.standard_normal((16, 1)).astype("float32")
    dense = model.layers[1]
    before = [w.copy() for w in dense.get_weights()]
    losses = [model.train_on_batch(x, y) for _ in range(5)]
    assert all(not np.array_equal(a, b) for a, b in zip(before, dense.get_weights()))
    assert losses[-1] < losses[0]


def test_saved_model_with_reshaping_layers_round_trips(tmp_path):
    rng = np.random.default_rng(6)
    inp = L.Input((3, 4, 2))
    h = L.UpSampling2D((2, 1), data_format="channels_first", interpolation="bilinear")(inp)
    h = L.ZeroPadding2D(((1, 0), (2, 3)))(L.Conv2D(2, 1)(h))
    h = L.Permute((2, 1))(L.Reshape((-1, 2))(L.Cropping2D((1, 2))(h)))
    out = L.RepeatVector(2)(L.Flatten()(L.Cropping1D((0, 1))(L.UpSampling1D(2)(L.ZeroPadding1D(1)(h)))))
    model = gn.models.Model(inp, out)
    x = rng.standard_normal((2, 3, 4, 2)).astype("float32")
    expected = model.predict(x)
    model.save(str(tmp_path / "m.gnk"))
    config = json.loads(json.dumps(model.get_config()))
    gn.reset_default_graph()
    loaded = gn.models.load_model(str(tmp_path / "m.gnk"))
    np.testing.assert_allclose(loaded.predict(x), expected, rtol=1e-5, atol=1e-6)
    by_class = {type(layer).__name__: layer for layer in loaded.layers}
    assert by_class["UpSampling2D"].get_config()["interpolation"] == "bilinear"
    assert by_class["ZeroPadding2D"].padding == ((1, 0), (2, 3))
    rebuilt = gn.models.Model.from_config(config)
    assert rebuilt.outputs[0].shape.as_list() == model.outputs[0].shape.as_list()
