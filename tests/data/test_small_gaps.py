"""padded_batch(padding_values=), Dataset.cache(), decode_csv(select_cols=), dequeue_many with a tensor n,
close(cancel_pending_enqueues=False) letting blocked enqueues finish."""
import threading
import time

import numpy as np
import pytest

import gpunet as gn
from gpunet.ops.queue_ops import queue_state

Dataset = gn.data.Dataset


def _values(dataset, feed=None):
    iterator = dataset.make_initializable_iterator()
    element = iterator.get_next()
    out = []
    with gn.Session() as sess:
        sess.run(iterator.initializer, feed)
        try:
            while True:
                out.append(sess.run(element))
        except gn.errors.OutOfRangeError:
            return out


def _ragged(dtype):
    rows = [np.arange(1, n + 1).astype(dtype) for n in (1, 3, 2)]
    return Dataset.from_generator(lambda: iter(rows), gn.as_dtype(dtype), [None])


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint8, np.bool_])
def test_padded_batch_pads_with_the_padding_value_per_dtype(dtype):
    fill = True if dtype == np.bool_ else 7
    (got,) = _values(_ragged(dtype).padded_batch(3, padded_shapes=[4], padding_values=fill))
    want = np.full((3, 4), fill, dtype)
    for i, n in enumerate((1, 3, 2)):
        want[i, :n] = np.arange(1, n + 1).astype(dtype)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, want)


def test_padding_values_follow_the_structure_and_may_be_tensors_fed_at_initialization():
    words = Dataset.from_generator(lambda: iter([[b"a"], [b"b", b"c"]]), gn.string, [None])
    pairs = Dataset.zip((_ragged(np.float32).take(2), words))
    fill = gn.placeholder(gn.float32, [])
    for value in (-1.0, 0.5):
        ((numbers, strings),) = _values(pairs.padded_batch(2, ([None], [None]), padding_values=(fill, b"<pad>")),
                                        {fill: value})
        assert numbers.tolist() == [[1.0, value, value], [1.0, 2.0, 3.0]]
        assert strings.tolist() == [[b"a", b"<pad>"], [b"b", b"c"]]
    (default,) = _values(pairs.padded_batch(2, ([None], [None])))
    assert default[0].tolist() == [[1.0, 0.0, 0.0], [1.0, 2.0, 3.0]] and default[1][0, 1] == b""


def test_bad_padding_values_are_refused_as_tf1():
    ints = _ragged(np.int32)
    with pytest.raises(TypeError, match="dtype int64; the dataset's is int32"):
        ints.padded_batch(2, [None], padding_values=gn.constant(-1, gn.int64))
    with pytest.raises(TypeError, match="cannot be represented exactly as int32"):
        ints.padded_batch(2, [None], padding_values=1.5)
    with pytest.raises(ValueError, match="must be a scalar, got shape \\[2\\]"):
        ints.padded_batch(2, [None], padding_values=gn.constant([1, 2]))
    with pytest.raises(ValueError, match="padding_values has 2 components, the dataset 1"):
        ints.padded_batch(2, [None], padding_values=(1, 2))
    with pytest.raises(gn.errors.InvalidArgumentError, match="smaller than an element of shape \\[3\\]"):
        _values(ints.padded_batch(3, [2]))


def test_cache_reads_its_input_once_and_replays_it_every_epoch():
    calls = []

    def gen():
        calls.append(1)
        yield from range(4)
    cached = Dataset.from_generator(gen, gn.int64).map(lambda x: x * 3).cache().shuffle(4, seed=1).repeat(3)
    got = [int(v) for v in _values(cached)]
    assert len(calls) == 1 and len(got) == 12
    assert all(sorted(got[i * 4:(i + 1) * 4]) == [0, 3, 6, 9] for i in range(3))


def test_a_partly_read_cache_is_not_replayed_and_a_new_initialization_reads_again():
    calls = []

    def gen():
        calls.append(1)
        yield from range(3)
    dataset = Dataset.from_generator(gen, gn.int64).cache().take(2).repeat(2)
    assert [int(v) for v in _values(dataset)] == [0, 1, 0, 1] and len(calls) == 2  # the first pass stopped early
    assert [int(v) for v in _values(Dataset.from_generator(gen, gn.int64).cache().repeat(2))] == [0, 1, 2] * 2
    assert len(calls) == 3


