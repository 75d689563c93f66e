"""Bad input to the graph ops gets TF1's error: a TypeError/ValueError naming the argument when the graph is
built, a gn.errors.InvalidArgumentError naming the op when the bad value is known only once fed (on every
device). Each case also runs a good value first, so the checks cannot refuse everything."""
import numpy as np
import pytest

import gpunet as gn

F32 = np.float32


def _ones(*shape):
    return np.ones(shape, F32)


# -- graph-build time -------------------------------------------------------------------------------------------
BUILD_CASES = {  # what is built, the error class, the message
    "range-start-above-limit": (lambda: gn.range(5, 0, 1), ValueError,
                                "Range: Requires start <= limit when delta > 0: 5/0"),
    "range-start-below-limit-counting-down": (lambda: gn.range(0, 5, -1), ValueError,
                                              "Range: Requires start >= limit when delta < 0: 0/5"),
    "range-float-arguments": (lambda: gn.range(2.5, 1.0, 0.5), ValueError,
                              "Range: Requires start <= limit when delta > 0: 2.5/1.0"),
    "sequence-mask-negative-maxlen": (lambda: gn.sequence_mask([1, 2], -1), ValueError,
                                      "Range: Requires start <= limit when delta > 0: 0/-1"),
    "cast-to-none": (lambda: gn.cast(_ones(2), None), TypeError, "cast: dtype must be a dtype, got None"),
    "reshape-float-list": (lambda: gn.reshape(_ones(2, 3), [2.0, 3.0]), TypeError,
                           "Value passed to parameter 'shape' has DataType float64 not in list of allowed values: "
                           "int32, int64"),
    "reshape-float-array": (lambda: gn.reshape(_ones(2, 3), np.array([3, 2], F32)), TypeError,
                            "Value passed to parameter 'shape' has DataType float32 not in list"),
    "reshape-float-tensor": (lambda: gn.reshape(_ones(2, 3), gn.constant([2.0, 3.0])), TypeError,
                             "Value passed to parameter 'shape' has DataType float32 not in list"),
    "relu-bool": (lambda: gn.nn.relu(gn.constant([True])), TypeError,
                  "Value passed to parameter 'features' of Relu has DataType bool not in list of allowed values"),
    "relu6-string": (lambda: gn.nn.relu6(gn.constant(["a"])), TypeError,
                     "Value passed to parameter 'features' of Relu6 has DataType string not in list"),
}


@pytest.mark.parametrize("name", sorted(BUILD_CASES))
def test_bad_arguments_are_refused_when_the_graph_is_built(name):
    build, error, message = BUILD_CASES[name]
    with pytest.raises(error) as info:
        build()
    assert str(info.value).startswith(message)


GOOD_BUILDS = {  # the neighbours of the refused cases still build and compute what NumPy does
    "range-empty": (lambda: gn.range(3, 3), np.arange(3, 3, dtype=np.int32)),
    "range-down": (lambda: gn.range(5, 0, -2), np.arange(5, 0, -2, dtype=np.int32)),
    "sequence-mask-0": (lambda: gn.sequence_mask([0, 0], 0), np.zeros((2, 0), bool)),
    "reshape-int-array": (lambda: gn.reshape(_ones(2, 3), np.array([3, 2], np.int64)), _ones(3, 2)),
    "reshape-empty-shape": (lambda: gn.reshape(_ones(1, 1), []), F32(1)),
    "relu-int": (lambda: gn.nn.relu(gn.constant([-2, 3])), np.array([0, 3], np.int32)),
}


@pytest.mark.parametrize("name", sorted(GOOD_BUILDS))
def test_good_neighbours_of_the_refused_arguments_still_work(name):
    build, want = GOOD_BUILDS[name]
    with gn.Session() as sess:
        got = sess.run(build())
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype


# -- run time: values fed to placeholders of unknown shape ----------------------------------------------------------
def _conv(x):
    return gn.nn.conv2d(x, np.ones((1, 1, 1, 2), F32), [1, 1, 1, 1], "VALID")


def _sparse_xent(x):
    return gn.nn.sparse_softmax_cross_entropy_with_logits(labels=np.array([0, 1, 2], np.int32), logits=x)


