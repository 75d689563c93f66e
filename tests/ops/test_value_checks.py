"""Never a silent wrong value: out-of-range indices in every indexing op, integer division by zero
and negative integer exponents raise InvalidArgumentError naming the op and the bad value, on
every device (on GPUs the check is explicit: CuPy's take and scatter wrap, CUDA's integer
division by zero gives garbage; NumPy's take accepts negative indices, its division gives 0)."""
import re
import warnings

import numpy as np
import pytest

import gpunet as gn
from gpunet.graph.core_ops import VarSlot
from gpunet.graph.registry import get_op_def
from gpunet.ops.indexing_ops import gather_grad


def _run_raises(device, build, feeds, message):
    """Build on ``device``, run with ``feeds`` (placeholder index -> value) and expect ``message``
    with the op's name and the device named after it; no warning may escape."""
    with gn.device(device):
        fetch, placeholders, op_name = build()
    with gn.Session() as sess, warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(gn.errors.InvalidArgumentError) as info:
            sess.run(fetch, {placeholders[i]: v for i, v in feeds.items()})
    text = str(info.value)
    assert text.startswith(message), text
    where = _canonical(device)
    assert re.search(rf"\[\[node {re.escape(op_name)} \(\w+\) on {re.escape(where)}\]\]", text), text


def _canonical(device):
    kind, index = device.strip("/").split(":")
    return f"/job:localhost/replica:0/task:0/device:{kind.upper()}:{index}"


# -- indices out of range: one sweep over the indexing ops ------------------------------------------
def _gather(axis=0, rank=1):
    def build():
        p = gn.constant(np.arange(12.0, dtype=np.float32).reshape(3, 4))
        i = gn.placeholder(gn.int32, [None] * rank)
        return gn.gather(p, i, axis=axis, name="picked"), [i], "picked"
    return build


def _gather_grad():
    p = gn.constant(np.ones((3, 2), np.float32))
    i = gn.placeholder(gn.int32, [None])
    g = gn.placeholder(gn.float32, [None, 2])
    return gather_grad(g, i, p, 0), [i, g], "GatherGrad"


def _gather_gradient_through_gradients():
    p = gn.constant(np.ones((3, 2), np.float32))
    i = gn.placeholder(gn.int32, [None])
    [dp] = gn.gradients(gn.reduce_sum(gn.gather(p, i)), [p])
    return dp, [i], "GatherV2"  # the forward gather runs first and fails first


def _sparse_labels():
    logits = gn.constant(np.zeros((2, 3), np.float32))
    labels = gn.placeholder(gn.int32, [2])
    loss = gn.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits, name="xent")
    return loss, [labels], "xent"


def _runtime_slice():
    x = gn.placeholder(gn.float32, [None, 2])
    return gn.slice(x, [1, 0], [3, 2], name="cut"), [x], "cut"


def _runtime_strided_index():
    x = gn.placeholder(gn.float32, [None])
    return gn.identity(x[4]), [x], "strided_slice"


INDEX_CASES = [
    pytest.param(_gather(), {0: [0, 5]}, "indices[1] = 5 is not in [0, 3)", id="gather-too-large"),
    pytest.param(_gather(), {0: [-1, 0]}, "indices[0] = -1 is not in [0, 3)", id="gather-negative"),
    pytest.param(_gather(), {0: [3]}, "indices[0] = 3 is not in [0, 3)", id="gather-at-size"),
    pytest.param(_gather(axis=1), {0: [1, 4]}, "indices[1] = 4 is not in [0, 4)", id="gather-axis1"),
    pytest.param(_gather(rank=2), {0: [[0, 1], [7, 0]]}, "indices[1,0] = 7 is not in [0, 3)", id="gather-2d"),
    pytest.param(_gather(rank=0), {0: -4}, "indices = -4 is not in [0, 3)", id="gather-scalar"),
    pytest.param(_gather_grad, {0: [0, 3], 1: np.ones((2, 2), np.float32)}, "indices[1] = 3 is not in [0, 3)",
                 id="gather-grad"),
    pytest.param(_gather_grad, {0: [-2], 1: np.ones((1, 2), np.float32)}, "indices[0] = -2 is not in [0, 3)",
                 id="gather-grad-negative"),
    pytest.param(_gather_gradient_through_gradients, {0: [9]}, "indices[0] = 9 is not in [0, 3)",
                 id="gather-gradients"),
    pytest.param(_sparse_labels, {0: [1, 3]}, "Received a label value of 3 which is outside the valid range of "
                 "[0, 3).  Label values: 1 3", id="sparse-labels"),
    pytest.param(_sparse_labels, {0: [-1, 0]}, "Received a label value of -1", id="sparse-labels-negative"),
    pytest.param(_runtime_slice, {0: np.ones((2, 2), np.float32)}, "Expected size[0] in [0, 1], but got 3",
                 id="slice-past-end"),
    pytest.param(_runtime_strided_index, {0: np.ones(3, np.float32)}, "slice index 4 of dimension 0 out of bounds",
                 id="strided-index"),
]