def test_decode_csv_select_cols_reads_only_those_columns():
    records = gn.constant([b"1,a,2.5,x", b"4,,5.5,y"])
    cols = gn.decode_csv(records, [[0], [""], [0.0]], select_cols=[0, 1, 2])
    picked = gn.decode_csv(records, [["?"], [b"-"]], select_cols=[1, 3])
    with gn.Session() as sess:
        a, b, c = sess.run(cols)
        x, y = sess.run(picked)
    assert a.tolist() == [1, 4] and b.tolist() == [b"a", b""] and c.tolist() == [2.5, 5.5]
    assert x.tolist() == [b"a", b"?"] and y.tolist() == [b"x", b"y"]  # missing field: its default


def test_decode_csv_select_cols_errors():
    records = gn.constant([b"1,2,3"])
    with pytest.raises(ValueError, match="select_cols has 2 columns but record_defaults 3"):
        gn.decode_csv(records, [[0], [0], [0]], select_cols=[0, 1])
    for bad in ([2, 1], [1, 1]):
        with pytest.raises(ValueError, match="select_cols is not strictly increasing"):
            gn.decode_csv(records, [[0], [0]], select_cols=bad)
    with pytest.raises(ValueError, match="select_cols contains negative values"):
        gn.decode_csv(records, [[0]], select_cols=[-1])
    with gn.Session() as sess, pytest.raises(gn.errors.InvalidArgumentError, match="column 5"):
        sess.run(gn.decode_csv(records, [[0], [0]], select_cols=[0, 5]))


def test_dequeue_many_and_up_to_take_a_tensor_n():
    queue = gn.FIFOQueue(10, gn.int32, shapes=[])
    n = gn.placeholder(gn.int32, [])
    many, up_to = queue.dequeue_many(n), queue.dequeue_up_to(n)
    assert many.shape.as_list() == [None]
    with gn.Session() as sess:
        sess.run(queue.enqueue_many([list(range(7))]))
        assert sess.run(many, {n: 3}).tolist() == [0, 1, 2]
        assert sess.run(many, {n: 0}).tolist() == []
        sess.run(queue.close())
        assert sess.run(up_to, {n: 10}).tolist() == [3, 4, 5, 6]
        with pytest.raises(gn.errors.InvalidArgumentError, match="n must be a non-negative scalar, got -1"):
            sess.run(many, {n: -1})
    with pytest.raises(TypeError, match="n must be an int32 scalar"):
        queue.dequeue_many(gn.constant(1.0))


@pytest.mark.parametrize("cancel", [False, True])
def test_close_without_cancel_lets_a_blocked_enqueue_finish_and_cancel_ends_it(cancel):
    queue = gn.FIFOQueue(1, gn.int32, shapes=[])
    enqueue, dequeue = queue.enqueue(5), queue.dequeue()
    blocked = queue.enqueue(6)
    outcome = []
    with gn.Session() as sess:
        sess.run(enqueue)

        def push():
            try:
                sess.run(blocked)
                outcome.append("enqueued")
            except gn.errors.CancelledError as exc:
                outcome.append(exc.message)
        thread = threading.Thread(target=push)
        thread.start()
        state = queue_state(sess._state, queue.queue_ref.op)
        while state.waiting_enqueues == 0:  # until the enqueue waits for room
            time.sleep(0.001)
        sess.run(queue.close(cancel_pending_enqueues=cancel))
        if cancel:
            thread.join()
            assert sess.run(dequeue) == 5 and "is closed" in outcome[0]
        else:
            assert sess.run(dequeue) == 5
            thread.join()
            assert outcome == ["enqueued"] and sess.run(dequeue) == 6
        with pytest.raises(gn.errors.OutOfRangeError):
            sess.run(dequeue)
        with pytest.raises(gn.errors.CancelledError, match="is closed"):
            sess.run(enqueue)
