"""space_to_depth, depth_to_space, space_to_batch_nd, batch_to_space_nd (and TF1's 4-D
space_to_batch/batch_to_space) and nn.fused_batch_norm: outputs and input gradients equal real
TF1's (frozen in space_and_batch_norm_reference.npz by make_space_and_batch_norm_reference.py) on
every device; gradients against finite differences in float64; TF1's errors for bad arguments."""
import pathlib

import numpy as np
import pytest

import gpunet as gn
from tests.ops.opcases import numeric_gradient
from tests.ops.space_and_batch_norm_cases import (BATCH_NORM_CASES, SPACE_CASES, batch_norm_inputs, probe,
                                                  space_inputs)

REFERENCE = np.load(pathlib.Path(__file__).with_name("space_and_batch_norm_reference.npz"))


def run_like_tf1(case_id, build, inputs, device):
    """outputs and the gradients of sum(sin(out0) * probe) wrt each input (None where TF1 has none)"""
    with gn.device(device):
        holders = [gn.placeholder(gn.float32, a.shape) for a in inputs]
        outputs = build(gn, *holders)
        weights = probe(case_id, outputs[0].shape.as_list())
        grads = gn.gradients(gn.reduce_sum(gn.sin(outputs[0]) * weights), holders)
    with gn.Session() as sess:
        feed = dict(zip(holders, inputs))
        return sess.run(outputs, feed), [None if g is None else sess.run(g, feed) for g in grads]


def check_against_tf1(case_id, outputs, grads):
    for i, value in enumerate(outputs):
        want = REFERENCE[f"{case_id}|out{i}"]
        assert value.dtype == np.float32 and value.shape == want.shape, (case_id, i)
        np.testing.assert_allclose(value, want, rtol=1e-5, atol=1e-5, err_msg=f"{case_id} output {i}")
    for i, grad in enumerate(grads):
        key = f"{case_id}|grad{i}"
        if key not in REFERENCE.files:  # TF1 gives this input no gradient
            assert grad is None or not np.any(grad), f"{case_id}: input {i} has a gradient, TF1's has none"
            continue
        np.testing.assert_allclose(grad, REFERENCE[key], rtol=1e-4, atol=1e-5, err_msg=f"{case_id} gradient {i}")


@pytest.mark.parametrize("case_id", sorted(SPACE_CASES))
def test_block_rearrangements_and_their_gradients_equal_tf1(case_id, device):
    outputs, grads = run_like_tf1(case_id, SPACE_CASES[case_id][1], space_inputs(case_id), device)
    check_against_tf1(case_id, outputs, grads)


@pytest.mark.parametrize("case_id", sorted(BATCH_NORM_CASES))
def test_fused_batch_norm_and_its_gradients_equal_tf1(case_id, device):
    outputs, grads = run_like_tf1(case_id, BATCH_NORM_CASES[case_id][3], batch_norm_inputs(case_id), device)
    check_against_tf1(case_id, outputs, grads)


def test_training_returns_the_unbiased_variance_and_normalizes_with_the_biased_one():
    x0 = np.random.default_rng(0).normal(size=(2, 3, 4, 2)).astype(np.float32)
    y, mean, variance = gn.nn.fused_batch_norm(x0, np.ones(2, np.float32), np.zeros(2, np.float32), epsilon=0.0)
    with gn.Session() as sess:
        got_y, got_mean, got_variance = sess.run([y, mean, variance])
    flat = x0.reshape(-1, 2).astype(np.float64)
    np.testing.assert_allclose(got_mean, flat.mean(0), rtol=1e-6)
    np.testing.assert_allclose(got_variance, flat.var(0, ddof=1), rtol=1e-5)
    biased = (x0 - flat.mean(0)) / np.sqrt(flat.var(0) + 1.001e-5)  # epsilon raised to TF1's minimum
    np.testing.assert_allclose(got_y, biased, rtol=1e-5, atol=1e-5)


def test_unknown_batch_dimension_in_training():
    x0 = np.random.default_rng(1).normal(size=(3, 2, 2, 2)).astype(np.float32)
    x = gn.placeholder(gn.float32, [None, 2, 2, 2])
    _, _, variance = gn.nn.fused_batch_norm(x, np.ones(2, np.float32), np.zeros(2, np.float32))
    with gn.Session() as sess:
        np.testing.assert_allclose(sess.run(variance, {x: x0}), x0.reshape(-1, 2).var(0, ddof=1), rtol=1e-5)


