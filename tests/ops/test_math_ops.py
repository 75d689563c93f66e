"""Math ops beyond the registry walk: TF1 names, dtype rules, errors, static shapes with unknown
dims, operators, and the gradient conventions (ties, clip boundaries, stop_gradient)."""
import numpy as np
import pytest

import gpunet as gn
from tests.ops import cases_array, cases_math


def run(fetches, feed_dict=None):
    with gn.Session() as sess:
        return sess.run(fetches, feed_dict)


# -- names ------------------------------------------------------------------------------------------
def test_functions_and_operators_get_tf1_default_names():
    c = gn.constant([[1.0, 2.0], [3.0, 4.0]])
    assert gn.add(c, c).op.name == "Add"
    assert (c + c).op.name == "add_1"  # names are uniquified case-insensitively, as in TF1
    assert (c - c).op.name == "sub"
    assert (c / c).op.name == "truediv"
    assert (c // c).op.name == "floordiv"
    assert (c % c).op.name == "mod"
    assert (c ** c).op.name == "pow"
    assert (c @ c).op.name == "matmul"
    assert gn.matmul(c, c).op.name == "MatMul_1"
    assert (-c).op.name == "Neg"
    assert (c < c).op.name == "Less"
    assert gn.reduce_mean(c).op.name == "Mean"
    assert gn.reduce_sum(c).op.name == "Sum"
    assert gn.reduce_max(c).op.name == "Max"


def test_python_operands_become_constants_named_under_the_op():
    x = gn.placeholder(gn.float32, [2], name="x")
    y = x * 2.0
    assert y.op.name == "mul" and y.op.inputs[1].op.name == "mul/y"
    z = 3.0 - x
    assert z.op.name == "sub" and z.op.inputs[0].op.name == "sub/x"
    with gn.name_scope("layer"):
        w = gn.maximum(x, 0.0, name="relu_ish")
    assert w.op.name == "layer/relu_ish" and w.op.inputs[1].op.name == "layer/relu_ish/y"


# -- dtypes -----------------------------------------------------------------------------------------
def test_python_operand_takes_the_tensor_dtype():
    i = gn.placeholder(gn.int32, [2])
    d = gn.placeholder(gn.float64, [2])
    assert (i + 2).dtype == gn.int32
    assert (d * 2).dtype == gn.float64
    assert (2.5 * d).dtype == gn.float64
    with pytest.raises(TypeError, match="Expected int32, got 2.5 of type 'float' instead"):
        i + 2.5


def test_mismatched_tensor_dtypes_are_a_type_error():
    a, b = gn.placeholder(gn.float32, [2]), gn.placeholder(gn.float64, [2])
    with pytest.raises(TypeError, match="Input 'y' of 'AddV2' Op has type float64 that does not match type "
                                        "float32 of argument 'x'"):
        a + b


@pytest.mark.parametrize("fn", [gn.sqrt, gn.exp, gn.log, gn.rsqrt, gn.sin, gn.floor])
def test_floating_point_ops_refuse_integers(fn):
    with pytest.raises(TypeError, match="does not support dtype int32: it needs a floating-point tensor"):
        fn(gn.placeholder(gn.int32, [2]))


def test_arithmetic_refuses_bools_and_logic_refuses_numbers():
    b = gn.placeholder(gn.bool, [2])
    with pytest.raises(TypeError, match="AddV2 does not support dtype bool"):
        b + b
    x = gn.placeholder(gn.float32, [2])
    with pytest.raises(TypeError, match="LogicalAnd needs bool tensors, got float32"):
        x & x
    with pytest.raises(TypeError, match="LogicalNot needs bool tensors, got float32"):
        _ = ~x


def test_integer_ops_keep_integer_dtypes():
    a = np.array([[7, -7, 3], [-7, 2, 0]], np.int32)
    x = gn.placeholder(gn.int32, [2, 3])
    fetches = [x + 1, x * x, x // 2, x % 3, -x, gn.abs(x), gn.reduce_sum(x), gn.reduce_mean(x, 1),
               gn.reduce_max(x, 0), gn.reduce_prod(x, 1), gn.maximum(x, 0), gn.cumsum(x, 1)]
    values = run(fetches, {x: a})
    for tensor, value in zip(fetches, values):
        assert np.asarray(value).dtype == np.int32, tensor
    assert values[3].tolist() == (a % 3).tolist()
    assert values[7].tolist() == [1, -1]  # integer mean truncates toward zero, as TF1: 3/3, -5/3


def test_true_division_of_integers_gives_floats_as_tf1():
    for dtype, want in ((gn.int32, np.float64), (gn.int64, np.float64), (gn.int16, np.float32), (gn.int8, np.float32)):
        x = gn.constant([3, 4], dtype=dtype)
        assert (x / 2).dtype.np == want
    assert run(gn.constant([3, 4]) / 2).tolist() == [1.5, 2.0]


FLOAT_CASES = [c for c in cases_math.CASES + cases_array.CASES
               if any(np.asarray(x).dtype.kind == "f" for x in c.inputs) and c.id != "Fill-dims-from-tensors"]


@pytest.mark.parametrize("case", FLOAT_CASES, ids=str)
def test_float64_inputs_keep_float64(case):
    inputs = [x.astype(np.float64) if x.dtype.kind == "f" else x for x in case.inputs]
    placeholders = [gn.placeholder(gn.as_dtype(x.dtype), x.shape) for x in inputs]
    output = case.build(*placeholders)
    outputs = output if isinstance(output, (list, tuple)) else [output]
    values = run(outputs, dict(zip(placeholders, inputs)))
    for tensor, value in zip(outputs, values):
        assert np.asarray(value).dtype == tensor.dtype.np
        if tensor.dtype.is_floating:
            assert tensor.dtype == gn.float64, f"{case}: {tensor.name} is {tensor.dtype.name}"


# -- shapes and errors ------------------------------------------------------------------------------
def test_broadcasting_with_unknown_dims():
    a = gn.placeholder(gn.float32, [None, 3])
    assert (a + gn.placeholder(gn.float32, [4, 1])).shape == (4, 3)
    assert (a + gn.placeholder(gn.float32, [None, 1])).shape == (None, 3)
    assert (a * gn.placeholder(gn.float32, [3])).shape == (None, 3)
    assert (a - gn.placeholder(gn.float32)).shape.ndims is None
    assert gn.less(a, 0.0).shape == (None, 3) and gn.less(a, 0.0).dtype == gn.bool


def test_incompatible_shapes_name_the_op_and_the_shapes():
    a, b = gn.placeholder(gn.float32, [2, 3], name="a"), gn.placeholder(gn.float32, [4], name="b")
    with pytest.raises(ValueError, match=r"Dimensions must be equal, but are 3 and 4.*op 'add'.*\(2, 3\).*\(4,\)"):
        a + b


def test_reduction_shapes_with_unknown_dims_and_bad_axes():
    x = gn.placeholder(gn.float32, [None, 3])
    assert gn.reduce_sum(x, axis=1).shape == (None,)
    assert gn.reduce_mean(x, axis=1, keepdims=True).shape == (None, 1)
    assert gn.reduce_max(x, axis=-1, keep_dims=True).shape == (None, 1)
    assert gn.reduce_sum(x).shape == ()
    assert gn.reduce_sum(gn.placeholder(gn.float32), axis=0).shape.ndims is None
    assert gn.argmax(x, 1).shape == (None,) and gn.argmax(x, 1).dtype == gn.int64
    with pytest.raises(ValueError, match="Invalid reduction dimension 2 for input with 2 dimensions"):
        gn.reduce_sum(x, axis=2)


def test_matmul_shape_errors_and_batched_shapes():
    with pytest.raises(ValueError, match=r"Dimensions must be equal, but are 3 and 4 for 'MatMul' with input "
                                         r"shapes: \[2,3\], \[4,5\]"):
        gn.matmul(gn.placeholder(gn.float32, [2, 3]), gn.placeholder(gn.float32, [4, 5]))
    with pytest.raises(ValueError, match="Shape must be rank 2 but is rank 1 for 'MatMul'"):
        gn.matmul(gn.placeholder(gn.float32, [3]), gn.placeholder(gn.float32, [3, 2]))
    batched = gn.matmul(gn.placeholder(gn.float32, [None, 1, 2, 3]), gn.placeholder(gn.float32, [5, 3, 4]))
    assert batched.op.type == "BatchMatMulV2" and batched.shape == (None, 5, 2, 4)
    assert gn.matmul(gn.placeholder(gn.float32, [None, 3]), gn.placeholder(gn.float32, [3, 4])).shape == (None, 4)


def test_add_n_needs_matching_shapes():
    with pytest.raises(ValueError, match=r"AddN: all inputs must have the same shape, got \[2\] and \[3\]"):
        gn.add_n([gn.placeholder(gn.float32, [2]), gn.placeholder(gn.float32, [3])])
    assert gn.add_n([gn.placeholder(gn.float32, [None, 2]), gn.placeholder(gn.float32, [3, None])]).shape == (3, 2)


def test_argmax_output_type_and_default_axis():
    x = gn.constant([[1.0, 5.0], [7.0, 2.0]])
    assert run(gn.argmax(x)).tolist() == [1, 0]  # axis None means 0, as TF1
    assert gn.argmin(x, 1, output_type=gn.int32).dtype == gn.int32
    with pytest.raises(TypeError, match="output_type must be int32 or int64"):
        gn.argmax(x, 0, output_type=gn.float32)


# -- operators ----------------------------------------------------------------------------------------
def test_equality_operators_stay_identity_comparisons():
    x, y = gn.placeholder(gn.float32, [2]), gn.placeholder(gn.float32, [2])
    assert (x == x) is True and (x == y) is False and (x != y) is True
    assert {x: 1, y: 2}[y] == 2
    assert gn.equal(x, y).op.type == "Equal"


def test_operators_on_variables_and_numpy_arrays():
    v = gn.Variable([[1.0, -2.0], [3.0, 4.0]], name="v")
    m = np.array([[1.0, 0.0], [0.0, 2.0]], np.float32)
    fetches = [v + 1, 1 - v, v @ m, m @ v, -v, abs(v), v > 0, v[1], v[:, 0], v ** 2, v / 2, np.float32(2) * v]
    with gn.Session() as sess:
        sess.run(v.initializer)
        got = sess.run(fetches)
    a = np.array([[1.0, -2.0], [3.0, 4.0]])
    want = [a + 1, 1 - a, a @ m, m @ a, -a, np.abs(a), a > 0, a[1], a[:, 0], a ** 2, a / 2, 2 * a]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w)


