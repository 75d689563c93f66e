"""fit/evaluate with sample_weight / class_weight beyond the tf_keras sweep (tests/keras_sweep): the weighted loss
against NumPy, and the cases gpunet refuses with a clear error."""
import numpy as np
import pytest

import gpunet as gn
from gpunet.parallel import multi_gpu_model


def _linear_model():
    model = gn.models.Sequential([gn.layers.Dense(1, use_bias=False, input_shape=(2,))])
    model.set_weights([np.array([[1.0], [-2.0]], "float32")])
    model.compile(gn.optimizers.SGD(0.0), "mse")
    return model


@pytest.mark.parametrize("weights", [np.array([1.0, 0.0, 3.0], "float32"), np.zeros(3, "float32")])
def test_weighted_loss_is_the_weighted_sum_over_the_batch_size(device, weights):
    x = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0]], "float32")
    y = np.array([[0.0], [1.0], [1.0]], "float32")
    with gn.device(device):
        model = _linear_model()
        got = model.evaluate(x, y, sample_weight=weights, verbose=0)
        per_sample = (x @ np.array([1.0, -2.0]) - y[:, 0]) ** 2
        np.testing.assert_allclose(got, np.sum(per_sample * weights) / 3, rtol=1e-6)
        np.testing.assert_allclose(model.evaluate(x, y, verbose=0), per_sample.mean(), rtol=1e-6)


def test_class_weight_needs_every_class_and_one_output():
    model = gn.models.Sequential([gn.layers.Dense(3, activation="softmax", input_shape=(2,))])
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, labels = np.ones((4, 2), "float32"), np.array([0, 1, 2, 1])
    with pytest.raises(ValueError, match=r"The classes \[2\] exist in the data but not in `class_weight`"):
        model.fit(x, labels, class_weight={0: 1.0, 1: 2.0}, verbose=0)
    with pytest.raises(ValueError, match="sample_weight of output dense.* one entry per sample \\(4\\), got shape"):
        model.fit(x, labels, sample_weight=np.ones(3), verbose=0)


def test_bad_sample_weight_mode_and_masked_outputs_are_refused():
    model = gn.models.Sequential([gn.layers.Masking(input_shape=(3, 2)),
                                  gn.layers.TimeDistributed(gn.layers.Dense(1))])
    with pytest.raises(ValueError, match="sample_weight_mode should be None or 'temporal', got 'spatial'"):
        model.compile("sgd", "mse", sample_weight_mode="spatial")
    model.compile("sgd", "mse", sample_weight_mode="temporal")
    x, y = np.ones((2, 3, 2), "float32"), np.ones((2, 3, 1), "float32")
    with pytest.raises(ValueError, match="carries a Keras mask, are not supported"):
        model.fit(x, y, sample_weight=np.ones((2, 3), "float32"), verbose=0)


@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_replicated_models_refuse_sample_weights(vgpus):
    with gn.device("/cpu:0"):
        model = gn.models.Sequential([gn.layers.Dense(1, input_shape=(2,))])
    parallel = multi_gpu_model(model, gpus=2)
    parallel.compile("sgd", "mse")
    with pytest.raises(ValueError, match="sample_weight and class_weight are not supported"):
        parallel.fit(np.ones((4, 2), "float32"), np.ones((4, 1), "float32"), sample_weight=np.ones(4), verbose=0)


def test_a_generator_that_runs_out_stops_training(capsys):
    model = _linear_model()
    x, y = np.ones((4, 2), "float32"), np.zeros((4, 1), "float32")
    history = model.fit(iter([(x, y), (x, y)]), epochs=3, verbose=0)
    assert history.epoch == [0] and "ran out of data" in capsys.readouterr().out
    history = model.fit(iter([(x, y)] * 3), steps_per_epoch=2, epochs=3, verbose=0)
    assert history.epoch == [0, 1] and "ran out of data" in capsys.readouterr().out
    with pytest.raises(ValueError, match="`y` argument is not supported when using a generator"):
        model.fit(iter([(x, y)]), y, verbose=0)
