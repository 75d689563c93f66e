"""TF1's map_with_legacy_function and filter_with_legacy_function give what map and filter give."""
import numpy as np
import pytest

import gpunet as gn


def _values(dataset):
    next_element = dataset.make_one_shot_iterator().get_next()
    out = []
    with gn.Session() as sess:
        try:
            while True:
                out.append(sess.run(next_element))
        except gn.errors.OutOfRangeError:
            return out


@pytest.mark.parametrize("calls", [None, 2])
def test_map_with_legacy_function_is_map(calls):
    source = gn.data.Dataset.from_tensor_slices((np.arange(7, dtype=np.float32), np.arange(7)))
    legacy = source.map_with_legacy_function(lambda x, y: (x * 2.0, y + 1), num_parallel_calls=calls)
    plain = source.map(lambda x, y: (x * 2.0, y + 1), num_parallel_calls=calls)
    assert legacy.output_types == plain.output_types and legacy.output_shapes == plain.output_shapes
    assert [tuple(v) for v in _values(legacy)] == [(2.0 * i, i + 1) for i in range(7)]


def test_filter_with_legacy_function_is_filter():
    legacy = gn.data.Dataset.range(10).filter_with_legacy_function(lambda x: gn.equal(x % 3, 0))
    assert _values(legacy) == [0, 3, 6, 9]


def test_bad_parallel_calls_are_refused_as_by_map():
    with pytest.raises(ValueError, match=r"num_parallel_calls must be a positive int or AUTOTUNE \(-1\), got 0"):
        gn.data.Dataset.range(3).map_with_legacy_function(lambda x: x, num_parallel_calls=0)
