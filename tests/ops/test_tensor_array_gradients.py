"""Gradients through gn.TensorArray: against central finite differences in float64 and against the
values TF 2.21's tf.compat.v1 graph mode gives (recorded below), through every op and inside
gn.while_loop (the dynamic_rnn pattern: unstack inputs, read and write in a loop, stack outputs)."""
import numpy as np
import pytest

import gpunet as gn

X0 = np.arange(12, dtype=np.float64).reshape(4, 3) / 10.0


def _numeric(sess, loss, x, value, eps=1e-6):
    grad = np.zeros_like(value)
    for pos in np.ndindex(value.shape):
        sides = []
        for delta in (eps, -eps):
            shifted = value.copy()
            shifted[pos] += delta
            sides.append(sess.run(loss, {x: shifted}))
        grad[pos] = (sides[0] - sides[1]) / (2 * eps)
    return grad


def _gradient(build, value=X0, device="/cpu:0"):
    """(loss, analytic gradient, numeric gradient) of ``build(x)`` at ``value``."""
    with gn.device(device):
        x = gn.placeholder(gn.float64, value.shape)
        loss = build(x)
        (grad,) = gn.gradients(loss, [x])
    with gn.Session() as sess:
        got_loss, got = sess.run([loss, grad], {x: value})
        return got_loss, got, _numeric(sess, loss, x, value)


def _split_scatter_gather(x):
    ta = gn.TensorArray(gn.float64, 2).split(x, [2, 2])
    tb = gn.TensorArray(gn.float64, 4).scatter([3, 0, 1, 2], x * x)
    return gn.reduce_sum(ta.concat() * tb.gather([0, 1, 2, 3])) + gn.reduce_sum(tb.read(3) * tb.read(3))


def _recurrence(x):
    ta = gn.TensorArray(gn.float64, 4).unstack(x)

    def body(i, h, out):
        h = gn.sin(ta.read(i) * h + ta.read(3 - i))
        return i + 1, h, out.write(i, h * ta.read(i))
    _, h, out = gn.while_loop(lambda i, h, o: i < 4, body,
                              [0, gn.ones([3], gn.float64), gn.TensorArray(gn.float64, 0, dynamic_size=True)])
    return gn.reduce_sum(out.stack() * gn.constant(np.arange(12.0).reshape(4, 3))) + gn.reduce_sum(h * h)


TF1 = {  # tf.compat.v1 with clear_after_read=False (a gn.TensorArray read never clears)
    _split_scatter_gather: (2.8997, [[0.09, 0.364, 0.722], [0.36, 0.57, 0.84], [1.17, 1.56, 2.01],
                                     [1.08, 1.41, 1.8]]),
    _recurrence: (43.748044856533525, [[8.26614686, 8.26180318, 6.65172063], [12.77530401, 12.31919403, 9.59048011],
                                       [13.43560604, 14.27594463, 12.34525744],
                                       [10.98053778, 14.4419778, 14.95932136]]),
}


@pytest.mark.parametrize("build", list(TF1), ids=lambda f: f.__name__)
def test_gradients_match_tf1_and_finite_differences(device, build):
    loss, got, numeric = _gradient(build, device=device)
    want_loss, want = TF1[build]
    np.testing.assert_allclose(loss, want_loss, rtol=1e-12)
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-7)


def test_dynamic_rnn_pattern_in_float32_matches_tf1():
    x = gn.constant(np.arange(6, dtype=np.float32).reshape(3, 2))
    ta = gn.TensorArray(gn.float32, size=3).unstack(x)

    def body(i, h, out):
        h = gn.tanh(ta.read(i) * h + 0.5)
        return i + 1, h, out.write(i, h * h)
    _, h, out = gn.while_loop(lambda i, h, o: i < 3, body, [0, gn.ones([2]), gn.TensorArray(gn.float32, size=3)])
    y = out.stack()
    loss = gn.reduce_sum(y * gn.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])) + gn.reduce_sum(h)
    (gx,) = gn.gradients(loss, [x])
    got_y, got_gx = gn.Session().run([y, gx])
    np.testing.assert_allclose(got_y, [[0.21355225, 0.8192935], [0.7929528, 0.99357677], [0.9988152, 0.99993086]],
                               rtol=1e-6)
    np.testing.assert_allclose(got_gx, [[2.4838102, 0.68204808], [0.51619184, 0.046388354],
                                        [0.011599389, 8.9591806e-04]], rtol=1e-5, atol=5e-6)


@pytest.mark.parametrize("build", [
    lambda x: gn.TensorArray(gn.float64, 4).unstack(x).stack(),
    lambda x: gn.TensorArray(gn.float64, 5).unstack(x).write(4, x[1] * 3.0).stack(),
    lambda x: gn.TensorArray(gn.float64, 2).split(gn.reshape(x, [12]), [6, 6]).read(1),
    lambda x: gn.TensorArray(gn.float64, 0, dynamic_size=True).scatter([5, 2], x[1:3]).stack(),
    lambda x: gn.TensorArray(gn.float64, 4).unstack(x).gather([1, 1, 3]),
    lambda x: gn.TensorArray(gn.float64, 3, element_shape=[3]).write(2, x[0]).stack(),
], ids=["unstack-stack", "unstack-write", "split-read", "dynamic-scatter", "gather-repeated", "given-shape"])
def test_each_op_against_finite_differences(build):
    def loss(x):
        y = build(x)
        return gn.reduce_sum(gn.sin(y) * y)  # each element's gradient differs
    _, got, numeric = _gradient(loss)
    assert np.abs(got).sum() > 0
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8)


def test_reading_an_unwritten_element_gives_the_written_one_no_gradient():
    x = gn.placeholder(gn.float64, [3])
    ta = gn.TensorArray(gn.float64, 2, element_shape=[3]).write(0, x * 2.0)
    grads = gn.gradients(gn.reduce_sum(ta.read(1)), [x])
    np.testing.assert_array_equal(gn.Session().run(grads, {x: np.ones(3)})[0], np.zeros(3))


def test_gradients_inside_a_loop_on_a_virtual_gpu_stay_there(vgpus):
    _, got, numeric = _gradient(_recurrence, device="/gpu:1")
    np.testing.assert_allclose(got, TF1[_recurrence][1], rtol=1e-7)
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-7)
