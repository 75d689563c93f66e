"""gn.data.Dataset: sources, transformations, iterators, end of data, seeds, sharding, devices."""
import threading

import numpy as np
import pytest

import gpunet as gn

Dataset = gn.data.Dataset


def _all(dataset, feed=None, init=True):
    iterator = dataset.make_initializable_iterator() if init else dataset.make_one_shot_iterator()
    element = iterator.get_next()
    out = []
    with gn.Session() as sess:
        if init:
            sess.run(iterator.initializer, feed)
        try:
            while True:
                out.append(sess.run(element))
        except gn.errors.OutOfRangeError:
            pass
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint8, np.bool_])
def test_from_tensor_slices_per_dtype(dtype):
    values = (np.arange(12) % 5).astype(dtype).reshape(4, 3)
    dataset = Dataset.from_tensor_slices(values)
    assert dataset.output_types == gn.as_dtype(dtype) and dataset.output_shapes.as_list() == [3]
    got = _all(dataset, init=False)
    assert len(got) == 4 and all(g.dtype == dtype for g in got)
    np.testing.assert_array_equal(np.stack(got), values)


def test_structures_strings_and_python_lists():
    dataset = Dataset.from_tensor_slices({"a": [1.5, 2.5], "b": (["x", "yz"], np.array([[1], [2]]))})
    assert dataset.output_types == {"a": gn.float32, "b": (gn.string, gn.int64)}
    got = _all(dataset)
    assert got[1]["a"] == np.float32(2.5) and got[1]["b"][0] == b"yz" and got[1]["b"][1].tolist() == [2]


def test_from_tensors_range_zip_take_skip():
    assert [int(v) for v in _all(Dataset.range(2, 11, 3))] == [2, 5, 8]
    assert [v.tolist() for v in _all(Dataset.from_tensors([1, 2]).repeat(2))] == [[1, 2], [1, 2]]
    zipped = Dataset.zip((Dataset.range(5), Dataset.range(10, 13)))
    assert [tuple(map(int, v)) for v in _all(zipped)] == [(0, 10), (1, 11), (2, 12)]
    assert [int(v) for v in _all(Dataset.range(10).skip(3).take(4))] == [3, 4, 5, 6]
    assert _all(Dataset.range(3).skip(-1)) == [] and len(_all(Dataset.range(3).take(-1))) == 3


def test_empty_dataset_ends_at_once_and_repeat_of_empty_ends():
    assert _all(Dataset.from_tensor_slices(np.zeros((0, 2), np.float32))) == []
    assert _all(Dataset.range(0).repeat()) == []