@pytest.mark.parametrize("build, feeds, message", INDEX_CASES)
def test_an_index_out_of_range_raises_naming_the_op_and_the_index(device, build, feeds, message):
    _run_raises(device, build, feeds, message)


# -- matrix products whose shapes are known only at run time: NumPy would take a vector for a matrix ----
def _matmul(transpose_b=False, rank=None):
    def build():
        a = gn.placeholder(gn.float32, None if rank is None else [None] * rank)
        b = gn.placeholder(gn.float32, None if rank is None else [None] * rank)
        return gn.matmul(a, b, transpose_b=transpose_b, name="product"), [a, b], "product"
    return build


MATMUL_CASES = [
    pytest.param(_matmul(), {0: np.ones(3), 1: np.ones(3)},
                 "BatchMatMulV2: the inputs must be rank >= 2, got In[0]: [3], In[1]: [3]", id="vectors"),
    pytest.param(_matmul(), {0: np.ones((2, 3)), 1: np.ones(3)}, "BatchMatMulV2: the inputs must be rank >= 2",
                 id="matrix-vector"),
    pytest.param(_matmul(), {0: np.float32(2), 1: np.ones((1, 1))},
                 "BatchMatMulV2: the inputs must be rank >= 2, got In[0]: []", id="scalar"),
    pytest.param(_matmul(rank=2), {0: np.ones((1, 3)), 1: np.ones((2, 1))},
                 "Matrix size-incompatible: In[0]: [1,3], In[1]: [2,1]", id="inner-dims"),
    pytest.param(_matmul(transpose_b=True, rank=2), {0: np.ones((1, 3)), 1: np.ones((3, 1))},
                 "Matrix size-incompatible: In[0]: [1,3], In[1]: [3,1]", id="inner-dims-transposed"),
    pytest.param(_matmul(), {0: np.ones((2, 0, 3)), 1: np.ones((2, 4, 1))}, "Matrix size-incompatible",
                 id="batched-inner-dims"),
]


@pytest.mark.parametrize("build, feeds, message", MATMUL_CASES)
def test_a_matrix_product_of_the_wrong_shapes_raises_at_run_time(device, build, feeds, message):
    _run_raises(device, build, {i: np.asarray(v, np.float32) for i, v in feeds.items()}, message)


@pytest.mark.parametrize("shapes", [((2, 3), (3, 4)), ((0, 3), (3, 2)), ((2, 0), (0, 2)), ((5, 2, 3), (3, 1))])
def test_a_matrix_product_of_run_time_shapes_matches_numpy(device, shapes):
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    with gn.device(device):
        a, b = gn.placeholder(gn.float32, None), gn.placeholder(gn.float32, None)
        product = gn.matmul(a, b)
    with gn.Session() as sess:
        got = sess.run(product, {a: values[0], b: values[1]})
    np.testing.assert_allclose(got, values[0] @ values[1], rtol=1e-5, atol=1e-6)


def test_gather_on_an_empty_axis_refuses_every_index(device):
    with gn.device(device):
        p = gn.placeholder(gn.float32, [None, 2])
        i = gn.placeholder(gn.int32, [None])
        y = gn.gather(p, i)
    with gn.Session() as sess:
        assert sess.run(y, {p: np.ones((0, 2)), i: []}).shape == (0, 2)
        with pytest.raises(gn.errors.InvalidArgumentError, match=r"indices\[0\] = 0 is not in \[0, 0\)"):
            sess.run(y, {p: np.ones((0, 2)), i: [0]})


def test_valid_indices_and_empty_index_lists_still_work(device):
    with gn.device(device):
        p = gn.constant(np.arange(6.0, dtype=np.float32).reshape(3, 2))
        i = gn.placeholder(gn.int32, [None])
        y = gn.gather(p, i)
        [dp] = gn.gradients(gn.reduce_sum(y), [p])
        x = gn.placeholder(gn.float32, [None])
        cut = gn.slice(x, [1], [-1])
    with gn.Session() as sess:
        got, grad = sess.run([y, dp], {i: [2, 0, 2]})
        np.testing.assert_array_equal(got, [[4, 5], [0, 1], [4, 5]])
        np.testing.assert_array_equal(grad, [[1, 1], [0, 0], [2, 2]])
        assert sess.run(y, {i: []}).shape == (0, 2)
        assert sess.run(cut, {x: [1.0, 2.0, 3.0]}).tolist() == [2.0, 3.0]


