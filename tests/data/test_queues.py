"""Queues as graph state and QueueRunner threads."""
import threading
import time

import numpy as np
import pytest

import gpunet as gn


def _wait_until(predicate, limit=5.0):
    end = time.monotonic() + limit
    while not predicate() and time.monotonic() < end:
        time.sleep(0.005)
    return predicate()


@pytest.mark.parametrize("dtype", [gn.float32, gn.int32, gn.int64, gn.uint8, gn.bool, gn.float64])
def test_fifo_order_and_values_per_dtype(dtype):
    values = np.arange(6).reshape(3, 2).astype(dtype.np)
    q = gn.FIFOQueue(5, [dtype], shapes=[[2]])
    enq = q.enqueue_many([values])
    one, many = q.dequeue(), q.dequeue_many(2)
    with gn.Session() as sess:
        sess.run(enq)
        assert sess.run(q.size()) == 3
        first = sess.run(one)
        assert first.dtype == dtype.np and np.array_equal(first, values[0])
        np.testing.assert_array_equal(sess.run(many), values[1:])
        assert sess.run(q.size()) == 0


def test_strings_and_0d_components():
    q = gn.FIFOQueue(3, [gn.string, gn.int32], shapes=[[], []])
    enq = q.enqueue([b"abc", 4])
    s, i = q.dequeue()
    with gn.Session() as sess:
        sess.run(enq)
        assert sess.run([s, i]) == [b"abc", 4]


def test_dequeue_blocks_until_enqueue_and_other_runs_proceed():
    q = gn.FIFOQueue(2, gn.float32, shapes=[[]])
    x = gn.placeholder(gn.float32, [])
    enq, deq = q.enqueue(x), q.dequeue()
    results = []
    with gn.Session() as sess:
        thread = threading.Thread(target=lambda: results.append(sess.run(deq)))
        thread.start()
        time.sleep(0.05)
        assert results == [] and thread.is_alive()
        sess.run(enq, {x: 2.5})  # runs although another run is blocked in the same session
        thread.join(5)
        assert results == [2.5]


def test_closed_drained_queue_raises_out_of_range_and_enqueue_is_cancelled():
    q = gn.FIFOQueue(4, gn.int32, shapes=[[]])
    enq = q.enqueue_many([[1, 2, 3]])
    with gn.Session() as sess:
        sess.run(enq)
        sess.run(q.close())
        assert sess.run(q.dequeue_up_to(2)).tolist() == [1, 2]
        assert sess.run(q.dequeue_up_to(2)).tolist() == [3]
        with pytest.raises(gn.errors.OutOfRangeError, match="is closed and has insufficient elements"):
            sess.run(q.dequeue())
        with pytest.raises(gn.errors.CancelledError, match="is closed"):
            sess.run(enq)


def test_dequeue_many_on_closed_queue_with_too_few_raises():
    q = gn.FIFOQueue(4, gn.int32, shapes=[[]])
    with gn.Session() as sess:
        sess.run(q.enqueue(1))
        sess.run(q.close())
        with pytest.raises(gn.errors.OutOfRangeError, match=r"requested 2, current size 1"):
            sess.run(q.dequeue_many(2))


def test_padding_fifo_pads_to_longest():
    q = gn.PaddingFIFOQueue(4, [gn.int32], shapes=[[None]])
    x = gn.placeholder(gn.int32, [None])
    enq = q.enqueue([x])
    with gn.Session() as sess:
        for v in ([1], [2, 3, 4], []):
            sess.run(enq, {x: v})
        np.testing.assert_array_equal(sess.run(q.dequeue_many(3)), [[1, 0, 0], [2, 3, 4], [0, 0, 0]])


def test_random_shuffle_queue_seeded_and_keeps_min_after_dequeue():
    def run(seed):
        gn.reset_default_graph()
        q = gn.RandomShuffleQueue(20, 5, gn.int32, shapes=[[]], seed=seed)
        enq, size = q.enqueue_many([np.arange(10, dtype=np.int32)]), q.size()
        with gn.Session() as sess:
            sess.run(enq)
            out = [sess.run(q.dequeue()) for _ in range(5)]
            assert sess.run(size) == 5  # a sixth dequeue would wait: min_after_dequeue is 5
            sess.run(q.close())
            out += sess.run(q.dequeue_many(5)).tolist()
        return out
    a, b, c = run(3), run(3), run(4)
    assert sorted(a) == list(range(10))
    assert a == b and a != c


