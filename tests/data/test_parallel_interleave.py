"""interleave(num_parallel_calls=): inner datasets read ahead by threads, in TF's deterministic order.

Waits in these tests are guards (a barrier or condition with a timeout, so a failure fails rather than
hangs), never timings asserted.
"""
import gc
import json
import os
import threading

import pytest

import gpunet as gn

Dataset, AUTOTUNE = gn.data.Dataset, gn.data.AUTOTUNE
_TF_ORDER = json.load(open(os.path.join(os.path.dirname(__file__), "fixtures", "parallel_interleave_order.json")))


def _ragged(x):
    """Input x opens range(10 x, 10 x + x % 4): every fourth inner dataset is empty."""
    return Dataset.from_tensor_slices(gn.range(x * 10, x * 10 + x % 4))


def _drain(sess, element):
    out = []
    try:
        while True:
            out.append(_plain(sess.run(element)))
    except gn.errors.OutOfRangeError:
        return out


def _plain(value):
    return tuple(_plain(v) for v in value) if isinstance(value, tuple) else getattr(value, "tolist", lambda: value)()


def _values(dataset):
    iterator = dataset.make_initializable_iterator()
    element = iterator.get_next()
    with gn.Session() as sess:
        sess.run(iterator.initializer)
        return _drain(sess, element)


_TF_ERROR_ORDER = json.load(open(os.path.join(os.path.dirname(__file__), "fixtures", "interleave_error_order.json")))


def _until_error(dataset):
    """(the values before the error, the error). Its own graph: the error message names the get-next node,
    the same name in each graph."""
    with gn.Graph().as_default():
        return _until_error_in_graph(dataset)


def _until_error_in_graph(dataset):
    element, out = dataset.make_one_shot_iterator().get_next(), []
    with gn.Session() as sess:
        try:
            while True:
                out.append(_plain(sess.run(element)))
        except gn.errors.OpError as exc:
            error = exc
    return out, error


def _calls_up_to(cycle):
    return sorted({1, 2, 3, cycle} & set(range(1, cycle + 1))) + [AUTOTUNE]


# -- order ------------------------------------------------------------------------------------
@pytest.mark.parametrize("key", sorted(_TF_ORDER))
def test_parallel_order_is_tensorflows(key):
    """Against TF's ParallelInterleaveDatasetV4 (fixtures/make_parallel_interleave_fixture.py)."""
    n, cycle, block, calls = map(int, key.split(","))
    dataset = Dataset.range(n).interleave(_ragged, cycle_length=cycle, block_length=block, num_parallel_calls=calls)
    assert _values(dataset) == _TF_ORDER[key]


@pytest.mark.parametrize("cycle", [1, 2, 3, 5])
@pytest.mark.parametrize("block", [1, 2, 4])
def test_parallel_order_equals_the_sequential_one(cycle, block):
    """Inner lengths 0..6 in an irregular pattern; inputs shorter than, equal to and longer than the cycle."""
    def inner(x):
        return Dataset.from_tensor_slices(gn.range(x * 100, x * 100 + (x * 5) % 7))
    for n in sorted({0, 1, cycle - 1, cycle, 17}):
        expected = _values(Dataset.range(n).interleave(inner, cycle, block))
        assert len(expected) == sum((x * 5) % 7 for x in range(n))
        for calls in _calls_up_to(cycle):
            assert _values(Dataset.range(n).interleave(inner, cycle, block, calls)) == expected, (n, calls)


def test_nested_elements_and_captured_tensors_keep_their_order():
    offset = gn.placeholder(gn.int64, [])

    def pairs(x):
        return Dataset.from_tensor_slices((gn.range(x, x + 3) + offset, gn.cast(gn.range(3), gn.float32)))
    iterator = Dataset.range(4).interleave(pairs, 2, 2, num_parallel_calls=2).make_initializable_iterator()
    element = iterator.get_next()
    with gn.Session() as sess:
        sess.run(iterator.initializer, {offset: 100})
        got = [(int(a), float(b)) for a, b in _drain(sess, element)]
    expected = [(100, 0.0), (101, 1.0), (101, 0.0), (102, 1.0), (102, 2.0), (103, 2.0),
                (102, 0.0), (103, 1.0), (103, 0.0), (104, 1.0), (104, 2.0), (105, 2.0)]
    assert got == expected