def test_one_hot_refuses_a_negative_depth_when_built():
    with pytest.raises(ValueError, match="depth must be non-negative, got -1"):
        gn.one_hot(gn.constant([0, 1]), -1)


# -- integer division by zero, negative integer exponents -------------------------------------------
INT_DTYPES = ["int8", "int16", "int32", "int64", "uint8"]
INT_OPS = [
    pytest.param(lambda x, y: gn.floordiv(x, y, name="op"), "Integer division by zero", id="floordiv"),
    pytest.param(lambda x, y: gn.floormod(x, y, name="op"), "Integer division by zero", id="floormod"),
    pytest.param(lambda x, y: gn.mod(x, y, name="op"), "Integer division by zero", id="mod"),
    pytest.param(lambda x, y: gn.truncatediv(x, y, name="op"), "Integer division by zero", id="truncatediv"),
    pytest.param(lambda x, y: gn.truncatemod(x, y, name="op"), "Integer division by zero", id="truncatemod"),
    pytest.param(lambda x, y: gn.div(x, y, name="op"), "Integer division by zero", id="div"),
    pytest.param(lambda x, y: gn.identity(x // y, name="op"), "Integer division by zero", id="operator-floordiv"),
    pytest.param(lambda x, y: gn.identity(x % y, name="op"), "Integer division by zero", id="operator-mod"),
]


def _int_pair(dtype):
    x, y = gn.placeholder(dtype, [None], name="x"), gn.placeholder(dtype, [None], name="y")
    return x, y


@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize("op, message", INT_OPS)
def test_integer_division_by_zero_raises(device, dtype, op, message):
    def build():
        x, y = _int_pair(dtype)
        result = op(x, y)
        return result, [x, y], result.op.inputs[0].op.name if result.op.type == "Identity" else "op"
    _run_raises(device, build, {0: np.array([7, 6], dtype), 1: np.array([2, 0], dtype)}, message)


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_integer_division_without_zero_matches_numpy(device, dtype):
    xs, ys = np.array([7, 9, 0, 100], dtype), np.array([2, 4, 3, 7], dtype)
    if dtype != "uint8":
        xs[0], ys[1] = -7, -4
    with gn.device(device):
        x, y = _int_pair(dtype)
        fetches = [gn.floordiv(x, y), gn.floormod(x, y), gn.pow(x, gn.abs(y) if dtype != "uint8" else y),
                   gn.truncatediv(x, y), gn.truncatemod(x, y), gn.div(x, y)]
    with gn.Session() as sess:
        got = sess.run(fetches, {x: xs, y: ys})
    expected = [xs // ys, xs % ys, xs ** np.abs(ys) if dtype != "uint8" else xs ** ys,
                np.trunc(xs / ys).astype(dtype), np.fmod(xs, ys), xs // ys]
    for g, e in zip(got, expected):
        assert g.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("dtype", [d for d in INT_DTYPES if d != "uint8"])
def test_integer_pow_with_a_negative_exponent_raises(device, dtype):
    def build():
        x, y = _int_pair(dtype)
        return gn.pow(x, y, name="op"), [x, y], "op"
    _run_raises(device, build, {0: np.array([2, 2], dtype), 1: np.array([1, -1], dtype)},
                "Integers to negative integer powers are not allowed")


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_float_division_by_zero_stays_ieee(device):
    with gn.device(device):
        x = gn.placeholder(gn.float32, [2])
        fetches = [gn.floordiv(x, 0.0), gn.pow(x, -1.0)]
    with gn.Session() as sess:
        div, power = sess.run(fetches, {x: [1.0, -2.0]})
    assert div.tolist() == [np.inf, -np.inf] and power.tolist() == [1.0, -0.5]


# -- D3: IsVariableInitialized yields an array of its own device ------------------------------------
class _RecordingXp:
    """An array module whose ``asarray`` marks what it made, to see which module a kernel uses."""

    @staticmethod
    def asarray(value):
        return ("device array", bool(value))


class _Ctx:
    xp = _RecordingXp


def test_is_variable_initialized_makes_its_result_with_the_device_array_module():
    kernel = get_op_def("IsVariableInitialized").kernel_for("GPU")(_Ctx())
    slot = VarSlot("v")
    assert kernel(slot) == ("device array", False)
    slot.value = np.ones(2)
    assert kernel(slot) == ("device array", True)


def test_is_variable_initialized_feeds_ops_on_its_device(device):
    with gn.device(device):
        v = gn.Variable([1.0, 2.0])
        uninitialized = gn.logical_not(v.is_variable_initialized())
    with gn.Session() as sess:
        assert bool(sess.run(uninitialized)) is True
        sess.run(v.initializer)
        assert bool(sess.run(uninitialized)) is False
