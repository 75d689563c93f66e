"""FlatConcat and FlatSplit beyond the registry walk: each is one plan step, they invert each other,
FlatSplit's pieces are views of the buffer on the host, and bad input is refused clearly."""
import numpy as np
import pytest

import gpunet as gn
from gpunet.ops.fusion_ops import flat_concat, flat_split

SHAPES = [(2, 3), (), (0, 4), (5,)]


def _values():
    rng = np.random.default_rng(0)
    return [rng.standard_normal(s).astype(np.float32) for s in SHAPES]


def test_split_inverts_concat_on_every_device(device):
    values = _values()
    with gn.device(device):
        tensors = [gn.constant(v) for v in values]
        buffer = flat_concat(tensors)
        parts = flat_split(buffer, SHAPES)
    assert buffer.shape.as_list() == [sum(v.size for v in values)]
    with gn.Session() as sess:
        got_buffer, got_parts = sess.run([buffer, parts])
    np.testing.assert_array_equal(got_buffer, np.concatenate([v.ravel() for v in values]))
    for got, want in zip(got_parts, values):
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_each_is_one_step_and_the_pieces_are_views_of_the_buffer():
    x = gn.placeholder(gn.float32, [7])
    a, b = flat_split(x, [(3,), (2, 2)])
    with gn.Session() as sess:
        report = sess.placement_report([a, b], {x: np.arange(7, dtype=np.float32)})
        kernel = sess._plan((a, b), (x,))._steps[0][0]
    assert [r.type for r in report.rows] == ["FlatSplit"]
    buffer = np.arange(7, dtype=np.float32)
    first, second = kernel(buffer)
    assert np.shares_memory(first, buffer) and np.shares_memory(second, buffer)


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match=r"FlatConcat: Placeholder:0 needs a fully known shape, got \[\?,3\]"):
        flat_concat([gn.placeholder(gn.float32, [None, 3])])
    with pytest.raises(TypeError, match="FlatConcat: all inputs must have the same dtype, got float32 and int32"):
        flat_concat([gn.constant([1.0]), gn.constant([1])])
    with pytest.raises(ValueError, match=r"FlatSplit: expected a 1-D buffer of 6 elements for shapes \[\[2, 3\]\], "
                                         r"got shape \[5\]"):
        flat_split(gn.constant(np.zeros(5, np.float32)), [(2, 3)])
    with pytest.raises(ValueError, match="no tensors to join"):
        flat_concat([])
    fed = gn.placeholder(gn.float32, [None])
    part = flat_split(fed, [(2, 3)])
    with gn.Session() as sess, pytest.raises(gn.errors.InvalidArgumentError,
                                             match=r"FlatSplit: expected a buffer of shape \[6\], got \[4\]"):
        sess.run(part, {fed: np.zeros(4, np.float32)})


def test_gradients_flow_back_through_both(device):
    with gn.device(device):
        w = gn.constant(np.arange(6, dtype=np.float32).reshape(2, 3))
        b = gn.constant(np.ones(4, np.float32))
        first, second = flat_split(flat_concat([w, b]) * 2.0, [(2, 3), (4,)])
        loss = gn.reduce_sum(first * first) + gn.reduce_sum(second)
        grads = gn.gradients(loss, [w, b])
    with gn.Session() as sess:
        gw, gb = sess.run(grads)
    np.testing.assert_allclose(gw, 8.0 * np.arange(6).reshape(2, 3))  # d/dw sum((2w)^2) = 8w
    np.testing.assert_allclose(gb, np.full(4, 2.0))
