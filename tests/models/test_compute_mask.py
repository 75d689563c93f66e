"""``Model.compute_mask`` of functional models against tf_keras 2.21 (data/compute_mask_reference.npz from
make_compute_mask_reference.py, whose ``cases`` builds the same models here with gpunet): masks made inside the
model, masks given for its inputs, several outputs, several inputs, nested models, Sequential; the masks a call's
outputs carry agree; compute_mask leaves no nodes, losses or updates behind; its errors."""
import os
import types

import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L
from gpunet.layers.base import tensor_mask

from .make_compute_mask_reference import GIVEN, IDS, cases, float_steps

REF = np.load(os.path.join(os.path.dirname(__file__), "data", "compute_mask_reference.npz"), allow_pickle=False)
GPUNET_AS_KERAS = types.SimpleNamespace(layers=L, Model=gn.models.Model, Sequential=gn.models.Sequential)
CASE_NAMES = sorted(name[:-len("_count")] for name in REF.files if name.endswith("_count"))


def evaluate(masks, feed=None):
    """The values of the masks that are tensors (None stays None)."""
    found = [m for m in masks if m is not None]
    values = iter(K.get_session().run(found, feed_dict=feed))
    return [None if m is None else next(values) for m in masks]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_compute_mask_matches_tf_keras(name, device):
    with gn.device(device):
        model, inputs, mask = cases(gn, GPUNET_AS_KERAS)[name]
        masks = model.compute_mask(inputs, mask)
    masks = masks if isinstance(masks, list) else [masks]
    assert len(masks) == int(REF[f"{name}_count"])
    for i, got in enumerate(evaluate(masks)):
        expected = REF[f"{name}_{i}"] if f"{name}_{i}" in REF.files else None
        assert (got is None) == (expected is None), (name, i)
        if expected is not None:
            assert got.dtype == np.bool_
            np.testing.assert_array_equal(got, expected)


def embedded_lstm():
    tokens = L.Input((4,), dtype="int32")
    embedded = L.Embedding(6, 3, mask_zero=True)(tokens)
    return tokens, embedded, L.LSTM(2, return_sequences=True)(embedded)


def test_the_masks_a_models_call_gives_its_outputs_are_compute_masks(device):
    with gn.device(device):
        tokens, embedded, sequence = embedded_lstm()
        model = gn.models.Model(tokens, [sequence, L.GlobalAveragePooling1D()(sequence)])
        ids = gn.constant(IDS)
        called = model(ids)
        computed = model.compute_mask(ids)
    assert tensor_mask(called[1]) is None and computed[1] is None
    got_called, got_computed = evaluate([tensor_mask(called[0]), computed[0]])
    np.testing.assert_array_equal(got_called, IDS != 0)
    np.testing.assert_array_equal(got_computed, IDS != 0)


def test_a_nested_model_passes_on_the_mask_its_input_carries_or_the_one_given(device):
    with gn.device(device):
        steps = L.Input((4, 3))
        inner = gn.models.Model(steps, L.LSTM(2, return_sequences=True)(steps))
        tokens, embedded, _ = embedded_lstm()
        nested_out = inner(embedded)
        x = gn.constant(float_steps())
        given_out = inner(x, mask=gn.constant(GIVEN))
        plain_out = inner(x)
    assert tensor_mask(plain_out) is None and tensor_mask(x) is None  # the caller's tensor keeps no mask
    got_nested, got_given = evaluate([tensor_mask(nested_out), tensor_mask(given_out)], {tokens: IDS})
    np.testing.assert_array_equal(got_given, GIVEN)
    outer = gn.models.Model(tokens, nested_out)
    (got_outer,) = evaluate([outer.compute_mask(IDS)])
    np.testing.assert_array_equal(got_nested, IDS != 0)
    np.testing.assert_array_equal(got_outer, IDS != 0)


def test_compute_mask_replaces_the_mask_an_input_tensor_carries_and_leaves_it_on_the_tensor():
    steps = L.Input((4, 3))
    model = gn.models.Model(steps, L.LSTM(2, return_sequences=True)(steps))
    x = gn.constant(float_steps())
    x._keras_mask = own = gn.constant(GIVEN)
    assert model.compute_mask(x) is None  # mask=None: unmasked inputs, as tf_keras
    assert tensor_mask(x) is own
    (got,) = evaluate([model.compute_mask(x, gn.logical_not(own))])
    np.testing.assert_array_equal(got, ~GIVEN)


def test_compute_mask_leaves_no_nodes_losses_or_updates_and_fit_still_works():
    tokens, _, sequence = embedded_lstm()
    pooled = L.GlobalAveragePooling1D()(L.Dense(2, activity_regularizer="l2")(sequence))
    model = gn.models.Model(tokens, L.BatchNormalization()(pooled))
    before = [(len(layer._inbound_nodes), len(layer.losses), len(layer.updates)) for layer in model._all_layers()]
    assert model.compute_mask(IDS) is None
    assert [(len(layer._inbound_nodes), len(layer.losses), len(layer.updates))
            for layer in model._all_layers()] == before
    model.compile("sgd", "mse")
    # rows with a kept step (a fully masked row's masked average is 0/0, as in tf_keras)
    history = model.fit(IDS[:2], np.ones((2, 2), np.float32), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_a_wrong_number_of_masks_is_a_value_error():
    first, second = L.Input((4,)), L.Input((4,))
    model = gn.models.Model([first, second], L.Add()([first, second]))
    data = np.zeros((2, 4), np.float32)
    with pytest.raises(ValueError, match=r"The model expects 2 input mask\(s\) \(one per input, None for no "
                                         r"mask\), but it received 1\."):
        model.compute_mask([data, data], [gn.constant(GIVEN[:2])])


def test_a_subclassed_model_has_no_output_mask_and_refuses_one():
    class Twice(gn.models.Model):
        def call(self, inputs):
            return 2.0 * inputs

    model = Twice(name="twice")
    assert model.compute_mask(gn.constant(float_steps())) is None
    with pytest.raises(TypeError, match="Layer twice does not support masking, but was passed an input_mask"):
        model.compute_mask(gn.constant(float_steps()), gn.constant(GIVEN))


def test_a_sequential_built_on_first_call_takes_a_mask_for_its_input(device):
    with gn.device(device):
        model = gn.models.Sequential([L.LSTM(2, return_sequences=True), L.Dense(1)])
        x = gn.constant(float_steps())
        out = model(x, mask=gn.constant(GIVEN))
        plain = model(x)
    assert tensor_mask(plain) is None and tensor_mask(x) is None
    (got,) = evaluate([tensor_mask(out)])
    np.testing.assert_array_equal(got, GIVEN)
