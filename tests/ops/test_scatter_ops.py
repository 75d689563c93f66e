"""gn.scatter_* and gn.scatter_nd_*: the updated variables against TF 2.21's tf.compat.v1 values (frozen in
scatter_reference.npz by make_scatter_reference.py) over every dtype TF1 takes and on each device; TF1's
errors for bad indices (run time) and bad arguments (build time); use_locking defaults; no gradients."""
import os

import numpy as np
import pytest

import gpunet as gn
from tests.ops.scatter_inputs import ND_SCATTERS, ROW_SCATTERS, joined, scatter_cases, scatter_dtypes

REFERENCE = np.load(os.path.join(os.path.dirname(__file__), "scatter_reference.npz"))
CASES = [(fn, dtype) for fn in ROW_SCATTERS + ND_SCATTERS for dtype in scatter_dtypes(fn)]


def _variable(device, value, name="v"):
    with gn.device(device):
        return gn.Variable(value, name=name)


def _run_case(fn, device, init, indices, updates):
    """The op's output and the variable read after the run."""
    v = _variable(device, init)
    with gn.device(device):
        y = getattr(gn, fn)(v, indices, updates)
    with gn.Session() as sess:
        sess.run(v.initializer)
        out = sess.run(y)
        return out, sess.run(v)


@pytest.mark.parametrize("fn,dtype", CASES, ids=[f"{fn}-{dtype}" for fn, dtype in CASES])
def test_updated_variables_match_tf(fn, dtype, device):
    outputs = []
    for variant, init, indices, updates in scatter_cases(fn, dtype):
        out, after = _run_case(fn, device, init, indices, updates)
        assert out.dtype == np.dtype(dtype) and out.shape == init.shape, variant
        np.testing.assert_array_equal(out, after, err_msg=f"{variant}: the output is the updated variable")
        outputs.append(out)
    np.testing.assert_array_equal(joined(outputs), REFERENCE[f"scatter/{fn}/{dtype}"])


def test_repeated_runs_accumulate_and_the_op_runs_on_the_variables_device(device):
    v = _variable(device, np.zeros((3, 2), np.float32))
    with gn.device(device):
        y = gn.scatter_add(v, [2, 0, 2], np.ones((3, 2), np.float32))
    with gn.Session() as sess:
        sess.run(v.initializer)
        sess.run(y)
        np.testing.assert_array_equal(sess.run(y), [[2, 2], [0, 0], [4, 4]])
        report = sess.placement_report(y)
    spec = gn.DeviceSpec.from_string(device).to_string()
    assert [r.assigned.endswith(spec) for r in report.rows if r.type == "ScatterAdd"] == [True]


def test_the_variables_own_tensor_is_taken_as_the_ref():
    v = gn.Variable(np.zeros(4, np.int32), name="w")
    y = gn.scatter_sub(gn.get_default_graph().get_tensor_by_name("w:0"), [1, 1], [2, 3])
    with gn.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(y), [0, -5, 0, 0])


BAD_INDICES = [
    ("scatter_update", [1, 5], np.ones((2, 3)), "indices[1] = 5 is not in [0, 4)"),
    ("scatter_add", [[1, 0], [-1, 0]], np.ones((2, 2, 3)), "indices[1,0] = -1 is not in [0, 4)"),
    ("scatter_max", [4], np.ones((1, 3)), "indices[0] = 4 is not in [0, 4)"),
    ("scatter_mul", [0, 7], np.ones((2, 3)), "indices[1] = 7 is not in [0, 4)"),
    ("scatter_nd_add", [[1, 0], [7, 0]], np.ones(2), "indices[1] = [7, 0] does not index into shape [4,3]"),
    ("scatter_nd_update", [[[1, 0], [2, -1]]], np.ones((1, 2)),
     "indices[0,1] = [2, -1] does not index into shape [4,3]"),
    ("scatter_nd_sub", [[4]], np.ones((1, 3)), "indices[0] = [4] does not index into shape [4,3]"),
]


