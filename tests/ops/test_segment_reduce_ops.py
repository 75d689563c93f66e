"""segment_max/min/prod and unsorted_segment_max/min/prod: values and gradients against TF 2.21's (frozen in
scatter_reference.npz by make_scatter_reference.py) over dtypes, ties, empty segments, 0-d and empty data and
each device; TF1's errors for bad ids (run time) and bad arguments (build time). The gradients are also checked
against finite differences by the registry walk (tests/ops/cases_segment_reduce.py)."""
import os

import numpy as np
import pytest

import gpunet as gn
from tests.ops.scatter_inputs import SEGMENT_DTYPES, joined, segment_cases

REFERENCE = np.load(os.path.join(os.path.dirname(__file__), "scatter_reference.npz"))
CASES = [(f"{prefix}segment_{r}", dtype) for r, dtypes in SEGMENT_DTYPES.items() for prefix in ("", "unsorted_")
         for dtype in dtypes]
GRAD_TOLERANCE = {"float16": 2e-2, "float32": 1e-5, "float64": 1e-12}


def _build(fn, data, ids, num, device):
    with gn.device(device):
        d = gn.constant(data)
        y = getattr(gn, fn)(d, ids) if num is None else getattr(gn, fn)(d, ids, num)
    return d, y


# the probe weighs an empty unsorted max/min segment (the dtype's lowest/highest value) too: overflow, as in TF
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize("fn,dtype", CASES, ids=[f"{fn}-{dtype}" for fn, dtype in CASES])
def test_values_and_gradients_match_tf(fn, dtype, device):
    outputs, grads = [], []
    for variant, data, ids, num, probe in segment_cases(fn, dtype):
        d, y = _build(fn, data, ids, num, device)
        grad = None if probe is None else gn.gradients(gn.reduce_sum(y * probe), d)[0]
        with gn.Session() as sess:
            out = sess.run(y)
            grads += [] if grad is None else [sess.run(grad)]
        assert out.dtype == np.dtype(dtype), variant
        assert y.shape.is_compatible_with(out.shape), variant
        outputs.append(out)
    np.testing.assert_array_equal(joined(outputs), REFERENCE[f"segment/{fn}/{dtype}/out"])
    if grads:
        tolerance = GRAD_TOLERANCE[dtype]
        np.testing.assert_allclose(joined(grads), REFERENCE[f"segment/{fn}/{dtype}/grad"], rtol=tolerance,
                                   atol=tolerance)


def test_empty_segments_hold_tf1s_fill_values():
    data = np.array([[1, 2], [3, 4]], np.float32)
    with gn.Session() as sess:
        unsorted = sess.run([f(data, [2, 2], 3) for f in (gn.unsorted_segment_max, gn.unsorted_segment_min,
                                                          gn.unsorted_segment_prod)])
        sorted_ = sess.run([f(data, [1, 1]) for f in (gn.segment_max, gn.segment_min, gn.segment_prod)])
    lowest, highest = np.finfo(np.float32).min, np.finfo(np.float32).max
    np.testing.assert_array_equal(unsorted[0], [[lowest] * 2, [lowest] * 2, [3, 4]])
    np.testing.assert_array_equal(unsorted[1], [[highest] * 2, [highest] * 2, [1, 2]])
    np.testing.assert_array_equal(unsorted[2], [[1, 1], [1, 1], [3, 8]])
    np.testing.assert_array_equal(sorted_, [[[0, 0], [3, 4]], [[0, 0], [1, 2]], [[1, 1], [3, 8]]])


def test_ties_share_the_gradient_and_zeros_in_a_product():
    x = np.array([[1, 2], [3, 2], [3, 0], [2, 0]], np.float32)
    d, lone = gn.constant(x), gn.constant(x * [1, 0] + [[0, 2], [0, 2], [0, 0], [0, 5]])
    grads = [gn.gradients(gn.reduce_sum(y), t)[0] for y, t in ((gn.segment_max(d, [0, 0, 0, 1]), d),
                                                               (gn.segment_prod(d, [0, 0, 0, 0]), d),
                                                               (gn.unsorted_segment_prod(lone, [0, 0, 1, 1], 2), lone))]
    with gn.Session() as sess:
        max_grad, two_zeros, one_zero = sess.run(grads)
    np.testing.assert_array_equal(max_grad, [[0, 0.5], [0.5, 0.5], [0.5, 0], [1, 1]])
    np.testing.assert_array_equal(two_zeros, [[18, 0], [6, 0], [6, 0], [9, 0]])  # two zeros in column 1: all 0
    np.testing.assert_array_equal(one_zero, [[3, 2], [1, 2], [2, 5], [3, 0]])  # a lone zero gets the others'


