"""The benchmark's training graph for one configuration: the model replicated over the devices.

``parameter_server`` and ``replicated`` are the replica engine (``gn.parallel.ReplicatedTrainer``
with ``variables_on='cpu'`` and ``'gpu'``); ``independent`` is built here on the public API,
since the engine always exchanges gradients: each replica trains its own copy of the variables
on its slice of the batch with its own optimizer, and nothing crosses between replicas."""
from __future__ import annotations

from dataclasses import dataclass

import gpunet as gn
from gpunet.parallel import ReplicatedTrainer, split_batch

from .data import NUM_CLASSES
from .models import ModelSpec

__all__ = ["BenchGraph", "GraphOptions", "OPTIMIZERS", "build", "default_learning_rate"]

OPTIMIZERS = {
    "sgd": lambda rate: gn.train.GradientDescentOptimizer(rate),
    "momentum": lambda rate: gn.train.MomentumOptimizer(rate, 0.9),
    "adam": lambda rate: gn.train.AdamOptimizer(rate),
}


def default_learning_rate(model: ModelSpec, optimizer: str) -> float:
    """The model's SGD rate; a quarter of it with momentum 0.9 (whose steps go ~10x further); 0.002 for
    Adam, whose step size does not scale with the gradient."""
    return {"sgd": model.learning_rate, "momentum": model.learning_rate / 4, "adam": 0.002}[optimizer]


@dataclass
class BenchGraph:
    """The placeholders, the step to time (``train_op`` and the mean ``total_loss``) and the
    initialisers to run once (variables, then the mirrored copies made equal)."""

    images: object
    labels: object
    train_op: object
    total_loss: object
    init_ops: list


@dataclass(frozen=True)
class GraphOptions:
    """What ``build`` needs of the flags."""

    spec: ModelSpec
    shape: tuple
    devices: tuple
    variable_update: str
    host: str
    optimizer: str
    learning_rate: float
    forward_only: bool
    width: int


def build(options: GraphOptions) -> BenchGraph:
    """A fresh default graph holding the benchmark step of ``options``."""
    gn.reset_default_graph()
    with gn.device("/cpu:0"):  # the input is fed on the host, as an input pipeline would deliver it
        images = gn.placeholder(gn.float32, [None, *options.shape], name="images")
        labels = gn.placeholder(gn.int32, [None], name="labels")
    with gn.device(options.host):  # ops no replica claims (the grouping ops) run where the parameters live
        return _build(options, images, labels)


def _build(options, images, labels):

    def tower_loss(x, y):
        logits = options.spec.build(x, NUM_CLASSES, options.width)
        return gn.reduce_sum(gn.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))

    if options.variable_update == "independent":
        train_op, sums, init = _independent(options, tower_loss, images, labels)
    else:
        train_op, sums, init = _engine(options, tower_loss, images, labels)
    with gn.device(options.host), gn.name_scope("total_loss"):
        total = sums[0] if len(sums) == 1 else gn.add_n(sums)
        total_loss = total / gn.cast(gn.shape(images)[0], gn.float32)
    return BenchGraph(images, labels, train_op, total_loss, [gn.global_variables_initializer()] + init)


def _make_optimizer(options):
    return lambda: OPTIMIZERS[options.optimizer](options.learning_rate)


def _engine(options, tower_loss, images, labels):
    variables_on = "cpu" if options.variable_update == "parameter_server" else "gpu"
    trainer = ReplicatedTrainer(_make_optimizer(options), gpus=[_gpu_id(d) for d in options.devices],
                                variables_on=variables_on, host=options.host)
    if options.forward_only:
        shards = [trainer.split(images), trainer.split(labels)]
        sums = []
        for i in range(trainer.num_replicas):
            with trainer.tower(i):
                sums.append(tower_loss(shards[0][i], shards[1][i]))
        return gn.no_op(name="forward_only"), sums, []
    train_op, sums = trainer.minimize(tower_loss, [images, labels])
    return train_op, sums, [trainer.broadcast_op()]


def _independent(options, tower_loss, images, labels):
    """One model, optimizer and update per replica; the replicas share nothing but the input."""
    count = len(options.devices)
    with gn.device(options.host), gn.name_scope("split"):
        shards = [(split_batch(images, count, i), split_batch(labels, count, i)) for i in range(count)]
    updates, sums = [], []
    for i, device in enumerate(options.devices):
        with gn.device(device), gn.variable_scope(f"replica_{i}"), gn.name_scope(f"tower_{i}"):
            x, y = shards[i]
            loss_sum = tower_loss(x, y)
            sums.append(loss_sum)
            if not options.forward_only:
                mine = [v for v in gn.trainable_variables() if v.op.name.startswith(f"replica_{i}/")]
                rows = gn.cast(gn.maximum(gn.shape(x)[0], 1), gn.float32)
                updates.append(_make_optimizer(options)().minimize(loss_sum / rows, var_list=mine))
    return gn.group(*updates, name="independent_update"), sums, []


def _gpu_id(device: str) -> int:
    return int(device.rsplit(":", 1)[1])
