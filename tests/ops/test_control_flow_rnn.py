"""A dynamic_rnn-style LSTM written by hand with gn ops and unrolled by gn.while_loop over the time
steps of a [T, B, D] input (outputs gathered by concat under a shape invariant): its outputs match
a NumPy LSTM, its gradients match finite differences in float64, and an optimizer trains it."""
import numpy as np
import pytest

import gpunet as gn

T, B, D, H = 5, 3, 2, 4


def _lstm(x, kernel, bias):
    """Outputs [T, B, H] of an LSTM (gates i, f, o, g; forget bias 1) over x [T, B, D]."""
    dtype = x.dtype
    h0 = gn.zeros([B, H], dtype)
    outputs0 = gn.zeros([0, B, H], dtype)

    def step(t, h, c, outputs):
        z = gn.matmul(gn.concat([gn.gather(x, t), h], 1), kernel) + bias
        i, f, o, g = gn.split(z, 4, axis=1)
        c = gn.sigmoid(f + 1.0) * c + gn.sigmoid(i) * gn.tanh(g)
        h = gn.sigmoid(o) * gn.tanh(c)
        return t + 1, h, c, gn.concat([outputs, gn.expand_dims(h, 0)], 0)

    steps = gn.shape(x)[0]
    shapes = [gn.TensorShape([]), h0.shape, h0.shape, gn.TensorShape([None, B, H])]
    return gn.while_loop(lambda t, h, c, outputs: t < steps, step, [0, h0, h0, outputs0], shape_invariants=shapes)[3]


def _numpy_lstm(x, kernel, bias):
    sigmoid = lambda v: 1 / (1 + np.exp(-v))
    h, c, outputs = np.zeros((B, H)), np.zeros((B, H)), []
    for x_t in x:
        i, f, o, g = np.split(np.concatenate([x_t, h], 1) @ kernel + bias, 4, axis=1)
        c = sigmoid(f + 1.0) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs) if outputs else np.zeros((0, B, H))


def _weights(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 0.5, (D + H, 4 * H)).astype(dtype), rng.normal(0, 0.1, 4 * H).astype(dtype)


@pytest.mark.parametrize("steps", [0, 1, T])
def test_outputs_match_numpy(device, steps):
    kernel_value, bias_value = _weights(np.float32)
    x_value = np.random.default_rng(1).normal(size=(steps, B, D)).astype(np.float32)
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None, B, D])
        outputs = _lstm(x, gn.constant(kernel_value), gn.constant(bias_value))
    assert outputs.shape == (None, B, H)
    with gn.Session() as sess:
        got = sess.run(outputs, {x: x_value})
    np.testing.assert_allclose(got, _numpy_lstm(x_value, kernel_value, bias_value), rtol=1e-5, atol=1e-6)


def test_gradients_match_finite_differences_in_float64():
    kernel_value, bias_value = _weights(np.float64)
    x_value = np.random.default_rng(2).normal(size=(T, B, D))
    x = gn.placeholder(gn.float64, [None, B, D])
    kernel, bias = gn.placeholder(gn.float64, kernel_value.shape), gn.placeholder(gn.float64, bias_value.shape)
    target = np.random.default_rng(3).normal(size=(T, B, H))
    loss = gn.reduce_sum(gn.square(_lstm(x, kernel, bias) - target))
    grads = gn.gradients(loss, [x, kernel, bias])
    feed = {x: x_value, kernel: kernel_value, bias: bias_value}
    with gn.Session() as sess:
        got = sess.run(grads, feed)
        for tensor, analytic in zip([x, kernel, bias], got):
            value, numeric = feed[tensor], np.zeros_like(feed[tensor])
            for pos in np.ndindex(value.shape):
                sides = []
                for delta in (1e-6, -1e-6):
                    shifted = value.copy()
                    shifted[pos] += delta
                    sides.append(sess.run(loss, {**feed, tensor: shifted}))
                numeric[pos] = (sides[0] - sides[1]) / 2e-6
            np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7, err_msg=tensor.name)


def test_an_optimizer_trains_the_loop_weights():
    kernel_value, bias_value = _weights(np.float32)
    kernel, bias = gn.Variable(kernel_value, name="kernel"), gn.Variable(bias_value, name="bias")
    x = gn.placeholder(gn.float32, [None, B, D])
    rng = np.random.default_rng(4)
    x_value = rng.normal(size=(T, B, D)).astype(np.float32)
    target = np.tanh(np.cumsum(x_value, 0)[..., :1] * np.ones(H)).astype(np.float32)  # a running sum to recall
    loss = gn.reduce_mean(gn.square(_lstm(x, kernel, bias) - target))
    train = gn.train.AdamOptimizer(0.05).minimize(loss)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        losses = [sess.run([train, loss], {x: x_value})[1] for _ in range(30)]
    assert losses[-1] < 0.5 * losses[0], losses
    assert all(np.isfinite(losses))
