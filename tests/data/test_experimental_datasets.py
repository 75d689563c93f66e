"""gn.data.experimental's unbatch, choose_from_datasets, sample_from_datasets, get_single_element and Counter, as
TF1's (checked against TF 2.21's tf.compat.v1: elements, static shapes, error classes and messages)."""
import collections

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


def _run(make, limit=10_000):
    with gn.Graph().as_default():
        iterator = make().make_initializable_iterator()
        element, out = iterator.get_next(), []
        with gn.Session() as sess:
            sess.run(iterator.initializer)
            try:
                while len(out) < limit:
                    out.append(sess.run(element))
            except gn.errors.OutOfRangeError:
                pass
    return out


def _values(make, limit=10_000):
    return [_plain(v) for v in _run(make, limit)]


def _error(make):
    with pytest.raises(gn.errors.InvalidArgumentError) as info:
        _run(make)
    return str(info.value).splitlines()[0]


# -- unbatch ------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint8, np.bool_])
def test_unbatch_splits_each_element_along_its_first_dimension(dtype):
    data = (np.arange(24) % 5).astype(dtype).reshape(3, 4, 2)
    got = _run(lambda: Dataset.from_tensor_slices(data).apply(experimental.unbatch()))
    assert [g.dtype for g in got] == [np.dtype(dtype)] * 12
    assert np.array_equal(np.stack(got), data.reshape(12, 2))


def test_unbatch_undoes_batch_for_nested_elements_and_strings():
    def elements():
        return Dataset.from_tensor_slices({"x": np.arange(7, dtype=np.float32),
                                           "t": (np.array([b"a", b"b", b"c", b"d", b"e", b"f", b"g"]),)})
    again = _values(lambda: elements().batch(3).apply(experimental.unbatch()))
    assert again == _values(elements)
    assert isinstance(again[0]["t"][0], bytes)
    unbatched = elements().batch(3).apply(experimental.unbatch())
    assert unbatched.output_types == elements().output_types
    assert unbatched.output_shapes["x"].as_list() == [] and unbatched.output_shapes["t"][0].as_list() == []


def test_unbatch_of_ragged_elements_and_empty_ones():
    """TF: range(x) for x in 0..3 unbatched: 0 0 1 0 1 2 (the empty first element gives none)."""
    assert _values(lambda: Dataset.range(4).map(lambda x: gn.range(x)).apply(experimental.unbatch())) == [
        0, 0, 1, 0, 1, 2]
    assert _values(lambda: Dataset.range(0).batch(2).apply(experimental.unbatch())) == []


def test_unbatch_shapes_lose_the_first_dimension():
    shapes = Dataset.from_tensor_slices(np.zeros([3, 2, 5])).apply(experimental.unbatch()).output_shapes
    assert shapes.as_list() == [5]
    assert Dataset.range(5).batch(2).apply(experimental.unbatch()).output_shapes.as_list() == []


def test_unbatch_errors_are_tfs():
    with pytest.raises(ValueError, match="Cannot unbatch an input with scalar components."):
        Dataset.range(3).apply(experimental.unbatch())
    with pytest.raises(ValueError, match=r"matching leading dimension. Encountered both 2 and 3\."):
        Dataset.from_tensors((np.zeros([2]), np.zeros([3]))).apply(experimental.unbatch())
    assert _error(lambda: Dataset.range(3).map(lambda x: (gn.range(x), gn.range(2))).apply(
        experimental.unbatch())) == ("Input element must have the same batch size in each component. Component 0 "
                                     "had size 0 but component 1 had size, 2.")
    assert _error(lambda: Dataset.range(3).map(lambda x: gn.py_func(lambda v: v, [x], gn.int64)).apply(
        experimental.unbatch())) == "Input element must have a non-scalar value in each component."


# -- choose_from_datasets -----------------------------------------------------------------------
def _choices(*indices):
    return Dataset.from_tensor_slices(np.array(indices, np.int64))


def test_choose_passes_over_ended_datasets_as_tf1():
    """TF: [0 1 1 1 0 0 0 1] over range(0, 3) and range(10, 12) gives 0 10 11 1 2."""
    got = _values(lambda: experimental.choose_from_datasets([Dataset.range(0, 3), Dataset.range(10, 12)],
                                                           _choices(0, 1, 1, 1, 0, 0, 0, 1)))
    assert got == [0, 10, 11, 1, 2]