@pytest.mark.parametrize("fn,indices,updates,message", BAD_INDICES, ids=[b[0] for b in BAD_INDICES])
def test_an_index_out_of_range_is_an_invalid_argument_error_and_writes_no_other_row(fn, indices, updates,
                                                                                     message, device):
    init = np.arange(12, dtype=np.float32).reshape(4, 3)
    v = _variable(device, init)
    with gn.device(device):
        y = getattr(gn, fn)(v, indices, np.asarray(updates, np.float32) * 100)
    with gn.Session() as sess:
        sess.run(v.initializer)
        with pytest.raises(gn.errors.InvalidArgumentError) as info:
            sess.run(y)
        after = sess.run(v)
    assert info.value.message.startswith(message)
    # the in-range positions may have been written (a GPU's check comes after the write), nothing else:
    # a wrapped-around bad index would have written 100s into another row
    untouched = np.ones(init.shape, bool)
    for index in np.asarray(indices).reshape(-1, np.shape(indices)[-1] if "_nd_" in fn else 1):
        if (index >= 0).all() and (index < init.shape[:len(index)]).all():
            untouched[tuple(index)] = False
    np.testing.assert_array_equal(after[untouched], init[untouched])


def test_integer_division_by_zero_is_an_invalid_argument_error(device):
    v = _variable(device, np.full((2, 2), 7, np.int32))
    with gn.device(device):
        y = gn.scatter_div(v, [1], [[2, 0]])
    with gn.Session() as sess:
        sess.run(v.initializer)
        with pytest.raises(gn.errors.InvalidArgumentError, match="Integer division by zero"):
            sess.run(y)


def test_integer_division_truncates_toward_zero_by_the_product_of_the_divisors():
    v = gn.Variable(np.array([[-7, 7, -7, 9, 100, -128]], np.int8))
    y = gn.scatter_div(v, [0, 0, 0], [[2, -2, -2, 2, 16, 64], [2, 2, 1, -2, 16, 2], [1, 1, 1, 1, 1, 1]])
    with gn.Session() as sess:
        sess.run(v.initializer)
        # as C's division one divisor after another; 16 * 16 and 64 * 2 do not fit an int8 and give 0, not a wrap
        np.testing.assert_array_equal(sess.run(y), [[-1, -1, 3, -2, 0, -1]])


def test_float16_division_by_several_divisors_does_not_overflow():
    v = gn.Variable(np.array([[300.0, -1.0]], np.float16))
    y = gn.scatter_div(v, [0, 0], np.array([[300, 1000], [300, 1000]], np.float16))  # 1000 * 1000 is no float16
    with gn.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_allclose(sess.run(y), [[300.0 / 300 / 300, -1e-6]], rtol=1e-3, atol=1e-7)


def _v(value=None, dtype=np.float32):
    return gn.Variable(np.zeros((4, 3), dtype) if value is None else value)


BAD_BUILD = [
    (lambda: gn.scatter_add(_v(), [1, 2], np.ones((2, 2), np.float32)), ValueError,
     "updates have shape [2,2], but indices of shape [2] into the variable Variable of shape [4,3] need updates "
     "of shape [2,3]"),
    (lambda: gn.scatter_nd_add(_v(), [[1, 0], [1, 0]], np.ones(3, np.float32)), ValueError,
     "need updates of shape [2]"),
    (lambda: gn.scatter_nd_add(_v(), [[1, 0]], np.float32(1)), ValueError, "need updates of shape [1]"),
    (lambda: gn.scatter_nd_update(_v(), [[1, 0, 0]], [1.0]), ValueError,
     "the last dimension of indices (3) must be in [1, 2] for a variable of shape [4,3]"),
    (lambda: gn.scatter_nd_update(_v(), 1, 1.0), ValueError, "indices must be at least rank 1, got a scalar"),
    (lambda: gn.scatter_add(_v(np.float32(1)), [0], [1.0]), ValueError, "must be at least rank 1, got a scalar"),
    (lambda: gn.scatter_add(_v(), [1.0], np.ones((1, 3), np.float32)), TypeError,
     "indices must be int32 or int64, got float32"),
    (lambda: gn.scatter_add(_v(), np.array([1], np.int16), np.ones((1, 3), np.float32)), TypeError,
     "indices must be int32 or int64, got int16"),
    (lambda: gn.scatter_max(_v(dtype=bool), [0], [[True] * 3]), TypeError,
     "ScatterMax does not support variables of dtype bool"),
    (lambda: gn.scatter_min(_v(dtype=np.uint8), [0], [[1] * 3]), TypeError,
     "ScatterMin does not support variables of dtype uint8"),
    (lambda: gn.scatter_add(_v(dtype=bool), [0], [[True] * 3]), TypeError,
     "ScatterAdd does not support variables of dtype bool"),
    (lambda: gn.scatter_add(gn.constant(np.zeros((4, 3), np.float32)), [0], np.ones((1, 3), np.float32)),
     TypeError, "gn.scatter_add needs a gn.Variable as its first argument, got Tensor"),
]