@pytest.mark.parametrize("cores", [2, 6])
@pytest.mark.parametrize("cycle_length", [None, AUTOTUNE])
def test_cycle_length_none_or_autotune_is_tfs(monkeypatch, cores, cycle_length):
    """TF's kernels: the core count; with N calls that N; with AUTOTUNE calls one per three cores
    (real TF on 2 cores: cycle 2 sequential and with 2 calls, cycle 1 with AUTOTUNE calls)."""
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    expected = {None: cores, 1: 1, 2: 2, 5: 5, AUTOTUNE: -(-cores // 3)}
    for calls, cycle in expected.items():
        got = _values(Dataset.range(14).interleave(_ragged, cycle_length, num_parallel_calls=calls))
        assert got == _values(Dataset.range(14).interleave(_ragged, cycle)), calls


# -- arguments --------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "4"])
def test_num_parallel_calls_is_checked_as_map_does(bad):
    with pytest.raises(ValueError, match="num_parallel_calls must be a positive int or AUTOTUNE"):
        Dataset.range(3).interleave(_ragged, 2, num_parallel_calls=bad)


@pytest.mark.parametrize("calls", [None, 2])
def test_cycle_and_block_length_must_be_positive_as_tf(calls):
    for cycle in (0, -2):
        with pytest.raises(gn.errors.InvalidArgumentError, match="cycle_length must be greater than zero."):
            Dataset.range(3).interleave(_ragged, cycle, num_parallel_calls=calls)
    with pytest.raises(gn.errors.InvalidArgumentError, match="block_length must be greater than zero."):
        Dataset.range(3).interleave(_ragged, 2, 0, num_parallel_calls=calls)


def test_more_calls_than_the_cycle_length_is_refused_as_tf():
    with pytest.raises(gn.errors.InvalidArgumentError, match=r"`num_parallel_calls` is 3 and `cycle_length` is 2"):
        Dataset.range(3).interleave(_ragged, 2, num_parallel_calls=3)


# -- concurrency ------------------------------------------------------------------------------
def _three(x):
    return Dataset.from_tensor_slices(gn.range(x * 10, x * 10 + 3))


def test_two_inner_datasets_are_read_at_once():
    """Each element waits at a barrier of 2: read one after another, it would break (a guard timeout)."""
    barrier, readers = threading.Barrier(2, timeout=10), set()

    def meet(v):
        readers.add((threading.get_ident(), threading.current_thread().name))
        barrier.wait()
        return v

    def inner(x):
        return _three(x).map(lambda v: gn.py_func(meet, [v], gn.int64))
    got = _values(Dataset.range(2).interleave(inner, cycle_length=2, num_parallel_calls=2))
    assert got == [0, 10, 1, 11, 2, 12]
    assert len(readers) == 2 and all(name.startswith("gn.data.interleave") for _, name in readers)


@pytest.mark.parametrize("calls", [1, 2, 3])
def test_at_most_num_parallel_calls_elements_are_produced_at_once(calls):
    """Each element waits a little for one reader too many to come in; none may."""
    condition, inside, peak = threading.Condition(), [0], [0]

    def enter(v):
        with condition:
            inside[0] += 1
            peak[0] = max(peak[0], inside[0])
            condition.notify_all()
            condition.wait_for(lambda: inside[0] > calls, timeout=0.02)
            inside[0] -= 1
        return v

    def inner(x):
        return _three(x).map(lambda v: gn.py_func(enter, [v], gn.int64))
    got = _values(Dataset.range(6).interleave(inner, cycle_length=4, num_parallel_calls=calls))
    assert got == _values(Dataset.range(6).interleave(_three, cycle_length=4))
    assert 1 <= peak[0] <= calls


# -- errors -----------------------------------------------------------------------------------
def _failing_at(bad):
    def check(v):
        if v == bad:
            raise ValueError(f"element {v} is bad")
        return v
    return check


def _with_errors(dataset):
    """Every element to the end, "E" where get-next raised (as TF, the iterator goes on after an error)."""
    with gn.Graph().as_default():
        element, out = dataset.make_one_shot_iterator().get_next(), []
        with gn.Session() as sess:
            while True:
                try:
                    out.append(int(sess.run(element)))
                except gn.errors.OutOfRangeError:
                    return out
                except gn.errors.InvalidArgumentError as exc:
                    assert "is bad" in str(exc)
                    out.append("E")


@pytest.mark.parametrize("cycle,block", [(1, 1), (2, 1), (3, 2), (4, 3)])
def test_an_inner_error_comes_where_tf_gives_it_and_the_rest_follows(cycle, block):
    """TF's order: sequentially an error leaves the turn where it was; in parallel it takes its element's turn."""
    check = _failing_at(61)

    def inner(x):
        return _ragged(x).map(lambda v: gn.py_func(check, [v], gn.int64))
    before = threading.active_count()
    for calls in (None, 1, cycle):
        got = _with_errors(Dataset.range(12).interleave(inner, cycle, block, calls))
        assert got == _TF_ERROR_ORDER[f"inner {cycle} {block} {calls}"] and got.count("E") == 1
    assert threading.active_count() == before


@pytest.mark.parametrize("calls", [None, 1, 3])
@pytest.mark.parametrize("where", ["open", "input"])
def test_an_error_opening_an_element_or_reading_the_input_comes_where_tf_gives_it(where, calls):
    """Inner datasets are opened ahead of their turn; their errors wait for it, and the rest follows as in TF."""
    check = _failing_at(5)
    if where == "open":
        dataset = Dataset.range(9).interleave(
            lambda x: _ragged(gn.reshape(gn.py_func(check, [x], gn.int64), [])), 3, 2, num_parallel_calls=calls)
    else:
        dataset = Dataset.range(9).map(lambda x: gn.reshape(gn.py_func(check, [x], gn.int64), [])).interleave(
            _ragged, 3, 2, num_parallel_calls=calls)
    assert _with_errors(dataset) == _TF_ERROR_ORDER[f"{where} {calls}"]


# -- abandonment ------------------------------------------------------------------------------
def _long(x):
    return Dataset.from_tensor_slices(gn.range(x * 1000, x * 1000 + 500))


def test_reinitializing_stops_the_readers_and_starts_again():
    before = threading.active_count()
    iterator = Dataset.range(4).interleave(_long, 3, 2, num_parallel_calls=2).make_initializable_iterator()
    element = iterator.get_next()
    expected = _values(Dataset.range(4).interleave(_long, 3, 2))
    with gn.Session() as sess:
        sess.run(iterator.initializer)
        assert [int(sess.run(element)) for _ in range(5)] == expected[:5]
        assert threading.active_count() > before  # readers blocked on their full buffers
        sess.run(iterator.initializer)
        assert threading.active_count() == before  # none until the first element is asked for
        assert _drain(sess, element) == expected
    assert threading.active_count() == before


def test_each_epoch_of_a_repeat_reads_in_order_and_ends_its_readers():
    before = threading.active_count()
    parallel = Dataset.range(7).interleave(_ragged, 3, 2, num_parallel_calls=2).repeat(3)
    iterator = parallel.make_initializable_iterator()
    element = iterator.get_next()
    with gn.Session() as sess:
        sess.run(iterator.initializer)
        assert _drain(sess, element) == _values(Dataset.range(7).interleave(_ragged, 3, 2)) * 3
        assert threading.active_count() == before  # each epoch's readers ended with it


def test_closing_the_session_mid_way_stops_the_readers():
    before = threading.active_count()
    element = Dataset.range(6).interleave(_long, 4, num_parallel_calls=AUTOTUNE).make_one_shot_iterator().get_next()
    sess = gn.Session()
    assert [int(sess.run(element)) for _ in range(3)] == [0, 1000, 2000]
    sess.close()
    assert threading.active_count() == before


def test_a_dropped_session_stops_the_readers_when_collected():
    before = threading.active_count()
    element = Dataset.range(6).interleave(_long, 4, num_parallel_calls=4).make_one_shot_iterator().get_next()
    sess = gn.Session()
    assert [int(sess.run(element)) for _ in range(3)] == [0, 1000, 2000]
    del sess
    gc.collect()
    assert threading.active_count() == before


def test_take_downstream_stops_the_readers_at_its_end():
    before = threading.active_count()
    element = Dataset.range(6).interleave(_long, 4, num_parallel_calls=4).take(3).make_one_shot_iterator().get_next()
    with gn.Session() as sess:
        assert _drain(sess, element) == [0, 1000, 2000]
        assert threading.active_count() == before


def test_a_reader_awaited_after_its_readers_stopped_is_cancelled():
    """What a get-next waiting on a reader gets when the session closes under it: no hang."""
    from gpunet.data._handoff import Handoff
    stop = threading.Event()
    stop.set()
    with pytest.raises(gn.errors.CancelledError, match="closed while an element was awaited"):
        next(Handoff(1, stop).elements())


# -- files ------------------------------------------------------------------------------------
def _record_files(tmp_path, counts):
    paths = []
    for index, count in enumerate(counts):
        path = str(tmp_path / f"part-{index}.tfrecord")
        with gn.python_io.TFRecordWriter(path) as writer:
            for record in range(count):
                writer.write(f"file {index} record {record}".encode())
        paths.append(path)
    return paths


@pytest.mark.parametrize("cycle,block", [(2, 1), (3, 2), (4, 4)])
def test_tfrecord_files_read_in_parallel_give_the_sequential_records(tmp_path, cycle, block):
    paths = _record_files(tmp_path, [5, 0, 9, 1, 3, 12])
    files = Dataset.from_tensor_slices(paths)
    expected = _values(files.interleave(gn.data.TFRecordDataset, cycle, block))
    assert sorted(expected) == sorted(f"file {i} record {r}".encode() for i, n in enumerate([5, 0, 9, 1, 3, 12])
                                      for r in range(n))
    for calls in _calls_up_to(cycle):
        assert _values(files.interleave(gn.data.TFRecordDataset, cycle, block, num_parallel_calls=calls)) == expected


def test_a_corrupt_tfrecord_file_is_data_loss_in_order(tmp_path):
    """The damaged 300th record of file 1 fails where TF meets it: the 299 before it come (records are checked
    256 at a time, and those of a damaged chunk one by one)."""
    paths = _record_files(tmp_path, [300, 300, 300])
    data = bytearray(open(paths[1], "rb").read())
    data[-5] ^= 0xFF  # the last record's data
    open(paths[1], "wb").write(bytes(data))
    files = Dataset.from_tensor_slices(paths)
    values, error = _until_error(files.interleave(gn.data.TFRecordDataset, 3))
    assert len(values) == 3 * 299 + 1 and isinstance(error, gn.errors.DataLossError)
    for calls in (1, 2, 3):
        got, parallel_error = _until_error(files.interleave(gn.data.TFRecordDataset, 3, num_parallel_calls=calls))
        assert (got, type(parallel_error), str(parallel_error)) == (values, type(error), str(error))
