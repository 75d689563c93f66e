"""Dataset functions: map(num_parallel_calls=) on a thread pool, and tensors of the outer graph captured."""
import json
import os
import threading

import numpy as np
import pytest

import gpunet as gn

Dataset = gn.data.Dataset


def _all(iterator, sess, feed=None):
    element = iterator.get_next()
    if iterator._initializer is not None:
        sess.run(iterator.initializer, feed)
    out = []
    try:
        while True:
            out.append(sess.run(element))
    except gn.errors.OutOfRangeError:
        return out


def _values(dataset, feed=None):
    with gn.Session() as sess:
        return [v.tolist() if isinstance(v, np.ndarray) else v for v in
                _all(dataset.make_initializable_iterator(), sess, feed)]


@pytest.mark.parametrize("calls", [None, 1, 2, 3, 8, gn.data.experimental.AUTOTUNE])
def test_parallel_map_keeps_the_input_order_and_values(calls):
    dataset = Dataset.range(50).map(lambda x: (x * 2 + 1, gn.cast(x, gn.float32) / 4), num_parallel_calls=calls)
    got = _values(dataset)
    assert [int(a) for a, _ in got] == [2 * i + 1 for i in range(50)]
    assert [float(b) for _, b in got] == [i / 4 for i in range(50)]


@pytest.mark.parametrize("calls", [2, 4])
def test_parallel_map_runs_calls_at_once(calls):
    """Each call waits at a barrier of ``calls`` parties: one call at a time would break it (a guard
    timeout, not a timing); completion order varies, delivery order does not."""
    barrier, threads = threading.Barrier(calls, timeout=10), set()

    def meet(x):
        threads.add(threading.current_thread().name)
        barrier.wait()
        return x * 10
    dataset = Dataset.range(4 * calls).map(lambda x: gn.py_func(meet, [x], gn.int64), num_parallel_calls=calls)
    assert [int(v) for v in _values(dataset)] == [10 * i for i in range(4 * calls)]
    assert len(threads) == calls and all(name.startswith("gn.data.map") for name in threads)


def test_parallel_map_errors_surface_in_order_and_the_pool_ends_with_the_session():
    def check(x):
        if x == 3:
            raise ValueError("element three is bad")
        return x
    before = threading.active_count()
    element = Dataset.range(10).map(lambda x: gn.py_func(check, [x], gn.int64), num_parallel_calls=4
                                    ).make_one_shot_iterator().get_next()
    sess = gn.Session()
    assert [int(sess.run(element)) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(gn.errors.OpError, match="element three is bad"):
        sess.run(element)
    sess.close()
    assert threading.active_count() == before


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "4"])
def test_num_parallel_calls_must_be_positive_or_autotune(bad):
    with pytest.raises(ValueError, match="num_parallel_calls must be a positive int or AUTOTUNE"):
        Dataset.range(3).map(lambda x: x, num_parallel_calls=bad)
    assert gn.data.experimental.AUTOTUNE == gn.data.AUTOTUNE == -1


@pytest.mark.parametrize("calls", [None, 3])
def test_map_captures_a_placeholder_fed_to_the_initializer(calls):
    scale = gn.placeholder(gn.int64, [])
    before = len(gn.get_default_graph().get_operations())
    dataset = Dataset.range(4).map(lambda x: scale * x + 1, num_parallel_calls=calls)  # the outer tensor first
    assert len(gn.get_default_graph().get_operations()) == before  # traced ops stay in the function's graph
    iterator = dataset.make_initializable_iterator()
    with gn.Session() as sess:
        assert [int(v) for v in _all(iterator, sess, {scale: 2})] == [1, 3, 5, 7]
        assert [int(v) for v in _all(iterator, sess, {scale: -1})] == [1, 0, -1, -2]
        with pytest.raises(gn.errors.InvalidArgumentError, match="You must feed a value for placeholder"):
            sess.run(iterator.initializer)


def test_a_captured_variable_is_read_when_the_iterator_is_initialized():
    """TF1's reference variables (gpunet's): the value at initialization, not at each element."""
    v = gn.Variable(np.int64(3))
    iterator = Dataset.range(3).map(lambda x: x * v).make_initializable_iterator()
    element = iterator.get_next()
    with gn.Session() as sess:
        with pytest.raises(gn.errors.FailedPreconditionError, match="uninitialized"):
            sess.run(iterator.initializer)
        sess.run(v.initializer)
        sess.run(iterator.initializer)
        first = int(sess.run(element))
        sess.run(v.assign(10))
        assert (first, int(sess.run(element))) == (0, 3)
        sess.run(iterator.initializer)
        assert [int(sess.run(element)) for _ in range(2)] == [0, 10]


def test_filter_and_interleave_capture_outer_tensors():
    threshold, offset = gn.placeholder(gn.int64, []), gn.placeholder(gn.int64, [])
    kept = Dataset.range(10).filter(lambda x: gn.greater(x, threshold))
    assert [int(v) for v in _values(kept, {threshold: 6})] == [7, 8, 9]
    pairs = Dataset.range(3).interleave(lambda x: Dataset.from_tensor_slices(gn.stack([x + offset, offset])),
                                        cycle_length=1)
    assert [int(v) for v in _values(pairs, {offset: 100})] == [100, 100, 101, 100, 102, 100]
    direct = Dataset.range(2).interleave(lambda x: Dataset.from_tensors(offset), cycle_length=2)
    assert [int(v) for v in _values(direct, {offset: 7})] == [7, 7]


def test_a_map_returning_an_outer_tensor_and_constants_work_in_one_shot_iterators():
    c = gn.constant(5, gn.int64)
    element = Dataset.range(3).map(lambda x: (x * c, c)).make_one_shot_iterator().get_next()
    with gn.Session() as sess:
        assert [tuple(int(a) for a in sess.run(element)) for _ in range(3)] == [(0, 5), (5, 5), (10, 5)]


def test_one_shot_iterators_refuse_placeholders_and_variables_as_tf1():
    scale = gn.placeholder(gn.float32, [], name="scale")
    v = gn.Variable(2.0, name="weight")
    with pytest.raises(ValueError, match=r"Cannot capture a placeholder \(name:scale, type:Placeholder\)"):
        Dataset.range(3).map(lambda x: gn.cast(x, gn.float32) * scale).make_one_shot_iterator()
    with pytest.raises(ValueError, match=r"Cannot capture a stateful node \(name:weight, type:VariableV2\)"):
        Dataset.range(3).map(lambda x: gn.cast(x, gn.float32) * v).make_one_shot_iterator()
    with pytest.raises(ValueError, match="Cannot capture a placeholder"):
        Dataset.from_tensor_slices(gn.placeholder(gn.int64, [None])).make_one_shot_iterator()


_TF_INTERLEAVE = json.load(open(os.path.join(os.path.dirname(__file__), "fixtures", "interleave_order.json")))


@pytest.mark.parametrize("key", sorted(_TF_INTERLEAVE))
def test_interleave_order_is_tensorflows(key):
    """Against TF's order for each input size, cycle_length and block_length (fixtures/make_interleave_fixture.py):
    input x opens range(10 x, 10 x + x % 4 + 1), so the inner datasets end at different times."""
    n, cycle, block = map(int, key.split(","))
    dataset = Dataset.range(n).interleave(lambda x: Dataset.from_tensor_slices(gn.range(x * 10, x * 10 + x % 4 + 1)),
                                          cycle_length=cycle, block_length=block)
    assert [int(v) for v in _values(dataset)] == _TF_INTERLEAVE[key]
