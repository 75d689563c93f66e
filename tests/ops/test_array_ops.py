"""Array and indexing ops beyond the registry walk: static shapes with unknown dims, build-time
errors, shapes known only at run time, names, and fetches of views of variables."""
import re

import numpy as np
import pytest

import gpunet as gn


def run(fetches, feed_dict=None):
    with gn.Session() as sess:
        return sess.run(fetches, feed_dict)


def ph(*shape, dtype=gn.float32):
    return gn.placeholder(dtype, shape)


# -- static shapes with unknown dims ------------------------------------------------------------------
def test_shape_manipulation_with_unknown_dims():
    x = gn.placeholder(gn.float32, [None, 2, 3])
    assert gn.reshape(x, [-1, 6]).shape == (None, 6)
    assert gn.reshape(x, [-1]).shape == (None,)
    assert gn.expand_dims(x, 0).shape == (1, None, 2, 3)
    assert gn.transpose(x).shape == (3, 2, None)
    assert gn.tile(x, [2, 1, 2]).shape == (None, 2, 6)
    assert gn.squeeze(gn.placeholder(gn.float32, [None, 1]), axis=1).shape == (None,)
    assert gn.squeeze(gn.placeholder(gn.float32, [None, 1])).shape.ndims is None  # is the None a 1?
    assert gn.pad(x, [[1, 1], [0, 0], [2, 0]]).shape == (None, 2, 5)
    assert gn.shape(x).shape == (3,) and gn.size(x).shape == () and gn.rank(x).dtype == gn.int32


def test_joining_and_splitting_with_unknown_dims():
    a, b = gn.placeholder(gn.float32, [None, 3]), gn.placeholder(gn.float32, [None, 2])
    assert gn.concat([a, b], 1).shape == (None, 5)
    assert gn.concat([a, gn.placeholder(gn.float32, [2, None])], 0).shape == (None, 3)
    assert gn.stack([a, a], axis=1).shape == (None, 2, 3)
    assert [t.shape for t in gn.split(gn.placeholder(gn.float32, [None, 6]), 3, axis=1)] == [(None, 2)] * 3
    assert [t.shape for t in gn.split(gn.placeholder(gn.float32, [None, 6]), [1, -1], 1)] == [(None, 1), (None, 5)]
    assert [t.shape for t in gn.split(a, [1, -1], axis=0)] == [(1, 3), (None, 3)]
    assert [t.shape for t in gn.unstack(a, axis=1)] == [(None,)] * 3


def test_indexing_with_unknown_dims():
    x = gn.placeholder(gn.float32, [None, 5])
    assert x[:, 1:].shape == (None, 4)
    assert x[0].shape == (5,)
    assert x[..., None, ::2].shape == (None, 1, 3)
    assert gn.gather(gn.placeholder(gn.float32, [None, 4]), [0, 2, 2]).shape == (3, 4)
    params, indices = gn.placeholder(gn.float32, [10, None]), gn.placeholder(gn.int32, [None])
    assert gn.gather(params, indices, axis=1).shape == (10, None)
    assert gn.one_hot(gn.placeholder(gn.int32, [None]), 4).shape == (None, 4)
    assert gn.where(gn.placeholder(gn.bool, [None, 3])).shape == (None, 2)
    assert gn.where(gn.placeholder(gn.bool, [None, 3])).dtype == gn.int64


