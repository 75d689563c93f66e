"""Data-parallel step time on virtual GPUs: the 784-512-512-10 MLP at global batch 256, one SGD step
through the replica engine (``gn.parallel.ReplicatedTrainer``, weights on /cpu:0) for 1, 2 and 4
replicas, one device without replicas, and a hand-written TF1 tower graph (batch split by the
feed, per-variable gradient averaging on the CPU) for comparison.

``OPENBLAS_NUM_THREADS=1 python -m bench.replicas`` prints the table: per configuration the median
and the minimum over several rounds (each round a median of timed steps; rounds interleave the
configurations, so a burst of load elsewhere hits all of them), the ratio to one device paired by
round with its quartiles over the rounds (the spread the machine's noise leaves), and the load
average before and after. ``--lean`` measures only one device, the engine with 2 replicas, the
hand-written towers and NumPy's two-thread control (a process holding fewer sessions and threads);
``--rounds N`` sets the rounds.
Whether replicas overlap is up to the executor; this measures the graphs as they run, next to
NumPy's own ceiling (the same towers by hand on threads)."""
import argparse
import functools
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import gpunet as gn
from gpunet.device import registry

from . import models, numpy_steps

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
    mirrored on the GPUs (``variables_on='gpu'``) and combined by ``communicator``. ``static_batch``:
    the placeholders fix the batch size, so the replicas' rows are slices of it (no gather)."""

    def __init__(self, replicas, params, variables_on="cpu", communicator=None, static_batch=False):
        self.graph = gn.Graph()
        batch = GLOBAL_BATCH if static_batch else None
        with self.graph.as_default():
            with gn.device("/cpu:0"):
                self.x = gn.placeholder(gn.float32, [batch, models.MLP_WIDTHS[0]], name="x")
                self.labels = gn.placeholder(gn.int32, [batch], name="labels")
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


class NumpyTowers:
    """The ceiling on this machine: the same towers by hand in NumPy, one thread per tower, the
    gradients averaged and applied on the calling thread."""

    def __init__(self, replicas, params, learning_rate=models.LEARNING_RATE):
        shard = GLOBAL_BATCH // replicas
        self.towers = [numpy_steps.DenseStack(params, shard) for _ in range(replicas)]
        self.probs = [np.empty_like(t.acts[-1]) for t in self.towers]
        self.params, self.shard, self.rate = self.towers[0].params, shard, np.float32(learning_rate)
        for tower in self.towers[1:]:
            tower.params = self.params  # the variables are shared, as on /cpu:0
        self.pool = ThreadPoolExecutor(replicas)

    def _tower(self, k, x, labels):
        tower, rows = self.towers[k], slice(k * self.shard, (k + 1) * self.shard)
        logits = tower.forward(x[rows])
        loss = numpy_steps.softmax_xent_backprop(logits, labels[rows], self.probs[k])
        tower.backward(x[rows], self.probs[k])
        return loss

    def step(self, x, labels):
        losses = list(self.pool.map(self._tower, range(len(self.towers)), [x] * len(self.towers),
                                    [labels] * len(self.towers)))
        scale = self.rate / np.float32(len(self.towers))
        for j, param in enumerate(self.params):
            param -= scale * sum(t.grads[j] for t in self.towers)
        return float(np.mean(losses))


def use_virtual_gpus(n):
    """A fresh device set with ``n`` virtual GPUs (benchmarks, like tests, pick their devices)."""
    registry._reset_for_tests(n)


WARM_UP_SECONDS = 0.15


def time_steps(step, data, repeats=20, warm_up=WARM_UP_SECONDS):
    """Median seconds per step in steady state, after warming up for ``warm_up`` seconds (at least one
    step, which compiles the plan). Training runs steps back to back; a process that has just slept
    does not: measured on this 2-core VM, after a 1 s sleep the first ~7 steps of 2 replicas take
    8 ms instead of 4.5 ms (the OS runs both threads on one core for ~40 ms; with the two threads
    pinned to their own cores it does not), while one device's steps are unaffected."""
    start = time.perf_counter()
    step(*data)
    while time.perf_counter() - start < warm_up:
        step(*data)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step(*data)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


