"""Errors and defaults of gn.nn.lrn, gn.nn.top_k, gn.gather_nd and gn.boolean_mask (values and
gradients are in the registry walk, tests/ops/cases_nn_extra.py)."""
import re

import numpy as np
import pytest

import gpunet as gn


def _run(tensor, feed=None):
    with gn.Session(config=gn.ConfigProto(allow_soft_placement=True)) as sess:
        return sess.run(tensor, feed)


def test_lrn_defaults_are_tf1s():
    x = np.random.default_rng(0).normal(size=(1, 2, 2, 12)).astype(np.float32)
    op = gn.nn.lrn(x).op
    assert op.type == "LRN" and op.attrs == {"depth_radius": 5, "bias": 1.0, "alpha": 1.0, "beta": 0.5}
    with pytest.raises(ValueError, match="must be 4-dimensional"):
        gn.nn.lrn(np.ones((2, 3), np.float32))
    with pytest.raises(TypeError, match="LRN"):
        gn.nn.lrn(np.ones((1, 1, 1, 3), np.int32))


@pytest.mark.parametrize("indices, bad", [([[0, 4]], "[0, 4]"), ([[3, 0]], "[3, 0]"), ([[-1, 0]], "[-1, 0]")])
def test_gather_nd_refuses_out_of_range_coordinates(indices, bad, device):
    with gn.device(device):
        params = gn.placeholder(gn.float32, [3, 4])
        index = gn.placeholder(gn.int32, [None, 2])
        gathered = gn.gather_nd(params, index)
        grad = gn.gradients(gn.reduce_sum(gathered), params)[0]
    feed = {params: np.ones((3, 4), np.float32), index: indices}
    for fetch in (gathered, grad):
        message = re.escape(f"indices[0] = {bad} does not index into param shape [3, 4]")
        with pytest.raises(gn.errors.InvalidArgumentError, match=message):
            _run(fetch, feed)


def test_gather_nd_build_time_checks():
    with pytest.raises(ValueError, match="innermost dimension length 3 must be <= params rank 2"):
        gn.gather_nd(np.ones((2, 2), np.float32), [[0, 0, 0]])
    with pytest.raises(TypeError, match="indices must be int32 or int64"):
        gn.gather_nd(np.ones((2, 2), np.float32), [[0.0, 1.0]])


def test_boolean_mask_checks_the_mask():
    with pytest.raises(ValueError, match="incompatible"):
        gn.boolean_mask(np.ones((3, 2), np.float32), [True, False])
    with pytest.raises(ValueError, match="mask cannot be scalar"):
        gn.boolean_mask(np.ones(3, np.float32), True)
    with pytest.raises(ValueError, match="Number of mask dimensions must be specified"):
        gn.boolean_mask(np.ones(3, np.float32), gn.placeholder(gn.bool))
    with pytest.raises(TypeError, match="mask must be a bool tensor"):
        gn.boolean_mask(np.ones(3, np.float32), [1, 0, 1])
    mask = gn.placeholder(gn.bool, [None])
    masked = gn.boolean_mask(gn.placeholder(gn.float32, [None, 2], name="x"), mask)
    assert masked.shape == [None, 2]
    with pytest.raises(gn.errors.InvalidArgumentError, match=r"mask of shape \[2\] does not match"):
        _run(masked, {"x:0": np.ones((3, 2)), mask: [True, False]})


def test_top_k_checks_k():
    with pytest.raises(ValueError, match="at least k=4 columns"):
        gn.nn.top_k(np.ones((2, 3), np.float32), 4)
    with pytest.raises(ValueError, match="k must be a non-negative Python int"):
        gn.nn.top_k(np.ones(3, np.float32), -1)
    x = gn.placeholder(gn.float32, [None, None])
    values, indices = gn.nn.top_k(x, 2)
    assert values.shape == [None, 2] and indices.dtype == gn.int32
    with pytest.raises(gn.errors.InvalidArgumentError, match="at least k=2 columns, got 1"):
        _run(values, {x: [[1.0]]})


def test_top_k_default_is_the_maximum():
    values, indices = gn.nn.top_k([3.0, 7.0, 5.0])
    assert _run([values, indices]) == [[7.0], [1]]