@pytest.mark.parametrize("build,error,message", BAD_BUILD, ids=[m for _, _, m in BAD_BUILD])
def test_bad_arguments_fail_when_the_graph_is_built(build, error, message):
    with pytest.raises(error) as info:
        build()
    assert message in str(info.value)


@pytest.mark.parametrize("fn", ROW_SCATTERS + ND_SCATTERS)
def test_use_locking_defaults_as_tf1_and_can_be_set(fn):
    v, nd = _v(), "_nd_" in fn
    indices, updates = ([[0, 1]], [1.0]) if nd else ([0], np.ones((1, 3), np.float32))
    default = getattr(gn, fn)(v, indices, updates)
    flipped = getattr(gn, fn)(v, indices, updates, use_locking=not fn.endswith("update"), name="flipped")
    assert default.op.attrs["use_locking"] is fn.endswith("update")  # TF1: True for the two assignments
    assert flipped.op.attrs["use_locking"] is not fn.endswith("update")
    assert flipped.op.name == "flipped"


@pytest.mark.parametrize("fn", ROW_SCATTERS + ND_SCATTERS)
def test_scatter_ops_have_no_gradient_as_in_tf1(fn):
    v, nd = _v(), "_nd_" in fn
    x = gn.placeholder(gn.float32, [1] if nd else [1, 3])
    loss = gn.reduce_sum(getattr(gn, fn)(v, [[0, 1]] if nd else [0], x))
    if fn in ("scatter_update", "scatter_max", "scatter_min"):  # TF1 registers no gradient function for these
        with pytest.raises(LookupError, match="No gradient defined for operation"):
            gn.gradients(loss, [v, x])
    else:  # TF1's NotDifferentiable
        assert gn.gradients(loss, [v, x]) == [None, None]


MANY_REPEATS = [("scatter_add", np.int64, np.add), ("scatter_sub", np.int8, np.subtract),
                ("scatter_add", np.float32, np.add), ("scatter_mul", np.float64, np.multiply),
                ("scatter_max", np.int32, np.maximum), ("scatter_min", np.float16, np.minimum)]


@pytest.mark.parametrize("fn,dtype,ufunc", MANY_REPEATS, ids=[f"{f}-{d.__name__}" for f, d, _ in MANY_REPEATS])
def test_many_repeats_of_a_few_rows_match_numpy_ufunc_at(fn, dtype, ufunc, device):
    rng = np.random.default_rng(3)
    init = rng.integers(-3, 4, (4, 2)).astype(dtype)
    indices = rng.integers(0, 4, 1000).astype(np.int32)  # 1000 updates: each row about 250 times
    updates = (rng.uniform(0.99, 1.01, (1000, 2)) if fn == "scatter_mul" else rng.integers(-9, 10, (1000, 2)))
    updates = updates.astype(dtype)
    expected = init.copy()
    ufunc.at(expected, indices, updates)
    out, _ = _run_case(fn, device, init, indices, updates)
    np.testing.assert_allclose(out, expected, rtol=1e-12 if fn == "scatter_mul" else 0)