# -- build-time errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("build, error, message", [
    (lambda: gn.concat([ph(2, 3), ph(3, 2)], 1), ValueError,
     r"dimension 0 in both shapes must be equal, but are 2 and 3. Shapes are \[2,3\] and \[3,2\]"),
    (lambda: gn.concat([ph(2, 3), ph(2, 3, dtype=gn.int32)], 0), TypeError, "same dtype, got float32 and int32"),
    (lambda: gn.split(ph(2, 6), 4, axis=1), ValueError, "Dimension size must be evenly divisible by 4 but is 6"),
    (lambda: gn.split(ph(2, 6), [2, 3], axis=1), ValueError, r"sizes \[2, 3\] do not add up to dimension 1 of size 6"),
    (lambda: gn.unstack(ph(None, 3)), ValueError, r"Cannot infer num from shape \[\?,3\]"),
    (lambda: gn.squeeze(ph(2, 3), [1]), ValueError, "Can not squeeze dim\\[1\\], expected a dimension of 1, got 3"),
    (lambda: gn.reshape(ph(2, 3), [4]), ValueError, r"Cannot reshape a tensor with 6 elements to shape \[4\]"),
    (lambda: gn.reshape(ph(2, 3), [-1, -1]), ValueError, "only one dimension may be -1"),
    (lambda: gn.transpose(ph(2, 3), [0, 0]), ValueError, r"perm \[0, 0\] is not a permutation"),
    (lambda: gn.tile(ph(2, 3), [2]), ValueError, r"multiples \[2\] must have one entry per dimension"),
    (lambda: gn.pad(ph(2, 3), [[2, 0], [0, 0]], "REFLECT"), ValueError, "must be at most 1 for a dimension of size 2"),
    (lambda: gn.pad(ph(2, 3), [[1, 0]]), ValueError, r"paddings must have shape \[2, 2\]"),
    (lambda: gn.pad(ph(2, 3), [[1, 0], [0, 0]], "WRAP"), ValueError, "mode must be one of CONSTANT, REFLECT"),
    (lambda: gn.slice(ph(3, 4), [1, 2], [3, 1]), ValueError, r"begin \[1, 2\] \+ size \[3, 1\] is out of bounds"),
    (lambda: ph(3, 4)[5], ValueError, "slice index 5 of dimension 0 out of bounds"),
    (lambda: ph(3, 4)[0, 1, 2], ValueError, "3 indices for a tensor of rank 2"),
    (lambda: ph(3, 4)[..., 0, ...], ValueError, "Multiple ellipses"),
    (lambda: ph(3, 4)[::0], ValueError, "slice step cannot be zero"),
    (lambda: ph(3, 4)[[0, 2]], TypeError, "use gn.gather for lists of indices"),
    (lambda: ph(3, 4)[gn.placeholder(gn.int32, [2])], TypeError, "must be scalar int tensors"),
    (lambda: ph(3, 4)[gn.placeholder(gn.float32, [])], TypeError, "must be scalar int tensors"),
    (lambda: gn.gather(ph(3, 4), ph(2)), TypeError, "indices must be int32 or int64, got float32"),
    (lambda: gn.where(ph(2, dtype=gn.bool), ph(2)), ValueError, "x and y must both be non-None or both be None"),
    (lambda: gn.stack([ph(2, 3), ph(3, 2)]), ValueError, "dimension 0 in both shapes must be equal"),
    (lambda: gn.expand_dims(ph(2, 3), 3), ValueError, r"axis 3 is out of range \[-3, 3\)"),
    (lambda: gn.fill([2, 2], ph(2)), ValueError, r"value must be a scalar, got shape \[2\]"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_bad_arguments_fail_when_the_graph_is_built(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_shape_errors_name_the_op():
    with pytest.raises(ValueError, match=r"op 'joined'.*inputs"):
        gn.concat([ph(2, 3), ph(3, 2)], 1, name="joined")


# -- shapes known only at run time ----------------------------------------------------------------------
def test_shapes_computed_at_run_time():
    x = gn.placeholder(gn.float32, [None, 2, 3])
    n = gn.placeholder(gn.int32, [])
    flat = gn.reshape(x, [gn.shape(x)[0], -1])
    zeros = gn.zeros([gn.shape(x)[0], gn.shape(x)[2]])
    like = gn.reshape(gn.placeholder_with_default(np.arange(6.0, dtype=np.float32), [None]), gn.shape(x[0]))
    steps = gn.range(n)
    assert flat.shape.ndims == 2 and zeros.shape == (None, 3) and steps.shape == (None,)
    value = np.arange(24, dtype=np.float32).reshape(4, 2, 3)
    got = run([flat, zeros, like, steps], {x: value, n: 3})
    np.testing.assert_array_equal(got[0], value.reshape(4, 6))
    np.testing.assert_array_equal(got[1], np.zeros((4, 3)))
    np.testing.assert_array_equal(got[2], np.arange(6.0).reshape(2, 3))
    assert got[3].tolist() == [0, 1, 2] and got[3].dtype == np.int32


def test_gradient_through_a_run_time_reshape():
    x = gn.placeholder(gn.float32, [None, 3])
    y = gn.reshape(x, [gn.shape(x)[0] * 3])
    [dx] = run(gn.gradients(gn.reduce_sum(y * y), [x]), {x: np.ones((2, 3), np.float32)})
    np.testing.assert_array_equal(dx, np.full((2, 3), 2.0))


def test_static_values_fold_into_static_shapes():
    x = gn.placeholder(gn.float32, [None, 4])
    assert gn.zeros([gn.shape(x)[1], 2]).shape == (4, 2)  # the known dim 4 is used
    assert gn.reshape(x, [-1, gn.shape(x)[1]]).shape == (None, 4)
    assert gn.range(gn.constant(2), 8, 2).shape == (3,)


def test_gather_index_out_of_range_fails_at_run_time():
    p = gn.constant([[1.0], [2.0]])
    i = gn.placeholder(gn.int32, [1])
    with pytest.raises(gn.errors.InvalidArgumentError, match="GatherV2"):
        run(gn.gather(p, i), {i: [5]})


# -- names, conveniences --------------------------------------------------------------------------------
def test_default_names_follow_tf1():
    x = gn.placeholder(gn.float32, [4, 4], name="x")
    assert gn.concat([x, x], 0).op.name == "concat"
    assert gn.stack([x, x]).op.name == "stack"
    assert x[1:].op.name == "strided_slice"
    assert gn.slice(x, [0, 0], [1, 1]).op.name == "Slice"
    assert gn.gather(x, [0]).op.name == "GatherV2"
    assert gn.one_hot(gn.constant([0]), 3).op.name == "one_hot"
    assert gn.transpose(x).op.name == "transpose"
    assert gn.split(x, 2)[1].name == "split:1"
    assert gn.zeros([2]).op.name == "zeros" and gn.zeros([2]).op.type == "Fill"
    assert gn.range(3).op.name == "range"
    assert gn.reshape(x, [-1]).op.name == "Reshape"


def test_concat_of_one_tensor_is_its_identity_and_pack_is_stack():
    x = gn.constant([1.0, 2.0])
    assert gn.concat([x], 0).op.type == "Identity"
    assert gn.pack is gn.stack


def test_zeros_ones_and_likes_take_a_dtype():
    x = gn.constant([[1.5, 2.5]])
    got = run([gn.zeros([2], gn.int32), gn.ones((1, 2), dtype=gn.float64), gn.ones_like(x, dtype=gn.int64),
               gn.zeros_like(x), gn.fill([2], 7)])
    assert [g.dtype for g in got] == [np.int32, np.float64, np.int64, np.float32, np.int32]
    assert got[4].tolist() == [7, 7]


def test_range_picks_the_widest_argument_type():
    assert gn.range(5).dtype == gn.int32
    assert gn.range(0, 1, 0.25).dtype == gn.float32
    assert gn.range(gn.constant(3, dtype=gn.int64)).dtype == gn.int64
    assert gn.range(4, dtype=gn.float64).dtype == gn.float64
    assert run(gn.range(5, 1, -2)).tolist() == [5, 3]


# -- fetched views do not change with the variable -----------------------------------------------------
def test_fetched_views_of_a_variable_are_copies():
    v = gn.Variable(np.arange(4.0, dtype=np.float32).reshape(2, 2), name="v")
    views = [gn.reshape(v, [4]), gn.transpose(v), v[0], gn.expand_dims(v, 0), gn.split(v, 2)[0],
             gn.unstack(v)[1], gn.squeeze(v[None])]
    with gn.Session() as sess:
        sess.run(v.initializer)
        before = sess.run(views)
        sess.run(v.assign_add(np.full((2, 2), 10.0, np.float32)))
        after = sess.run(views)
    base = np.arange(4.0).reshape(2, 2)
    want = [base.reshape(4), base.T, base[0], base[None], base[:1], base[1], base]
    for got, expected, later in zip(before, want, after):
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(later, expected + 10)


@pytest.mark.parametrize("build, dims", [
    (lambda: gn.ones([-3]), "[-3]"), (lambda: gn.zeros([2, -1]), "[2,-1]"),
    (lambda: gn.fill([-2], 1.0), "[-2]"), (lambda: gn.ones([2, gn.constant(-4)]), "[2,-4]"),
    (lambda: gn.zeros(gn.constant([3, -1])), "[3,-1]"),
])
def test_negative_fill_dimensions_fail_when_built(build, dims):
    with pytest.raises(ValueError, match=re.escape(f"Fill dimensions must be >= 0, got dims {dims}")):
        build()


def test_negative_fill_dimensions_fed_at_run_time_raise(device):
    dims = gn.placeholder(gn.int32, [2])
    with gn.device(device):
        filled = gn.fill(dims, 1.0)
    with gn.Session() as sess:
        assert sess.run(filled, {dims: [2, 0]}).shape == (2, 0)
        message = re.escape("Fill dimensions must be >= 0, got dims [2, -1]")
        with pytest.raises(gn.errors.InvalidArgumentError, match=message):
            sess.run(filled, {dims: [2, -1]})


# -- tile by multiples known only when the graph runs (TF1 code tiles by [tf.shape(y)[0], 1]) -------
DYNAMIC_MULTIPLES = [  # (multiples from x and the fed m, the multiples for a value, the static shape)
    pytest.param(lambda x, m: [gn.shape(x)[0], 1], lambda v: [len(v), 1], [None, 3], id="shape-of-the-batch"),
    pytest.param(lambda x, m: gn.stack([1, gn.shape(x)[1]]), lambda v: [1, 3], [None, 9], id="stacked-shape"),
    pytest.param(lambda x, m: m, lambda v: [3, 2], [None, None], id="fed"),  # a value: read back each run
    pytest.param(lambda x, m: [m[0], 0], lambda v: [3, 0], [None, 0], id="fed-with-zero"),
]


@pytest.mark.parametrize("multiples_of, expected_multiples, static", DYNAMIC_MULTIPLES)
@pytest.mark.parametrize("value", [np.arange(6, dtype=np.float32).reshape(2, 3), np.zeros((0, 3), np.float32)],
                         ids=["(2, 3)", "(0, 3)"])
def test_tile_by_multiples_known_at_run_time_matches_numpy_with_its_gradient(device, multiples_of,
                                                                             expected_multiples, static, value):
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None, 3])
        m = gn.placeholder(gn.int32, [2])
        tiled = gn.tile(x, multiples_of(x, m))
        [dx] = gn.gradients(gn.reduce_sum(tiled * tiled), [x])
    assert tiled.shape.as_list() == static
    with gn.Session() as sess:
        got, grad = sess.run([tiled, dx], {x: value, m: [3, 2]})
    multiples = expected_multiples(value)
    np.testing.assert_array_equal(got, np.tile(value, multiples))
    np.testing.assert_allclose(grad, 2 * value * np.prod(multiples))


def test_tile_refuses_run_time_multiples_of_the_wrong_length_or_sign(device):
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None, 3])
        m = gn.placeholder(gn.int32, [None])
        tiled = gn.tile(x, m, name="tiled")
    with gn.Session() as sess:
        for bad in ([-1, 1], [1, 1, 1]):
            with pytest.raises(gn.errors.InvalidArgumentError, match=re.escape(
                    f"Tile: multiples must be 2 non-negative ints (one per dimension of the input), got {bad}")):
                sess.run(tiled, {x: np.ones((2, 3), np.float32), m: bad})
    with pytest.raises(TypeError, match="Tile: multiples must be int32 or int64, got float32"):
        gn.tile(x, gn.placeholder(gn.float32, [2]))
    with pytest.raises(ValueError, match=r"Tile: multiples must have one entry per dimension of input shape \[\?,3\]"):
        gn.tile(x, [gn.shape(x)[0], 1, 1])
