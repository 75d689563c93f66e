"""ignore_errors through every transformation: the failed elements skipped and the rest in TF 2.21's order
(each expected list below is what TF 2.21 gave for the same pipeline, a py_func failing on the elements named)."""
import numpy as np
import pytest

import gpunet as gn

Dataset, experimental = gn.data.Dataset, gn.data.experimental


def _failing(bad, calls=None):
    """A map function on int64 scalars raising ValueError for those in ``bad`` (each call noted in ``calls``)."""
    def check(v):
        if calls is not None:
            calls.append(int(v))
        if int(v) in bad:
            raise ValueError(f"element {v} is bad")
        return v
    return lambda x: gn.reshape(gn.py_func(check, [x], gn.int64), [])


def _base(n=8, bad=(2, 5), calls=None):
    return Dataset.range(n).map(_failing(set(bad), calls))


def _no_fusion():
    options = gn.data.Options()
    options.experimental_optimization.map_and_batch_fusion = False
    return options


def _values(dataset):
    """The elements, failed ones skipped, as Python values (tuples for zipped ones)."""
    with gn.Graph().as_default():
        element = dataset().apply(experimental.ignore_errors()).make_one_shot_iterator().get_next()
        out = []
        with gn.Session() as sess:
            try:
                while True:
                    value = sess.run(element)
                    out.append(tuple(v.tolist() for v in value) if isinstance(value, tuple) else value.tolist())
            except gn.errors.OutOfRangeError:
                return out


@pytest.mark.parametrize("pipeline, expected", [
    (lambda: _base().repeat(2), [0, 1, 3, 4, 6, 7] * 2),
    (lambda: _base(3, (0, 1, 2)).repeat(), []),  # an epoch of failures only ends the repeat, as TF's
    (lambda: _base().prefetch(2), [0, 1, 3, 4, 6, 7]),
    (lambda: _base().apply(experimental.prefetch_to_device("/cpu:0")), [0, 1, 3, 4, 6, 7]),
    (lambda: _base().batch(3), [[6, 7]]),
    (lambda: _base(8, (1,)).batch(3), [[3, 4, 5], [6, 7]]),  # TF fuses map and batch: a batch read whole
    (lambda: _base(8, (1,)).apply(experimental.map_and_batch(lambda x: x, 3)), [[3, 4, 5], [6, 7]]),
    (lambda: _base(8, (1,)).batch(3).with_options(_no_fusion()), [[2, 3, 4], [5, 6, 7]]),
    (lambda: _base(8, (1,)).prefetch(1).batch(3), [[2, 3, 4], [5, 6, 7]]),  # unfused: stops at the error
    (lambda: _base(8, (1,)).filter(lambda x: x >= 0).batch(3), [[2, 3, 4], [5, 6, 7]]),
    (lambda: _base(8, (1,)).padded_batch(3), [[2, 3, 4], [5, 6, 7]]),  # its padded_batch stops at the error
    (lambda: _base(6, (2,)).padded_batch(2), [[0, 1], [3, 4], [5]]),
    (lambda: _base().batch(2).unbatch(), [0, 1, 6, 7]),
    (lambda: Dataset.zip((_base(), Dataset.range(100, 108))),
     [(0, 100), (1, 101), (3, 103), (4, 104), (6, 106), (7, 107)]),
    (lambda: Dataset.zip((Dataset.range(5), _base(5, (1, 3)))), [(0, 0), (2, 2), (4, 4)]),
    (lambda: _base(4, (1,)).concatenate(_base(4, (2,))), [0, 2, 3, 0, 1, 3]),
    (lambda: _base().enumerate(), [(0, 0), (1, 1), (3, 3), (4, 4), (6, 6), (7, 7)]),
    (lambda: _base().take(4), [0, 1, 3, 4]),
    (lambda: _base(8, (1,)).take(3).repeat(2), [0, 2, 3, 0, 2, 3]),
    (lambda: _base().skip(1), [1, 3, 4, 6, 7]),
    (lambda: _base(8, (1,)).skip(3), [5, 6, 7]),  # TF's Skip forgets the count of a skip an error broke
    (lambda: _base(10, (1, 4)).shard(3, 1), [2, 7]),
    (lambda: Dataset.range(10).map(_failing({2, 5}), num_parallel_calls=3), [0, 1, 3, 4, 6, 7, 8, 9]),
    (lambda: Dataset.range(3).flat_map(lambda i: Dataset.range(4).map(lambda x: x + 10 * i).map(
        _failing({1, 12, 20}))), [0, 2, 3, 10, 11, 13, 21, 22, 23]),
    (lambda: _base(8, (2,)).window(3, 1).flat_map(lambda w: w.batch(3)),
     [[3, 4, 5], [4, 5, 6], [5, 6, 7], [6, 7], [7]]),
    (lambda: _base(8, (2,)).window(3, 2).flat_map(lambda w: w.batch(3)), [[4, 5, 6], [6, 7]]),
    (lambda: _base(8, (2,)).window(2, 4).flat_map(lambda w: w.batch(2)), [[0, 1], [4, 5]]),  # 2 between windows
    (lambda: _base(8, (2,)).window(2, 1, 2).flat_map(lambda w: w.batch(2)), [[1, 3], [3, 5], [4, 6], [5, 7], [6], [7]]),
    (lambda: experimental.choose_from_datasets([_base(4, (1,)), Dataset.range(10, 14)], Dataset.from_tensor_slices(
        np.array([0, 1] * 4, np.int64))), [0, 10, 11, 2, 12, 3, 13]),  # the failed element used its choice up
    (lambda: experimental.choose_from_datasets([Dataset.range(4), Dataset.range(10, 14)], Dataset.from_tensor_slices(
        np.array([0, 1] * 4, np.int64)).map(_failing({1}))), [0, 1, 2, 3]),  # each choice of 1 fails
], ids=["repeat", "repeat-all-failing", "prefetch", "prefetch_to_device", "batch", "map-batch-fused", "map_and_batch",
        "map-batch-unfused-by-options", "prefetch-batch", "filter-batch",
        "padded-batch-stops", "padded_batch", "unbatch",
        "zip-first", "zip-second", "concatenate", "enumerate", "take", "take-repeat", "skip", "skip-broken",
        "shard", "parallel-map", "flat_map", "window-3-1", "window-3-2", "window-2-4", "window-stride",
        "choose", "choose-failing-choice"])
