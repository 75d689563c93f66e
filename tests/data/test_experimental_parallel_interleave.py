"""gn.data.experimental.parallel_interleave: TF1's legacy parallel interleave, its order checked against real TF.

Waits in these tests are guards (a barrier with a timeout, so a failure fails rather than hangs), never
timings asserted.
"""
import collections
import json
import os
import threading

import numpy as np
import pytest

import gpunet as gn

Dataset = gn.data.Dataset
parallel_interleave = gn.data.experimental.parallel_interleave
_TF_ORDER = json.load(open(os.path.join(os.path.dirname(__file__), "fixtures", "legacy_interleave_order.json")))


def _inner(pattern):
    """Input x opens range(10 x, 10 x + length): x % 4 (pattern 0) or (5 x) % 7 (pattern 1)."""
    def inner(x):
        length = x % 4 if pattern == 0 else (x * 5) % 7
        return Dataset.from_tensor_slices(gn.range(x * 10, x * 10 + length))
    return inner


def _plain(value):
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return getattr(value, "tolist", lambda: value)()


def _drain(sess, element):
    out = []
    try:
        while True:
            out.append(_plain(sess.run(element)))
    except gn.errors.OutOfRangeError:
        return out


def _values(dataset):
    iterator = dataset.make_initializable_iterator()
    element = iterator.get_next()
    with gn.Session() as sess:
        sess.run(iterator.initializer)
        return _drain(sess, element)


def _until_error(dataset):
    """(the values before the error, the error, the values after it: as in TF, the iterator goes on). Its own
    graph: the message names the get-next node, the same name in each graph."""
    with gn.Graph().as_default():
        element, out = dataset.make_one_shot_iterator().get_next(), []
        with gn.Session() as sess:
            try:
                while True:
                    out.append(_plain(sess.run(element)))
            except gn.errors.OpError as exc:
                error = exc
            return out, error, _drain(sess, element)


# -- order ------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", sorted(_TF_ORDER))
def test_order_is_tensorflows_legacy_one(key):
    """Against TF's LegacyParallelInterleaveDatasetV2 (fixtures/make_legacy_interleave_fixture.py)."""
    pattern, n, cycle, block, prefetch = map(int, key.split(","))
    extra = {} if prefetch < 0 else {"prefetch_input_elements": prefetch, "buffer_output_elements": 1}
    dataset = Dataset.range(n).apply(parallel_interleave(_inner(pattern), cycle, block, **extra))
    assert _values(dataset) == _TF_ORDER[key]


def test_the_legacy_order_differs_from_interleave_where_tf_does():
    """Inner lengths 0 5 3 1 6 4, cycle 4, block 2: input 2 ends mid-block with no input left, and the next
    inner dataset (5) finishes that block rather than starting its own, as TF's legacy kernel does."""
    legacy = _values(Dataset.range(6).apply(parallel_interleave(_inner(1), 4, 2)))
    assert legacy == [10, 11, 20, 21, 30, 40, 41, 12, 13, 22, 50, 42, 43, 14, 51, 44, 45, 52, 53]
    assert _values(Dataset.range(6).interleave(_inner(1), 4, 2)) == [
        10, 11, 20, 21, 30, 40, 41, 12, 13, 22, 50, 51, 42, 43, 14, 52, 53, 44, 45]
    differing = 0
    for key, order in _TF_ORDER.items():
        pattern, n, cycle, block, _ = map(int, key.split(","))
        differing += _values(Dataset.range(n).interleave(_inner(pattern), cycle, block)) != order
    assert differing >= 6  # the fixture exercises the difference (12 of its 240 orders)


@pytest.mark.parametrize("cycle,block", [(1, 1), (2, 3), (3, 2), (5, 1)])
def test_sloppy_gives_the_same_elements(cycle, block):
    """TF's sloppy order is any order; gpunet's is the deterministic one, so the multiset is the same."""
    for n in (0, 1, 7, 13):
        sloppy = _values(Dataset.range(n).apply(parallel_interleave(_inner(1), cycle, block, sloppy=True)))
        expected = [v for x in range(n) for v in range(10 * x, 10 * x + (5 * x) % 7)]
        assert collections.Counter(sloppy) == collections.Counter(expected)
        assert sloppy == _values(Dataset.range(n).apply(parallel_interleave(_inner(1), cycle, block)))


