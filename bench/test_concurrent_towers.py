"""Data-parallel towers on virtual GPUs vs one device, side by side in one group: one SGD step of
the 784-512-512-10 MLP at global batch 256.

The towers are TF1's hand-written recipe: variables on /cpu:0, the batch split across /gpu:i, the
gradients averaged on the CPU and applied once. The concurrent executor runs each virtual GPU's
part on its own thread, so with ``OPENBLAS_NUM_THREADS=1`` (one core per device) the towers overlap:

    OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python -m pytest bench/test_concurrent_towers.py --benchmark-only
"""
import numpy as np
import pytest

import gpunet as gn
from gpunet.device import registry

from . import models
from . import replicas as replica_bench

GLOBAL_BATCH = 256


@pytest.fixture(scope="module", autouse=True)
def four_virtual_gpus():
    """Virtual GPUs for this module only (the device set is fixed per process otherwise)."""
    registry._reset_for_tests(4)
    yield
    registry._reset_for_tests(0)


@pytest.fixture(scope="module")
def global_batch():
    return models.batch((GLOBAL_BATCH, models.MLP_WIDTHS[0]))


class TowerTrainer:
    """One SGD step of ``replicas`` towers: the batch split on /cpu:0, each tower's gradients
    computed on /gpu:i, averaged and applied on /cpu:0 where the variables live."""

    def __init__(self, replicas, params, learning_rate=models.LEARNING_RATE):
        self.graph = gn.Graph()
        with self.graph.as_default():
            with gn.device("/cpu:0"):
                self.x = gn.placeholder(gn.float32, [GLOBAL_BATCH, models.MLP_WIDTHS[0]], name="x")
                self.labels = gn.placeholder(gn.int32, [GLOBAL_BATCH], name="labels")
                variables = [gn.Variable(p, name="weights" if p.ndim == 2 else "biases") for p in params]
                xs, ys = gn.split(self.x, replicas), gn.split(self.labels, replicas)
            grads, losses = [], []
            for i in range(replicas):
                with gn.device(f"/gpu:{i}"), gn.name_scope(f"tower_{i}"):
                    logits = _logits(xs[i], variables)
                    loss = gn.reduce_mean(gn.nn.sparse_softmax_cross_entropy_with_logits(labels=ys[i], logits=logits))
                    losses.append(loss)
                    grads.append(gn.gradients(loss, variables))
            with gn.device("/cpu:0"):
                averaged = [gn.add_n([g[j] for g in grads]) / float(replicas) for j in range(len(variables))]
                self.train_op = gn.train.GradientDescentOptimizer(learning_rate).apply_gradients(
                    list(zip(averaged, variables)))
                self.loss = gn.add_n(losses) / float(replicas)
            self.session = gn.Session(graph=self.graph)
            self.session.run(gn.global_variables_initializer())

    def step(self, x, labels):
        return self.session.run([self.train_op, self.loss], {self.x: x, self.labels: labels})[1]


def _logits(x, variables):
    for k in range(0, len(variables), 2):
        x = gn.nn.bias_add(gn.matmul(x, variables[k]), variables[k + 1])
        if k + 2 < len(variables):
            x = gn.nn.relu(x)
    return x


def _single_device_loss(global_batch):
    trainer = models.GpunetTrainer(models.dense_logits, models.mlp_params(), global_batch[0].shape)
    return trainer.step(*global_batch)


def run(benchmark, impl, step, data, reference_loss):
    benchmark.extra_info["impl"] = impl
    first = step(*data)  # compiles the plan outside the timing; the same loss as one device
    np.testing.assert_allclose(first, reference_loss, rtol=1e-5)
    loss = benchmark(step, *data)
    assert 0.0 < loss < 10.0


@pytest.mark.benchmark(group="mlp-replicas-global-b256")
def test_mlp_one_device(benchmark, global_batch):
    reference = _single_device_loss(global_batch)
    gn.reset_default_graph()
    trainer = models.GpunetTrainer(models.dense_logits, models.mlp_params(), global_batch[0].shape)
    run(benchmark, "1 device (/cpu:0)", trainer.step, global_batch, reference)


@pytest.mark.parametrize("replicas", [2, 4])
@pytest.mark.benchmark(group="mlp-replicas-global-b256")
def test_mlp_virtual_gpu_towers(benchmark, global_batch, replicas):
    reference = _single_device_loss(global_batch)
    trainer = TowerTrainer(replicas, models.mlp_params())
    run(benchmark, f"{replicas} virtual-GPU towers", trainer.step, global_batch, reference)


@pytest.mark.parametrize("replicas", [1, 2])
@pytest.mark.benchmark(group="mlp-replicas-global-b256")
def test_mlp_numpy_thread_towers(benchmark, global_batch, replicas):
    reference = _single_device_loss(global_batch)
    towers = replica_bench.NumpyTowers(replicas, models.mlp_params())
    run(benchmark, f"NumPy, {replicas} thread(s)", towers.step, global_batch, reference)
