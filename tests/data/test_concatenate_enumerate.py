"""Dataset.concatenate and Dataset.enumerate: values, static structures (as TF 2.21 computes them), captures,
re-initialization, in-memory fast paths and TF's errors."""
import collections

import numpy as np
import pytest

import gpunet as gn

from ._read import read_all
from gpunet.data.dataset import Env

Dataset = gn.data.Dataset
Point = collections.namedtuple("Point", "x y")


def _generated(values, dtype):
    return Dataset.from_generator(lambda: iter(values), gn.as_dtype(dtype), [])


# -- concatenate ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint8, np.bool_])
def test_concatenate_gives_both_in_order_per_dtype(dtype):
    a, b = (np.arange(5) % 3).astype(dtype), (np.arange(3) % 2).astype(dtype)
    dataset = Dataset.from_tensor_slices(a).concatenate(Dataset.from_tensor_slices(b))
    assert dataset.output_types == gn.as_dtype(dtype) and dataset.output_shapes.as_list() == []
    got = read_all(dataset)
    assert all(g.dtype == dtype for g in got)
    np.testing.assert_array_equal(np.array(got), np.concatenate([a, b]))


def test_concatenate_strings_and_nested_structures():
    first = Dataset.from_tensor_slices({"s": ["a", "bc"], "p": Point(np.arange(2), np.ones((2, 3), np.float32))})
    second = Dataset.from_tensor_slices({"s": ["xyz"], "p": Point(np.array([7]), np.zeros((1, 3), np.float32))})
    dataset = first.concatenate(second)
    assert dataset.output_types == {"s": gn.string, "p": Point(gn.int64, gn.float32)}
    got = read_all(dataset)
    assert [g["s"] for g in got] == [b"a", b"bc", b"xyz"]
    assert [int(g["p"].x) for g in got] == [0, 1, 7]
    assert [g["p"].y.tolist() for g in got] == [[1.0] * 3, [1.0] * 3, [0.0] * 3]


@pytest.mark.parametrize("left, right, expected", [
    ((2,), (2,), [2]), ((2,), (4,), [None]), ((None, 3), (5, 3), [None, 3]), ((2,), (2, 1), None),
    ((), (), []), (None, (3,), None)])
def test_concatenate_static_shapes_are_the_most_specific_compatible(left, right, expected):
    def source(shape):
        if shape is None:
            return Dataset.from_generator(lambda: iter([]), gn.float32)
        return Dataset.from_generator(lambda: iter([]), gn.float32, shape)
    shape = source(left).concatenate(source(right)).output_shapes
    assert (shape.ndims is None) if expected is None else shape.as_list() == expected


def test_concatenate_elements_of_other_shapes_keep_their_shapes_and_batch_fails():
    dataset = Dataset.from_tensor_slices(np.zeros((2, 2), np.float32)).concatenate(
        Dataset.from_tensor_slices(np.ones((1, 4), np.float32)))
    assert [g.shape for g in read_all(dataset)] == [(2,), (2,), (4,)]
    assert [b.shape for b in read_all(dataset.batch(2))] == [(2, 2), (1, 4)]
    with pytest.raises(gn.errors.InvalidArgumentError, match="Cannot batch tensors with different shapes"):
        read_all(dataset.batch(3))


@pytest.mark.parametrize("first, second", [(0, 0), (0, 3), (4, 0)])
def test_concatenate_of_empty_datasets(first, second):
    dataset = Dataset.range(first).concatenate(Dataset.range(10, 10 + second))
    assert [int(v) for v in read_all(dataset)] == list(range(first)) + list(range(10, 10 + second))


def test_concatenate_captures_placeholders_on_both_sides_and_reinitializes():
    head, scale = gn.placeholder(gn.float32, [None]), gn.placeholder(gn.float32, [])
    tail = gn.placeholder(gn.float32, [None])
    dataset = Dataset.from_tensor_slices(head).map(lambda x: x * scale).concatenate(Dataset.from_tensor_slices(tail))
    iterator = dataset.make_initializable_iterator()
    element = iterator.get_next()
    with gn.Session() as sess:
        for first, factor, second in [([1.0, 2.0], 3.0, [9.5]), ([], 2.0, [1.0, 2.0]), ([4.0], -1.0, [])]:
            sess.run(iterator.initializer, {head: first, scale: factor, tail: second})
            got = []
            with pytest.raises(gn.errors.OutOfRangeError):
                while True:
                    got.append(float(sess.run(element)))
            assert got == [v * factor for v in first] + second


