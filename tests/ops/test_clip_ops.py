"""gn.clip_by_norm, gn.global_norm and gn.clip_by_global_norm against TF1's formulas in NumPy."""
import numpy as np
import pytest

import gpunet as gn


def _run(fetches, feed=None):
    with gn.Session() as sess:
        return sess.run(fetches, feed)


@pytest.mark.parametrize("value, clip, axes", [
    (np.array([[3.0, 4.0], [0.3, 0.4]]), 2.0, None), (np.array([[3.0, 4.0], [0.3, 0.4]]), 2.0, [1]),
    (np.array([[3.0, 4.0], [0.3, 0.4]]), 100.0, None), (np.zeros((2, 2)), 1.0, None),
])
def test_clip_by_norm(value, clip, axes):
    t = gn.constant(value.astype(np.float32))
    clipped = gn.clip_by_norm(t, clip, axes=axes)
    norm = np.sqrt((value ** 2).sum(axis=None if axes is None else tuple(axes), keepdims=True))
    expected = value * clip / np.maximum(norm, clip)
    np.testing.assert_allclose(_run(clipped), expected, rtol=1e-6)
    assert clipped.op.name == "clip_by_norm" and clipped.dtype == gn.float32


def test_clip_by_norm_gradient_is_finite_at_zero():
    x = gn.Variable(np.zeros(3, np.float32))
    grad = gn.gradients(gn.reduce_sum(gn.clip_by_norm(x, 1.0)), x)[0]
    with gn.Session() as sess:
        sess.run(x.initializer)
        np.testing.assert_allclose(sess.run(grad), np.ones(3))


def test_global_norm_and_clip_by_global_norm_keep_none():
    a, b = np.array([3.0, 4.0], np.float32), np.array([[12.0]], np.float32)  # global norm 13
    clipped, norm = gn.clip_by_global_norm([gn.constant(a), None, gn.constant(b)], 6.5)
    assert clipped[1] is None and len(clipped) == 3
    got_a, got_b, got_norm = _run([clipped[0], clipped[2], norm])
    assert got_norm == pytest.approx(13.0) and _run(gn.global_norm([a, None, b])) == pytest.approx(13.0)
    np.testing.assert_allclose(got_a, a / 2) and np.testing.assert_allclose(got_b, b / 2)
    small, _ = gn.clip_by_global_norm([gn.constant(a)], 100.0)
    np.testing.assert_allclose(_run(small[0]), a)  # under the limit: unchanged


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # inf - inf, on purpose
def test_clip_by_global_norm_with_use_norm_and_non_finite_norm():
    a = np.array([3.0, 4.0], np.float32)
    clipped, norm = gn.clip_by_global_norm([a], 1.0, use_norm=gn.constant(10.0))
    np.testing.assert_allclose(_run(clipped[0]), a / 10, rtol=1e-6)
    bad, _ = gn.clip_by_global_norm([np.array([np.inf, 1.0], np.float32)], 1.0)
    assert np.isnan(_run(bad[0])).all()  # TF1: a non-finite norm makes the clipped values NaN


def test_clip_by_global_norm_trains_an_optimizer():
    w = gn.Variable([3.0, 4.0])
    loss = gn.reduce_sum(w * w) / 2.0  # gradient = w, norm 5
    opt = gn.train.GradientDescentOptimizer(1.0)
    grads, variables = zip(*opt.compute_gradients(loss), strict=True)
    clipped, _ = gn.clip_by_global_norm(grads, 1.0)
    train = opt.apply_gradients(zip(clipped, variables, strict=True))
    with gn.Session() as sess:
        sess.run(w.initializer)
        sess.run(train)
        np.testing.assert_allclose(sess.run(w), [3.0 - 0.6, 4.0 - 0.8], rtol=1e-6)


def test_bad_lists_are_refused():
    with pytest.raises(TypeError, match="t_list should be a sequence"):
        gn.global_norm(gn.constant([1.0]))
    with pytest.raises(TypeError, match="t_list should be a sequence"):
        gn.clip_by_global_norm(gn.constant([1.0]), 1.0)
    with pytest.raises(ValueError, match="no tensors"):
        gn.global_norm([None])