def test_float16_input_normalizes_in_float32():
    x0 = np.random.default_rng(2).normal(size=(2, 2, 2, 3)).astype(np.float16)
    y, mean, variance = gn.nn.fused_batch_norm(x0, np.ones(3, np.float32), np.zeros(3, np.float32))
    assert (y.dtype, mean.dtype, variance.dtype) == (gn.float16, gn.float32, gn.float32)
    with gn.Session() as sess:
        got = sess.run(y)
    flat = x0.reshape(-1, 3).astype(np.float64)
    np.testing.assert_allclose(got, (x0 - flat.mean(0)) / np.sqrt(flat.var(0) + 0.001), atol=2e-2)


def _fd_check(build, inputs):
    holders = [gn.placeholder(gn.float64, a.shape) for a in inputs]
    out = build(*holders)
    weights = np.random.default_rng(5).normal(size=out.shape.as_list())
    loss = gn.reduce_sum(gn.sin(out) * weights)
    grads = gn.gradients(loss, holders)
    feed = dict(zip(holders, inputs))
    with gn.Session() as sess:
        for i, grad in enumerate(grads):
            def f(v, i=i):
                return sess.run(loss, {**feed, holders[i]: v})
            np.testing.assert_allclose(sess.run(grad, feed), numeric_gradient(f, inputs[i]), atol=1e-6, rtol=1e-6)


FD_CASES = {
    "space_to_depth-nchw": ((1, 2, 4, 2), lambda x: gn.space_to_depth(x, 2, data_format="NCHW")),
    "depth_to_space-nchw": ((1, 8, 1, 2), lambda x: gn.depth_to_space(x, 2, data_format="NCHW")),
    "space_to_batch_nd": ((2, 3, 2), lambda x: gn.space_to_batch_nd(x, [2], [[0, 1]])),
    "batch_to_space_nd": ((4, 2, 2), lambda x: gn.batch_to_space_nd(x, [2], [[1, 0]])),
}


@pytest.mark.parametrize("case_id", sorted(FD_CASES))
def test_rearrangement_gradients_match_finite_differences(case_id):
    shape, build = FD_CASES[case_id]
    _fd_check(build, [np.random.default_rng(3).normal(size=shape)])


@pytest.mark.parametrize("kwargs", [{}, {"data_format": "NCHW"}], ids=["NHWC", "NCHW"])
def test_fused_batch_norm_gradients_match_finite_differences(kwargs):
    rng = np.random.default_rng(4)
    x0 = rng.normal(size=(2, 3, 2, 3))
    scale, offset = rng.uniform(0.5, 1.5, 3), rng.normal(size=3)
    _fd_check(lambda x, s, o: gn.nn.fused_batch_norm(x, s, o, **kwargs)[0], [x0, scale, offset])


@pytest.mark.parametrize("fmt", ["NCHW"])
def test_nchw_rearrangements_are_the_nhwc_ones_transposed(fmt, device):
    x0 = np.random.default_rng(6).normal(size=(2, 4, 6, 8)).astype(np.float32)
    with gn.device(device):
        x = gn.constant(x0)
        pairs = [(gn.space_to_depth(gn.transpose(x, [0, 3, 1, 2]), 2, data_format=fmt), gn.space_to_depth(x, 2)),
                 (gn.depth_to_space(gn.transpose(x, [0, 3, 1, 2]), 2, data_format=fmt), gn.depth_to_space(x, 2))]
    with gn.Session() as sess:
        for nchw, nhwc in sess.run(pairs):
            np.testing.assert_array_equal(nchw, nhwc.transpose(0, 3, 1, 2))


def test_space_to_depth_inverts_depth_to_space_with_an_unknown_batch():
    x = gn.placeholder(gn.float32, [None, 4, 6, 3])
    round_trip = gn.depth_to_space(gn.space_to_depth(x, 2), 2)
    assert round_trip.shape.as_list() == [None, 4, 6, 3]
    x0 = np.random.default_rng(7).normal(size=(3, 4, 6, 3)).astype(np.float32)
    with gn.Session() as sess:
        np.testing.assert_array_equal(sess.run(round_trip, {x: x0}), x0)