BASELINE, ENGINE_2, TOWERS_2 = "one device (/cpu:0), no replicas", "engine, 2 replica(s)", "hand-written towers, 2"
CONTROL = "NumPy towers, 2 thread(s)"  # NumPy's own ceiling: shows when the machine withholds its second core


def configurations(params, lean=False):
    """(name, step function) of every measured configuration, the baseline first; ``lean``: only the
    baseline, the engine with 2 replicas and the hand-written towers."""
    single = models.GpunetTrainer(models.dense_logits, params, (GLOBAL_BATCH, models.MLP_WIDTHS[0]))
    if lean:
        return [(BASELINE, single.step), (ENGINE_2, EngineStep(2, params).step),
                (TOWERS_2, HandTowerStep(2, params).step), (CONTROL, NumpyTowers(2, params).step)]
    rows = [(BASELINE, single.step)]
    rows += [(f"engine, {n} replica(s)", EngineStep(n, params).step) for n in (1, 2, 4)]
    rows.append(("engine, 2 replicas, static batch size", EngineStep(2, params, static_batch=True).step))
    rows.append((TOWERS_2, HandTowerStep(2, params).step))
    for name, communicator in (("host all-reduce", gn.parallel.HostAllReduce()),
                               ("collective all-reduce", gn.parallel.CollectiveAllReduce())):
        step = EngineStep(2, params, variables_on="gpu", communicator=communicator).step
        rows.append((f"engine, 2 mirrored, {name}", step))
    rows += [("NumPy towers, 1 thread(s)", NumpyTowers(1, params).step), (CONTROL, NumpyTowers(2, params).step)]
    return rows


def main(out=sys.stdout, rounds=9, repeats=20, lean=False):
    use_virtual_gpus(4)
    data = models.batch((GLOBAL_BATCH, models.MLP_WIDTHS[0]))
    rows = configurations(models.mlp_params(), lean)
    load_before = os.getloadavg()[0]
    times = {name: [] for name, _ in rows}
    for _ in range(rounds):
        for name, step in rows:
            times[name].append(time_steps(step, data, repeats))
    load_after = os.getloadavg()[0]
    base = times[BASELINE]
    print(f"784-512-512-10 MLP, global batch 256; {rounds} rounds x {repeats} steps; "
          f"load average {load_before:.2f} before, {load_after:.2f} after", file=out)
    print("x one device: the median over rounds of (this row / one device) in the same round, with its "
          "quartiles; x best: fastest round / fastest round", file=out)
    print(f"{'':42s} {'median ms':>9s} {'min ms':>7s} {'samples/s':>9s} {'x one device':>12s} {'quartiles':>11s} "
          f"{'x best':>6s}", file=out)
    for name, _ in rows:
        median, fastest = np.median(times[name]), min(times[name])
        low, high = paired_quartiles(times[name], base)
        print(f"{name:42s} {1000 * median:9.2f} {1000 * fastest:7.2f} {GLOBAL_BATCH / median:9.0f} "
              f"{paired_ratio(times[name], base):12.3f} {low:5.3f}-{high:5.3f} {fastest / min(base):6.3f}", file=out)
    print(f"engine over hand-written towers, 2 replicas: {paired_ratio(times[ENGINE_2], times[TOWERS_2]):.3f}",
          file=out)
    print(f"engine over NumPy's own two threads (the control): {paired_ratio(times[ENGINE_2], times[CONTROL]):.3f}",
          file=out)
    return {name: (float(np.median(t)), min(t)) for name, t in times.items()}


def paired_ratio(times, base):
    """The median of per-round ratios: each round measures both sides within a second of each other, so
    a burst of load elsewhere moves both and cancels out of their ratio."""
    return float(np.median(_round_ratios(times, base)))


def paired_quartiles(times, base):
    """The first and third quartiles of the per-round ratios: how far the machine's noise moves them."""
    low, high = np.percentile(_round_ratios(times, base), [25, 75])
    return float(low), float(high)


def _round_ratios(times, base):
    return [t / b for t, b in zip(times, base)]


def _arguments(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.replicas", description=__doc__.split("\n\n")[0])
    parser.add_argument("--lean", action="store_true",
                        help="only one device, the engine with 2 replicas and the hand-written towers")
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (default 9)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    return args


if __name__ == "__main__":
    arguments = _arguments(sys.argv[1:])
    main(rounds=arguments.rounds, lean=arguments.lean)
