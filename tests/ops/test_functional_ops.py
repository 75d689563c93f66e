"""gn.map_fn, gn.scan, gn.foldl, gn.foldr: values, static shapes, dtypes and gradients against TF 2.21's
tf.compat.v1 (functional_reference.json, written by make_functional_reference.py from the cases of
functional_cases.py), gradients against finite differences, every device, errors."""
import json
import pathlib

import numpy as np
import pytest

import gpunet as gn
from gpunet.ops import nest
from tests.ops.functional_cases import CASES, X, loss

REFERENCE = json.loads((pathlib.Path(__file__).parent / "functional_reference.json").read_text())


def _numeric(sess, total, x, eps=1e-6):
    grad = np.zeros_like(X)
    for pos in np.ndindex(X.shape):
        sides = []
        for delta in (eps, -eps):
            shifted = X.copy()
            shifted[pos] += delta
            sides.append(sess.run(total, {x: shifted}))
        grad[pos] = (sides[0] - sides[1]) / (2 * eps)
    return grad


@pytest.mark.parametrize("case", sorted(CASES))
def test_values_shapes_and_gradients_match_tf1(device, case):
    want = REFERENCE[case]
    with gn.device(device):
        x = gn.placeholder(gn.float64, X.shape)
        flat = nest.flatten(CASES[case](gn, x))
        total = loss(gn, nest.flatten, flat)
        grads = [] if total is None else gn.gradients(total, [x])
    assert [t.shape.as_list() for t in flat] == want["shapes"]
    assert [t.dtype.name for t in flat] == want["dtypes"]
    with gn.Session() as sess:
        values = sess.run(flat, {x: X})
        for got, expected, dtype in zip(values, want["values"], want["dtypes"]):
            assert got.dtype == np.dtype(dtype)
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
        if total is not None:
            np.testing.assert_allclose(sess.run(total, {x: X}), want["loss"], rtol=1e-12)
            got = sess.run(grads[0], {x: X})
            np.testing.assert_allclose(got, want["grad"], rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(got, _numeric(sess, total, x), rtol=1e-6, atol=1e-7)


def test_structures_come_back_as_given():
    x = gn.constant(X)
    out = gn.map_fn(lambda d: {"a": d["a"] * 2.0, "b": d["b"]}, {"a": x, "b": x})
    assert sorted(out) == ["a", "b"]
    pair = gn.scan(lambda a, r: (a[0] + r, a[1]), x, initializer=(gn.zeros([3], gn.float64), gn.zeros([2])))
    assert isinstance(pair, tuple) and pair[1].shape.as_list() == [4, 2]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32, np.int64])
def test_each_dtype_keeps_its_dtype(dtype):
    values = np.arange(6).reshape(3, 2).astype(dtype)
    x = gn.constant(values)
    fetches = [gn.map_fn(lambda r: r * 2, x), gn.scan(lambda a, r: a + r, x), gn.foldl(lambda a, r: a + r, x),
               gn.foldr(lambda a, r: a - r, x)]
    got = gn.Session().run(fetches)
    assert all(g.dtype == dtype for g in got)
    np.testing.assert_array_equal(got[0], values * 2)
    np.testing.assert_array_equal(got[1], np.cumsum(values, 0))
    np.testing.assert_array_equal(got[2], values.sum(0))
    np.testing.assert_array_equal(got[3], values[2] - values[1] - values[0])


def test_elements_of_unknown_length_and_empty_elements():
    x = gn.placeholder(gn.float32, [None, 2])
    mapped = gn.map_fn(lambda r: r + 1.0, x)
    folded = gn.foldl(lambda a, r: a + gn.reduce_sum(r), x, initializer=gn.constant(0.0))
    scanned = gn.scan(lambda a, r: a + r, x, initializer=gn.zeros([2]))
    assert mapped.shape.as_list() == [None, 2] and scanned.shape.as_list() == [None, 2]
    with gn.Session() as sess:
        values = np.arange(10, dtype=np.float32).reshape(5, 2)
        got = sess.run([mapped, folded, scanned], {x: values})
        np.testing.assert_array_equal(got[0], values + 1)
        assert got[1] == values.sum()
        np.testing.assert_array_equal(got[2], np.cumsum(values, 0))
        empty = sess.run([mapped, folded, scanned], {x: np.zeros((0, 2), np.float32)})
    assert empty[0].shape == (0, 2) and empty[1] == 0.0 and empty[2].shape == (0, 2)


def test_gradients_reach_captured_variables():
    w = gn.Variable(np.array([0.5, -1.0]), dtype=gn.float64)
    x = gn.constant(X[:, :2])
    out = gn.scan(lambda a, r: a * w + r, x)
    (gw,) = gn.gradients(gn.reduce_sum(out), [w])
    with gn.Session() as sess:
        sess.run(w.initializer)
        got = sess.run(gw)
    # d/dw of sum_t a_t with a_0 = x_0, a_t = a_{t-1} w + x_t, per column
    a, da, want = X[0, :2].copy(), np.zeros(2), np.zeros(2)
    for t in range(1, 4):
        da = da * np.array([0.5, -1.0]) + a
        a = a * np.array([0.5, -1.0]) + X[t, :2]
        want += da
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_errors_when_built():
    x = gn.constant(X)
    with pytest.raises(TypeError, match="fn must be callable"):
        gn.map_fn(None, x)
    with pytest.raises(ValueError, match="Elements in elems must be 1\\+ dimensional Tensors, not scalars"):
        gn.map_fn(lambda r: r, gn.constant(1.0))
    with pytest.raises(ValueError, match="fn's output must have the structure of elems"):
        gn.scan(lambda a, p: a[0] + p[0], (x, x))
    with pytest.raises(TypeError, match="has dtype float64, but dtype says int32"):
        gn.map_fn(lambda r: r, x, dtype=gn.int32)
    with pytest.raises(ValueError, match="fn's output must have the structure of initializer"):
        gn.foldl(lambda a, r: a[0], x, initializer=(x[0], x[0]))


def test_elements_of_different_lengths_fail_when_run():
    mapped = gn.map_fn(lambda p: p[0] + p[1], (gn.constant(X), gn.constant(np.zeros((5, 3)))), dtype=gn.float64)
    with pytest.raises(gn.errors.InvalidArgumentError, match="Tried to write to index 4 but array is not resizeable "
                                                             "and size is: 4"):
        gn.Session().run(mapped)


def test_back_prop_false_stops_gradients_as_tf1():
    x = gn.constant(X)
    y = gn.map_fn(lambda r: r * 2.0, x, back_prop=False)
    assert gn.gradients(gn.reduce_sum(y), [x]) == [None]
    np.testing.assert_array_equal(gn.Session().run(y), X * 2.0)
