"""Gradients through gn.cond and gn.while_loop: against closed forms and central finite
differences in float64, with respect to fed inputs and captured variables, through nested
constructs, 0-iteration loops and maximum_iterations."""
import numpy as np
import pytest

import gpunet as gn


def _numeric(sess, loss, x, value, feed, eps=1e-6):
    grad = np.zeros_like(value)
    for pos in np.ndindex(value.shape):
        sides = []
        for delta in (eps, -eps):
            shifted = value.copy()
            shifted[pos] += delta
            sides.append(sess.run(loss, {**feed, x: shifted}))
        grad[pos] = (sides[0] - sides[1]) / (2 * eps)
    return grad


def _check(loss, x, value, feed=None, init=()):
    (grad,) = gn.gradients(loss, [x])
    assert grad is not None
    with gn.Session() as sess:
        for v in init:
            sess.run(v.initializer)
        got = sess.run(grad, {**(feed or {}), x: value})
        want = _numeric(sess, loss, x, value, feed or {})
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    return got


def _x(*shape, seed=0):
    return np.random.default_rng(seed).uniform(0.5, 1.5, shape)


@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_power_by_repeated_multiplication(n, device):
    with gn.device(device):
        x = gn.placeholder(gn.float64, [3])
        steps = gn.placeholder(gn.int32, [])
        _, y = gn.while_loop(lambda i, y: i < steps, lambda i, y: (i + 1, y * x), [0, gn.ones_like(x)])
        (dx,) = gn.gradients(gn.reduce_sum(y), [x])
    value = _x(3)
    with gn.Session(config=gn.ConfigProto(allow_soft_placement=True)) as sess:
        got = sess.run(dx, {x: value, steps: n})
    np.testing.assert_allclose(got, n * value ** (n - 1) if n else np.zeros(3), rtol=1e-12)


@pytest.mark.parametrize("pred", [True, False])
def test_cond_gradients_match_finite_differences(pred):
    x = gn.placeholder(gn.float64, [2, 2])
    p = gn.placeholder(gn.bool, [])
    w = gn.constant(_x(2, 2, seed=1))
    out = gn.cond(p, lambda: (gn.matmul(x, w), gn.tanh(x)), lambda: (x * x * w, gn.exp(x)))
    loss = gn.reduce_sum(out[0] * 1.5) + gn.reduce_sum(out[1])
    _check(loss, x, _x(2, 2), {p: pred})


def test_a_branch_returning_a_captured_tensor_or_a_constant():
    x = gn.placeholder(gn.float64, [])
    p = gn.placeholder(gn.bool, [])
    r = gn.cond(p, lambda: x, lambda: gn.constant(3.0, gn.float64))
    (dx,) = gn.gradients(r * 2.0, [x])
    with gn.Session() as sess:
        assert sess.run(dx, {x: 1.0, p: True}) == 2.0
        assert sess.run(dx, {x: 1.0, p: False}) == 0.0


def test_while_gradient_with_respect_to_a_captured_variable_and_the_initial_value():
    w = gn.Variable(np.float64(0.9), name="w")
    h0 = gn.placeholder(gn.float64, [2])
    _, h = gn.while_loop(lambda i, h: i < 3, lambda i, h: (i + 1, gn.tanh(h * w + 0.1)), [0, h0])
    loss = gn.reduce_sum(h * h)
    dw, dh0 = gn.gradients(loss, [w, h0])
    value = _x(2)
    with gn.Session() as sess:
        sess.run(w.initializer)
        got_w, got_h0 = sess.run([dw, dh0], {h0: value})
        want_h0 = _numeric(sess, loss, h0, value, {})
        shifted = []
        for delta in (1e-6, -1e-6):
            sess.run(w.assign(0.9 + delta))
            shifted.append(sess.run(loss, {h0: value}))
    np.testing.assert_allclose(got_h0, want_h0, rtol=1e-6)
    np.testing.assert_allclose(got_w, (shifted[0] - shifted[1]) / 2e-6, rtol=1e-6)


def test_cond_inside_while_gradient():
    x = gn.placeholder(gn.float64, [3])

    def body(i, y):
        return i + 1, gn.cond(gn.equal(i % 2, 0), lambda: y * x, lambda: gn.sin(y) + x)

    _, y = gn.while_loop(lambda i, y: i < 4, body, [0, gn.ones_like(x)])
    _check(gn.reduce_sum(y), x, _x(3))


def test_while_inside_while_gradient():
    x = gn.placeholder(gn.float64, [2])

    def outer(i, y):
        inner = gn.while_loop(lambda j, z: j < i, lambda j, z: (j + 1, z * x + 0.5), [0, y])[1]
        return i + 1, inner

    _, y = gn.while_loop(lambda i, y: i < 3, outer, [0, x])
    _check(gn.reduce_sum(y * y), x, _x(2))


def test_while_inside_cond_gradient():
    x = gn.placeholder(gn.float64, [2])
    p = gn.placeholder(gn.bool, [])
    loop = lambda: gn.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * x), [0, x])[1]
    r = gn.cond(p, loop, lambda: x * 2.0)
    for pred in (True, False):
        _check(gn.reduce_sum(r), x, _x(2), {p: pred})