def test_choose_ends_with_the_choices_and_keeps_structures():
    def datasets():
        return [Dataset.from_tensor_slices({"v": np.arange(k * 10, k * 10 + 4, dtype=np.float32),
                                            "k": np.full(4, k, np.int32)}) for k in range(3)]
    got = _values(lambda: experimental.choose_from_datasets(datasets(), _choices(2, 0, 2, 1)))
    assert got == [{"v": 20.0, "k": 2}, {"v": 0.0, "k": 0}, {"v": 21.0, "k": 2}, {"v": 10.0, "k": 1}]
    assert _values(lambda: experimental.choose_from_datasets(datasets(), _choices())) == []


def test_choose_shapes_are_the_common_ones():
    chosen = experimental.choose_from_datasets([Dataset.from_tensors([1, 2]), Dataset.from_tensors([1, 2, 3])],
                                               Dataset.range(1))
    assert chosen.output_shapes.as_list() == [None]
    same = experimental.choose_from_datasets([Dataset.from_tensors([1, 2])] * 2, Dataset.range(1))
    assert same.output_shapes.as_list() == [2]


def test_choose_errors_are_tfs():
    assert _error(lambda: experimental.choose_from_datasets([Dataset.range(3), Dataset.range(2)], _choices(0, 2))) \
        == "Selector index out of range: 2 >= 2"
    assert _error(lambda: experimental.choose_from_datasets([Dataset.range(3), Dataset.range(2)], _choices(-1))) \
        == "Selector index out of range: -1 >= 2"
    with pytest.raises(TypeError, match="Elements of `choice_dataset` must be scalar `tf.int64` tensors"):
        experimental.choose_from_datasets([Dataset.range(3)], Dataset.from_tensor_slices(np.array([0], np.int32)))
    with pytest.raises(ValueError, match="`datasets` should not be empty."):
        experimental.choose_from_datasets([], _choices(0))
    with pytest.raises(TypeError, match="`datasets` must have compatible element specs"):
        experimental.choose_from_datasets([Dataset.range(3), Dataset.from_tensors(1.0)], _choices(0))
    with pytest.raises(TypeError, match="`datasets` must have compatible element specs"):
        experimental.choose_from_datasets([Dataset.range(3), Dataset.range(3).map(lambda x: (x,))], _choices(0))


# -- sample_from_datasets -----------------------------------------------------------------------
@pytest.mark.parametrize("weights", [None, [0.5, 0.5], [0.9, 0.1], np.array([1.0, 3.0], np.float32)])
def test_sample_gives_each_element_once_in_each_datasets_order(weights):
    def sampled():
        return experimental.sample_from_datasets([Dataset.range(0, 30), Dataset.range(100, 120)], weights, seed=5)
    got = _values(sampled)
    assert sorted(got) == list(range(30)) + list(range(100, 120))
    assert [v for v in got if v < 100] == list(range(30)) and [v for v in got if v >= 100] == list(range(100, 120))
    assert got == _values(sampled)  # seeded: the same order again


def test_sample_follows_the_weights():
    """The first 400 draws from two endless datasets weighted 0.8 / 0.2: a binomial(400, 0.2) count of the
    second, more than 8 standard deviations from 0.5 if the weights were ignored or swapped."""
    def sampled(seed):
        return experimental.sample_from_datasets([Dataset.from_tensors(0).repeat(), Dataset.from_tensors(1).repeat()],
                                                 [0.8, 0.2], seed=seed)
    for seed in (1, 2, 3):
        ones = sum(_values(lambda seed=seed: sampled(seed), limit=400))
        assert 40 <= ones <= 120, (seed, ones)


def test_sample_leaves_out_zero_weights_and_seeds_differ():
    """TF: weights [0, 1] give only the second dataset, which then ends the result."""
    got = _values(lambda: experimental.sample_from_datasets([Dataset.range(0, 5), Dataset.range(10, 15)],
                                                            [0.0, 1.0], seed=3))
    assert got == [10, 11, 12, 13, 14]
    orders = {tuple(_values(lambda seed=seed: experimental.sample_from_datasets(
        [Dataset.range(0, 8), Dataset.range(10, 18)], seed=seed))) for seed in range(4)}
    assert len(orders) > 1


