"""gn.IndexedSlices (TF1's tf.IndexedSlices): its parts, its dense form (repeated rows summed, as TF1's
conversion) and TF1's errors converting it; the Variable.scatter_* methods of TF1's reference variables
against NumPy's ufunc.at on each device and dtype, their ops and locking; IndexedSlices gradients given to
apply_gradients."""
import warnings

import numpy as np
import pytest

import gpunet as gn

INDICES = np.array([3, 0, 3, 1], np.int32)  # row 3 twice, row 2 never
UPDATE_INDICES = np.array([3, 0, 1], np.int32)  # scatter_update: distinct rows (TF1 leaves the winner undefined)
NUMPY_AT = {"scatter_add": np.add.at, "scatter_sub": np.subtract.at, "scatter_mul": np.multiply.at,
            "scatter_div": np.divide.at, "scatter_max": np.maximum.at, "scatter_min": np.minimum.at}
METHOD_DTYPES = [(m, d) for m in NUMPY_AT for d in ("float32", "float64", "int32")
                 if not (m == "scatter_div" and d == "int32")] + [("scatter_update", "float32"),
                                                                  ("scatter_update", "int32")]


def _initial(dtype):
    return (np.arange(10).reshape(5, 2) - 4).astype(dtype)


def _updates(dtype, rows):
    return (np.arange(rows * 2).reshape(rows, 2) % 3 + 1).astype(dtype) * np.asarray(2, dtype)


def _run(variable, *fetches):
    with gn.Session() as sess:
        sess.run(variable.initializer)
        return [sess.run(f) for f in fetches]


@pytest.mark.parametrize("method, dtype", METHOD_DTYPES, ids=[f"{m}-{d}" for m, d in METHOD_DTYPES])
def test_scatter_methods_update_the_variable_as_numpy_does(method, dtype, device):
    indices = UPDATE_INDICES if method == "scatter_update" else INDICES
    updates = _updates(dtype, len(indices))
    want = _initial(dtype).copy()
    if method == "scatter_update":
        want[indices] = updates
    else:
        NUMPY_AT[method](want, indices, updates)
    with gn.device(device):
        v = gn.Variable(_initial(dtype), name="v")
        out = getattr(v, method)(gn.IndexedSlices(updates, indices, [5, 2]))
    got, after = _run(v, out, v)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(after, want)


@pytest.mark.parametrize("method, op_type, locked", [
    ("scatter_add", "ScatterAdd", False), ("scatter_sub", "ScatterSub", False), ("scatter_mul", "ScatterMul", False),
    ("scatter_div", "ScatterDiv", False), ("scatter_max", "ScatterMax", False), ("scatter_min", "ScatterMin", False),
    ("scatter_update", "ScatterUpdate", False)])
def test_scatter_methods_build_tf1s_op_with_its_locking_default_and_name(method, op_type, locked):
    v = gn.Variable(np.zeros((3, 2), np.float32), name="v")
    delta = gn.IndexedSlices(np.ones((1, 2), np.float32), [1])
    op = getattr(v, method)(delta).op
    assert (op.type, op.attrs["use_locking"]) == (op_type, locked)
    assert getattr(v, method)(delta, use_locking=True, name="mine").op.attrs["use_locking"] is True
    assert getattr(v, method)(delta, name="mine").op.name == "mine_1"


@pytest.mark.parametrize("method", [*NUMPY_AT, "scatter_update"])
def test_scatter_methods_take_only_indexed_slices(method):
    v = gn.Variable(np.zeros((3, 2), np.float32), name="v")
    rows = gn.constant(np.ones((3, 2), np.float32))
    with pytest.raises(TypeError, match="^sparse_delta is not IndexedSlices: <gn.Tensor \"Const"):
        getattr(v, method)(rows)
    with pytest.raises(TypeError, match="^sparse_delta is not IndexedSlices: "):
        getattr(v, method)((np.ones((1, 2), np.float32), [0]))


@pytest.mark.parametrize("method, numpy_update", [
    ("scatter_nd_add", np.add.at), ("scatter_nd_sub", np.subtract.at), ("scatter_nd_update", None)])
def test_scatter_nd_methods_update_the_variable_and_always_lock(method, numpy_update, device):
    coordinates = np.array([[4, 1], [0, 0], [2, 1]], np.int32)
    updates = np.array([5.0, -1.5, 2.0], np.float32)
    want = _initial("float32").copy()
    if numpy_update is None:
        want[coordinates[:, 0], coordinates[:, 1]] = updates
    else:
        numpy_update(want, (coordinates[:, 0], coordinates[:, 1]), updates)
    with gn.device(device):
        v = gn.Variable(_initial("float32"), name="v")
        out = getattr(v, method)(coordinates, updates, name="nd")
    assert out.op.attrs["use_locking"] is True and out.op.name == "nd"
    got, after = _run(v, out, v)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(after, want)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "int64"])
def test_convert_to_tensor_sums_the_rows_into_the_dense_shape(dtype, device):
    values = _updates(dtype, len(INDICES))
    want = np.zeros((6, 2), dtype)
    np.add.at(want, INDICES, values)
    with gn.device(device):
        slices = gn.IndexedSlices(values, INDICES, gn.constant([6, 2]))
        dense = gn.convert_to_tensor(slices)
        doubled = gn.add(slices, slices)  # any op takes it, made dense
    assert dense.dtype == gn.as_dtype(dtype) and dense.shape.as_list() == [6, 2]
    with gn.Session() as sess:
        got, got_doubled = sess.run([dense, doubled])
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got_doubled, want + want)


