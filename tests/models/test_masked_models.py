"""Masked models end to end against tf_keras 2.21 (tests/layers/masking_reference.npz): Masking -> LSTM -> Dense
in functional and Sequential form, the loss and metrics weighted by the output mask in evaluate and one SGD step,
masks through a nested model, and save / load_model and config round trips of masked models."""
import os

import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L
from gpunet.layers.base import tensor_mask

REF = np.load(os.path.join(os.path.dirname(__file__), "..", "layers", "masking_reference.npz"), allow_pickle=False)


def reference_weights():
    return [REF[f"LSTM_w{i}"] for i in range(3)] + [REF["loss_dense_w"], np.zeros(2, "float32")]


def functional(device="/cpu:0"):
    with gn.device(device):
        inp = L.Input((5, 2))
        out = L.Dense(2)(L.LSTM(3, return_sequences=True)(L.Masking()(inp)))
    return gn.models.Model(inp, out)


def sequential(device="/cpu:0"):
    with gn.device(device):
        return gn.models.Sequential([L.Masking(input_shape=(5, 2)), L.LSTM(3, return_sequences=True), L.Dense(2)])


@pytest.mark.parametrize("make", [functional, sequential], ids=["functional", "sequential"])
def test_masked_loss_and_training_step_match_tf_keras(make, device):
    model = make(device)
    assert tensor_mask(model.outputs[0]) is not None
    model.set_weights(reference_weights())
    model.compile(gn.optimizers.SGD(0.5), "mse", metrics=["mae"])
    np.testing.assert_allclose(model.evaluate(REF["x"], REF["loss_target"], batch_size=3, verbose=0),
                               REF["loss_eval"], rtol=1e-5)
    model.train_on_batch(REF["x"], REF["loss_target"])
    for i, weight in enumerate(model.get_weights()):
        np.testing.assert_allclose(weight, REF[f"loss_trained_w{i}"], rtol=1e-4, atol=1e-6)


@pytest.mark.filterwarnings("ignore:invalid value encountered in divide")  # a batch keeping nothing: 0/0
@pytest.mark.parametrize("batch_size", [1, 2])
def test_masked_loss_and_metric_over_several_batches_match_tf_keras(batch_size):
    # as tf_keras: the loss averages the batches' masked means weighted by batch size (NaN with a batch that
    # keeps nothing), while a metric pools the kept entries of all batches
    model = functional()
    model.set_weights(reference_weights())
    model.compile(gn.optimizers.SGD(0.5), "mse", metrics=["mae"])
    got = model.evaluate(REF["x"], REF["loss_target"], batch_size=batch_size, verbose=0)
    np.testing.assert_allclose(got, REF[f"loss_eval_batches_of_{batch_size}"], rtol=1e-5)


def test_fit_reports_a_masked_metric_over_its_kept_entries():
    # batches of 2: rows 0 and 1 keep 3 and 0 steps, row 2 keeps 3; with a zero learning rate the weights
    # stay, so fit's epoch values are evaluate's (tf_keras's with the same batches)
    model = functional()
    model.set_weights(reference_weights())
    model.compile(gn.optimizers.SGD(0.0), "mse", metrics=["mae"])
    history = model.fit(REF["x"], REF["loss_target"], batch_size=2, epochs=1, shuffle=False, verbose=0)
    got = [history.history["loss"][0], history.history["mae"][0]]
    np.testing.assert_allclose(got, REF["loss_eval_batches_of_2"], rtol=1e-5)


def test_targets_at_masked_steps_do_not_matter():
    model = functional()
    model.set_weights(reference_weights())
    model.compile(gn.optimizers.SGD(0.5), "mse")
    keep = REF["x"].any(-1)
    other = np.where(keep[..., None], REF["loss_target"], 100.0).astype("float32")
    assert model.evaluate(REF["x"], other, verbose=0) == pytest.approx(float(REF["loss_eval"][0]), rel=1e-5)


def test_a_loss_whose_rank_does_not_match_the_mask_is_refused():
    model = functional()
    model.compile("sgd", lambda y_true, y_pred: gn.reduce_mean(y_pred - y_true, axis=[1, 2]))
    with pytest.raises(ValueError, match="their ranks must match"):
        model.evaluate(REF["x"], REF["loss_target"], verbose=0)