def test_concatenate_then_repeat_and_of_generators_started_in_turn():
    started = []

    def gen(name, values):
        def make():
            started.append(name)
            yield from values
        return Dataset.from_generator(make, gn.int64, [])
    dataset = gen("a", [1, 2]).concatenate(gen("b", [3])).repeat(2)
    assert [int(v) for v in read_all(dataset)] == [1, 2, 3, 1, 2, 3]
    assert started == ["a", "b", "a", "b"]


@pytest.mark.parametrize("make", [
    lambda d: d, lambda d: d.batch(3), lambda d: d.shuffle(100, seed=4), lambda d: d.batch(2, drop_remainder=True),
    lambda d: d.enumerate(5).batch(4)])
def test_concatenate_in_memory_paths_give_the_element_paths_values(make):
    columns = {"a": np.arange(14, dtype=np.int32).reshape(7, 2), "b": np.array(list("abcdefg"), dtype=object)}
    first = Dataset.from_tensor_slices({k: v[:4] for k, v in columns.items()})
    second = Dataset.from_tensor_slices({k: v[4:] for k, v in columns.items()})
    in_memory = first.concatenate(second)
    generated = Dataset.from_generator(lambda: ({"a": columns["a"][i], "b": columns["b"][i]} for i in range(7)),
                                       {"a": gn.int32, "b": gn.string}, {"a": [2], "b": []})
    assert in_memory._in_memory and not generated._in_memory
    assert in_memory._columns(Env({}, [])) is not None
    fast, slow = read_all(make(in_memory)), read_all(make(generated))
    assert len(fast) == len(slow)
    for f, s in zip(fast, slow):
        assert (np.array_equal(f[0], s[0]) and _same(f[1], s[1])) if isinstance(f, tuple) else _same(f, s)


def _same(a, b):
    return all(np.array_equal(a[k], b[k]) for k in a)


def test_shuffle_of_strings_in_memory_gives_string_scalars():
    got = read_all(Dataset.from_tensor_slices(["a", "bc", "d"]).shuffle(10, seed=3))
    assert sorted(got) == [b"a", b"bc", b"d"]


def test_concatenate_of_rows_of_other_shapes_has_no_columns_but_the_same_elements():
    dataset = Dataset.from_tensor_slices(np.zeros((2, 2))).concatenate(Dataset.from_tensor_slices(np.ones((1, 3))))
    assert dataset._in_memory and dataset._columns(Env({}, [])) is None
    assert [g.tolist() for g in read_all(dataset)] == [[0.0, 0.0], [0.0, 0.0], [1.0, 1.0, 1.0]]


_F2 = "TensorSpec(shape=(2,), dtype=tf.float32, name=None)"


@pytest.mark.parametrize("other, spec", [
    (Dataset.range(3), "TensorSpec(shape=(), dtype=tf.int64, name=None)"),
    (Dataset.from_tensor_slices((np.zeros((3, 2), np.float32),) * 2), f"({_F2}, {_F2})"),
    (Dataset.from_tensor_slices({"x": np.zeros((3, 2), np.float32)}), "{'x': " + _F2 + "}"),
    (Dataset.from_tensors(np.zeros(2, np.float64)), "TensorSpec(shape=(2,), dtype=tf.float64, name=None)")])
def test_concatenate_of_other_dtypes_or_structures_is_tfs_type_error(other, spec):
    dataset = Dataset.from_tensor_slices(np.zeros((3, 2), np.float32))
    with pytest.raises(TypeError) as info:
        dataset.concatenate(other)
    assert str(info.value) == f"Incompatible dataset elements:\n  {_F2} vs.   {spec}"


def test_concatenate_of_other_dict_keys_namedtuples_and_unknown_shapes_names_them():
    x = Dataset.from_tensor_slices({"x": [1, 2]})
    with pytest.raises(TypeError) as info:
        x.concatenate(Dataset.from_tensor_slices({"y": [1, 2]}))
    assert str(info.value) == ("Incompatible dataset elements:\n  {'x': TensorSpec(shape=(), dtype=tf.int32, "
                               "name=None)} vs.   {'y': TensorSpec(shape=(), dtype=tf.int32, name=None)}")
    point = Dataset.from_tensors(Point(np.float32(1), np.zeros((2, 3), np.int64)))
    with pytest.raises(TypeError) as info:
        point.concatenate(Dataset.range(2))
    assert str(info.value) == ("Incompatible dataset elements:\n  Point(x=TensorSpec(shape=(), dtype=tf.float32, "
                               "name=None), y=TensorSpec(shape=(2, 3), dtype=tf.int64, name=None)) vs.   "
                               "TensorSpec(shape=(), dtype=tf.int64, name=None)")
    unknown = Dataset.from_generator(lambda: iter([]), gn.string)
    with pytest.raises(TypeError, match=r"shape=<unknown>, dtype=tf.string"):
        x.concatenate(unknown)