def test_sample_argument_errors_are_tfs():
    with pytest.raises(ValueError, match=r"`len\(weights\)=1` vs. `len\(datasets\)=2`"):
        experimental.sample_from_datasets([Dataset.range(2), Dataset.range(2)], [0.5])
    with pytest.raises(ValueError, match="`datasets` should not be empty."):
        experimental.sample_from_datasets([])
    with pytest.raises(TypeError, match="`weights` type must be either `tf.float32` or `tf.float64` but is int"):
        experimental.sample_from_datasets([Dataset.range(2), Dataset.range(2)], [1, 2])
    with pytest.raises(gn.errors.InvalidArgumentError, match="weights must be finite and non-negative"):
        experimental.sample_from_datasets([Dataset.range(2), Dataset.range(2)], [-1.0, 2.0])


# -- get_single_element -------------------------------------------------------------------------
def test_get_single_element_gives_tensors_of_the_structure_each_run():
    value = gn.placeholder(gn.float32, [2])
    element = experimental.get_single_element(Dataset.from_tensors({"a": value * 2, "b": (gn.constant(b"s"),)}))
    assert element["a"].dtype == gn.float32 and element["a"].shape.as_list() == [2]
    assert element["b"][0].dtype == gn.string
    with gn.Session() as sess:
        for v in (1.0, 3.0):
            got = sess.run(element, {value: [v, -v]})
            assert got["a"].tolist() == [2 * v, -2 * v] and got["b"] == (b"s",)


def test_get_single_element_errors_are_tfs():
    for dataset, message in ((Dataset.range(0), "Dataset was empty."),
                             (Dataset.range(2), "Dataset had more than one element.")):
        element = experimental.get_single_element(dataset)
        with gn.Session() as sess:
            for _ in range(2):  # the same error each run
                with pytest.raises(gn.errors.InvalidArgumentError, match=message):
                    sess.run(element)
    with pytest.raises(TypeError, match="Invalid `dataset`. Expected a `tf.data.Dataset` object"):
        experimental.get_single_element(gn.constant(1))


# -- Counter ------------------------------------------------------------------------------------
@pytest.mark.parametrize("args,kwargs,expected,dtype", [
    ((), {}, [0, 1, 2, 3], np.int64),
    ((5, -2), {}, [5, 3, 1, -1], np.int64),
    ((1, 2), {"dtype": gn.int32}, [1, 3, 5, 7], np.int32),
    ((0.5, 0.25), {"dtype": gn.float32}, [0.5, 0.75, 1.0, 1.25], np.float32),
])
def test_counter_counts_for_ever(args, kwargs, expected, dtype):
    counter = experimental.Counter(*args, **kwargs)
    assert counter.output_shapes.as_list() == []
    got = _run(lambda: experimental.Counter(*args, **kwargs), limit=4)
    assert [g.dtype for g in got] == [np.dtype(dtype)] * 4 and [g.tolist() for g in got] == expected
    assert collections.Counter(_values(lambda: experimental.Counter(*args, **kwargs).take(1000))).most_common(1)[0][
        1] == 1  # no value twice


def test_counter_refuses_values_its_dtype_cannot_hold():
    with pytest.raises(TypeError, match="`step` 0.5 cannot be represented exactly as int64"):
        experimental.Counter(0, 0.5)


def test_counter_zips_as_an_index():
    got = _values(lambda: Dataset.zip((experimental.Counter(), Dataset.from_tensor_slices(np.array([b"a", b"b"])))))
    assert got == [(0, b"a"), (1, b"b")]


def test_the_names_are_where_tf1_programs_look_for_them():
    import gpunet.compat.v1 as v1
    for name in ("parallel_interleave", "map_and_batch", "shuffle_and_repeat", "ignore_errors", "unbatch",
                 "choose_from_datasets", "sample_from_datasets", "get_single_element", "Counter", "AUTOTUNE"):
        assert getattr(v1.data.experimental, name) is getattr(experimental, name)
        assert name in experimental.__all__