def test_logical_operators_on_bools():
    a = gn.constant([True, True, False, False])
    b = gn.constant([True, False, True, False])
    got = run([a & b, a | b, a ^ b, ~a, True & b])
    assert [g.tolist() for g in got] == [[True, False, False, False], [True, True, True, False],
                                         [False, True, True, False], [False, False, True, True],
                                         [True, False, True, False]]


# -- gradient conventions -------------------------------------------------------------------------------
def _grads(y, xs, feed):
    return run(gn.gradients(y, xs), feed)


def test_reduce_max_and_min_share_the_gradient_among_ties():
    x = gn.placeholder(gn.float32, [2, 3])
    value = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], np.float32)
    [dmax] = _grads(gn.reduce_max(x, axis=1), [x], {x: value})
    np.testing.assert_allclose(dmax, [[0, 0.5, 0.5], [1 / 3] * 3], rtol=1e-6)
    [dmin] = _grads(gn.reduce_min(x), [x], {x: value})
    np.testing.assert_allclose(dmin, [[1, 0, 0], [0, 0, 0]])


def test_maximum_and_minimum_give_ties_to_x():
    x, y = gn.constant([1.0, 2.0, 5.0]), gn.constant([1.0, 3.0, 4.0])
    dx, dy = run(gn.gradients(gn.maximum(x, y), [x, y]))
    assert dx.tolist() == [1, 0, 1] and dy.tolist() == [0, 1, 0]
    dx, dy = run(gn.gradients(gn.minimum(x, y), [x, y]))
    assert dx.tolist() == [1, 1, 0] and dy.tolist() == [0, 0, 1]


