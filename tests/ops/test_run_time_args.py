"""Integer arguments given as tensors known only at run time (TF1 accepts them): slice begin/size, transpose
perm, pad paddings, broadcast_to shape, reduction axis, one_hot depth, top_k k, ``x[i]``, split sizes. Each is
checked fed (a placeholder) and computed (from shapes, evaluated on the host), values against NumPy on every
device, gradients against finite differences, and bad run-time values as InvalidArgumentError."""
import numpy as np
import pytest

import gpunet as gn

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4) * 0.37 - 3.0


CASES = {  # name: (build(x, arg), arg value, computed(x) giving the same value, NumPy reference, differentiable)
    "slice": (lambda x, a: gn.slice(x, a, [1, 2, -1]), [1, 1, 2], lambda x: gn.shape(x) - gn.shape(x) + [1, 1, 2],
              lambda v: v[1:2, 1:3, 2:], True),
    "slice-size": (lambda x, a: gn.slice(x, [0, 1, 1], a), [2, 2, 3], lambda x: gn.shape(x) - [0, 1, 1],
                   lambda v: v[0:2, 1:3, 1:4], True),
    "transpose": (lambda x, a: gn.transpose(x, a), [2, 0, 1], lambda x: gn.shape(x) // 2 + [1, -1, -1],
                  lambda v: v.transpose(2, 0, 1), True),
    "pad": (lambda x, a: gn.pad(x, a), [[0, 1], [2, 0], [1, 1]],
            lambda x: gn.stack([gn.shape(x) - [2, 1, 3], gn.shape(x) - [1, 3, 3]], axis=1),
            lambda v: np.pad(v, [[0, 1], [2, 0], [1, 1]]), True),
    "pad-reflect": (lambda x, a: gn.pad(x, a, "REFLECT"), [[1, 0], [1, 1], [0, 2]],
                    lambda x: gn.stack([gn.shape(x) - [1, 2, 4], gn.shape(x) - [2, 2, 2]], axis=1),
                    lambda v: np.pad(v, [[1, 0], [1, 1], [0, 2]], mode="reflect"), True),
    "broadcast_to": (lambda x, a: gn.broadcast_to(x[:, :1], a), [3, 2, 3, 4],
                     lambda x: gn.concat([[3], gn.shape(x)], 0),
                     lambda v: np.broadcast_to(v[:, :1], (3, 2, 3, 4)), True),
    "reduce_sum": (lambda x, a: gn.reduce_sum(x, a), [0, 2], lambda x: gn.shape(x)[:2] * [0, 1] - [0, 1],
                   lambda v: v.sum(axis=(0, 2)), True),
    "reduce_mean-keep": (lambda x, a: gn.reduce_mean(x, a, keepdims=True), 1, lambda x: gn.rank(x) - 2,
                         lambda v: v.mean(axis=1, keepdims=True), True),
    "reduce_max": (lambda x, a: gn.reduce_max(x, a), -1, lambda x: 2 - gn.rank(x),
                   lambda v: v.max(axis=-1), False),
    "top_k": (lambda x, a: gn.nn.top_k(x, a).values, 3, lambda x: gn.shape(x)[1],
              lambda v: -np.sort(-v, axis=-1)[..., :3], True),
    "getitem": (lambda x, a: x[:, a], 2, lambda x: gn.shape(x)[0], lambda v: v[:, 2], True),
    "getitem-negative": (lambda x, a: x[a], -1, lambda x: gn.rank(x) - 4, lambda v: v[-1], True),
    "split": (lambda x, a: gn.split(x, a, axis=2)[1], [1, 3], lambda x: gn.shape(x)[1:] - [2, 1],
              lambda v: v[:, :, 1:], True),
}


def _arg(kind, value, x, compute):
    if kind == "computed":
        return compute(x), {}
    a = gn.placeholder(gn.int32, np.shape(value))
    return a, {a: np.asarray(value, np.int32)}


@pytest.mark.parametrize("kind", ["fed", "computed"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_numpy(device, name, kind):
    build, value, compute, reference, _ = CASES[name]
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None, 3, 4])
        a, feed = _arg(kind, value, x, compute)
        y = build(x, a)
    with gn.Session() as sess:
        meta = gn.RunMetadata()
        got = sess.run(y, {x: X, **feed}, run_metadata=meta)
    if kind == "computed":  # a function of shapes is evaluated on the host: nothing is copied or read back
        assert meta.copy_stats.count == 0
    want = reference(X)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("kind", ["fed", "computed"])
