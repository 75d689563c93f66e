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