def test_nested_model_carries_the_mask_out():
    inner = gn.models.Model(*_masked_pair())
    inp = L.Input((5, 2))
    out = inner(inp)
    mask = tensor_mask(out)
    assert mask is not None
    np.testing.assert_array_equal(K.get_session().run(mask, {inp: REF["x"]}), REF["x"].any(-1))


def _masked_pair():
    inp = L.Input((5, 2))
    return inp, L.Dense(4)(L.Masking()(inp))


def test_outer_mask_flows_into_a_nested_model():
    x = L.Input((5, 2))
    inner_in = L.Input((5, 2))
    inner = gn.models.Model(inner_in, L.LSTM(3, return_sequences=True)(inner_in))
    out = inner(L.Masking()(x))
    assert tensor_mask(out) is not None


def test_save_and_load_model_keeps_masking(tmp_path):
    model = functional()
    model.set_weights(reference_weights())
    before = model.predict(REF["x"])
    path = str(tmp_path / "masked.h5")
    model.save(path)
    loaded = gn.models.load_model(path)
    assert "Masking" in [type(layer).__name__ for layer in loaded.layers]
    assert tensor_mask(loaded.outputs[0]) is not None
    np.testing.assert_allclose(loaded.predict(REF["x"]), before, rtol=1e-6)
    again = gn.models.Model.from_config(model.get_config())
    assert tensor_mask(again.outputs[0]) is not None


def test_embedding_mask_zero_round_trips_through_its_config():
    tokens = L.Input((4,), dtype="int32")
    out = L.LSTM(3, return_sequences=True)(L.Embedding(5, 2, mask_zero=True)(tokens))
    model = gn.models.Model(tokens, out)
    again = gn.models.Model.from_config(model.get_config())
    assert again.get_layer(index=1).mask_zero is True
    assert tensor_mask(again.outputs[0]) is not None


class _MaskedSubclass(gn.models.Model):
    """Masking -> LSTM -> Dense as a subclassed model."""

    def __init__(self):
        super().__init__()
        self.masking, self.lstm, self.dense = L.Masking(), L.LSTM(3, return_sequences=True), L.Dense(2)

    def call(self, inputs, training=None):
        return self.dense(self.lstm(self.masking(inputs)))


def test_subclassed_model_weights_its_loss_by_the_mask_as_tf_keras():
    model = _MaskedSubclass()
    model.compile(gn.optimizers.SGD(0.5), "mse", metrics=["mae"])
    model.predict(REF["x"])  # builds the layers from the data
    model.set_weights(reference_weights())
    np.testing.assert_allclose(model.evaluate(REF["x"], REF["loss_target"], batch_size=3, verbose=0),
                               REF["loss_eval"], rtol=1e-5)


def test_sequential_save_and_load_keeps_the_mask(tmp_path):
    model = sequential()
    model.set_weights(reference_weights())
    path = str(tmp_path / "seq.h5")
    model.save(path)
    loaded = gn.models.load_model(path)
    assert tensor_mask(loaded.outputs[0]) is not None
    np.testing.assert_allclose(loaded.predict(REF["x"]), model.predict(REF["x"]), rtol=1e-6)


@pytest.mark.parametrize("vgpus", [2], indirect=True)
@pytest.mark.parametrize("gpus", [1, 2])
def test_multi_gpu_model_weights_the_loss_by_the_mask_as_tf_keras(vgpus, gpus):
    from gpunet.parallel import multi_gpu_model
    template = functional("/cpu:0")
    template.set_weights(reference_weights())
    model = multi_gpu_model(template, gpus=gpus)
    assert tensor_mask(model.outputs[0]) is not None
    model.compile(gn.optimizers.SGD(0.5), "mse", metrics=["mae"])
    np.testing.assert_allclose(model.evaluate(REF["x"], REF["loss_target"], batch_size=3, verbose=0),
                               REF["loss_eval"], rtol=1e-5)
    model.train_on_batch(REF["x"], REF["loss_target"])
    for i, weight in enumerate(template.get_weights()):
        np.testing.assert_allclose(weight, REF[f"loss_trained_w{i}"], rtol=1e-4, atol=1e-6)
