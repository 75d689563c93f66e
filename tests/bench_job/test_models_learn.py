"""Every benchmark model learns the synthetic data (labels are a fixed function of the images): its
loss falls over 50 steps, on two virtual GPUs, for each way of updating the variables."""
import io

import numpy as np
import pytest

from gpunet.bench import data, graph, models, runner
from gpunet.bench.report import Printer

SIZES = {"lenet": 12, "resnet20": 8, "vgg11-small": 16}  # small images keep the deep models to seconds


def run(model, update="parameter_server", optimizer="adam", steps=50, forward_only=False, host="/cpu:0"):
    spec = models.MODELS[model]
    shape = data.image_shape("synthetic", spec.image_size, spec.channels, SIZES.get(model))
    rate = graph.default_learning_rate(spec, optimizer)
    options = graph.GraphOptions(spec, shape, ("/gpu:0", "/gpu:1"), update, host, optimizer, rate, forward_only, 4)
    job = runner.RunSpec(options, "synthetic", 8, steps, 0, 10, seed=3)
    return runner.run_configuration(job, Printer(io.StringIO()))


@pytest.mark.parametrize("model", sorted(models.MODELS))
def test_every_model_learns_in_50_steps(vgpus, model):
    losses = run(model).losses
    assert len(losses) == 50 and np.all(np.isfinite(losses))
    assert np.mean(losses[-10:]) < 0.9 * np.mean(losses[:5]), losses


@pytest.mark.parametrize("update", ["parameter_server", "replicated", "independent"])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_each_update_and_optimizer_learns(vgpus, update, optimizer):
    losses = run("mlp", update, optimizer, steps=30).losses
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:3]), losses


def test_parameters_on_the_first_gpu(vgpus):
    measured = run("mlp", "parameter_server", "sgd", steps=20, host="/gpu:0")
    assert measured.memory["/gpu:0"]["variable_bytes"] > 0 == measured.memory["/gpu:1"]["variable_bytes"]
    assert measured.memory.get("/cpu:0", {}).get("variable_bytes", 0) == 0
    assert np.mean(measured.losses[-5:]) < 0.5 * np.mean(measured.losses[:3])


@pytest.mark.parametrize("update", ["parameter_server", "replicated", "independent"])
def test_forward_only_leaves_the_loss_where_it_is(vgpus, update):
    losses = run("mlp", update, forward_only=True, steps=16).losses
    # the 8 synthetic batches come round again unchanged: same batch, same weights, same loss
    np.testing.assert_allclose(losses[:8], losses[8:], rtol=1e-6)


def test_synthetic_labels_are_a_fixed_function_of_the_images():
    images, labels = data.synthetic(64, (8, 8, 3), seed=5)
    again, same = data.synthetic(64, (8, 8, 3), seed=5)
    np.testing.assert_array_equal(images, again)
    np.testing.assert_array_equal(labels, same)
    assert images.dtype == np.float32 and labels.dtype == np.int32 and images.shape == (64, 8, 8, 3)
    prototypes = data._prototypes((8, 8, 3), np.random.default_rng(5))
    np.testing.assert_array_equal(data.label_of(images, prototypes), labels)
    assert len(np.unique(labels)) > 5