def test_an_empty_indexed_slices_is_zeros_of_the_dense_shape():
    slices = gn.IndexedSlices(np.zeros((0, 3), np.float32), np.zeros(0, np.int64), [4, 3])
    with gn.Session() as sess:
        np.testing.assert_array_equal(sess.run(gn.convert_to_tensor(slices)), np.zeros((4, 3), np.float32))


def test_its_parts_name_dtype_op_repr_and_negation():
    values = gn.constant(np.ones((2, 3), np.float32), name="vals")
    slices = gn.IndexedSlices(values, [0, 2], [4, 3])
    assert slices.values is values and slices.name == "vals:0" and slices.op is values.op
    assert slices.dtype == gn.float32 and slices.graph is values.graph and slices.device == values.device
    assert slices.indices.dtype == gn.int32 and slices.dense_shape.dtype == gn.int32
    assert repr(slices) == (f"IndexedSlices(indices={slices.indices}, values={values}, "
                            f"dense_shape={slices.dense_shape})")
    assert gn.IndexedSlices(values, [0, 2]).dense_shape is None
    assert repr(gn.IndexedSlices(values, [0, 2])).endswith(f"values={values})")
    negated = -slices
    assert isinstance(negated, gn.IndexedSlices) and negated.indices is slices.indices
    with gn.Session() as sess:
        np.testing.assert_array_equal(sess.run(negated.values), -np.ones((2, 3), np.float32))


def test_conversion_errors_are_tf1s():
    no_shape = gn.IndexedSlices(np.ones((1, 2), np.float32), [0])
    with pytest.raises(ValueError, match="^Tensor conversion requested for IndexedSlices for argument `value` "
                                         "without dense_shape: IndexedSlices\\(indices="):
        gn.convert_to_tensor(no_shape)
    with pytest.raises(ValueError, match="^Incompatible tensor conversion requested to `dtype` int32 for "
                                         "IndexedSlices \\(IndexedSlices\\(.*\\) with dtype float32$"):
        gn.ops.indexed_slices._to_dense(gn.IndexedSlices(np.ones((1, 2), np.float32), [0], [2, 2]), gn.int32)
    computed = gn.placeholder(gn.int32, [2], name="shape")
    with pytest.raises(ValueError, match="dense_shape known when the graph is built .*; shape:0 is computed"):
        gn.convert_to_tensor(gn.IndexedSlices(np.ones((1, 2), np.float32), [0], computed))


def test_a_huge_dense_form_warns_as_tf1_and_a_small_one_does_not():
    values = gn.placeholder(gn.float32, [None, 1])
    with pytest.warns(UserWarning, match="^Converting sparse IndexedSlices to a dense Tensor with 100000000 "
                                         "elements. This may consume a large amount of memory.$"):
        gn.convert_to_tensor(gn.IndexedSlices(values, [0], [100_000_000, 1]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gn.convert_to_tensor(gn.IndexedSlices(values, [0], [99_999_999, 1]))


def _apply(optimizer, device):
    """Two steps of ``optimizer`` on a 4x2 table with an IndexedSlices gradient, in a graph of their own."""
    with gn.Graph().as_default():
        with gn.device(device):
            table = gn.Variable(np.arange(8, dtype=np.float32).reshape(4, 2), name="table")
            slices = gn.IndexedSlices(np.array([[1, 2], [3, 4], [5, 6]], np.float32), [2, 0, 2], [4, 2])
            train_op = optimizer.apply_gradients([(slices, table)])
        with gn.Session() as sess:
            sess.run(gn.global_variables_initializer())
            sess.run(train_op)
            sess.run(train_op)
            return sess.run(table), {op.type for op in gn.get_default_graph().get_operations() if "Apply" in op.type}


def test_apply_gradients_takes_indexed_slices_sparse_where_the_optimizer_has_a_sparse_update(device):
    """Momentum updates only the rows given (repeated ones summed), twice; plain SGD makes it dense."""
    grad = np.array([[3, 4], [0, 0], [6, 8], [0, 0]], np.float32)
    table0 = np.arange(8, dtype=np.float32).reshape(4, 2)
    got, types = _apply(gn.train.MomentumOptimizer(0.1, 0.5), device)
    assert types == {"SparseApplyMomentum"}
    np.testing.assert_allclose(got, table0 - 0.1 * grad - 0.1 * (1.5 * grad), rtol=1e-6)
    got, types = _apply(gn.train.GradientDescentOptimizer(0.1), device)
    assert types == {"ApplyGradientDescent"}
    np.testing.assert_allclose(got, table0 - 0.2 * grad, rtol=1e-6)


def test_sess_run_fetches_an_indexed_slices_as_tf1s_value(device):
    """As TF1: an IndexedSlicesValue of the parts' values, dense_shape None when it has none, in any fetch
    structure."""
    with gn.device(device):
        whole = gn.IndexedSlices(gn.constant([[1.0, 2.0], [3.0, 4.0]]), gn.constant([0, 2]), gn.constant([3, 2]))
        rows = gn.IndexedSlices(gn.constant([[5.0, 6.0]]), gn.constant([1]))
    with gn.Session() as sess:
        got = sess.run({"both": [whole, rows]})["both"]
    assert [type(v) for v in got] == [gn.IndexedSlicesValue] * 2
    np.testing.assert_array_equal(got[0].values, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(got[0].indices, [0, 2])
    np.testing.assert_array_equal(got[0].dense_shape, [3, 2])
    np.testing.assert_array_equal(got[1].values, [[5, 6]])
    assert got[1].dense_shape is None
