"""A count or size of a Dataset transformation that is no integer is a TypeError naming the argument, as in
TF1: ``batch(2.5)`` is not a batch of 2, ``take("3")`` not a take of 3."""
import numpy as np
import pytest

import gpunet as gn

D = gn.data.Dataset


def _elements(dataset):
    next_element = dataset.make_one_shot_iterator().get_next()
    got = []
    with gn.Session() as sess:
        try:
            while True:
                got.append(sess.run(next_element).tolist())
        except gn.errors.OutOfRangeError:
            return got


TRANSFORMS = {  # the transformation given its argument, the argument's name in the message
    "batch": (lambda ds, v: ds.batch(v), "batch_size"),
    "padded_batch": (lambda ds, v: ds.padded_batch(v, padded_shapes=[]), "batch_size"),
    "shuffle": (lambda ds, v: ds.shuffle(v), "buffer_size"),
    "repeat": (lambda ds, v: ds.repeat(v), "count"),
    "take": (lambda ds, v: ds.take(v), "count"),
    "skip": (lambda ds, v: ds.skip(v), "count"),
}


@pytest.mark.parametrize("value", [2.5, 2.0, "2", b"2", None, np.array([2.0])], ids=repr)
@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_a_count_that_is_no_integer_is_a_type_error(name, value):
    transform, what = TRANSFORMS[name]
    if value is None and name == "repeat":
        pytest.skip("repeat(None) repeats for ever, as in TF1")
    with pytest.raises(TypeError) as info:
        transform(D.range(5), value)
    assert str(info.value) == f"{what} must be an integer, got {value!r} of type {type(value).__name__}"


@pytest.mark.parametrize("name, want", [
    ("batch", [[0, 1], [2, 3], [4]]), ("padded_batch", [[0, 1], [2, 3], [4]]), ("repeat", [0, 1, 2, 3, 4] * 2),
    ("take", [0, 1]), ("skip", [2, 3, 4]),
])
@pytest.mark.parametrize("value", [2, np.int64(2), np.int32(2)], ids=repr)
def test_python_and_numpy_integers_are_counts(name, want, value):
    transform, _ = TRANSFORMS[name]
    assert _elements(transform(D.range(5), value)) == want
