"""Dataset.reduce (tensors folded anew by each run, TF's structure/dtype checks and shape relaxation) and the
Dataset.unbatch method (gn.data.experimental.unbatch's transformation)."""
import numpy as np
import pytest

import gpunet as gn

Dataset = gn.data.Dataset


def _run(fetches, feed=None):
    with gn.Session() as sess:
        return sess.run(fetches, feed)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint8])
def test_reduce_sums_each_dtype_as_numpy(dtype):
    values = (np.arange(24) % 7).astype(dtype).reshape(6, 4)
    total = Dataset.from_tensor_slices(values).reduce(np.zeros(4, dtype), lambda s, x: s + x)
    assert total.dtype == gn.as_dtype(dtype) and total.shape.as_list() == [4]
    got = _run(total)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, values.sum(axis=0, dtype=dtype))


def test_reduce_of_bools_and_strings():
    flags = Dataset.from_tensor_slices(np.array([True, False, True])).reduce(False, gn.logical_or)
    last = Dataset.from_tensor_slices(["a", "bc"]).reduce(gn.constant(b""), lambda s, x: x)
    assert _run([flags, last]) == [True, b"bc"]


def test_reduce_nested_state_and_tuple_elements():
    pairs = Dataset.zip((Dataset.range(1, 5), Dataset.range(10, 14)))
    state = (np.int64(0), {"prod": np.float32(1.0), "count": 0})
    result = pairs.reduce(state, lambda s, x: (s[0] + x[0] * x[1], {"prod": s[1]["prod"] * gn.cast(x[0], gn.float32),
                                                                     "count": s[1]["count"] + 1}))
    assert isinstance(result, tuple) and set(result[1]) == {"prod", "count"}
    assert result[1]["count"].dtype == gn.int32
    got = _run(result)
    assert got[0] == sum(a * b for a, b in zip(range(1, 5), range(10, 14)))
    assert got[1]["prod"] == np.float32(24.0) and got[1]["count"] == 4


@pytest.mark.parametrize("state, flat", [
    (np.int64(7), [np.int64(7)]), (np.float32(-1.5), [np.float32(-1.5)]), (0.5, [np.float32(0.5)]),
    ([1, 2], [np.array([1, 2], np.int32)]),
    ((np.float64(1.5), {"k": np.ones((2, 3), np.uint8)}), [np.float64(1.5), np.ones((2, 3), np.uint8)])])
def test_reduce_of_an_empty_dataset_gives_the_initial_state(state, flat):
    result = _run(Dataset.range(0).reduce(state, lambda s, x: s))
    got = [result[0], result[1]["k"]] if isinstance(result, tuple) else [result]
    for value, want in zip(got, flat):
        assert np.asarray(value).dtype == np.asarray(want).dtype
        np.testing.assert_array_equal(value, want)


def test_reduce_python_initial_values_take_tfs_dtypes():
    assert Dataset.range(2).reduce(0.5, lambda s, x: s).dtype == gn.float32
    listed = Dataset.range(2).reduce([1, 2], lambda s, x: s)
    assert listed.dtype == gn.int32 and listed.shape.as_list() == [2]


def test_reduce_is_computed_anew_by_each_run_from_its_feeds():
    calls = []

    def gen():
        calls.append(1)
        yield from range(4)
    start, scale = gn.placeholder(gn.float32, [None]), gn.placeholder(gn.float32, [])
    data = gn.placeholder(gn.float32, [None])
    result = Dataset.zip((Dataset.from_generator(gen, gn.int64, []), Dataset.from_tensor_slices(data))).reduce(
        start, lambda s, x: s + gn.cast(x[0], gn.float32) * x[1] * scale)
    assert result.shape.as_list() == [None]
    with gn.Session() as sess:
        for first, factor, values in [([0.0, 1.0], 1.0, [1.0, 2.0, 3.0]), ([5.0], 2.0, [1.0] * 6)]:
            expected = np.array(first, np.float32) + factor * sum(i * v for i, v in zip(range(4), values))
            np.testing.assert_allclose(sess.run(result, {start: first, scale: factor, data: values}), expected)
        assert len(calls) == 2
        np.testing.assert_allclose(sess.run(result, {start: [0.0], scale: 1.0, data: [1.0] * 4}), [6.0])
    assert len(calls) == 3