@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n][4]))
def test_gradients_match_finite_differences(device, name, kind):
    build, value, compute, reference, _ = CASES[name]
    weights = np.random.default_rng(0).standard_normal(reference(X).shape).astype(np.float32)
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None, 3, 4])
        a, feed = _arg(kind, value, x, compute)
        loss = gn.reduce_sum(build(x, a) * weights)
        (grad,) = gn.gradients(loss, [x])
    with gn.Session() as sess:
        got = sess.run(grad, {x: X, **feed})
    want = np.zeros_like(X, dtype=np.float64)
    eps = 1e-3
    for i in np.ndindex(X.shape):
        step = np.zeros_like(X, dtype=np.float64)
        step[i] = eps
        plus = (reference(X + step) * weights).sum(dtype=np.float64)
        minus = (reference(X - step) * weights).sum(dtype=np.float64)
        want[i] = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(got, want, atol=2e-2)


def test_static_shapes_are_inferred_as_far_as_the_arguments_allow():
    x = gn.placeholder(gn.float32, [None, 3, 4])
    a = gn.placeholder(gn.int32, [2])
    assert gn.reduce_sum(x, a).shape.as_list() == [None]
    assert gn.broadcast_to(x, gn.stack([5, gn.shape(x)[0], 3, 4])).shape.as_list() == [5, None, 3, 4]
    assert x[a[0]].shape.as_list() == [3, 4]
    assert gn.nn.top_k(x, a[0]).indices.shape.as_list() == [None, 3, None]
    assert gn.slice(x, a, [1, -1, 2]).shape.as_list() == [1, None, 2]
    n = gn.shape(x)[0]  # a size of -1 after a begin known when the graph is built keeps the rest of the dim
    assert gn.slice(x, [n // 2, 0, 1], [n - n // 2, -1, -1]).shape.as_list() == [None, 3, 3]
    assert gn.slice(x, [n // 2, a[0], 1], [-1, -1, 2]).shape.as_list() == [None, None, 2]
    assert [t.shape.as_list() for t in gn.split(x, a, axis=1)] == [[None, None, 4]] * 2


def test_one_hot_depth_at_run_time(device):
    with gn.device(device):
        i = gn.placeholder(gn.int32, [None])
        d = gn.placeholder(gn.int32, [])
        y = gn.one_hot(i, d)
        z = gn.one_hot(i, gn.shape(i)[0] + 1, axis=0)
    with gn.Session() as sess:
        got, got_axis = sess.run([y, z], {i: [2, 0, 5], d: 4})
    np.testing.assert_array_equal(got, np.array([[0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0]], np.float32))
    np.testing.assert_array_equal(got_axis, (np.arange(4)[:, None] == [2, 0, 5]).astype(np.float32))


BAD = {  # build, bad value, TF1's message fragment
    "slice": (lambda x, a: gn.slice(x, a, [1, 1, 1]), [2, 0, 0], "out of bounds"),
    "transpose": (lambda x, a: gn.transpose(x, a), [0, 0, 1], "not a permutation"),
    "pad": (lambda x, a: gn.pad(x, a), [[0, -1], [0, 0], [0, 0]], "non-negative"),
    "reduce_sum": (lambda x, a: gn.reduce_sum(x, a), [3], "Invalid reduction dimension 3"),
    "top_k": (lambda x, a: gn.nn.top_k(x, a[0]).values, [5], "at least k=5"),
    "getitem": (lambda x, a: x[a[0]], [2], "out of bounds"),
    "split": (lambda x, a: gn.split(x, a, axis=2)[0], [1, 2], "do not add up"),
    "broadcast_to": (lambda x, a: gn.broadcast_to(x, a), [2, 2, 4], "Dimensions must be equal, but are 3 and 2"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_run_time_values_are_invalid_argument_errors(device, name):
    build, value, message = BAD[name]
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None, 3, 4])
        a = gn.placeholder(gn.int32, np.shape(value))
        y = build(x, a)
    with gn.Session() as sess, pytest.raises(gn.errors.InvalidArgumentError, match=message):
        sess.run(y, {x: X, a: value})


def test_a_constant_tensor_argument_is_folded_when_the_graph_is_built():
    x = gn.placeholder(gn.float32, [None, 3, 4])
    y = gn.slice(x, gn.constant([0, 1, 0]), [1, 2, 4])
    assert y.op.type == "Slice" and y.shape.as_list()[1:] == [2, 4]
    assert gn.reduce_sum(x, gn.constant(1)).op.type == "Sum"


def test_a_float_tensor_argument_is_a_type_error():
    x = gn.placeholder(gn.float32, [None, 3])
    with pytest.raises(TypeError, match="perm must be int32 or int64, got float32"):
        gn.transpose(x, gn.placeholder(gn.float32, [2]))


def test_arguments_that_change_every_step_keep_giving_the_right_values():
    x = gn.placeholder(gn.float32, [None])
    b = gn.placeholder(gn.int32, [1])
    y = gn.slice(x, b, [3])
    values = np.arange(200, dtype=np.float32)
    with gn.Session() as sess:
        for start in range(150):  # more distinct values than the op keeps kernels for
            np.testing.assert_array_equal(sess.run(y, {x: values, b: [start]}), values[start:start + 3])