@pytest.mark.parametrize("dtype", [gn.float32, gn.float64, gn.int32, gn.uint8, gn.bool])
def test_nested_elements_keep_their_structure_dtypes_and_order(dtype):
    """Equal lengths and a full last cycle: no carried block, so the order is interleave's."""
    def inner(x):
        values = gn.cast(gn.range(x * 3, x * 3 + 3), dtype)
        return Dataset.from_tensor_slices({"a": (values, gn.constant([b"p", b"q", b"r"])), "b": gn.ones([3, 2]) * 0})
    applied = Dataset.range(4).apply(parallel_interleave(inner, 2, 2))
    reference = Dataset.range(4).interleave(inner, 2, 2)
    assert applied.output_types == reference.output_types
    assert applied.output_types["a"][0] == dtype and applied.output_types["a"][1] == gn.string
    shapes = applied.output_shapes
    assert [shapes["a"][0].as_list(), shapes["a"][1].as_list(), shapes["b"].as_list()] == [[], [], [2]]
    got, expected = _values(applied), _values(reference)
    assert got == expected and len(got) == 12
    assert isinstance(got[0], dict) and isinstance(got[0]["a"], tuple)


def test_captured_tensors_reach_the_inner_datasets():
    offset = gn.placeholder(gn.int64, [])

    def pairs(x):
        return Dataset.from_tensor_slices((gn.range(x, x + 3) + offset, gn.cast(gn.range(3), gn.float32)))
    iterator = Dataset.range(4).apply(parallel_interleave(pairs, 2, 2)).make_initializable_iterator()
    element = iterator.get_next()
    with gn.Session() as sess:
        sess.run(iterator.initializer, {offset: 100})
        got = [(int(a), float(b)) for a, b in _drain(sess, element)]
    assert got == [(100, 0.0), (101, 1.0), (101, 0.0), (102, 1.0), (102, 2.0), (103, 2.0),
                   (102, 0.0), (103, 1.0), (103, 0.0), (104, 1.0), (104, 2.0), (105, 2.0)]


def test_tfrecord_files_are_read_in_the_legacy_order(tmp_path):
    counts = [5, 0, 9, 1, 3, 12]
    paths = []
    for index, count in enumerate(counts):
        paths.append(str(tmp_path / f"part-{index}.tfrecord"))
        with gn.python_io.TFRecordWriter(paths[-1]) as writer:
            for record in range(count):
                writer.write(f"{index}:{record}".encode())
    got = _values(Dataset.from_tensor_slices(paths).apply(parallel_interleave(gn.data.TFRecordDataset, 3, 2)))
    assert sorted(got) == sorted(f"{i}:{r}".encode() for i, n in enumerate(counts) for r in range(n))
    # file 1 is empty: file 3 takes its slot, read when the turn comes back to it
    assert got[:7] == [b"0:0", b"0:1", b"2:0", b"2:1", b"0:2", b"0:3", b"3:0"]


# -- arguments --------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,message", [
    ({"cycle_length": 0}, "`cycle_length` must be > 0"),
    ({"cycle_length": -1}, "`cycle_length` must be > 0"),
    ({"block_length": 0}, "`block_length` must be > 0"),
    ({"buffer_output_elements": 0}, "`buffer_output_elements` must be > 0"),
    ({"prefetch_input_elements": -1}, "`prefetch_input_elements` must be >= 0"),
])
def test_bad_lengths_are_tfs_errors(kwargs, message):
    arguments = {"map_func": _inner(0), "cycle_length": 2, **kwargs}
    with pytest.raises(gn.errors.InvalidArgumentError, match=message):
        Dataset.range(3).apply(parallel_interleave(**arguments))


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="None values not supported."):
        parallel_interleave(_inner(0), None)
    with pytest.raises(TypeError, match="`block_length` must be an integer, got 1.5"):
        parallel_interleave(_inner(0), 2, 1.5)
    with pytest.raises(TypeError, match="`map_func` must return a Dataset, got Tensor"):
        Dataset.range(3).apply(parallel_interleave(lambda x: x * 2, 2))


def test_prefetch_zero_and_a_one_element_buffer_still_read_everything():
    got = _values(Dataset.range(9).apply(parallel_interleave(_inner(1), 2, 3, buffer_output_elements=1,
                                                             prefetch_input_elements=0)))
    assert sorted(got) == sorted(v for x in range(9) for v in range(10 * x, 10 * x + (5 * x) % 7))


# -- threads ----------------------------------------------------------------------------------
def _three(x):
    return Dataset.from_tensor_slices(gn.range(x * 10, x * 10 + 3))


