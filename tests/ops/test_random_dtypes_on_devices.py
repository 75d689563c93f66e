"""Random ops and dropout in every dtype they take, on every device: the dtype, the shape and the range
of the draws, and reproducibility for one seed. On GPUs they draw with cupy.random (under the CuPy
double: CuPy's dtype rules for ``random``, ``standard_normal`` and ``integers``)."""
import numpy as np
import pytest

import gpunet as gn

FLOATS = ["float16", "float32", "float64"]


def _draws(device, build):
    gn.set_random_seed(11)
    with gn.device(device):
        tensor = build()
    with gn.Session() as sess:
        first = sess.run(tensor)
    with gn.Session() as sess:
        again = sess.run(tensor)
    np.testing.assert_array_equal(first, again)   # the same seeds draw the same values on one device
    return tensor, first


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_integer_uniform_draws_in_the_half_open_range(device, dtype):
    tensor, values = _draws(device, lambda: gn.random_uniform([40, 50], -3, 7, dtype=dtype, seed=1))
    assert values.dtype == np.dtype(dtype) and values.shape == (40, 50)
    assert values.min() == -3 and values.max() == 6 and len(np.unique(values)) == 10


@pytest.mark.parametrize("dtype", FLOATS)
def test_float_draws_keep_their_dtype(device, dtype):
    _, uniform = _draws(device, lambda: gn.random_uniform([2000], 2.0, 4.0, dtype=dtype, seed=2))
    _, normal = _draws(device, lambda: gn.random_normal([2000], 1.0, 0.5, dtype=dtype, seed=3))
    _, truncated = _draws(device, lambda: gn.truncated_normal([2000], dtype=dtype, seed=4))
    for values in (uniform, normal, truncated):
        assert values.dtype == np.dtype(dtype) and values.shape == (2000,)
    assert 2.0 <= uniform.min() and uniform.max() <= 4.0
    assert abs(float(normal.astype(np.float64).mean()) - 1.0) < 0.1
    assert np.abs(truncated).max() <= 2.0


@pytest.mark.parametrize("dtype", FLOATS)
def test_dropout_keeps_the_dtype_and_scales_the_kept_values(device, dtype):
    def build():
        x = gn.ones([50, 40], dtype=dtype)
        return gn.nn.dropout(x, rate=0.25, seed=5)
    _, values = _draws(device, build)
    assert values.dtype == np.dtype(dtype)
    kept = values[values != 0]
    np.testing.assert_allclose(kept, np.full(kept.shape, 1 / 0.75, dtype), rtol=1e-3)
    assert 0.6 < kept.size / values.size < 0.9


# -- shapes known only when the graph runs: tf.random_normal(tf.shape(x)) and friends ---------------
DYNAMIC_DRAWS = [
    pytest.param(lambda shape: gn.random_normal(shape, mean=5.0, seed=3), (-1.0, 11.0), id="normal"),  # 6 sigma
    pytest.param(lambda shape: gn.truncated_normal(shape, stddev=0.5, seed=3), (-1.0, 1.0), id="truncated"),
    pytest.param(lambda shape: gn.random_uniform(shape, 2.0, 3.0, seed=3), (2.0, 3.0), id="uniform"),
    pytest.param(lambda shape: gn.random_uniform(shape, 0, 4, dtype=gn.int32, seed=3), (0, 3), id="uniform-int"),
]
DYNAMIC_SHAPES = [
    pytest.param(lambda x, n: gn.shape(x), (5, 3), id="shape-of-x"),        # a function of shapes: on the host
    pytest.param(lambda x, n: [gn.shape(x)[0], 4], (5, 4), id="list-with-a-tensor"),
    pytest.param(lambda x, n: n, (2, 6), id="fed-shape"),                   # a value: read back each run
    pytest.param(lambda x, n: [0, gn.shape(x)[1]], (0, 3), id="empty"),
    pytest.param(lambda x, n: gn.constant([2, 2]), (2, 2), id="constant-tensor"),
]


@pytest.mark.parametrize("draw, bounds", DYNAMIC_DRAWS)
@pytest.mark.parametrize("shape_of, expected", DYNAMIC_SHAPES)
def test_random_draws_take_a_shape_known_only_at_run_time(device, draw, bounds, shape_of, expected):
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None, 3])
        n = gn.placeholder(gn.int32, [2])
        values = draw(shape_of(x, n))
    with gn.Session() as sess:
        got = sess.run(values, {x: np.zeros((5, 3), np.float32), n: [2, 6]})
    assert got.shape == expected and got.dtype == values.dtype.np
    assert values.shape.is_compatible_with(expected)
    if got.size:
        assert bounds[0] <= got.min() and got.max() <= bounds[1] and len(np.unique(got)) > 1


def test_a_run_time_shape_must_be_non_negative_and_integer(device):
    with gn.device(device):
        n = gn.placeholder(gn.int32, [2])
        values = gn.random_normal(n, name="noise")
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError, match=r"RandomStandardNormal: shape must be >= 0, got "
                                                                 r"\[-1, 2\]"):
            sess.run(values, {n: [-1, 2]})
    with pytest.raises(TypeError, match="random_normal: shape must be int32 or int64, got float32"):
        gn.random_normal(gn.constant([1.5, 2.0]))


def test_noise_of_a_run_time_shape_has_a_gradient_path_around_it(device):
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None, 3])
        y = x * 2.0 + gn.random_normal(gn.shape(x)) * 0.0
        [dx] = gn.gradients(gn.reduce_sum(y), [x])
    with gn.Session() as sess:
        got = sess.run(dx, {x: np.ones((4, 3), np.float32)})
    np.testing.assert_array_equal(got, np.full((4, 3), 2.0, np.float32))
