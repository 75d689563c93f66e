"""Dataset.window opened by flat_map/interleave: TF 2.21's windows (the expected lists below are what it gives),
structures, shapes, captures, and the uses gpunet refuses."""
import numpy as np
import pytest

import gpunet as gn

from ._read import read_all

Dataset = gn.data.Dataset


@pytest.mark.parametrize("args, expected", [
    ((3,), [[0, 1, 2], [3, 4, 5], [6]]),
    ((3, 2), [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6]]),
    ((3, 2, 2), [[0, 2, 4], [2, 4, 6], [4, 6], [6]]),
    ((3, 1, 1, True), [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6]]),
    ((2, 5), [[0, 1], [5, 6]]),
    ((3, 4, 2, True), [[0, 2, 4]]),
    ((3, 2, 1, True), [[0, 1, 2], [2, 3, 4], [4, 5, 6]]),
    ((10,), [[0, 1, 2, 3, 4, 5, 6]]),
    ((10, 1, 1, True), [])])
@pytest.mark.parametrize("source", ["memory", "generator"])
def test_windows_are_tfs(args, expected, source):
    data = Dataset.range(7) if source == "memory" else Dataset.from_generator(lambda: iter(range(7)), gn.int64, [])
    got = read_all(data.window(*args).flat_map(lambda w: w.batch(100)))
    assert [w.tolist() for w in got] == expected and all(w.dtype == np.int64 for w in got)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.uint8, np.bool_])
def test_windows_of_rows_keep_dtype_and_shape(dtype):
    values = (np.arange(20) % 3).astype(dtype).reshape(5, 2, 2)
    windows = Dataset.from_tensor_slices(values).window(2, 1, drop_remainder=True)
    batched = windows.flat_map(lambda w: w.batch(2, drop_remainder=True))
    assert batched.output_types == gn.as_dtype(dtype) and batched.output_shapes.as_list() == [2, 2, 2]
    got = read_all(batched)
    assert len(got) == 4 and all(g.dtype == dtype for g in got)
    for start, window in enumerate(got):
        np.testing.assert_array_equal(window, values[start:start + 2])


def test_static_shapes_follow_the_inner_batch_as_tf():
    assert Dataset.range(7).window(3).flat_map(lambda w: w.batch(3)).output_shapes.as_list() == [None]
    dropped = Dataset.range(7).window(3, drop_remainder=True).flat_map(lambda w: w.batch(3, drop_remainder=True))
    assert dropped.output_shapes.as_list() == [3]


def test_windows_of_nested_elements_give_one_dataset_per_component():
    pairs = Dataset.zip((Dataset.range(5), {"k": Dataset.from_tensor_slices([str(i) for i in range(5)])}))
    got = read_all(pairs.window(2).flat_map(lambda a, b: Dataset.zip((a.batch(2), b["k"].batch(2)))))
    assert [(a.tolist(), b.tolist()) for a, b in got] == [([0, 1], [b"0", b"1"]), ([2, 3], [b"2", b"3"]),
                                                          ([4], [b"4"])]
    single = Dataset.from_tensor_slices({"x": np.arange(4), "y": np.ones(4, np.float32)}).window(3, 3)
    sums = single.flat_map(lambda w: Dataset.zip((w["x"], w["y"])).map(lambda x, y: gn.cast(x, gn.float32) + y))
    assert [float(v) for v in read_all(sums)] == [1.0, 2.0, 3.0, 4.0]


def test_interleave_of_windows_and_windows_of_an_endless_input():
    got = read_all(Dataset.range(6).window(3).interleave(lambda w: w, cycle_length=2))
    assert [int(v) for v in got] == [0, 3, 1, 4, 2, 5]
    endless = Dataset.range(3).repeat().window(2, 1).flat_map(lambda w: w.batch(2)).take(4)
    assert [w.tolist() for w in read_all(endless)] == [[0, 1], [1, 2], [2, 0], [0, 1]]


def test_windows_of_an_empty_dataset_and_captures_and_reinitialization():
    assert read_all(Dataset.range(0).window(3).flat_map(lambda w: w.batch(3))) == []
    values, offset = gn.placeholder(gn.int64, [None]), gn.placeholder(gn.int64, [])
    windows = Dataset.from_tensor_slices(values).window(2).flat_map(lambda w: w.map(lambda v: v + offset).batch(2))
    iterator = windows.make_initializable_iterator()
    element = iterator.get_next()
    with gn.Session() as sess:
        for data, shift in [([1, 2, 3], 10), ([], 0), ([5, 6], -5)]:
            sess.run(iterator.initializer, {values: data, offset: shift})
            got = []
            with pytest.raises(gn.errors.OutOfRangeError):
                while True:
                    got.append(sess.run(element).tolist())
            assert got == [[v + shift for v in data[i:i + 2]] for i in range(0, len(data), 2)]


def test_a_window_of_elements_of_other_shapes_is_an_error_when_it_is_met():
    ragged = Dataset.from_generator(lambda: iter([[1], [2], [3], [4, 5]]), gn.int64, [None])
    windows = ragged.window(2).flat_map(lambda w: w.batch(2))
    iterator = windows.make_one_shot_iterator()
    element = iterator.get_next()
    with gn.Session() as sess:
        assert sess.run(element).tolist() == [[1], [2]]
        with pytest.raises(gn.errors.InvalidArgumentError, match="Cannot batch tensors with different shapes"):
            sess.run(element)


@pytest.mark.parametrize("args, what", [((0,), "size"), ((-1,), "size"), ((2, 0), "shift"), ((2, -3), "shift"),
                                        ((2, 1, 0), "stride"), ((2.5,), "size")])
def test_sizes_that_are_not_positive_are_tfs_error(args, what):
    with pytest.raises(gn.errors.InvalidArgumentError) as info:
        Dataset.range(3).window(*args)
    assert info.value.message == f"Window {what} must be greater than zero."


@pytest.mark.parametrize("use, what", [
    (lambda w: w.map(lambda x: x), "Map"), (lambda w: w.batch(2), "Batch"), (lambda w: w.window(2), "Window"),
    (lambda w: Dataset.zip((w, w)), "Dataset.zip"), (lambda w: Dataset.range(2).concatenate(w), "Dataset.concatenate"),
    (lambda w: w.make_one_shot_iterator(), "An iterator"), (lambda w: w.make_initializable_iterator(), "An iterator"),
    (lambda w: gn.data.Iterator.from_structure(gn.int64).make_initializer(w), "An iterator")])
def test_other_uses_of_windows_are_type_errors(use, what):
    with pytest.raises(TypeError) as info:
        use(Dataset.range(6).window(2))
    assert str(info.value).startswith(f"{what} cannot read the windows of Dataset.window(): open them with flat_map")
