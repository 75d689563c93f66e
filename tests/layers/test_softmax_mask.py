"""``Softmax(axis, robust_masking)(x, mask=m)`` against tf_keras 2.21 (softmax_mask_reference.npz from
make_softmax_mask_reference.py): bool, float and broadcast masks, fully masked rows, several axes, float32 and
float64; the mask an Embedding(mask_zero=True) attaches reaches it; config and JSON round trips; on the CPU and a
virtual GPU."""
import os

import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L

from .layer_test_utils import run_layer_test
from .make_softmax_mask_reference import CASES

REF = np.load(os.path.join(os.path.dirname(__file__), "softmax_mask_reference.npz"), allow_pickle=False)


def softmax_with_mask(x, mask, axis):
    """NumPy reference of tf_keras's formula: ``softmax(x + (1 - mask) * -1e9)`` along ``axis``."""
    logits = x + (1.0 - mask.astype(x.dtype)) * x.dtype.type(-1e9)
    shifted = np.exp(logits - logits.max(axis=tuple(np.atleast_1d(axis)), keepdims=True))
    return shifted / shifted.sum(axis=tuple(np.atleast_1d(axis)), keepdims=True)


@pytest.mark.parametrize("name, axis, robust, dtype, kind", CASES, ids=[case[0] for case in CASES])
def test_masked_softmax_matches_tf_keras(name, axis, robust, dtype, kind, device):
    with gn.device(device):
        x = gn.placeholder(dtype, (None, 3, 4))
        mask = gn.placeholder(REF[f"{name}_mask"].dtype.name, (None,) + REF[f"{name}_mask"].shape[1:])
        out = L.Softmax(axis=axis, robust_masking=robust, dtype=dtype)(x, mask=mask)
    got = K.get_session().run(out, {x: REF["x"].astype(dtype), mask: REF[f"{name}_mask"]})
    assert got.dtype == np.dtype(dtype) and out._keras_mask is mask
    np.testing.assert_allclose(got, REF[f"{name}_out"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(got, softmax_with_mask(REF["x"].astype(dtype), REF[f"{name}_mask"], axis),
                               rtol=1e-5, atol=1e-7)


def test_a_fully_masked_row_is_uniform_and_the_others_ignore_masked_entries(device):
    x = np.array([[[1.0, 2.0, 3.0], [5.0, -4.0, 0.5]]], np.float32)
    keep = np.array([[[True, False, True], [False, False, False]]])
    with gn.device(device):
        out = L.Softmax()(gn.constant(x), mask=gn.constant(keep))
    got = K.get_session().run(out)
    np.testing.assert_allclose(got[0, 1], np.full(3, 1.0 / 3.0, np.float32), rtol=1e-6)
    np.testing.assert_allclose(got[0, 0], [1.0 / (1.0 + np.e ** 2), 0.0, np.e ** 2 / (1.0 + np.e ** 2)], rtol=1e-6)


def test_the_mask_its_input_carries_is_used_and_passed_on(device):
    x = np.array([[0.5, 1.0, -2.0], [3.0, 1.0, 2.0]], np.float32)
    keep = np.array([[True, True, False], [False, True, True]])
    with gn.device(device):
        inputs = gn.constant(x)
        inputs._keras_mask = gn.constant(keep)  # as a masking layer's output carries it
        auto = L.Softmax()(inputs)
    got = K.get_session().run(auto)
    np.testing.assert_allclose(got, softmax_with_mask(x, keep, -1), rtol=1e-6, atol=1e-7)
    assert auto._keras_mask is inputs._keras_mask


@pytest.mark.parametrize("kwargs", [{"axis": -1, "robust_masking": True}, {"axis": [1, 2]}], ids=["robust", "axes"])
def test_softmax_conformance(kwargs, device):
    run_layer_test(L.Softmax, kwargs, (2, 3, 4), device=device)


def test_config_holds_robust_masking_only_when_set_as_tf_keras_does():
    assert L.Softmax(name="s").get_config() == {"name": "s", "trainable": True, "dtype": "float32", "axis": -1}
    config = L.Softmax(axis=1, robust_masking=True, name="r").get_config()
    assert config == {"name": "r", "trainable": True, "dtype": "float32", "axis": 1, "robust_masking": True}
    assert L.Softmax.from_config(config).get_config() == config


def test_a_masked_softmax_model_round_trips_through_json():
    x, m = L.Input((4,)), L.Input((4,), dtype="bool")
    model = gn.models.Model([x, m], L.Softmax(robust_masking=True)(x, mask=m))
    clone = gn.models.model_from_json(model.to_json())
    data, keep = np.arange(8, dtype=np.float32).reshape(2, 4), np.array([[1, 0, 1, 1], [0, 0, 0, 0]], bool)
    np.testing.assert_allclose(clone.predict([data, keep]), model.predict([data, keep]), rtol=1e-6)
    np.testing.assert_allclose(model.predict([data, keep]), softmax_with_mask(data, keep, -1), rtol=1e-5, atol=1e-7)
    assert clone.layers[-1].robust_masking is True