def test_failed_elements_are_skipped_and_the_rest_comes_in_tfs_order(pipeline, expected):
    assert _values(pipeline) == expected


@pytest.mark.parametrize("seed", [1, 7])
@pytest.mark.parametrize("buffer_size", [1, 4, 20])
def test_shuffle_hands_an_error_on_without_drawing_so_the_order_is_the_inputs_without_it(seed, buffer_size):
    """TF 2.21: range(10) failing at 3, shuffled (seed 1, buffer 4) and repeated, gave exactly the order of
    range(10) without 3 shuffled the same way (each epoch); gpunet's generator differs from TF's, the rule holds."""
    def failing():
        return _base(10, (3,)).shuffle(buffer_size, seed=seed).repeat(2)

    def without():
        return Dataset.range(10).filter(lambda x: gn.not_equal(x, 3)).shuffle(buffer_size, seed=seed).repeat(2)
    got = _values(failing)
    assert got == _values(without) and sorted(got) == sorted([v for v in range(10) if v != 3] * 2)


def test_cache_records_the_elements_that_did_not_fail_and_replays_them():
    """TF 2.21: the function ran once per input element (0..7); both epochs gave 0 1 3 4 6 7."""
    calls = []
    assert _values(lambda: _base(calls=calls).cache().repeat(2)) == [0, 1, 3, 4, 6, 7] * 2
    assert calls == list(range(8))


def test_sample_from_datasets_skips_the_failed_element_of_either(seed=3):
    """TF 2.21 (its own generator): every element but the failed one; gpunet's order is its seeded one."""
    got = _values(lambda: experimental.sample_from_datasets([_base(4, (1,)), Dataset.range(10, 14)], seed=seed))
    assert sorted(got) == [0, 2, 3, 10, 11, 12, 13]


def test_a_cache_file_holds_the_elements_that_did_not_fail(tmp_path):
    """TF 2.21: both epochs gave 0 1 3 4 6 7, the function ran once per input element; a new pipeline over the
    same file reads it and runs nothing."""
    calls, prefix = [], str(tmp_path / "cache")
    assert _values(lambda: _base(calls=calls).cache(prefix).repeat(2)) == [0, 1, 3, 4, 6, 7] * 2
    assert _values(lambda: _base(calls=calls).cache(prefix)) == [0, 1, 3, 4, 6, 7] and calls == list(range(8))


def test_without_ignore_errors_the_iterator_goes_on_after_an_error_as_tfs():
    """TF 2.21 (eager): repeat then prefetch gave 0 1 error 3 0 1 error 3."""
    with gn.Graph().as_default():
        element = _base(4, (2,)).repeat(2).prefetch(1).make_one_shot_iterator().get_next()
        out = []
        with gn.Session() as sess:
            while True:
                try:
                    out.append(int(sess.run(element)))
                except gn.errors.OutOfRangeError:
                    break
                except gn.errors.InvalidArgumentError as exc:
                    out.append(str(exc).splitlines()[0].split(": ")[-1])
    assert out == [0, 1, "element 2 is bad", 3, 0, 1, "element 2 is bad", 3]


@pytest.mark.parametrize("threads", [None, 2])
def test_an_error_in_a_parallel_reader_or_map_worker_is_skipped(threads):
    def dataset():
        inner = lambda i: Dataset.range(20).map(lambda x: x + 100 * i).map(_failing({105, 219}))  # noqa: E731
        return Dataset.range(3).interleave(inner, 3, 4, num_parallel_calls=threads).map(
            _failing({7, 212}), num_parallel_calls=threads)
    got = _values(dataset)
    assert sorted(got) == sorted((set(range(20)) | set(range(100, 120)) | set(range(200, 220))) - {7, 105, 212, 219})
    assert len(got) == 56


def test_the_carrying_helpers_raise_in_place_and_go_on():
    """gpunet/data/_resumable.py: errors become Failed items and back; OutOfRangeError is an end, as TF reads it."""
    from gpunet.data._resumable import Failed, Resumable, caught, pull, raising

    def source():
        yield 1
        raise ValueError("two")

    items = list(caught(source()))  # the generator's error, then its end
    assert items[0] == 1 and isinstance(items[1], Failed) and str(items[1].error) == "two" and len(items) == 2
    resumed = Resumable(iter([1, Failed(KeyError("k")), 3]))
    assert next(resumed) == 1
    with pytest.raises(KeyError):
        next(resumed)
    assert list(resumed) == [3]
    assert pull(raising(gn.errors.OutOfRangeError(None, None, "end"))) is None
    assert isinstance(pull(raising(ValueError("x"))), Failed)