RUN_CASES = {  # build on x (float32, unknown shape), a good feed and its NumPy result, a bad feed, TF1's message
    "softmax-scalar": (gn.nn.softmax, _ones(2), np.full(2, 0.5, F32), F32(1.0),
                       "logits must have >= 1 dimension, got []"),
    "log-softmax-scalar": (gn.nn.log_softmax, _ones(2), np.full(2, np.log(0.5), F32), F32(1.0),
                           "logits must have >= 1 dimension, got []"),
    "conv2d-depth": (_conv, _ones(1, 2, 2, 1), np.ones((1, 2, 2, 2), F32), _ones(1, 2, 2, 3),
                     "input depth must be evenly divisible by filter depth: 3 vs 1"),
    "batch-matmul-batch-dims": (lambda x: gn.matmul(x, _ones(3, 4, 2)), _ones(1, 3, 4), np.full((3, 3, 2), 4, F32),
                                _ones(2, 3, 4),
                                "In[0] and In[1] must have compatible batch dimensions: [2,3,4] vs. [3,4,2]"),
    "sparse-xent-first-dimension": (_sparse_xent, np.zeros((3, 3), F32), np.full(3, np.log(3), F32),
                                    np.zeros((2, 3), F32), "logits and labels must have the same first dimension, "
                                    "got logits shape [2,3] and labels shape [3]"),
    # NumPy's tile would prepend a dimension: a (2, 6) result instead of an error
    "tile-multiples-longer-than-rank": (lambda x: gn.tile(x, [2, 2]), _ones(1, 2), _ones(2, 4), _ones(3),
                                        "Expected multiples argument to be a vector of length 1 but got length 2"),
    "transpose-perm-longer-than-rank": (lambda x: gn.transpose(x, [1, 0]), _ones(2, 1), _ones(1, 2), _ones(3),
                                        "transpose expects a vector of size 1. But input(1) is a vector of size 2"),
    "gather-axis-above-rank": (lambda x: gn.gather(x, [0], axis=1), _ones(2, 2), _ones(2, 1), _ones(3),
                               "Expected axis in the range [-1, 1), but got 1"),
    "gather-nd-index-longer-than-rank": (lambda x: gn.gather_nd(x, [[0, 0, 0]]), _ones(2, 2, 2), _ones(1), _ones(3, 2),
                                         "index innermost dimension length must be <= params rank; saw: 3 vs. 2"),
    "squeeze-not-1": (lambda x: gn.squeeze(x, [0]), _ones(1, 3), _ones(3), _ones(2, 3),
                      "Can not squeeze dim[0], expected a dimension of 1, got 2"),
    "squeeze-axis-above-rank": (lambda x: gn.squeeze(x, [2]), _ones(2, 3, 1), _ones(2, 3), _ones(2, 3),
                                "Tried to squeeze dim index 2 for tensor with 2 dimensions."),
    # NumPy would match a vector condition against the last axis (3 here) instead of the rows
    "where-vector-condition-length": (lambda x: gn.where(gn.placeholder_with_default(np.array([True, False, True]),
                                                                                     None), x, x * 2),
                                      _ones(3, 2), np.array([[1, 1], [2, 2], [1, 1]], F32), _ones(2, 3),
                                      "Number of batches of 'then' must match size of 'cond', but saw: 2 vs. 3"),
    "pad-paddings-of-another-rank": (lambda x: gn.pad(x, [[1, 0], [0, 1]]), _ones(1, 1), np.array([[0, 0], [1, 0]],
                                                                                                 F32), _ones(2),
                                     "The first dimension of paddings must be the rank of inputs[2,2] [2]"),
    "lrn-rank-2": (gn.nn.lrn, np.zeros((1, 1, 1, 1), F32), np.zeros((1, 1, 1, 1), F32), _ones(2, 2),
                   "in must be 4-dimensional[2,2]"),
    "in-top-k-targets-length": (lambda x: gn.nn.in_top_k(x, [0, 2, 1], 1), np.eye(3, dtype=F32),
                                np.array([True, False, False]), _ones(2, 3),
                                "First dimension of predictions 2 must match length of targets 3"),
    # a length-1 bias would broadcast over 4 channels
    "bias-add-length": (lambda x: gn.nn.bias_add(x, np.array([2.0], F32)), _ones(2, 1), np.full((2, 1), 3, F32),
                        _ones(2, 4), "Must provide as many biases as the channel dimension of the input tensor: "
                        "[1] vs. [2,4]"),
    "bias-add-nchw-length": (lambda x: gn.nn.bias_add(x, _ones(3), data_format="NCHW"), _ones(1, 3, 2),
                             np.full((1, 3, 2), 2, F32), _ones(1, 2, 3),
                             "Must provide as many biases as the channel dimension of the input tensor: [3] vs. "
                             "[1,2,3]"),
}


@pytest.mark.parametrize("name", sorted(RUN_CASES))
def test_a_bad_fed_value_gets_tf1s_run_time_error_on_every_device(device, name):
    build, good, want, bad, message = RUN_CASES[name]
    with gn.device(device):
        x = gn.placeholder(gn.float32)
        y = build(x)
    with gn.Session() as sess:
        np.testing.assert_allclose(sess.run(y, {x: good}), want, rtol=1e-6)
        with pytest.raises(gn.errors.InvalidArgumentError) as info:
            sess.run(y, {x: bad})
    assert info.value.message.startswith(message)
    assert info.value.op is y.op