def test_the_open_inner_datasets_are_read_at_once():
    """Each element waits at a barrier of 2: read one after another, it would break (a guard timeout)."""
    barrier, readers = threading.Barrier(2, timeout=10), set()

    def meet(v):
        readers.add((threading.get_ident(), threading.current_thread().name))
        barrier.wait()
        return v

    def inner(x):
        return _three(x).map(lambda v: gn.py_func(meet, [v], gn.int64))
    got = _values(Dataset.range(2).apply(parallel_interleave(inner, 2)))
    assert got == [0, 10, 1, 11, 2, 12]
    assert len(readers) == 2 and all(name.startswith("gn.data.interleave") for _, name in readers)


def _failing_at(bad):
    def check(v):
        if v == bad:
            raise ValueError(f"element {v} is bad")
        return v
    return check


@pytest.mark.parametrize("cycle,block", [(1, 1), (2, 1), (3, 2), (4, 3)])
def test_an_inner_error_comes_at_its_place(cycle, block):
    check = _failing_at(61)

    def inner(x):
        return _inner(1)(x).map(lambda v: gn.py_func(check, [v], gn.int64))
    before = threading.active_count()
    values, error, after = _until_error(Dataset.range(12).apply(parallel_interleave(inner, cycle, block)))
    full = _values(Dataset.range(12).apply(parallel_interleave(_inner(1), cycle, block)))
    assert values == full[:full.index(61)]
    assert after == full[full.index(61) + 1:]  # TF's too (the error takes 61's turn), except at cycle 3 block 2
    assert isinstance(error, gn.errors.InvalidArgumentError) and "element 61 is bad" in str(error)
    assert threading.active_count() == before


@pytest.mark.parametrize("where", ["open", "input"])
def test_an_error_opening_an_element_or_reading_the_input_comes_at_its_place(where):
    check = _failing_at(5)

    def failing(x):
        return gn.reshape(gn.py_func(check, [x], gn.int64), [])
    if where == "open":
        dataset = Dataset.range(9).apply(parallel_interleave(lambda x: _inner(1)(failing(x)), 3, 2))
    else:
        dataset = Dataset.range(9).map(failing).apply(parallel_interleave(_inner(1), 3, 2))
    values, error, after = _until_error(dataset)
    full = _values(Dataset.range(9).apply(parallel_interleave(_inner(1), 3, 2)))
    assert "element 5 is bad" in str(error)
    assert after == [42, 43, 60, 61, 44, 45, 80, 81, 82, 83, 84]  # TF 2.21's: the error took input 5's place
    # input 5 would have filled a slot once input 1 (ends after 15) was done: its error comes there
    assert values == full[:full.index(14) + 1] and values[-1] == 14


def _long(x):
    return Dataset.from_tensor_slices(gn.range(x * 1000, x * 1000 + 500))


def test_take_downstream_stops_the_readers():
    before = threading.active_count()
    dataset = Dataset.range(20).apply(parallel_interleave(_long, 4)).take(3)
    assert _values(dataset) == [0, 1000, 2000]
    assert threading.active_count() == before


def test_closing_the_session_mid_way_stops_the_readers():
    before = threading.active_count()
    element = Dataset.range(6).apply(parallel_interleave(_long, 3, 2)).make_one_shot_iterator().get_next()
    sess = gn.Session()
    assert [int(sess.run(element)) for _ in range(3)] == [0, 1, 1000]
    assert threading.active_count() > before  # readers blocked on their full buffers
    sess.close()
    assert threading.active_count() == before


def test_reinitializing_restarts_and_each_epoch_of_a_repeat_ends_its_readers():
    before = threading.active_count()
    iterator = Dataset.range(7).apply(parallel_interleave(_inner(0), 3, 2)).repeat(2).make_initializable_iterator()
    element = iterator.get_next()
    one_epoch = _values(Dataset.range(7).apply(parallel_interleave(_inner(0), 3, 2)))
    with gn.Session() as sess:
        sess.run(iterator.initializer)
        assert [int(sess.run(element)) for _ in range(3)] == one_epoch[:3]
        sess.run(iterator.initializer)
        assert threading.active_count() == before
        assert _drain(sess, element) == one_epoch * 2
        assert threading.active_count() == before


def test_elements_are_numpy_arrays_of_the_declared_dtype():
    got = _values(Dataset.range(3).apply(parallel_interleave(
        lambda x: Dataset.from_tensors(gn.cast(gn.fill([2], x), gn.float32)), 2)))
    assert got == [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]
    dataset = Dataset.range(3).apply(parallel_interleave(lambda x: Dataset.from_tensors(gn.cast(x, gn.float32)), 2))
    with gn.Session() as sess:
        value = sess.run(dataset.make_one_shot_iterator().get_next())
    assert isinstance(value, np.float32) or value.dtype == np.float32