def test_maximum_iterations_bounds_the_gradient_loop_too():
    x = gn.placeholder(gn.float64, [])
    y = gn.while_loop(lambda y: y < 1e9, lambda y: y * x, [gn.constant(1.0, gn.float64)], maximum_iterations=4)
    got = _check(y, x, np.array(1.5))
    np.testing.assert_allclose(got, 4 * 1.5 ** 3)


def test_growing_loop_variables_have_gradients():
    x = gn.placeholder(gn.float64, [1, 2])
    _, acc = gn.while_loop(lambda i, acc: i < 3, lambda i, acc: (i + 1, gn.concat([acc, acc * x], 0)),
                           [0, x], shape_invariants=[gn.TensorShape([]), gn.TensorShape([None, 2])])
    _check(gn.reduce_sum(acc * acc), x, _x(1, 2))


def test_back_prop_false_stops_gradients():
    x = gn.placeholder(gn.float64, [])
    y = gn.while_loop(lambda y: y < 10.0, lambda y: y * x, [x], back_prop=False)
    assert gn.gradients(y, [x]) == [None]


def test_cond_gradients_reach_variables_read_in_the_taken_branch_only():
    w = gn.Variable(np.float32(2.0), name="w")
    u = gn.Variable(np.float32(3.0), name="u")
    p = gn.placeholder(gn.bool, [])
    x = gn.constant(5.0)
    loss = gn.cond(p, lambda: w * w * x, lambda: u * x)
    dw, du = gn.gradients(loss, [w, u])
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        assert sess.run([dw, du], {p: True}) == [20.0, 0.0]
        assert sess.run([dw, du], {p: False}) == [0.0, 5.0]


def test_gradient_descent_through_a_cond_trains_the_taken_branch():
    w = gn.Variable(np.float32(4.0), name="w")
    p = gn.placeholder(gn.bool, [])
    loss = gn.cond(p, lambda: gn.square(w - 1.0), lambda: gn.square(w + 1.0))
    step = gn.train.GradientDescentOptimizer(0.25).minimize(loss)
    with gn.Session() as sess:
        sess.run(w.initializer)
        sess.run(step, {p: True})
        assert sess.run(w) == 4.0 - 0.25 * 2 * 3.0
        sess.run(step, {p: False})
        assert sess.run(w) == 2.5 - 0.25 * 2 * 3.5


# A capture computed outside from another capture (p = f(x), both read in the body): the path from p to x
# belongs to the gradient outside the construct; followed inside as well, it counted twice.
_CAPTURE_READS = {
    "gather": lambda p, x, t: gn.gather(p, t) * x[1],
    "slice": lambda p, x, t: p[0] * x[1],
}


@pytest.mark.parametrize("read", sorted(_CAPTURE_READS))
def test_while_gradient_of_a_capture_computed_from_another_capture(read, device):
    with gn.device(device):
        x = gn.placeholder(gn.float64, [2, 3])
        p = gn.constant(np.ones((4, 2, 3))) + x[0]
        body = lambda t, acc: (t + 1, acc + _CAPTURE_READS[read](p, x, t))  # noqa: E731
        _, total = gn.while_loop(lambda t, acc: t < 4, body, (gn.constant(0), gn.zeros((2, 3), gn.float64)))
        loss = gn.reduce_sum(total)
    value = np.arange(6.0).reshape(2, 3)
    with gn.device(device):
        (grad,) = gn.gradients(loss, [x])
    with gn.Session(config=gn.ConfigProto(allow_soft_placement=True)) as sess:
        got = sess.run(grad, {x: value})
        want = _numeric(sess, loss, x, value, {})
    np.testing.assert_allclose(got, [[24.0, 32.0, 40.0], [8.0, 16.0, 24.0]])  # TF 2.21's tf.compat.v1 gives these
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("pred", [True, False])
def test_cond_gradient_of_a_capture_computed_from_another_capture(pred):
    x = gn.placeholder(gn.float64, [3])
    p = gn.placeholder(gn.bool, [])
    scaled = x * 3.0
    out = gn.cond(p, lambda: scaled * x, lambda: gn.sin(scaled) + x)
    _check(gn.reduce_sum(out), x, _x(3), {p: pred})


def test_a_variable_read_outside_and_inside_a_loop_gets_its_gradient_once():
    v = gn.Variable(np.arange(6.0).reshape(2, 3))
    p = gn.constant(np.ones((4, 2, 3))) + v.value()[0]
    body = lambda t, acc: (t + 1, acc + gn.gather(p, t) * v.value()[1])  # noqa: E731
    _, total = gn.while_loop(lambda t, acc: t < 4, body, (gn.constant(0), gn.zeros((2, 3), gn.float64)))
    (grad,) = gn.gradients(gn.reduce_sum(total), [v])
    with gn.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_allclose(sess.run(grad), [[24.0, 32.0, 40.0], [8.0, 16.0, 24.0]])
