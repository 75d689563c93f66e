"""1-D and global pooling layers: values, input gradients and configs against tf_keras 2 (fixture), the
conformance checks on each device, Keras's aliases, the masked 1-D mean, argument and rank errors, training
through them and a saved model using them."""
import json

import numpy as np
import pytest

import gpunet as gn
from gpunet import layers as L

from .keras_reference import REF, cases_of, check_against_keras, check_config_against_keras, make_layer
from .layer_test_utils import run_layer_test

POOLING = cases_of("MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling2D",
                   "GlobalAveragePooling1D", "GlobalMaxPooling1D")


@pytest.mark.parametrize("case", POOLING)
def test_values_and_gradients_match_tf_keras(case, device):
    check_against_keras(case, device)


@pytest.mark.parametrize("case", POOLING)
def test_config_matches_tf_keras(case):
    check_config_against_keras(case)


@pytest.mark.parametrize("case", POOLING)
def test_conformance(case, device):
    layer, shape = make_layer(case)
    run_layer_test(type(layer), layer.get_config(), shape, device=device)


def test_conformance_with_unknown_steps():
    for cls in (L.MaxPooling1D, L.GlobalAveragePooling1D, L.GlobalMaxPooling1D):
        layer = cls()
        y = layer(gn.placeholder(gn.float32, (None, None, 3)))
        assert tuple(y.shape.as_list()) == layer.compute_output_shape((None, None, 3))


@pytest.mark.parametrize("alias, cls", [(L.MaxPool1D, L.MaxPooling1D), (L.AvgPool1D, L.AveragePooling1D),
                                        (L.GlobalMaxPool1D, L.GlobalMaxPooling1D),
                                        (L.GlobalAvgPool1D, L.GlobalAveragePooling1D),
                                        (L.GlobalMaxPool2D, L.GlobalMaxPooling2D),
                                        (L.GlobalAvgPool2D, L.GlobalAveragePooling2D)])
def test_keras_aliases_are_the_same_classes(alias, cls):
    assert alias is cls


def test_defaults():
    assert L.MaxPooling1D().get_config()["strides"] == (2,)
    assert L.AveragePooling1D(3).get_config()["strides"] == (3,)
    assert L.GlobalMaxPooling2D().get_config()["keepdims"] is False
    assert L.GlobalAveragePooling1D().compute_output_shape((None, 5, 3)) == (None, 3)
    assert L.GlobalAveragePooling2D(keepdims=True).compute_output_shape((None, 4, 5, 3)) == (None, 1, 1, 3)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_masked_global_average_is_the_mean_of_unmasked_steps(data_format, device):
    x, mask = REF["masked/x"], REF["masked/mask"]
    first = data_format == "channels_first"
    with gn.device(device):
        inp = L.Input(x.shape[2:0:-1] if first else x.shape[1:])
        mask_in = L.Input(mask.shape[1:], dtype="bool")
        out = L.GlobalAveragePooling1D(data_format=data_format)(inp, mask=mask_in)
    got = gn.models.Model([inp, mask_in], out).predict([np.transpose(x, [0, 2, 1]) if first else x, mask])
    np.testing.assert_allclose(got, REF["masked/y"], rtol=1e-5, atol=1e-6)
    weights = mask[..., None].astype("float32")
    np.testing.assert_allclose(got, (x * weights).sum(1) / weights.sum(1), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls, shape, ndim", [(L.MaxPooling1D, (4, 5, 3), 3), (L.AveragePooling1D, (4,), 3),
                                              (L.GlobalAveragePooling1D, (4, 5, 3), 3),
                                              (L.GlobalMaxPooling2D, (4, 2), 4), (L.MaxPooling2D, (4, 2), 4),
                                              (L.GlobalAveragePooling2D, (4, 5, 2, 1), 4)])
def test_wrong_rank_is_keras_value_error(cls, shape, ndim):
    with pytest.raises(ValueError, match=rf"is incompatible with the layer: expected ndim={ndim}, found "
                                         rf"ndim={len(shape) + 1}\. Full shape received: \(None, "):
        cls()(L.Input(shape))


@pytest.mark.parametrize("cls", [L.MaxPooling1D, L.AveragePooling1D, L.GlobalMaxPooling1D,
                                 L.GlobalAveragePooling1D, L.GlobalMaxPooling2D, L.GlobalAveragePooling2D])
def test_unknown_data_format_is_a_value_error(cls):
    with pytest.raises(ValueError, match=r"data_format must be 'channels_last' or 'channels_first', got 'NCW'"):
        cls(data_format="NCW")


@pytest.mark.parametrize("kwargs, what", [({"pool_size": 0}, "pool_size"), ({"pool_size": (2, 2)}, "pool_size"),
                                          ({"pool_size": 2.0}, "pool_size"), ({"strides": -1}, "strides")])
def test_bad_1d_pool_arguments(kwargs, what):
    with pytest.raises(ValueError, match=rf"the `{what}` argument must be a positive integer"):
        L.MaxPooling1D(**kwargs)


def test_bad_padding():
    with pytest.raises(ValueError, match=r"padding must be 'valid' or 'same', got 'causal'"):
        L.AveragePooling1D(padding="causal")


def test_a_model_trains_through_the_poolings(device):
    rng = np.random.default_rng(3)
    with gn.device(device):
        inp = L.Input((8, 2))
        h = L.Dense(4)(inp)
        h = L.MaxPooling1D(2, padding="same")(h)
        h = L.AveragePooling1D(2, data_format="channels_first")(L.Permute((2, 1))(h))
        out = L.Dense(1)(L.GlobalMaxPooling1D()(h))
    model = gn.models.Model(inp, out)
    model.compile(gn.optimizers.SGD(0.1), "mse")
    x, y = rng.standard_normal((16, 8, 2)).astype("float32"), rng.standard_normal((16, 1)).astype("float32")
    before = [w.copy() for w in model.layers[1].get_weights()]
    losses = [model.train_on_batch(x, y) for _ in range(5)]
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.layers[1].get_weights()))
    assert losses[-1] < losses[0]


def test_saved_model_with_global_poolings_round_trips(tmp_path):
    rng = np.random.default_rng(4)
    inp = L.Input((6, 5, 3))
    conv = L.Conv2D(4, 3, padding="same")(inp)
    a = L.GlobalAvgPool2D()(conv)
    b = L.GlobalMaxPooling2D(data_format="channels_first", keepdims=True)(conv)
    out = L.Concatenate()([a, L.Flatten()(b)])
    model = gn.models.Model(inp, out)
    x = rng.standard_normal((2, 6, 5, 3)).astype("float32")
    expected = model.predict(x)
    model.save(str(tmp_path / "m.gnk"))
    json_config = json.dumps(model.get_config())
    gn.reset_default_graph()
    loaded = gn.models.load_model(str(tmp_path / "m.gnk"))
    by_class = {type(layer).__name__: layer for layer in loaded.layers}
    assert by_class["GlobalMaxPooling2D"].get_config()["keepdims"] is True
    assert by_class["GlobalMaxPooling2D"].get_config()["data_format"] == "channels_first"
    assert "GlobalAveragePooling2D" in by_class
    np.testing.assert_allclose(loaded.predict(x), expected, rtol=1e-5, atol=1e-6)
    rebuilt = gn.models.Model.from_config(json.loads(json_config))
    assert tuple(rebuilt.outputs[0].shape.as_list()) == (None, 4 + 6)
