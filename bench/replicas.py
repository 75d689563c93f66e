"""Data-parallel step time on virtual GPUs: the 784-512-512-10 MLP at global batch 256, one SGD step
through the replica engine (``gn.parallel.ReplicatedTrainer``, weights on /cpu:0) for 1, 2 and 4
replicas, one device without replicas, and a hand-written TF1 tower graph (batch split by the
feed, per-variable gradient averaging on the CPU) for comparison.

``OPENBLAS_NUM_THREADS=1 python -m bench.replicas`` prints the table (milliseconds per step and
samples/s). Whether replicas overlap is up to the executor; this measures the graphs as they run."""
import functools
import sys
import time

import numpy as np

import gpunet as gn
from gpunet.device import registry

from . import models

GLOBAL_BATCH = 256


def mlp_logits(x, params):
    """The MLP through get_variable, so replicas share one set of weights by variable scope."""
    for k in range(0, len(params), 2):
        weights = gn.get_variable(f"layer{k // 2}/weights", initializer=gn.constant_initializer(params[k]),
                                  shape=params[k].shape)
        biases = gn.get_variable(f"layer{k // 2}/biases", initializer=gn.constant_initializer(params[k + 1]),
                                 shape=params[k + 1].shape)
        x = gn.nn.bias_add(gn.matmul(x, weights), biases)
        if k + 2 < len(params):
            x = gn.nn.relu(x)
    return x


def _xent_sum(x, labels, params):
    logits = mlp_logits(x, params)
    return gn.reduce_sum(gn.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))


class EngineStep:
    """One SGD step of ``replicas`` replicas built by the replica engine: weights on /cpu:0, or
    mirrored on the GPUs (``variables_on='gpu'``) and combined by ``communicator``."""

    def __init__(self, replicas, params, variables_on="cpu", communicator=None):
        self.graph = gn.Graph()
        with self.graph.as_default():
            with gn.device("/cpu:0"):
                self.x = gn.placeholder(gn.float32, [None, models.MLP_WIDTHS[0]], name="x")
                self.labels = gn.placeholder(gn.int32, [None], name="labels")
            sgd = functools.partial(gn.train.GradientDescentOptimizer, models.LEARNING_RATE)
            trainer = gn.parallel.ReplicatedTrainer(sgd if variables_on == "gpu" else sgd(), gpus=replicas,
                                                    variables_on=variables_on, communicator=communicator)
            self.train_op, sums = trainer.minimize(lambda x, y: _xent_sum(x, y, params), [self.x, self.labels])
            with gn.device("/cpu:0"):
                self.loss = gn.add_n(sums) / GLOBAL_BATCH
            self.session = gn.Session(graph=self.graph)
            self.session.run(gn.global_variables_initializer())
            self.session.run(trainer.broadcast_op())

    def step(self, x, labels):
        return self.session.run([self.train_op, self.loss], {self.x: x, self.labels: labels})[1]


class HandTowerStep:
    """The same step as TF1 users write it: one placeholder pair per tower, per-variable averaging."""

    def __init__(self, replicas, params):
        self.replicas, self.graph = replicas, gn.Graph()
        with self.graph.as_default():
            with gn.device("/cpu:0"):
                self.xs = [gn.placeholder(gn.float32, [None, models.MLP_WIDTHS[0]]) for _ in range(replicas)]
                self.ys = [gn.placeholder(gn.int32, [None]) for _ in range(replicas)]
            optimizer = gn.train.GradientDescentOptimizer(models.LEARNING_RATE)
            tower_grads, sums = [], []
            for i in range(replicas):
                with gn.device(gn.train.replica_device_setter(ps_device="/cpu:0", worker_device=f"/gpu:{i}")), \
                        gn.name_scope(f"tower_{i}"), gn.variable_scope(gn.get_variable_scope(), reuse=i > 0):
                    sums.append(_xent_sum(self.xs[i], self.ys[i], params))
                    tower_grads.append(optimizer.compute_gradients(sums[-1] * (replicas / GLOBAL_BATCH)))
            with gn.device("/cpu:0"):
                self.train_op = optimizer.apply_gradients(gn.parallel.average_gradients(tower_grads))
                self.loss = gn.add_n(sums) / GLOBAL_BATCH
            self.session = gn.Session(graph=self.graph)
            self.session.run(gn.global_variables_initializer())

    def step(self, x, labels):
        share = len(labels) // self.replicas
        feed = {self.xs[i]: x[i * share:(i + 1) * share] for i in range(self.replicas)}
        feed.update({self.ys[i]: labels[i * share:(i + 1) * share] for i in range(self.replicas)})
        return self.session.run([self.train_op, self.loss], feed)[1]


def use_virtual_gpus(n):
    """A fresh device set with ``n`` virtual GPUs (benchmarks, like tests, pick their devices)."""
    registry._reset_for_tests(n)


def time_steps(step, data, repeats=20):
    """Median seconds per step (after a warm-up step that compiles the plan)."""
    step(*data)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step(*data)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(out=sys.stdout):
    use_virtual_gpus(4)
    data = models.batch((GLOBAL_BATCH, models.MLP_WIDTHS[0]))
    params = models.mlp_params()
    single = models.GpunetTrainer(models.dense_logits, params, data[0].shape)
    rows = [("one device (/cpu:0), no replicas", time_steps(single.step, data))]
    rows += [(f"engine, {n} replica(s)", time_steps(EngineStep(n, params).step, data)) for n in (1, 2, 4)]
    rows.append(("hand-written towers, 2", time_steps(HandTowerStep(2, params).step, data)))
    for name, communicator in (("host all-reduce", gn.parallel.HostAllReduce()),
                               ("collective all-reduce", gn.parallel.CollectiveAllReduce())):
        step = EngineStep(2, params, variables_on="gpu", communicator=communicator).step
        rows.append((f"engine, 2 mirrored, {name}", time_steps(step, data)))
    print(f"{'784-512-512-10 MLP, global batch 256':40s} {'ms/step':>8s} {'samples/s':>10s}", file=out)
    for name, seconds in rows:
        print(f"{name:40s} {1000 * seconds:8.2f} {GLOBAL_BATCH / seconds:10.0f}", file=out)
    return dict(rows)


if __name__ == "__main__":
    main()
