"""gn.data.Options and Dataset.with_options/options: typed attributes, TF 1.15's merging, inheritance through
transformations, and elements left as they are."""
import numpy as np
import pytest

import gpunet as gn

Dataset = gn.data.Dataset
Options = gn.data.Options


def _options(**values):
    """Options with the values given by paths: ``experimental_threading__private_threadpool_size=4``."""
    options = Options()
    for path, value in values.items():
        *owners, name = path.split("__")
        target = options
        for owner in owners:
            target = getattr(target, owner)
        setattr(target, name, value)
    return options


def _all(dataset):
    element = dataset.make_one_shot_iterator().get_next()
    out = []
    with gn.Session() as sess:
        try:
            while True:
                out.append(sess.run(element))
        except gn.errors.OutOfRangeError:
            return out


def test_defaults_are_none_with_sub_options_and_tfs_auto_shard():
    options = Options()
    assert options.experimental_deterministic is None and options.experimental_slack is None
    assert isinstance(options.experimental_optimization, gn.data.experimental.OptimizationOptions)
    assert isinstance(options.experimental_threading, gn.data.experimental.ThreadingOptions)
    assert isinstance(options.experimental_stats, gn.data.experimental.StatsOptions)
    assert isinstance(options.experimental_optimization.map_vectorization,
                      gn.data.experimental.MapVectorizationOptions)
    assert options.experimental_threading.private_threadpool_size is None
    assert options.experimental_threading.max_intra_op_parallelism is None
    assert options.experimental_optimization.map_parallelization is None
    assert options.experimental_distribute.auto_shard is True and options.experimental_distribute.num_devices is None
    assert options == Options() and not options != Options()


def test_setting_values_and_equality():
    options = _options(experimental_deterministic=False, experimental_threading__private_threadpool_size=4,
                       experimental_optimization__map_vectorization__enabled=True)
    assert options.experimental_deterministic is False
    assert options.experimental_threading.private_threadpool_size == 4
    assert options.experimental_optimization.map_vectorization.enabled is True
    assert options != Options() and options == _options(experimental_deterministic=False,
                                                         experimental_threading__private_threadpool_size=4,
                                                         experimental_optimization__map_vectorization__enabled=True)
    options.experimental_deterministic = None
    assert options.experimental_deterministic is None


@pytest.mark.parametrize("owner, name", [(lambda o: o, "foo"), (lambda o: o.experimental_optimization, "foo"),
                                         (lambda o: o.experimental_threading, "threads")])
def test_unknown_names_are_tfs_attribute_error(owner, name):
    target = owner(Options())
    with pytest.raises(AttributeError) as info:
        setattr(target, name, 1)
    assert str(info.value) == f"Cannot set the property {name} on {type(target).__name__}."
    with pytest.raises(AttributeError):
        getattr(target, name)


@pytest.mark.parametrize("path, value, kind", [
    ("experimental_deterministic", 1, "<class 'bool'>"),
    ("experimental_threading__private_threadpool_size", 1.5, "<class 'int'>"),
    ("experimental_stats__prefix", b"x", "<class 'str'>"),
    ("experimental_threading", 3, "<class 'gpunet.data._options.ThreadingOptions'>")])
def test_values_of_other_types_are_tfs_type_error(path, value, kind):
    name = path.split("__")[-1]
    with pytest.raises(TypeError) as info:
        _options(**{path: value})
    assert str(info.value) == f'Property "{name}" must be of type {kind}, got: {value!r} (type: {type(value)!r})'


def test_with_options_twice_merges_and_conflicting_values_are_tf_1_15s_value_error():
    first = Dataset.range(3).with_options(_options(experimental_deterministic=False))
    merged = first.with_options(_options(experimental_threading__private_threadpool_size=4)).options()
    assert merged.experimental_deterministic is False and merged.experimental_threading.private_threadpool_size == 4
    same = first.with_options(_options(experimental_deterministic=False)).options()
    assert same == _options(experimental_deterministic=False)
    with pytest.raises(ValueError) as info:
        first.with_options(_options(experimental_deterministic=True))
    assert str(info.value) == "Cannot merge incompatible values (False and True) of option: experimental_deterministic"
    deep = first.with_options(_options(experimental_optimization__map_fusion=True))
    with pytest.raises(ValueError, match=r"\(True and False\) of option: map_fusion"):
        deep.with_options(_options(experimental_optimization__map_fusion=False))


def test_options_pass_through_transformations_and_merge_from_every_input():
    a = Dataset.range(4).with_options(_options(experimental_deterministic=False))
    b = Dataset.range(4).with_options(_options(experimental_threading__max_intra_op_parallelism=1))
    for dataset in [a.map(lambda x: x + 1).batch(2).prefetch(1), a.shuffle(3).repeat(2).take(3).cache(),
                    a.concatenate(Dataset.range(2)).enumerate(),
                    a.interleave(lambda x: Dataset.from_tensors(x).repeat(2), 2)]:
        assert dataset.options() == _options(experimental_deterministic=False)
    for dataset in [Dataset.zip((a, b)), a.concatenate(b),
                    gn.data.experimental.choose_from_datasets([a, b], Dataset.range(2))]:
        merged = dataset.options()
        assert merged.experimental_deterministic is False
        assert merged.experimental_threading.max_intra_op_parallelism == 1
    conflicting = Dataset.range(2).with_options(_options(experimental_deterministic=True))
    with pytest.raises(ValueError, match="Cannot merge incompatible values"):
        Dataset.zip((a, conflicting)).options()
    assert Dataset.range(3).options() == Options()


def test_options_returned_are_a_copy():
    dataset = Dataset.range(3).with_options(_options(experimental_slack=True))
    dataset.options().experimental_slack = False
    assert dataset.options().experimental_slack is True


def test_with_options_of_a_non_options_is_a_type_error():
    with pytest.raises(TypeError, match="Incompatible options type: <class 'int'> vs <class "):
        Dataset.range(3).with_options(5)
    with pytest.raises(TypeError, match="Incompatible options type"):
        Options().merge(gn.data.experimental.ThreadingOptions())


@pytest.mark.parametrize("make", [lambda d: d, lambda d: d.batch(3), lambda d: d.shuffle(10, seed=1),
                                  lambda d: d.map(lambda x: x * 2, num_parallel_calls=3)])
def test_elements_are_the_inputs_and_stay_in_memory(make):
    values = np.arange(7, dtype=np.float32)
    options = _options(experimental_deterministic=False, experimental_optimization__map_parallelization=True)
    with_options = Dataset.from_tensor_slices(values).with_options(options)
    assert with_options._in_memory and with_options.output_types == gn.float32
    assert with_options.output_shapes.as_list() == []
    got, expected = _all(make(with_options)), _all(make(Dataset.from_tensor_slices(values)))
    assert len(got) == len(expected) and all(np.array_equal(g, e) for g, e in zip(got, expected))
