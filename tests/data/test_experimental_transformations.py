"""gn.data.experimental's map_and_batch, shuffle_and_repeat and ignore_errors, as TF1's (checked against TF 2.21:
the same elements, static shapes, error classes and messages)."""
import collections
import os

import numpy as np
import pytest

import gpunet as gn

Dataset, experimental = gn.data.Dataset, gn.data.experimental


def _plain(value):
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return getattr(value, "tolist", lambda: value)()


def _run(dataset, limit=10_000):
    """The elements (raw NumPy values), up to the end or ``limit``, and then the error that ended them."""
    with gn.Graph().as_default():
        iterator = dataset().make_initializable_iterator()
        element = iterator.get_next()
        out = []
        with gn.Session() as sess:
            sess.run(iterator.initializer)
            try:
                while len(out) < limit:
                    out.append(sess.run(element))
            except gn.errors.OutOfRangeError:
                return out
    return out


def _values(dataset, limit=10_000):
    return [_plain(v) for v in _run(dataset, limit)]


# -- map_and_batch ------------------------------------------------------------------------------
def _pairs(x):
    return {"a": (x * 2, gn.cast(x, gn.float32) * gn.ones([2, 3])), "s": gn.constant(b"s")}


@pytest.mark.parametrize("n", [0, 1, 6, 7])
@pytest.mark.parametrize("batch_size", [1, 3, 8])
@pytest.mark.parametrize("drop_remainder", [False, True])
def test_map_and_batch_gives_map_then_batch(n, batch_size, drop_remainder):
    def fused():
        return Dataset.range(n).apply(experimental.map_and_batch(_pairs, batch_size, drop_remainder=drop_remainder))

    def chained():
        return Dataset.range(n).map(_pairs).batch(batch_size, drop_remainder)
    got, expected = _run(fused), _run(chained)
    assert len(got) == (n // batch_size if drop_remainder else -(-n // batch_size))
    for a, b in zip(got, expected):
        assert a["a"][0].dtype == np.int64 and a["a"][1].dtype == np.float32 and a["s"].dtype == object
        assert _plain(a) == _plain(b)
    rows = [row for batch in got for row in batch["a"][0].tolist()]
    assert rows == [2 * x for x in range(len(rows))]


def test_a_map_returning_a_scalar_string_gives_bytes_and_batches():
    """Was: the session's bytes became a fixed-width array the iterator refused."""
    assert _values(lambda: Dataset.range(3).map(lambda x: gn.constant(b"s"))) == [b"s"] * 3
    got = _run(lambda: Dataset.range(3).apply(experimental.map_and_batch(lambda x: gn.constant(b"s"), 2)))
    assert [b.dtype for b in got] == [object, object] and [b.tolist() for b in got] == [[b"s", b"s"], [b"s"]]


@pytest.mark.parametrize("drop_remainder,batch_dim", [(False, None), (True, 3)])
def test_map_and_batch_static_shapes_are_tfs(drop_remainder, batch_dim):
    """TF: {'a': ([None], [None, 2, 3])}; with drop_remainder the batch dimension is batch_size."""
    dataset = Dataset.range(7).apply(experimental.map_and_batch(_pairs, 3, drop_remainder=drop_remainder))
    shapes = dataset.output_shapes
    assert shapes["a"][0].as_list() == [batch_dim] and shapes["a"][1].as_list() == [batch_dim, 2, 3]
    assert shapes["s"].as_list() == [batch_dim]
    assert dataset.output_types == {"a": (gn.int64, gn.float32), "s": gn.string}


@pytest.mark.parametrize("kwargs", [{"num_parallel_batches": 2}, {"num_parallel_calls": 2},
                                    {"num_parallel_calls": gn.data.AUTOTUNE}, {"num_parallel_calls": 64}])
def test_map_and_batch_parallel_calls_keep_the_order(kwargs):
    got = _values(lambda: Dataset.range(11).apply(experimental.map_and_batch(lambda x: x * x, 4, **kwargs)))
    assert got == [[0, 1, 4, 9], [16, 25, 36, 49], [64, 81, 100]]


def test_map_and_batch_uses_at_most_one_thread_per_core(monkeypatch):
    """TF's default num_parallel_calls is batch_size: gpunet runs that many calls on at most one thread per core."""
    import threading
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    names = set()

    def record(v):
        names.add(threading.current_thread().name)
        return v
    got = _values(lambda: Dataset.range(40).apply(experimental.map_and_batch(
        lambda x: gn.py_func(record, [x], gn.int64), 20)))
    assert [len(b) for b in got] == [20, 20]
    assert 1 <= len(names) <= 2 and all(name.startswith("gn.data.map") for name in names)


def test_map_and_batch_argument_errors_are_tfs():
    with pytest.raises(ValueError, match=r"allows only one of `num_parallel_batches` and `num_parallel_calls` to be "
                                         r"set, but `num_parallel_batches` was set to 1 and `num_parallel_calls` as "
                                         r"set to 2\."):
        experimental.map_and_batch(lambda x: x, 2, num_parallel_batches=1, num_parallel_calls=2)
    for batch_size in (0, -1):
        with pytest.raises(gn.errors.InvalidArgumentError, match="batch_size must be greater than zero."):
            experimental.map_and_batch(lambda x: x, batch_size)
    for kwargs in ({"num_parallel_batches": 0}, {"num_parallel_calls": 0}, {"num_parallel_calls": -2}):
        with pytest.raises(gn.errors.InvalidArgumentError, match="num_parallel_calls must be greater than zero."):
            experimental.map_and_batch(lambda x: x, 2, **kwargs)


def test_map_and_batch_of_different_shapes_is_an_error_at_run_time():
    with pytest.raises(gn.errors.InvalidArgumentError, match="Cannot batch tensors with different shapes"):
        _run(lambda: Dataset.range(4).apply(experimental.map_and_batch(lambda x: gn.range(x), 2)))


# -- shuffle_and_repeat -------------------------------------------------------------------------
@pytest.mark.parametrize("buffer_size", [1, 3, 6, 100])
@pytest.mark.parametrize("count", [1, 2, 5])
def test_shuffle_and_repeat_is_shuffle_then_repeat(buffer_size, count):
    """TF's fused kernel gives exactly shuffle(buffer_size, seed).repeat(count)'s order (checked on TF 2.21)."""
    def fused():
        return Dataset.range(6).apply(experimental.shuffle_and_repeat(buffer_size, count, seed=7))

    def chained():
        return Dataset.range(6).shuffle(buffer_size, seed=7).repeat(count)
    got = _values(fused)
    assert got == _values(chained) == _values(fused)  # and the same again: seeded
    epochs = [got[i:i + 6] for i in range(0, len(got), 6)]
    assert len(epochs) == count and all(sorted(epoch) == list(range(6)) for epoch in epochs)
    if buffer_size == 1:
        assert all(epoch == list(range(6)) for epoch in epochs)


def test_shuffle_and_repeat_reshuffles_each_epoch():
    got = _values(lambda: Dataset.range(20).apply(experimental.shuffle_and_repeat(20, 4, seed=3)))
    epochs = [tuple(got[i:i + 20]) for i in range(0, 80, 20)]
    assert all(sorted(epoch) == list(range(20)) for epoch in epochs)
    assert len(set(epochs)) == 4  # four orders of 20 elements: equal ones would be a broken reshuffle


@pytest.mark.parametrize("count", [None, -1])
def test_shuffle_and_repeat_forever(count):
    got = _values(lambda: Dataset.range(5).apply(experimental.shuffle_and_repeat(2, count, seed=1)), limit=53)
    assert len(got) == 53 and collections.Counter(got[:50]) == collections.Counter(list(range(5)) * 10)


def test_shuffle_and_repeat_structures_and_empty_input():
    def pairs():
        return Dataset.from_tensor_slices({"x": np.arange(4, dtype=np.float32), "y": (np.arange(4) * 10,)}).apply(
            experimental.shuffle_and_repeat(4, 2, seed=2))
    got = _values(pairs)
    assert len(got) == 8 and all(element["y"] == (int(element["x"]) * 10,) for element in got)
    assert _values(lambda: Dataset.range(0).apply(experimental.shuffle_and_repeat(3))) == []


def test_shuffle_and_repeat_without_seed_still_permutes_each_epoch():
    got = _values(lambda: Dataset.range(7).apply(experimental.shuffle_and_repeat(7, 3)))
    assert [sorted(got[i:i + 7]) for i in range(0, 21, 7)] == [list(range(7))] * 3


def test_shuffle_and_repeat_argument_errors_are_tfs():
    for buffer_size in (0, -1):
        with pytest.raises(gn.errors.InvalidArgumentError,
                           match="buffer_size must be greater than zero or UNKNOWN_CARDINALITY"):
            experimental.shuffle_and_repeat(buffer_size)
    for count in (0, -2):
        with pytest.raises(gn.errors.InvalidArgumentError, match=r"count must be greater than zero or equal to -1\."):
            experimental.shuffle_and_repeat(3, count)


# -- ignore_errors ------------------------------------------------------------------------------
def _failing(bad, error=ValueError):
    """A py_func of int64 elements raising ``error`` (StopIteration: the input's end) for those in ``bad``."""
    def check(v):
        if int(v) in bad:
            raise error(f"element {v} is bad")
        return v

    def apply(x):
        return gn.reshape(gn.py_func(check, [x], gn.int64), [])
    return apply


@pytest.mark.filterwarnings("ignore:divide by zero")
def test_ignore_errors_drops_a_failing_check_as_tfs_example():
    """TF's docstring: 1 / x of [1, 2, 0, 4] checked by check_numerics gives [1, 0.5, 0.25]."""
    def dataset():
        return Dataset.from_tensor_slices(np.array([1., 2., 0., 4.], np.float32)).map(
            lambda x: gn.debugging.check_numerics(1. / x, "error")).apply(experimental.ignore_errors())
    got = _run(dataset)
    assert [v.dtype for v in got] == [np.float32] * 3 and [float(v) for v in got] == [1.0, 0.5, 0.25]


@pytest.mark.parametrize("error", [ValueError, RuntimeError, ZeroDivisionError])
@pytest.mark.parametrize("calls", [None, 1, 3])
def test_ignore_errors_drops_failing_map_elements_and_goes_on(error, calls):
    """TF drops every error (InvalidArgumentError, UnknownError...) and reads on, in order."""
    def dataset():
        return Dataset.range(9).map(_failing({2, 3, 7}, error), num_parallel_calls=calls).apply(
            experimental.ignore_errors())
    assert _values(dataset) == [0, 1, 4, 5, 6, 8]
    with pytest.raises(gn.errors.OpError, match="element 2 is bad"):
        _run(lambda: Dataset.range(9).map(_failing({2, 3, 7}, error), num_parallel_calls=calls))


def test_ignore_errors_still_ends_at_out_of_range():
    """A py_func raising StopIteration is the input's end (OutOfRangeError), not an error to drop (TF: 0 1 3 4)."""
    def dataset():
        return Dataset.range(8).map(_failing({5}, StopIteration)).map(_failing({2})).apply(
            experimental.ignore_errors())
    assert _values(dataset) == [0, 1, 3, 4]


def test_ignore_errors_drops_a_failing_batch_as_tf():
    """TF: an element failing while a batch is assembled drops that batch; the next starts after it."""
    def batched():
        return Dataset.range(8).map(_failing({2})).batch(3).apply(experimental.ignore_errors())

    def fused():
        return Dataset.range(8).apply(experimental.map_and_batch(_failing({2}), 3)).apply(experimental.ignore_errors())

    def padded():
        filled = Dataset.range(8).map(_failing({2})).map(lambda x: gn.fill([gn.cast(x, gn.int32)], x))
        return filled.padded_batch(3, [None]).apply(experimental.ignore_errors())
    assert _values(batched) == _values(fused) == [[3, 4, 5], [6, 7]]
    assert _values(padded) == [[[3, 3, 3, 0, 0], [4, 4, 4, 4, 0], [5, 5, 5, 5, 5]],
                               [[6, 6, 6, 6, 6, 6, 0], [7, 7, 7, 7, 7, 7, 7]]]


def test_ignore_errors_drops_batches_of_different_shapes_and_failing_predicates():
    def ragged():
        return Dataset.range(6).map(lambda x: gn.range(x // 4 + 1)).batch(2).apply(experimental.ignore_errors())
    assert _values(ragged) == [[[0], [0]], [[0], [0]], [[0, 1], [0, 1]]]

    def filtered():
        return Dataset.range(9).filter(lambda x: gn.equal(_failing({4})(x) % 2, 0)).apply(experimental.ignore_errors())
    assert _values(filtered) == [0, 2, 6, 8]


def test_ignore_errors_ends_where_tf_does_with_a_failing_generator():
    """TF: a from_generator whose generator raises ends there (the generator cannot go on)."""
    def generate():
        for v in range(5):
            if v == 2:
                raise ValueError("bad 2")
            yield v
    assert _values(lambda: Dataset.from_generator(generate, gn.int64).apply(experimental.ignore_errors())) == [0, 1]


@pytest.mark.parametrize("n", [0, 1, 5])
def test_ignore_errors_keeps_structures_types_shapes_and_error_free_inputs(n):
    def dataset():
        return Dataset.from_tensor_slices({"x": np.arange(n, dtype=np.float64), "y": (np.ones([n, 2], np.int32),)})
    applied = dataset().apply(experimental.ignore_errors())
    assert applied.output_types == dataset().output_types
    assert applied.output_shapes["y"][0].as_list() == [2]
    assert _values(lambda: dataset().apply(experimental.ignore_errors())) == _values(dataset)


def test_a_parallel_map_raises_an_input_error_after_the_results_before_it():
    """The results of the elements read before the failing one come first (they were running when it failed)."""
    with gn.Graph().as_default():
        dataset = Dataset.range(9).map(_failing({6})).map(lambda x: x * 10, num_parallel_calls=4)
        element, got = dataset.make_one_shot_iterator().get_next(), []
        with gn.Session() as sess:
            with pytest.raises(gn.errors.InvalidArgumentError, match="element 6 is bad"):
                while True:
                    got.append(int(sess.run(element)))
            assert got == [0, 10, 20, 30, 40, 50]
            assert [int(sess.run(element)) for _ in range(2)] == [70, 80]  # the map goes on, as TF's
