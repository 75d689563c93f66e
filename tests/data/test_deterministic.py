"""Options.deterministic (TF 2's name; experimental_deterministic, TF 1.15's) and the ``deterministic`` argument of
map and interleave: False hands elements on as they are ready, the same ones; the argument overrides the option.

No timing is asserted: element 0's call waits (a guard timeout, so a failure fails rather than hangs) until the
consumer has taken another element, which only an order by completion allows; or until the other calls are done,
which an input order still puts after it."""
import threading

import pytest

import gpunet as gn

Dataset = gn.data.Dataset
GUARD_S = 10.0


def _options(deterministic, name="deterministic"):
    options = gn.data.Options()
    setattr(options, name, deterministic)
    return options


def _pipeline(fn, n, kind, deterministic=None):
    """``fn`` (a py_func of int64 scalars) on range(n): a parallel map, or inside the inner datasets of a parallel
    interleave of one element each."""
    def call(x):
        return gn.reshape(gn.py_func(fn, [x], gn.int64), [])
    if kind == "map":
        return Dataset.range(n).map(call, num_parallel_calls=4, deterministic=deterministic)
    return Dataset.range(n).interleave(lambda x: Dataset.from_tensors(x).map(call), 4, 1, num_parallel_calls=4,
                                       deterministic=deterministic)


def _drain(dataset, after_first=None):
    element = dataset.make_one_shot_iterator().get_next()
    with gn.Session() as sess:
        out = [int(sess.run(element))]
        if after_first is not None:
            after_first()
        try:
            while True:
                out.append(int(sess.run(element)))
        except gn.errors.OutOfRangeError:
            return out


def _order_by_completion(kind, argument=None, options=None):
    """Element 0's call waits until the consumer has taken another element: True when 0 did not come first."""
    taken = threading.Event()

    def fn(v):
        if v == 0:
            taken.wait(GUARD_S)
        return v
    dataset = _pipeline(fn, 12, kind, argument)
    got = _drain(dataset if options is None else dataset.with_options(options), taken.set)
    assert sorted(got) == list(range(12))
    return got[0] != 0


def _order_kept(kind, argument=None, options=None):
    """Element 0's call waits until calls 1..3 are done: True when 0 still came first (the input order)."""
    done, others = threading.Event(), []

    def fn(v):
        if v == 0:
            done.wait(GUARD_S)
        elif v < 4:
            others.append(v)
            if len(others) == 3:
                done.set()
        return v
    dataset = _pipeline(fn, 12, kind, argument)
    got = _drain(dataset if options is None else dataset.with_options(options))
    assert sorted(got) == list(range(12))
    return got == list(range(12))


@pytest.mark.parametrize("kind", ["map", "interleave"])
@pytest.mark.parametrize("argument, option, kept", [
    (None, None, True), (True, None, True), (False, None, False),
    (None, False, False), (None, True, True), (True, False, True), (False, True, False)])
def test_the_argument_wins_over_the_option_which_wins_over_the_default(kind, argument, option, kept):
    options = None if option is None else _options(option)
    if kept:
        assert _order_kept(kind, argument, options)
    else:
        assert _order_by_completion(kind, argument, options)


@pytest.mark.parametrize("kind", ["map", "interleave"])
def test_the_option_of_the_dataset_iterated_holds_for_all_of_it_under_either_name(kind):
    """As in TF, options set after the transformation (further down the pipeline) reach it."""
    taken = threading.Event()

    def fn(v):
        if v == 0:
            taken.wait(GUARD_S)
        return v
    late = _pipeline(fn, 12, kind).prefetch(2).with_options(_options(False, "experimental_deterministic"))
    got = _drain(late, taken.set)
    assert got[0] != 0 and sorted(got) == list(range(12))


def test_deterministic_and_its_tf1_name_are_one_option():
    options = _options(False)
    assert options.experimental_deterministic is False and options == _options(False, "experimental_deterministic")
    options.experimental_deterministic = True
    assert options.deterministic is True and gn.data.Options().deterministic is None
    with pytest.raises(TypeError, match='Property "experimental_deterministic" must be of type'):
        options.deterministic = 1
    with pytest.raises(ValueError, match="Cannot merge incompatible values"):
        _options(True).merge(_options(False, "experimental_deterministic"))


@pytest.mark.parametrize("bad", [1, "no", 0.0])
def test_a_deterministic_argument_that_is_not_a_bool_is_a_type_error(bad):
    with pytest.raises(TypeError, match="deterministic must be None or a bool"):
        Dataset.range(3).map(lambda x: x, num_parallel_calls=2, deterministic=bad)
    with pytest.raises(TypeError, match="deterministic must be None or a bool"):
        Dataset.range(3).interleave(Dataset.from_tensors, 2, num_parallel_calls=2, deterministic=bad)


@pytest.mark.parametrize("kind", ["map", "interleave"])
def test_errors_are_still_handed_on_and_skipped_by_ignore_errors_in_any_order(kind):
    def fn(v):
        if v in (3, 7):
            raise ValueError(f"element {v} is bad")
        return v
    dataset = _pipeline(fn, 12, kind, deterministic=False).apply(gn.data.experimental.ignore_errors())
    assert sorted(_drain(dataset)) == [v for v in range(12) if v not in (3, 7)]