def test_reduce_relaxes_the_state_shape_to_fit_what_the_function_returns():
    grown = Dataset.range(5).reduce(np.zeros((0,), np.int64), lambda s, x: gn.concat([s, gn.reshape(x, [1])], 0))
    assert grown.shape.as_list() == [None]
    assert _run(grown).tolist() == [0, 1, 2, 3, 4]
    ranks = Dataset.range(2).reduce(np.zeros((1,), np.int64), lambda s, x: gn.reshape(s, [1, 1]))
    assert ranks.shape.ndims is None


def test_reduce_errors_are_tfs():
    with pytest.raises(TypeError) as info:
        Dataset.range(5).reduce(np.int32(0), lambda s, x: x)
    assert str(info.value) == ("The element types for the new state must match the initial state. Expected "
                               "<dtype: 'int32'> but got <dtype: 'int64'>.")
    with pytest.raises(ValueError) as info:
        Dataset.range(5).reduce(np.int64(0), 5)
    assert str(info.value) == "Argument `func` must be a callable. Received func=5 (of type <class 'int'>)"


@pytest.mark.parametrize("state, fn, got", [
    ((np.int64(0), np.int64(0)), lambda s, x: x, "TensorSpec(shape=(), dtype=tf.int64, name=None)"),
    (np.int64(0), lambda s, x: (x, x), "(TensorSpec(shape=(), dtype=tf.int64, name=None), "
     "TensorSpec(shape=(), dtype=tf.int64, name=None))"),
    ({"a": np.int64(0)}, lambda s, x: {"b": x}, "{'b': TensorSpec(shape=(), dtype=tf.int64, name=None)}")])
def test_reduce_to_another_structure_is_a_type_error_at_build_time(state, fn, got):
    # TF finds these only when it runs (a count mismatch), or not at all (other dict keys)
    with pytest.raises(TypeError) as info:
        Dataset.range(5).reduce(state, fn)
    assert str(info.value).startswith("The structure of the new state must match the initial state. Expected ")
    assert str(info.value).endswith(f" but got {got}.")


def test_reduce_returning_none_is_a_type_error():
    with pytest.raises(TypeError, match="`reduce_func` must return the new state"):
        Dataset.range(3).reduce(np.int64(0), lambda s, x: None)


def test_reduce_failing_at_run_time_raises_in_that_run_and_the_next_run_works():
    values = gn.placeholder(gn.float32, [None])
    result = Dataset.from_tensor_slices(values).reduce(np.float32(0), lambda s, x: s + gn.check_numerics(x, "bad"))
    with gn.Session() as sess:
        assert sess.run(result, {values: [1.0, 2.0]}) == 3.0
        with pytest.raises(gn.errors.InvalidArgumentError, match="bad"):
            sess.run(result, {values: [1.0, np.nan]})
        assert sess.run(result, {values: []}) == 0.0


# -- unbatch ----------------------------------------------------------------------------------
def test_unbatch_method_is_experimental_unbatchs_transformation():
    from gpunet.data._experimental import _Unbatch
    batched = Dataset.from_tensor_slices((np.arange(12).reshape(6, 2), np.array(list("abcdef"), dtype=object)))
    batched = batched.batch(4)
    method, applied = batched.unbatch(), batched.apply(gn.data.experimental.unbatch())
    assert type(method) is _Unbatch and type(applied) is _Unbatch
    assert [s.as_list() for s in method.output_shapes] == [[2], []]
    total = method.reduce((np.int64(0), np.int64(0)), lambda s, x: (s[0] + gn.reduce_sum(x[0]), s[1] + 1))
    assert _run(total) == (66, 6)


def test_unbatch_method_errors_are_the_experimental_ones():
    with pytest.raises(ValueError, match="Cannot unbatch an input with scalar components."):
        Dataset.range(3).unbatch()
    parts = Dataset.from_tensors((np.zeros((2, 1)), np.zeros((3,))))
    with pytest.raises(ValueError, match="Encountered both 2 and 3"):
        parts.unbatch()