def test_concatenate_of_a_non_dataset_is_a_type_error():
    with pytest.raises(TypeError, match="Dataset.concatenate takes a Dataset, got int"):
        Dataset.range(3).concatenate(5)


# -- enumerate --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.uint8, np.bool_, np.float64])
@pytest.mark.parametrize("start", [0, 5, -3])
def test_enumerate_pairs_int64_indices_with_elements(dtype, start):
    values = (np.arange(8) % 3).astype(dtype).reshape(4, 2)
    dataset = Dataset.from_tensor_slices(values).enumerate(start)
    assert dataset.output_types == (gn.int64, gn.as_dtype(dtype))
    assert [s.as_list() for s in dataset.output_shapes] == [[], [2]]
    got = read_all(dataset)
    assert [int(i) for i, _ in got] == list(range(start, start + 4))
    assert all(i.dtype == np.int64 and v.dtype == dtype for i, v in got)
    np.testing.assert_array_equal(np.stack([v for _, v in got]), values)


def test_enumerate_keeps_nested_structures_and_maps_with_two_arguments():
    dataset = Dataset.zip((Dataset.range(3), {"k": Dataset.from_tensor_slices(["a", "b"])})).enumerate()
    assert dataset.output_types == (gn.int64, (gn.int64, {"k": gn.string}))
    got = read_all(dataset)
    assert [(int(i), int(x), d["k"]) for i, (x, d) in got] == [(0, 0, b"a"), (1, 1, b"b")]
    summed = Dataset.range(10, 13).enumerate(start=100).map(lambda i, x: i + x)
    assert [int(v) for v in read_all(summed)] == [110, 112, 114]


def test_enumerate_of_empty_and_of_a_generator_and_after_repeat():
    assert read_all(Dataset.range(0).enumerate()) == []
    got = read_all(_generated([4, 5], np.int64).enumerate(1).repeat(2))
    assert [(int(i), int(v)) for i, v in got] == [(1, 4), (2, 5), (1, 4), (2, 5)]
    numbered = Dataset.range(2).repeat(2).enumerate()
    assert [int(i) for i, _ in read_all(numbered)] == [0, 1, 2, 3]


def test_enumerate_start_from_a_fed_tensor_on_each_initialization():
    start = gn.placeholder(gn.int64, [])
    dataset = Dataset.range(3).enumerate(start)
    assert [[int(i) for i, _ in run] for run in [read_all(dataset, {start: 7}), read_all(dataset, {start: -2})]] == [
        [7, 8, 9], [-2, -1, 0]]
    batched = Dataset.from_tensor_slices(np.arange(5)).enumerate(start).batch(5)
    assert read_all(batched, {start: 3})[0][0].tolist() == [3, 4, 5, 6, 7]


def test_enumerate_start_errors_are_tfs():
    with pytest.raises(TypeError) as info:
        Dataset.range(3).enumerate(1.5)
    assert str(info.value) == "Expected int64, but got 1.5 of type 'float'."
    with pytest.raises(ValueError, match="start: Tensor conversion requested dtype int64 for Tensor with dtype int32"):
        Dataset.range(3).enumerate(gn.constant(2))
    with pytest.raises(ValueError, match="start must be a scalar"):
        Dataset.range(3).enumerate(gn.constant([2, 3], dtype=gn.int64))


@pytest.mark.parametrize("seeded_first", [True, False])
def test_concatenate_of_a_shuffle_in_memory_and_a_source_without_columns_draws_one_order(seeded_first):
    shuffled = Dataset.from_tensor_slices(np.arange(6)).shuffle(10, seed=5)
    other = Dataset.range(100, 103)
    dataset = shuffled.concatenate(other) if seeded_first else other.concatenate(shuffled)
    elements = [int(v) for v in read_all(dataset)]
    assert sorted(elements) == list(range(6)) + [100, 101, 102]
    assert np.concatenate(read_all(dataset.batch(20))).tolist() == elements
    assert [int(v) for v in read_all(shuffled)] == [v for v in elements if v < 100]