def test_bad_queue_arguments():
    with pytest.raises(ValueError, match="capacity must be a positive int"):
        gn.FIFOQueue(0, gn.float32)
    with pytest.raises(ValueError, match="min_after_dequeue"):
        gn.RandomShuffleQueue(4, 4, gn.float32)
    with pytest.raises(ValueError, match="must be fully defined"):
        gn.FIFOQueue(4, gn.float32, shapes=[[None]])
    q = gn.FIFOQueue(4, gn.float32, shapes=[[2]])
    with pytest.raises(ValueError, match="incompatible with the queue's shape"):
        q.enqueue([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="needs fully defined shapes"):
        gn.FIFOQueue(4, gn.float32).dequeue_many(2)


def test_queue_ops_are_cpu_ops_soft_placed_from_gpu(vgpus):
    assert vgpus == 2
    with gn.device("/gpu:0"):
        q = gn.FIFOQueue(4, gn.float32, shapes=[[2]])
        enq = q.enqueue([gn.constant([1.0, 2.0])])
        out = q.dequeue() * 2.0
    with gn.Session(config=gn.ConfigProto(allow_soft_placement=True)) as sess:
        sess.run(enq)
        report = sess.placement_report(out)
        np.testing.assert_array_equal(sess.run(out), [2.0, 4.0])
    queue_rows = [r for r in report.rows if r.type.startswith("Queue")]
    assert {r.type for r in queue_rows} == {"QueueHandle", "QueueDequeue"}
    for row in queue_rows:
        assert row.assigned.endswith("CPU:0") and row.reason == "soft: no GPU kernel"
    assert report.row("mul").assigned.endswith("GPU:0")
    assert [c.tensor.op.type for c in report.copies] == ["QueueDequeue"]  # one planned copy to the GPU
    with gn.Session() as sess, pytest.raises(gn.errors.InvalidArgumentError, match="no supported kernel for GPU"):
        sess.run(enq)


def test_closing_session_cancels_blocked_runs():
    q = gn.FIFOQueue(1, gn.int32, shapes=[[]])
    errors = []
    sess = gn.Session()

    def blocked():
        try:
            sess.run(q.dequeue())
        except gn.errors.CancelledError as exc:
            errors.append(exc)
    thread = threading.Thread(target=blocked)
    thread.start()
    time.sleep(0.05)
    sess.close()
    thread.join(1)
    assert not thread.is_alive() and len(errors) == 1


def test_queue_runner_with_coordinator_ends_cleanly():
    q = gn.FIFOQueue(3, gn.int64, shapes=[[]])
    counter = gn.Variable(gn.constant(0, gn.int64), trainable=False)
    enq = q.enqueue(gn.count_up_to(counter, 20))
    qr = gn.train.QueueRunner(q, [enq] * 4)
    gn.train.add_queue_runner(qr)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        coord = gn.train.Coordinator()
        threads = gn.train.start_queue_runners(sess, coord)
        got = []
        try:
            while True:
                got.append(int(sess.run(q.dequeue())))
        except gn.errors.OutOfRangeError:
            pass
        coord.request_stop()
        coord.join(threads)
    assert sorted(got) == list(range(20))
    assert qr.exceptions_raised == []


def test_runner_exception_reaches_coordinator():
    q = gn.FIFOQueue(3, gn.float32, shapes=[[]])
    x = gn.py_func(_boom, [], gn.float32)
    qr = gn.train.QueueRunner(q, [q.enqueue(gn.reshape(x, []))])
    with gn.Session() as sess:
        coord = gn.train.Coordinator()
        threads = qr.create_threads(sess, coord, start=True)
        with pytest.raises(gn.errors.OpError, match="runner failed"):
            coord.join(threads)


def _boom():
    raise RuntimeError("runner failed")


def test_closing_session_with_runners_blocked_on_full_queues_leaves_no_thread():
    before = threading.active_count()
    q = gn.FIFOQueue(2, gn.float32, shapes=[[]])
    gn.train.add_queue_runner(gn.train.QueueRunner(q, [q.enqueue(1.0)] * 3))
    sess = gn.Session()
    coord = gn.train.Coordinator()
    threads = gn.train.start_queue_runners(sess, coord)
    assert _wait_until(lambda: sess.run(q.size()) == 2)
    started = time.monotonic()
    sess.close()
    for t in threads:
        t.join(1)
    assert time.monotonic() - started < 1.0
    assert all(not t.is_alive() for t in threads)
    assert threading.active_count() == before


def test_eight_runner_threads_ten_thousand_records_lose_and_duplicate_nothing():
    data = np.arange(10000, dtype=np.int32)
    index_queue = gn.train.range_input_producer(10000, num_epochs=1, shuffle=False, capacity=64)
    index = index_queue.dequeue()
    value = gn.gather(gn.constant(data), index)
    batch = gn.train.batch([value], 64, num_threads=8, capacity=256, allow_smaller_final_batch=True)
    with gn.Session() as sess:
        sess.run(gn.local_variables_initializer())
        coord = gn.train.Coordinator()
        threads = gn.train.start_queue_runners(sess, coord)
        got = []
        try:
            while True:
                got.extend(sess.run(batch)[0].tolist())
        except gn.errors.OutOfRangeError:
            pass
        coord.request_stop()
        coord.join(threads)
    assert len(got) == 10000 and sorted(got) == data.tolist()
