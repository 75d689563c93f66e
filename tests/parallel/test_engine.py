"""The replica engine: N replicas (N = 1, 2, 4 virtual GPUs) train exactly as one device does on the
same global batch, with the variables on the host or mirrored on the GPUs, for SGD, Momentum and
Adam; gradients cross devices as one fused buffer per replica per step."""
import numpy as np
import pytest

import gpunet as gn
from gpunet.parallel import ReplicatedTrainer
from gpunet.parallel.communicators import collective_applies

from .nets import OPTIMIZERS, data, initial_weights, per_example_loss

BATCH = 22  # not a multiple of 4: the last replica takes the remainder

# the 1 / global batch scale, the seed of each tower's backward pass (so the gradients arrive scaled)
SCALE = "batch_scale/Reciprocal:0"


def single_device_weights(optimizer, steps, batches):
    gn.reset_default_graph()
    x, y = gn.placeholder(gn.float32, [None, 8]), gn.placeholder(gn.int32, [None])
    with gn.device("/cpu:0"):
        loss = gn.reduce_mean(per_example_loss(x, y, initial_weights()))
        train_op = OPTIMIZERS[optimizer]().minimize(loss)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        for step in range(steps):
            sess.run(train_op, {x: batches[step][0], y: batches[step][1]})
        return sess.run(gn.trainable_variables())


def replicated(n, optimizer, variables_on):
    gn.reset_default_graph()
    x, y = gn.placeholder(gn.float32, [None, 8]), gn.placeholder(gn.int32, [None])
    make = OPTIMIZERS[optimizer]
    trainer = ReplicatedTrainer(make if variables_on == "gpu" else make(), gpus=n, variables_on=variables_on)
    with gn.device("/cpu:0"):
        global_step = gn.Variable(0, name="global_step", trainable=False)
    train_op, _ = trainer.minimize(lambda xs, ys: gn.reduce_sum(per_example_loss(xs, ys, initial_weights())),
                                   [x, y], global_step=global_step)
    return trainer, x, y, train_op, global_step


def replicated_weights(n, optimizer, variables_on, steps, batches):
    trainer, x, y, train_op, global_step = replicated(n, optimizer, variables_on)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        sess.run(trainer.broadcast_op())
        for step in range(steps):
            sess.run(train_op, {x: batches[step][0], y: batches[step][1]})
        assert sess.run(global_step) == steps
        replicas = [sess.run(variables) for variables in trainer.tower_variables]
    for other in replicas[1:]:  # mirrored copies stay identical
        for a, b in zip(replicas[0], other):
            np.testing.assert_array_equal(a, b)
    return replicas[0]


def batches_of(steps, size=BATCH):
    return [data(size, seed=s) for s in range(steps)]


@pytest.mark.parametrize("vgpus", [4], indirect=True)
@pytest.mark.parametrize("variables_on", ["cpu", "gpu"])
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("n", [1, 2, 4])
def test_one_step_of_n_replicas_equals_one_step_on_the_global_batch(vgpus, n, optimizer, variables_on):
    batches = batches_of(1)
    want = single_device_weights(optimizer, 1, batches)
    got = replicated_weights(n, optimizer, variables_on, 1, batches)
    for g, w, w0 in zip(got, want, initial_weights()):
        assert np.abs(w - w0).max() > 1e-4  # the step moved the weights
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("vgpus", [4], indirect=True)
@pytest.mark.parametrize("variables_on", ["cpu", "gpu"])
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_after_100_steps_four_replicas_still_agree_with_one_device(vgpus, optimizer, variables_on):
    batches = batches_of(100)
    want = single_device_weights(optimizer, 100, batches)
    got = replicated_weights(4, optimizer, variables_on, 100, batches)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("vgpus", [4], indirect=True)
def test_a_replica_with_no_rows_contributes_nothing(vgpus):
    batches = batches_of(1, size=3)  # 3 // 4 = 0: replicas 0-2 get no rows, replica 3 all three
    want = single_device_weights("sgd", 1, batches)
    got = replicated_weights(4, "sgd", "cpu", 1, batches)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-7)


def copies_by_replica(report, n):
    """Per replica: the copies into its GPU and out of it (CopyInfo rows of the plan)."""
    into = [[c for c in report.copies if c.dst.name.endswith(f"GPU:{i}")] for i in range(n)]
    out = [[c for c in report.copies if c.src.name.endswith(f"GPU:{i}")] for i in range(n)]
    return into, out