@pytest.mark.parametrize("start, limit, delta, message", [
    (5, 0, 1, "Requires start <= limit when delta > 0: 5/0"),
    (0, 5, -1, "Requires start >= limit when delta < 0: 0/5"),
    (0, 5, 0, "requires delta != 0"),
])
def test_range_of_fed_arguments_that_give_no_range_is_an_invalid_argument(device, start, limit, delta, message):
    with gn.device(device):
        args = [gn.placeholder(gn.int32, []) for _ in range(3)]
        y = gn.range(*args)
    feed = dict(zip(args, (start, limit, delta)))
    with gn.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, dict(zip(args, (1, 7, 3)))), [1, 4])
        with pytest.raises(gn.errors.InvalidArgumentError) as info:
            sess.run(y, feed)
    assert info.value.message.startswith(message)


def test_range_computed_from_a_fed_shape_refuses_a_limit_below_its_start(device):
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None])
        y = gn.range(2, gn.shape(x)[0])  # computed on the host from the shape
    with gn.Session() as sess:
        np.testing.assert_array_equal(sess.run(y, {x: _ones(4)}), [2, 3])
        np.testing.assert_array_equal(sess.run(y, {x: _ones(2)}), np.zeros(0, np.int32))
        with pytest.raises(gn.errors.InvalidArgumentError, match=r"^Requires start <= limit when delta > 0: 2/1"):
            sess.run(y, {x: _ones(1)})


@pytest.mark.parametrize("target, message", [
    ([4, 2], "Input to reshape is a tensor with 6 values, but the requested shape has 8"),
    ([-1, 4], "Input to reshape is a tensor with 6 values, but the requested shape requires a multiple of 4"),
    ([-1, -1], "Only one input size may be -1, not both 0 and 1"),
    ([3, -3], "Size 1 must be non-negative, not -3"),
    ([-1, 0], "Reshape cannot infer the missing input size for an empty tensor unless all specified input sizes "
              "are non-zero"),
])
def test_a_reshape_that_fits_only_once_fed_gets_tf1s_message(device, target, message):
    with gn.device(device):
        x = gn.placeholder(gn.float32)
        shape = gn.placeholder(gn.int32, [2])
        by_tensor = gn.reshape(x, shape)
        # a target refused when the graph is built (two -1s, -3) is tried as a fed shape only
        built = [gn.reshape(x, target)] if target.count(-1) < 2 and min(target) >= -1 else []
    value = np.zeros((0, 3), F32) if 0 in target else np.arange(6, dtype=F32).reshape(2, 3)
    with gn.Session() as sess:
        np.testing.assert_array_equal(sess.run(by_tensor, {x: np.arange(6, dtype=F32), shape: [3, 2]}),
                                      np.arange(6).reshape(3, 2))
        for y, feed in [(y, {x: value}) for y in built] + [(by_tensor, {x: value, shape: target})]:
            with pytest.raises(gn.errors.InvalidArgumentError) as info:
                sess.run(y, feed)
            assert info.value.message.startswith(message)
            assert info.value.op is y.op


SPLITS = {  # sizes given, a good fed length and its pieces, a bad fed length, TF1's message
    "sizes-sum-below-length": ([2, 3], 5, [[0, 1], [2, 3, 4]], 7,  # NumPy would give pieces of 2 and 5
                               "Determined shape must either match input shape along split_dim exactly if fully "
                               "specified, or be less than the size of the input along split_dim if not fully "
                               "specified.  Got: 5"),
    "sizes-sum-above-length": ([2, 3], 5, [[0, 1], [2, 3, 4]], 3, "Determined shape must either match input shape"),
    "free-size-negative": ([4, -1], 6, [[0, 1, 2, 3], [4, 5]], 3, "Determined shape must either match input shape "
                           "along split_dim exactly if fully specified, or be less than the size of the input along "
                           "split_dim if not fully specified.  Got: 4"),
    "equal-parts-uneven": (2, 4, [[0, 1], [2, 3]], 5, "Number of ways to split should evenly divide the split "
                           "dimension, but got split_dim 0 (size = 5) and num_split 2"),
}


@pytest.mark.parametrize("name", sorted(SPLITS))
def test_a_split_that_does_not_fit_the_fed_length_is_an_invalid_argument(device, name):
    sizes, good, pieces, bad, message = SPLITS[name]
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None])
        parts = gn.split(x, sizes)
    with gn.Session() as sess:
        assert [p.tolist() for p in sess.run(parts, {x: np.arange(good, dtype=F32)})] == pieces
        with pytest.raises(gn.errors.InvalidArgumentError) as info:
            sess.run(parts, {x: np.arange(bad, dtype=F32)})
    assert info.value.message.startswith(message)
    assert info.value.op is parts[0].op
