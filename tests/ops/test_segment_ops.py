"""unsorted_segment_sum and segment_sum: values against NumPy over dtypes, id ranks, empty inputs and devices;
TF1's errors for bad ids (run time) and bad arguments (build time)."""
import numpy as np
import pytest

import gpunet as gn
from tests.ops.cases_segment import _segment_sums


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64], ids=lambda d: d.__name__)
def test_segment_sums_match_numpy(device, dtype):
    data = np.arange(24).reshape(4, 2, 3).astype(dtype)
    with gn.device(device):
        d = gn.placeholder(dtype, [None, 2, 3])
        i1, i2 = gn.placeholder(gn.int32, [None]), gn.placeholder(gn.int64, [None, 2])
        ys = [gn.unsorted_segment_sum(d, i1, 3), gn.unsorted_segment_sum(d, i2, 5), gn.segment_sum(d, i1)]
    ids1, ids2 = np.array([2, -1, 0, 2], np.int32), np.array([[4, 0], [0, -3], [1, 1], [4, 4]], np.int64)
    with gn.Session() as sess:
        by_rows, by_pairs = sess.run(ys[:2], {d: data, i1: ids1, i2: ids2})
        sorted_sums = sess.run(ys[2], {d: data, i1: [0, 0, 3, 3]})
        empty = sess.run(ys, {d: data[:0], i1: ids1[:0], i2: ids2[:0]})
    np.testing.assert_array_equal(by_rows, _segment_sums(data, ids1, 3))
    np.testing.assert_array_equal(by_pairs, _segment_sums(data, ids2, 5))
    np.testing.assert_array_equal(sorted_sums, _segment_sums(data, np.array([0, 0, 3, 3]), 4))
    assert by_rows.dtype == sorted_sums.dtype == dtype
    assert [e.shape for e in empty] == [(3, 2, 3), (5, 3), (0, 2, 3)]
    assert all(not e.any() for e in empty)


BAD_RUN = [
    ("unsorted", [0, 3, 1, 1], "segment_ids value 3 is out of range [0, 3)"),
    ("sorted", [0, 2, 1, 1], "segment ids are not increasing"),
    ("sorted", [-1, 0, 0, 0], "segment ids must be >= 0"),
]


@pytest.mark.parametrize("which,ids,message", BAD_RUN, ids=[m for _, _, m in BAD_RUN])
def test_bad_ids_are_invalid_argument_errors(device, which, ids, message):
    with gn.device(device):
        d = gn.placeholder(gn.float32, [None])
        i = gn.placeholder(gn.int32, [None])
        y = gn.unsorted_segment_sum(d, i, 3) if which == "unsorted" else gn.segment_sum(d, i)
    with gn.Session() as sess, pytest.raises(gn.errors.InvalidArgumentError) as info:
        sess.run(y, {d: np.ones(4, np.float32), i: ids})
    assert info.value.message.startswith(message)


BAD_BUILD = [
    (lambda: gn.unsorted_segment_sum(gn.zeros([4, 2]), gn.zeros([3], gn.int32), 2), ValueError,
     "segment_ids shape [3] must be a prefix of data shape [4,2]"),
    (lambda: gn.unsorted_segment_sum(gn.zeros([4]), gn.zeros([4]), 2), TypeError,
     "must be int32 or int64, got float32"),
    (lambda: gn.unsorted_segment_sum(gn.zeros([4]), gn.zeros([4], gn.int32), -1), ValueError, "non-negative, got -1"),
    (lambda: gn.segment_sum(gn.zeros([4, 2]), gn.zeros([4, 2], gn.int32)), ValueError, "must be a vector"),
]


@pytest.mark.parametrize("build,error,message", BAD_BUILD, ids=[m for _, _, m in BAD_BUILD])
def test_bad_arguments_fail_when_the_graph_is_built(build, error, message):
    with pytest.raises(error) as info:
        build()
    assert message in str(info.value)
