"""A join (``FlatConcat``) whose inputs come from ops that can write into given memory, on its device
and read by it alone, is built in place: the producers write into its buffer (graph/in_place.py).
The values are the plain plan's bit for bit; every other input is copied in as before."""
import numpy as np
import pytest

import gpunet as gn
from gpunet.graph.registry import apply_op
from gpunet.ops.fusion_ops import flat_concat

RNG = np.random.default_rng(3)
A, B = RNG.standard_normal((5, 4)).astype(np.float32), RNG.standard_normal((4, 3)).astype(np.float32)
G = RNG.standard_normal((6, 3)).astype(np.float32)


def _bias_grad(g):
    return apply_op("BiasAddGrad", [g], {"data_format": "NHWC"}).outputs[0]


def _join(device, build):
    """Run ``flat_concat(build(a, b, g))`` on ``device``; returns (value, the join's input count, its input
    count in the plan)."""
    with gn.device("/cpu:0"):
        a, b, g = (gn.placeholder(gn.float32, v.shape) for v in (A, B, G))
    with gn.device(device):
        parts, extra_fetches = build(a, b, g)
        joined = flat_concat(parts)
    with gn.Session() as sess:
        feed = {a: A, b: B, g: G}
        fetches = [joined] + extra_fetches
        values = sess.run(fetches, feed)
        plan = sess._plan(tuple(fetches), (a, b, g))
    step = next(s for s in plan._steps if s[4] is joined.op)
    return values, len(parts), len(step[1])


def _want(*parts):
    return np.concatenate([p.reshape(-1) for p in parts])


def test_products_and_bias_gradients_write_into_the_joined_buffer(device):
    values, inputs, plan_inputs = _join(device, lambda a, b, g: (
        [gn.matmul(a, b), _bias_grad(g), gn.matmul(a, b) * 2.0, gn.matmul(b, a, transpose_a=True, transpose_b=True)],
        []))
    np.testing.assert_array_equal(values[0], _want(A @ B, G.sum(0), 2 * (A @ B), (A @ B).T))
    # three producers write in place; the join reads the buffer and copies in the one product of a Mul
    assert (inputs, plan_inputs) == (4, 2)


def test_the_bits_are_those_of_the_plain_products(device):
    values, _, _ = _join(device, lambda a, b, g: ([gn.matmul(a, b), _bias_grad(g)], []))
    with gn.Graph().as_default(), gn.device(device):
        plain = gn.concat([gn.reshape(gn.matmul(A, B), [-1]), _bias_grad(gn.constant(G))], 0)
        with gn.Session() as sess:
            np.testing.assert_array_equal(values[0], sess.run(plain))


@pytest.mark.parametrize("case", ["read again", "fetched", "twice in the join", "elsewhere"])
def test_an_input_someone_else_reads_or_made_elsewhere_is_copied_in(vgpus, case):
    def build(a, b, g):
        product = gn.matmul(a, b)
        others = [_bias_grad(g), gn.matmul(b, a, transpose_a=True, transpose_b=True)]  # written in place
        if case == "read again":
            return [product] + others, [gn.reduce_sum(product)]
        if case == "fetched":
            return [product] + others, [product]
        if case == "twice in the join":
            return [product, product] + others, []
        with gn.device("/gpu:1"):
            return [gn.matmul(a, b), _bias_grad(g), gn.matmul(b, a, transpose_a=True, transpose_b=True)], []
    values, inputs, plan_inputs = _join("/gpu:0", build)
    parts = [A @ B, A @ B] if case == "twice in the join" else [A @ B]
    np.testing.assert_array_equal(values[0], _want(*parts, G.sum(0), (A @ B).T))
    # the join reads the buffer and copies in the products someone else reads, or all when made elsewhere
    assert plan_inputs == (inputs if case == "elsewhere" else 1 + len(parts))
    if case in ("read again", "fetched"):
        np.testing.assert_allclose(values[1], (A @ B).sum() if case == "read again" else A @ B, rtol=1e-6)


def test_a_replicated_step_builds_each_replicas_gradient_buffer_in_place(vgpus):
    """Each replica's fused gradients (two weights, two biases) are written in place by their producers."""
    with gn.device("/cpu:0"):
        x, y = gn.placeholder(gn.float32, [8, 4]), gn.placeholder(gn.int32, [8])

    def loss(x, y):
        hidden = gn.nn.relu(gn.layers.dense(x, 5, name="hidden"))
        logits = gn.layers.dense(hidden, 3, name="out")
        return gn.reduce_mean(gn.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))

    trainer = gn.parallel.ReplicatedTrainer(gn.train.GradientDescentOptimizer(0.1), gpus=2)
    train_op, _ = trainer.minimize(loss, [x, y])
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        sess.run(train_op, {x: np.ones((8, 4), np.float32), y: np.arange(8) % 3})
        plan = sess._plan((train_op,), (x, y))
    joins = [s for s in plan._steps if s[4].type == "FlatConcat" and type(s[0]).__name__ != "CopyStep"]
    assert len(joins) == 2 and all(len(s[1]) == 1 for s in joins)