@pytest.mark.parametrize("vgpus", [4], indirect=True)
@pytest.mark.parametrize("variables_on", ["cpu", "gpu"])
@pytest.mark.parametrize("n", [2, 4])
def test_each_replica_receives_each_weight_once_and_sends_one_fused_gradient_buffer(vgpus, n, variables_on):
    trainer, x, y, train_op, _ = replicated(n, "adam", variables_on)
    weight_bytes = \
        {name: w.nbytes for name, w in zip(["w1/read:0", "b1/read:0", "w2/read:0", "b2/read:0"], initial_weights())}
    fused = sum(weight_bytes.values())
    xv, yv = data(BATCH)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        report = sess.placement_report(train_op, {x: xv, y: yv})
    into, out = copies_by_replica(report, n)
    for i in range(n):
        sent = [(c.tensor.name, c.bytes, c.dst.name.rsplit("/", 1)[1]) for c in out[i]]
        received = {c.tensor.name: c.bytes for c in into[i] if "rows" not in c.tensor.name}
        rows = sorted(c.tensor.name for c in into[i] if "rows" in c.tensor.name)
        assert rows == [f"split/replica_{i}_rows:0", f"split_1/replica_{i}_rows:0"]  # its slice of x and y
        if variables_on == "cpu":
            assert sent == [(f"tower_{i}/fused_gradients:0", fused, "device:CPU:0")]
            assert received == {**weight_bytes, SCALE: 4}  # every weight once, and the 1 / batch scale
        elif not collective_applies(trainer.devices):  # logical GPUs sharing cards: through the host
            assert sent == [(f"tower_{i}/fused_gradients:0", fused, "device:CPU:0")]
            assert received == {"all_reduce/AddN:0": fused, SCALE: 4}
        else:  # the default collective all-reduce: the fused buffers meet on the GPUs, none visits the host
            assert sent == []
            assert received == {SCALE: 4}  # the 1 / global batch scale; no weight, no gradient
    assert len(report.copies) == sum(len(into[i]) + len(out[i]) for i in range(n))


@pytest.mark.parametrize("vgpus", [4], indirect=True)
@pytest.mark.parametrize("n", [2, 4])
def test_the_host_all_reduce_sends_one_fused_buffer_each_way(vgpus, n):
    gn.reset_default_graph()
    x, y = gn.placeholder(gn.float32, [None, 8]), gn.placeholder(gn.int32, [None])
    trainer = ReplicatedTrainer(OPTIMIZERS["adam"], gpus=n, variables_on="gpu",
                                communicator=gn.parallel.HostAllReduce())
    train_op, _ = trainer.minimize(lambda xs, ys: gn.reduce_sum(per_example_loss(xs, ys, initial_weights())), [x, y])
    fused = sum(w.nbytes for w in initial_weights())
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        report = sess.placement_report(train_op, dict(zip((x, y), data(BATCH))))
    into, out = copies_by_replica(report, n)
    for i in range(n):
        assert [(c.tensor.name, c.bytes) for c in out[i]] == [(f"tower_{i}/fused_gradients:0", fused)]
        assert sorted((c.tensor.name, c.bytes) for c in into[i] if "rows" not in c.tensor.name) == \
            [("all_reduce/AddN:0", fused), (SCALE, 4)]


@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_trainer_rejects_bad_arguments_clearly(vgpus):
    sgd = gn.train.GradientDescentOptimizer(0.1)
    with pytest.raises(ValueError, match="variables_on must be one of \\['cpu', 'gpu'\\], got 'host'"):
        ReplicatedTrainer(sgd, gpus=2, variables_on="host")
    with pytest.raises(TypeError, match="pass a zero-argument factory"):
        ReplicatedTrainer(sgd, gpus=2, variables_on="gpu")
    with pytest.raises(ValueError, match=r"Asked for GPUs \['/gpu:0', '/gpu:1', '/gpu:2'\] \(3\), but this machine "
                                         r"has 2 GPU\(s\): /gpu:0, /gpu:1"):
        ReplicatedTrainer(sgd, gpus=3)
    trainer = ReplicatedTrainer(sgd)
    assert trainer.devices == ["/gpu:0", "/gpu:1"]  # every GPU by default
    v = gn.Variable([1.0], name="v")
    with pytest.raises(ValueError, match="expected 2 gradient lists \\(one per replica\\), got 1"):
        trainer.apply_gradients([[(gn.constant([1.0]), v)]])