def test_batch_drop_remainder_and_shapes():
    full = Dataset.range(7).batch(3)
    dropped = Dataset.range(7).batch(3, drop_remainder=True)
    assert full.output_shapes.as_list() == [None] and dropped.output_shapes.as_list() == [3]
    assert [v.tolist() for v in _all(full)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [v.tolist() for v in _all(dropped)] == [[0, 1, 2], [3, 4, 5]]


def test_batch_of_different_shapes_is_an_error_and_padded_batch_pads():
    def gen():
        yield [1]
        yield [2, 3]
    ragged = Dataset.from_generator(gen, gn.int32, [None])
    with pytest.raises(gn.errors.InvalidArgumentError, match="Cannot batch tensors with different shapes"):
        _all(ragged.batch(2))
    assert _all(ragged.padded_batch(2, padded_shapes=[None]))[0].tolist() == [[1, 0], [2, 3]]
    assert _all(ragged.padded_batch(2, padded_shapes=[4]))[0].tolist() == [[1, 0, 0, 0], [2, 3, 0, 0]]


def test_map_is_traced_into_graph_ops_and_py_func_works_inside():
    calls = []

    def fn(x, y):
        calls.append(x)
        return {"sum": x + gn.cast(y, gn.float32), "py": gn.py_func(lambda v: v * 10, [y], gn.int64)}
    dataset = Dataset.from_tensor_slices((np.float32([1, 2, 3]), np.int64([4, 5, 6]))).map(fn, num_parallel_calls=4)
    assert dataset.output_types == {"sum": gn.float32, "py": gn.int64}
    got = _all(dataset)
    assert len(calls) == 1 and isinstance(calls[0], gn.Tensor)  # traced once, on a graph tensor
    assert [g["sum"] for g in got] == [5.0, 7.0, 9.0] and [g["py"] for g in got] == [40, 50, 60]


def test_map_and_filter_errors():
    with pytest.raises(ValueError, match="scalar boolean"):
        Dataset.range(3).filter(lambda x: x)
    with pytest.raises(TypeError, match="could not be traced"):
        Dataset.range(3).map(lambda x: np.asarray(x) + {})
    odd = Dataset.range(10).filter(lambda x: gn.equal(x % 2, 1))
    assert [int(v) for v in _all(odd)] == [1, 3, 5, 7, 9]


def test_from_generator_checks_types_and_shapes():
    ok = Dataset.from_generator(lambda: iter([(1, [1.0, 2.0]), (2, [3.0, 4.0])]), (gn.int64, gn.float32),
                                ([], [2]))
    assert [(int(a), b.tolist()) for a, b in _all(ok)] == [(1, [1.0, 2.0]), (2, [3.0, 4.0])]
    wrong_shape = Dataset.from_generator(lambda: iter([[1.0]]), gn.float32, [2])
    with pytest.raises(gn.errors.InvalidArgumentError, match="shape"):
        _all(wrong_shape)
    truncating = Dataset.from_generator(lambda: iter([1.5]), gn.int32)
    with pytest.raises(gn.errors.InvalidArgumentError, match="float64 where int32 is expected"):
        _all(truncating)


def test_each_epoch_delivers_each_record_exactly_once():
    got = [int(v) for v in _all(Dataset.range(50).shuffle(7, seed=1).repeat(4))]
    epochs = [got[i * 50:(i + 1) * 50] for i in range(4)]
    assert len(got) == 200 and all(sorted(e) == list(range(50)) for e in epochs)


def test_shuffles_differ_per_epoch_and_repeat_with_the_same_seed():
    def epochs(seed, reshuffle=True):
        gn.reset_default_graph()
        got = [int(v) for v in _all(Dataset.range(30).shuffle(30, seed=seed,
                                                           reshuffle_each_iteration=reshuffle).repeat(3))]
        return [got[i * 30:(i + 1) * 30] for i in range(3)]
    a, b, c = epochs(5), epochs(5), epochs(6)
    assert a == b and a != c
    assert a[0] != a[1] != a[2] and a[0] != list(range(30))
    same = epochs(5, reshuffle=False)
    assert same[0] == same[1] == same[2]


def test_reinitializing_restarts_with_new_captured_values():
    names = gn.placeholder(gn.int64, [None])
    iterator = Dataset.from_tensor_slices(names).map(lambda x: x * 2).make_initializable_iterator()
    element = iterator.get_next()
    with gn.Session() as sess:
        with pytest.raises(gn.errors.FailedPreconditionError, match="has not been initialized"):
            sess.run(element)
        sess.run(iterator.initializer, {names: [1, 2, 3]})
        assert sess.run(element) == 2
        sess.run(iterator.initializer, {names: [7]})
        assert sess.run(element) == 14
        with pytest.raises(gn.errors.OutOfRangeError, match="End of sequence"):
            sess.run(element)


def test_reinitializable_iterator_from_structure():
    iterator = gn.data.Iterator.from_structure(gn.int64, [])
    element = iterator.get_next()
    train, valid = iterator.make_initializer(Dataset.range(3)), iterator.make_initializer(Dataset.range(10, 12))
    with gn.Session() as sess:
        sess.run(train)
        assert [int(sess.run(element)) for _ in range(3)] == [0, 1, 2]
        sess.run(valid)
        assert [int(sess.run(element)) for _ in range(2)] == [10, 11]
    with pytest.raises(TypeError, match="Expected output types"):
        iterator.make_initializer(Dataset.from_tensors(1.0))


@pytest.mark.parametrize("num_shards", [1, 3, 4])
def test_shards_are_disjoint_and_cover_everything(num_shards):
    shards = [[int(v) for v in _all(Dataset.range(10).shard(num_shards, i))] for i in range(num_shards)]
    assert sorted(sum(shards, [])) == list(range(10))
    assert shards[0] == list(range(0, 10, num_shards))
    with pytest.raises(gn.errors.InvalidArgumentError, match="must be in"):
        Dataset.range(10).shard(num_shards, num_shards)


def test_files_datasets_interleave_and_list_files(tmp_path):
    for i in range(3):
        (tmp_path / f"f{i}.txt").write_text("".join(f"{i}-{j}\n" for j in range(2 + i)))
    pattern = str(tmp_path / "*.txt")
    files = Dataset.list_files(pattern, shuffle=False)
    assert [f.decode() for f in _all(files)] == [str(tmp_path / f"f{i}.txt") for i in range(3)]
    lines = files.interleave(lambda f: gn.data.TextLineDataset(f), cycle_length=2)
    got = [v.decode() for v in _all(lines)]
    assert sorted(got) == sorted(f"{i}-{j}" for i in range(3) for j in range(2 + i))
    assert got[:4] == ["0-0", "1-0", "0-1", "1-1"]  # the first two files in turn
    shuffled = [f.decode() for f in _all(Dataset.list_files(pattern, seed=3))]
    assert sorted(shuffled) == [str(tmp_path / f"f{i}.txt") for i in range(3)]
    name = gn.placeholder(gn.string, [])
    assert [v.decode() for v in _all(gn.data.TextLineDataset(name), {name: str(tmp_path / "f0.txt")})] == \
        ["0-0", "0-1"]


def test_fixed_length_record_dataset_with_decode_raw(tmp_path):
    data = np.arange(24, dtype=np.uint8)
    (tmp_path / "x.bin").write_bytes(b"HDR" + data.tobytes())
    dataset = gn.data.FixedLengthRecordDataset(str(tmp_path / "x.bin"), 8, header_bytes=3).map(
        lambda r: gn.io.decode_raw(r, gn.uint8))
    np.testing.assert_array_equal(np.stack(_all(dataset)), data.reshape(3, 8))


def test_prefetch_thread_ends_with_the_session():
    before = threading.active_count()
    element = Dataset.from_generator(lambda: iter(range(10 ** 6)), gn.int64).prefetch(4).make_one_shot_iterator(
        ).get_next()
    sess = gn.Session()
    assert sess.run(element) == 0 and sess.run(element) == 1
    assert threading.active_count() == before + 1  # the prefetch thread, blocked on its full buffer
    sess.close()
    assert threading.active_count() == before


def test_prefetch_of_arrays_in_memory_needs_no_thread():
    before = threading.active_count()
    element = Dataset.range(10).batch(2).prefetch(4).make_one_shot_iterator().get_next()
    with gn.Session() as sess:
        assert sess.run(element).tolist() == [0, 1]
        assert threading.active_count() == before


def test_errors_in_the_pipeline_surface_in_get_next_and_bad_arguments():
    def gen():
        yield 1
        raise RuntimeError("generator broke")
    element = Dataset.from_generator(gen, gn.int32).prefetch(2).make_one_shot_iterator().get_next()
    with gn.Session() as sess:
        assert sess.run(element) == 1
        with pytest.raises(gn.errors.OpError, match="generator broke"):
            sess.run(element)
    with pytest.raises(ValueError, match="batch_size must be positive"):
        Dataset.range(3).batch(0)
    with pytest.raises(ValueError, match="rank >= 1"):
        Dataset.from_tensor_slices(1.0)
    with pytest.raises(ValueError, match="must be equal"):
        Dataset.from_tensor_slices((np.zeros(2), np.zeros(3)))