def test_clip_by_value_gradient_passes_inside_the_range_including_its_ends():
    t = gn.constant([-1.0, -0.5, 0.0, 0.5, 1.0])
    [dt] = run(gn.gradients(gn.clip_by_value(t, -0.5, 0.5), [t]))
    assert dt.tolist() == [0, 1, 1, 1, 0]


def test_stop_gradient_blocks_and_non_differentiable_ops_give_none():
    x = gn.placeholder(gn.float32, [3])
    assert gn.gradients(gn.stop_gradient(x), x) == [None]
    assert gn.gradients(gn.cast(gn.argmax(x, 0), gn.float32), x) == [None]
    assert gn.gradients(gn.cast(x > 0, gn.float32), x) == [None]
    value = np.array([1.0, 2.0, 3.0], np.float32)
    [dx] = _grads(gn.reduce_sum(gn.stop_gradient(x) * x), [x], {x: value})
    assert dx.tolist() == value.tolist()  # only the unstopped path contributes


def test_pow_gradient_wrt_exponent_is_finite_at_zero_base():
    x, y = gn.constant([0.0, 2.0]), gn.constant([2.0, 3.0])
    dx, dy = run(gn.gradients(gn.pow(x, y), [x, y]))
    np.testing.assert_allclose(dx, [0.0, 12.0])
    np.testing.assert_allclose(dy, [0.0, 8 * np.log(2)], rtol=1e-6)


def test_mean_gradient_with_a_batch_dimension_known_only_at_run_time():
    x = gn.placeholder(gn.float32, [None, 3])
    [dx] = _grads(gn.reduce_mean(x), [x], {x: np.ones((4, 3), np.float32)})
    np.testing.assert_allclose(dx, np.full((4, 3), 1 / 12), rtol=1e-6)


def test_reduce_logsumexp_does_not_overflow_and_count_nonzero_is_int64():
    x = gn.constant([[1000.0, 1000.0], [0.0, -1000.0]])
    np.testing.assert_allclose(run(gn.reduce_logsumexp(x, axis=1)), [1000 + np.log(2), 0.0], rtol=1e-6)
    count = gn.count_nonzero(gn.constant([[0.0, 1.5], [2.0, 3.0]]))
    assert count.dtype == gn.int64 and run(count) == 3