X = np.zeros((2, 4, 6, 3), np.float32)


@pytest.mark.parametrize("make, message", [
    (lambda: gn.space_to_depth(X, 4), "Dimension size must be evenly divisible by 4 but is 6"),
    (lambda: gn.space_to_depth(X, 3), "Dimension size must be evenly divisible by 3 but is 4"),
    (lambda: gn.space_to_depth(X, 1), "Attr 'block_size' of 'SpaceToDepth' Op passed 1 less than minimum 2."),
    (lambda: gn.space_to_depth(X[0], 2), "Shape must be rank 4 but is rank 3"),
    (lambda: gn.space_to_depth(X, 2, data_format="NCHW"), "Dimension size must be evenly divisible by 2 but is 3"),
    (lambda: gn.depth_to_space(X, 2), "Dimension size must be evenly divisible by 4 but is 3"),
    (lambda: gn.depth_to_space(X, 1), "Attr 'block_size' of 'DepthToSpace' Op passed 1 less than minimum 2."),
    (lambda: gn.space_to_batch_nd(X, [3, 3], [[0, 0], [0, 0]]),
     "Dimension size must be evenly divisible by 3 but is 4"),
    (lambda: gn.space_to_batch_nd(X, [2, 2], [[0, 0], [0, 0], [0, 0]]), "Dimension 0 in both shapes must be equal"),
    (lambda: gn.space_to_batch_nd(X, [2, 0], [[0, 0], [0, 0]]), "block_shape must be positive"),
    (lambda: gn.space_to_batch_nd(X, [2, 2], [[0, 0], [-1, 0]]), "paddings cannot be negative"),
    (lambda: gn.batch_to_space_nd(X, [3, 1], [[0, 0], [0, 0]]),
     "Dimension size must be evenly divisible by 3 but is 2"),
    (lambda: gn.batch_to_space_nd(X, [2, 1], [[0, 0], [4, 4]]),
     "Negative dimension size caused by subtracting 4 from 2"),
    (lambda: gn.nn.fused_batch_norm(X, np.ones(3, np.float32), np.zeros(3, np.float32), is_training=False),
     "Both `mean` and `variance` must be a 1D tensor when `is_training` is False"),
    (lambda: gn.nn.fused_batch_norm(X[0], np.ones(3, np.float32), np.zeros(3, np.float32)),
     "Shape must be rank 4 but is rank 3"),
    (lambda: gn.nn.fused_batch_norm(X, np.ones(2, np.float32), np.zeros(3, np.float32)),
     "Dimensions must be equal, but are 3 and 2"),
    (lambda: gn.nn.fused_batch_norm(X, np.ones(3, np.float32), np.zeros(3, np.float32), data_format="NCHW"),
     "Dimensions must be equal, but are 4 and 3"),
    (lambda: gn.nn.fused_batch_norm(X, np.ones(3, np.float32), np.zeros(3, np.float32), data_format="NCDHW"),
     "Shape must be rank 5 but is rank 4"),
])
def test_bad_arguments_raise_tf1s_value_errors(make, message):
    with pytest.raises(ValueError) as info:
        make()
    assert message in str(info.value)


@pytest.mark.parametrize("build, shape", [
    (lambda x: gn.space_to_depth(x, 2), (0, 2, 3, 12)),
    (lambda x: gn.depth_to_space(gn.reshape(x, [0, 2, 3, 12]), 2), (0, 4, 6, 3)),
    (lambda x: gn.space_to_batch_nd(x, [2, 3], [[0, 0], [0, 0]]), (0, 2, 2, 3)),
    (lambda x: gn.batch_to_space_nd(x, [1, 1], [[1, 1], [0, 0]]), (0, 2, 6, 3)),
], ids=["space_to_depth", "depth_to_space", "space_to_batch_nd", "batch_to_space_nd"])
def test_empty_batches_keep_their_shapes(build, shape, device):
    with gn.device(device):
        y = build(gn.zeros([0, 4, 6, 3]))
    assert y.shape.as_list() == list(shape)
    with gn.Session() as sess:
        got = sess.run(y)
    assert got.shape == shape and got.dtype == np.float32