@pytest.mark.parametrize("reduction", ["max", "min", "prod"])
def test_long_segments_match_numpy_reduceat(reduction, device):
    rng = np.random.default_rng(5)
    ids = np.sort(rng.integers(0, 4, 2000)).astype(np.int32)  # segments of about 500 rows
    data = rng.uniform(0.999, 1.001, (2000, 3)) if reduction == "prod" else rng.normal(size=(2000, 3))
    starts = np.searchsorted(ids, np.arange(4))
    expected = {"max": np.maximum, "min": np.minimum, "prod": np.multiply}[reduction].reduceat(data, starts)
    shuffled = rng.permutation(2000)
    with gn.device(device):
        ys = [getattr(gn, f"segment_{reduction}")(data, ids),
              getattr(gn, f"unsorted_segment_{reduction}")(data[shuffled], ids[shuffled], 4)]
    with gn.Session() as sess:
        got = sess.run(ys)
    for value in got:
        np.testing.assert_allclose(value, expected, rtol=1e-12)


BAD_RUN = [
    ("unsorted_segment_max", [0, 3, 1, 5], "segment_ids[1] = 3 is out of range [0, 3)"),
    ("unsorted_segment_prod", [0, 1, 1, 9], "segment_ids[3] = 9 is out of range [0, 3)"),
    ("segment_min", [0, 2, 1, 1], "segment ids are not increasing"),
    ("segment_max", [-1, 0, 0, 0], "Segment id -1 out of range [0, 1), possibly because 'segment_ids' input is "
                                   "not sorted."),
    ("segment_prod", [-1, -2, 0, 0], "segment ids are not increasing"),
]


@pytest.mark.parametrize("fn,ids,message", BAD_RUN, ids=[f"{fn}-{m}" for fn, _, m in BAD_RUN])
def test_bad_ids_are_invalid_argument_errors(fn, ids, message, device):
    with gn.device(device):
        d = gn.placeholder(gn.float32, [None])
        i = gn.placeholder(gn.int32, [None])
        y = getattr(gn, fn)(d, i, 3) if fn.startswith("unsorted") else getattr(gn, fn)(d, i)
    with gn.Session() as sess, pytest.raises(gn.errors.InvalidArgumentError) as info:
        sess.run(y, {d: np.ones(4, np.float32), i: ids})
    assert info.value.message.splitlines()[0] == message


BAD_BUILD = [
    (lambda: gn.unsorted_segment_max(gn.zeros([4, 2]), gn.zeros([3], gn.int32), 2), ValueError,
     "segment_ids shape [3] must be a prefix of data shape [4,2]"),
    (lambda: gn.unsorted_segment_min(gn.zeros([4]), gn.zeros([4]), 2), TypeError, "must be int32 or int64"),
    (lambda: gn.unsorted_segment_prod(gn.zeros([4]), gn.zeros([4], gn.int32), -1), ValueError,
     "non-negative, got -1"),
    (lambda: gn.segment_max(gn.zeros([4, 2]), gn.zeros([4, 2], gn.int32)), ValueError, "must be a vector"),
    (lambda: gn.segment_min(gn.zeros([4], gn.bool), gn.zeros([4], gn.int32)), TypeError,
     "SegmentMin does not support data of dtype bool"),
    (lambda: gn.unsorted_segment_prod(gn.zeros([4], gn.bool), gn.zeros([4], gn.int32), 1), TypeError,
     "UnsortedSegmentProd does not support data of dtype bool"),
]


@pytest.mark.parametrize("build,error,message", BAD_BUILD, ids=[m for _, _, m in BAD_BUILD])
def test_bad_arguments_fail_when_the_graph_is_built(build, error, message):
    with pytest.raises(error) as info:
        build()
    assert message in str(info.value)
