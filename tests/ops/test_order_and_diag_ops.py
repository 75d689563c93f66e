"""reverse, sort/argsort, diag/diag_part, eye and linspace: values against NumPy over dtypes, empty inputs and
devices, and TF1's errors for bad arguments (build time) and bad fed shapes (run time)."""
import numpy as np
import pytest

import gpunet as gn

DTYPES = [np.float32, np.float64, np.int32, np.int64]
VALUES = np.array([[3, -1, 2, 2], [0, 5, 5, -4], [1, 1, 1, 1]])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_sort_and_argsort_match_numpy(device, dtype):
    v = VALUES.astype(dtype)
    with gn.device(device):
        x = gn.placeholder(dtype, [None, 4])
        ys = [gn.sort(x), gn.sort(x, axis=0, direction="DESCENDING"), gn.argsort(x), gn.argsort(x, 0, "DESCENDING")]
    with gn.Session() as sess:
        up, down, order, down_order = sess.run(ys, {x: v})
        empty = sess.run(ys[0], {x: v[:0]})
    np.testing.assert_array_equal(up, np.sort(v, axis=-1))
    np.testing.assert_array_equal(down, np.flip(np.sort(v, axis=0), 0))
    np.testing.assert_array_equal(order, np.argsort(v, axis=-1, kind="stable"))
    # descending ties keep index order, as TF1's top_k: a stable sort of the negated values
    np.testing.assert_array_equal(down_order, np.argsort(-v.astype(np.float64), axis=0, kind="stable"))
    assert up.dtype == dtype and order.dtype == np.int32 and empty.shape == (0, 4)


@pytest.mark.parametrize("dtype", DTYPES + [np.bool_], ids=lambda d: d.__name__)
def test_reverse_diag_and_diag_part_match_numpy(device, dtype):
    v = VALUES.astype(dtype)
    with gn.device(device):
        x = gn.placeholder(dtype, [3, None])
        ys = [gn.reverse(x, [1]), gn.reverse(x, [-1, 0]), gn.diag(x), gn.diag_part(gn.diag(x))]
    with gn.Session() as sess:
        flipped, both, diag, part = sess.run(ys, {x: v})
    np.testing.assert_array_equal(flipped, v[:, ::-1])
    np.testing.assert_array_equal(both, v[::-1, ::-1])
    np.testing.assert_array_equal(diag, np.diag(v.ravel()).reshape(3, 4, 3, 4))
    np.testing.assert_array_equal(part, v)
    assert diag.dtype == dtype and ys[2].shape.as_list() == [3, None, 3, None]


def test_eye_and_linspace_match_numpy(device):
    with gn.device(device):
        ys = [gn.eye(3), gn.eye(2, 4, batch_shape=[2], dtype=gn.int32), gn.eye(0),
              gn.linspace(-1.0, 2.0, 7), gn.lin_space(gn.constant(3.0, gn.float64), 4.0, 1)]
    with gn.Session() as sess:
        square, batch, empty, line, single = sess.run(ys)
    np.testing.assert_array_equal(square, np.eye(3, dtype=np.float32))
    np.testing.assert_array_equal(batch, np.broadcast_to(np.eye(2, 4, dtype=np.int32), (2, 2, 4)))
    assert empty.shape == (0, 0) and line.dtype == np.float32 and single.dtype == np.float64
    np.testing.assert_allclose(line, np.linspace(-1, 2, 7, dtype=np.float32), rtol=1e-6)
    np.testing.assert_array_equal(single, [3.0])


def _first_occurrence_unique(v):
    values, first, inverse = np.unique(v, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))
    return values[np.argsort(first)], rank[inverse]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("out_idx", [gn.int32, gn.int64], ids=str)
def test_unique_matches_numpy_in_order_of_first_occurrence(device, dtype, out_idx):
    with gn.device(device):
        x = gn.placeholder(dtype, [None])
        y, idx = gn.unique(x, out_idx=out_idx)
    with gn.Session() as sess:
        for v in (VALUES.ravel(), VALUES.ravel()[::-1], VALUES.ravel()[:1], VALUES.ravel()[:0]):
            got_y, got_idx = sess.run([y, idx], {x: v.astype(dtype)})
            want_y, want_idx = _first_occurrence_unique(v.astype(dtype))
            np.testing.assert_array_equal(got_y, want_y)
            np.testing.assert_array_equal(got_idx, want_idx)
            assert got_y.dtype == dtype and got_idx.dtype == out_idx.np


BAD = [
    (lambda: gn.unique(gn.zeros([2, 2])), ValueError, "x must be a vector, got shape [2,2]"),
    (lambda: gn.unique(gn.zeros([2]), out_idx=gn.float32), TypeError, "out_idx must be int32 or int64"),
    (lambda: gn.reverse(gn.zeros([2, 3]), [1, -1]), ValueError, "names a dimension twice"),
    (lambda: gn.reverse(gn.zeros([2, 3]), [2]), ValueError, "out of range"),
    (lambda: gn.sort(gn.zeros([2]), direction="UP"), ValueError, "direction must be 'ASCENDING' or 'DESCENDING'"),
    (lambda: gn.sort(gn.constant(1.0)), ValueError, "values must be at least 1-dimensional"),
    (lambda: gn.sort(gn.constant([True])), TypeError, "real number dtype, got bool"),
    (lambda: gn.argsort(gn.zeros([2, 3]), axis=2), ValueError, "out of range"),
    (lambda: gn.diag_part(gn.zeros([2, 3])), ValueError, "shape [d1, ..., dk, d1, ..., dk], got [2,3]"),
    (lambda: gn.diag_part(gn.zeros([2, 2, 2])), ValueError, "even rank"),
    (lambda: gn.linspace(0.0, 1.0, 0), ValueError, "requires num > 0, got 0"),
    (lambda: gn.linspace(0, 1, 3), TypeError, "start and stop must be floats"),
    (lambda: gn.linspace([0.0, 1.0], 1.0, 3), ValueError, "start must be a scalar"),
    (lambda: gn.eye(2, -1), ValueError, "sizes must be non-negative"),
    (lambda: gn.eye(2.5), TypeError, "num_rows must be a list of ints"),
]


@pytest.mark.parametrize("build,error,message", BAD, ids=[m for _, _, m in BAD])
def test_bad_arguments_fail_when_the_graph_is_built(build, error, message):
    with pytest.raises(error, match=message.replace("[", r"\[").replace("(", r"\(")):
        build()


def test_diag_part_of_a_fed_value_of_the_wrong_shape_is_an_invalid_argument(device):
    with gn.device(device):
        x = gn.placeholder(gn.float32)
        y = gn.diag_part(x)
    with gn.Session() as sess, pytest.raises(gn.errors.InvalidArgumentError, match=r"got \[2, 3\]"):
        sess.run(y, {x: np.zeros((2, 3), np.float32)})
