"""TF1 tower style: average_gradients, replica_device_setter + variable_scope reuse, the update on
/cpu:0; and the Keras-as-TF pattern (a model built on the CPU, called on two GPUs)."""
import numpy as np
import pytest

import gpunet as gn
from gpunet.parallel import ReplicatedTrainer, average_gradients

from .nets import data, initial_weights, per_example_loss


def test_average_gradients_averages_and_keeps_order_and_variable_objects():
    a, b = gn.Variable([1.0, 2.0], name="a"), gn.Variable(3.0, name="b")
    towers = [[(gn.constant([1.0, 1.0]), a), (gn.constant(2.0), b)],
              [(gn.constant([3.0, 5.0]), a), (gn.constant(4.0), b)],
              [(gn.constant([2.0, 0.0]), a), (gn.constant(9.0), b)]]
    averaged = average_gradients(towers)
    assert [v for _, v in averaged] == [a, b] and averaged[0][1] is a and averaged[1][1] is b
    with gn.Session() as sess:
        got = sess.run([g for g, _ in averaged])
    np.testing.assert_allclose(got[0], [2.0, 2.0])
    np.testing.assert_allclose(got[1], 5.0)
    assert averaged[0][0].dtype == gn.float32 and averaged[0][0].shape.as_list() == [2]


def test_average_gradients_handles_none_gradients():
    a, b = gn.Variable(1.0, name="a"), gn.Variable(1.0, name="b")
    averaged = average_gradients([[(None, a), (gn.constant(2.0), b)], [(None, a), (None, b)]])
    assert averaged[0] == (None, a)  # no tower depends on a: apply_gradients skips it
    with gn.Session() as sess:
        assert sess.run(averaged[1][0]) == 1.0  # tower 1 does not depend on b: it contributes zero


def test_average_gradients_rejects_mismatched_towers():
    a, b = gn.Variable(1.0, name="a"), gn.Variable(1.0, name="b")
    with pytest.raises(ValueError, match="same variables; got lists of lengths \\[1, 2\\]"):
        average_gradients([[(gn.constant(1.0), a)], [(gn.constant(1.0), a), (gn.constant(1.0), b)]])
    with pytest.raises(ValueError, match="disagree on variable a"):
        average_gradients([[(gn.constant(1.0), a)], [(gn.constant(1.0), b)]])
    with pytest.raises(ValueError, match="tower_grads is empty"):
        average_gradients([])


def build_tf1_towers(n, use_engine):
    """TF1's CIFAR-10 recipe: the batch split by hand, one tower per GPU, shared CPU variables."""
    xs = [gn.placeholder(gn.float32, [None, 8], name=f"x_{i}") for i in range(n)]
    ys = [gn.placeholder(gn.int32, [None], name=f"y_{i}") for i in range(n)]
    optimizer = gn.train.GradientDescentOptimizer(0.1)
    trainer = ReplicatedTrainer(optimizer, gpus=n)
    tower_grads = []
    for i in range(n):
        with gn.device(gn.train.replica_device_setter(ps_device="/cpu:0", worker_device=f"/gpu:{i}")), \
                gn.name_scope(f"tower_{i}"):
            loss = gn.reduce_mean(per_example_loss(xs[i], ys[i], initial_weights()))
            gn.get_variable_scope().reuse_variables()
            tower_grads.append(optimizer.compute_gradients(loss))
    if use_engine:
        train_op = trainer.apply_gradients(tower_grads)
    else:
        with gn.device("/cpu:0"):
            train_op = optimizer.apply_gradients(average_gradients(tower_grads))
    return xs, ys, train_op


@pytest.mark.parametrize("vgpus", [2], indirect=True)
@pytest.mark.parametrize("use_engine", [False, True], ids=["average_gradients", "engine"])
def test_tf1_towers_train_like_one_device_with_the_update_on_the_cpu(vgpus, use_engine):
    xs, ys, train_op = build_tf1_towers(2, use_engine)
    (x, y), variables = data(20), gn.trainable_variables()
    assert [v.name for v in variables] == ["w1:0", "b1:0", "w2:0", "b2:0"]  # shared, created once
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        feed = {xs[0]: x[:10], ys[0]: y[:10], xs[1]: x[10:], ys[1]: y[10:]}
        report = sess.placement_report(train_op, feed)
        sess.run(train_op, feed)
        got = sess.run(variables)
    with gn.Graph().as_default(), gn.device("/cpu:0"):
        loss = gn.reduce_mean(per_example_loss(gn.constant(x), gn.constant(y), initial_weights()))
        step = gn.train.GradientDescentOptimizer(0.1).minimize(loss)
        with gn.Session() as sess:
            sess.run(gn.global_variables_initializer())
            sess.run(step)
            want = sess.run(gn.trainable_variables())
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-7)
    device_of = {row.op: row.assigned.rsplit("/", 1)[1] for row in report.rows}
    assert device_of["w1"] == "device:CPU:0"
    assert device_of["tower_0/MatMul"] == "device:GPU:0" and device_of["tower_1/MatMul"] == "device:GPU:1"
    updates = [row for row in report.rows if row.type.startswith("ApplyGradientDescent")]
    assert len(updates) == 4 and {row.assigned.rsplit("/", 1)[1] for row in updates} == {"device:CPU:0"}
    if use_engine:  # one fused buffer per tower instead of four gradients
        assert sorted(c.tensor.name for c in report.copies if c.dst.name.endswith("CPU:0")) == \
            ["tower_0/fused_gradients:0", "tower_1/fused_gradients:0"]


@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_keras_model_built_on_the_cpu_called_on_two_gpus_merged_on_the_cpu(vgpus):
    with gn.device("/cpu:0"):
        inputs = gn.layers.Input(shape=(8,))
        model = gn.models.Model(inputs, gn.layers.Dense(3, name="dense")(inputs))
        a = gn.placeholder(gn.float32, [None, 8], name="a")
        b = gn.placeholder(gn.float32, [None, 8], name="b")
    with gn.device("/gpu:0"):
        out_a = model(a)
    with gn.device("/gpu:1"):
        out_b = model(b)
    with gn.device("/cpu:0"):
        merged = gn.concat([out_a, out_b], 0, name="merged")
    xa, xb = data(4)[0], data(5, seed=2)[0]
    sess = gn.Session()
    sess.run(gn.global_variables_initializer())
    kernel, bias = (sess.run(w) for w in model.weights)
    report = sess.placement_report(merged, {a: xa, b: xb})
    got = sess.run(merged, {a: xa, b: xb})
    np.testing.assert_allclose(got, np.concatenate([xa, xb]) @ kernel + bias, rtol=1e-5, atol=1e-6)
    device_of = {row.op: row.assigned.rsplit("/", 1)[1] for row in report.rows}
    assert device_of["merged"] == "device:CPU:0" and device_of["dense/kernel"] == "device:CPU:0"
    matmuls = sorted(device_of[row.op] for row in report.rows if row.type == "MatMul")
    assert matmuls == ["device:GPU:0", "device:GPU:1"]  # fetching the merged output ran both replicas
