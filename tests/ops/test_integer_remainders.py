"""Integer quotients and remainders are exact over the whole int64 range on every device. CuPy's
``fmod`` kernel computes integer remainders through double (``fmod((double)in0, (double)in1)``,
cupy/_math/arithmetic.py), which rounds values beyond 2**53; the CuPy double models that, so a
TruncateMod written as ``xp.fmod`` fails here on the gpu params."""
import numpy as np
import pytest

import gpunet as gn

BIG = 2 ** 53


def test_int64_division_and_remainders_are_exact_beyond_2_to_the_53(device):
    dtype = "int64"
    xs = np.array([BIG + 1, -(BIG + 3), 2 ** 62 + 7, 9], dtype)
    ys = np.array([2, 4, -(2 ** 40 + 1), -4], dtype)
    with gn.device(device):
        x, y = gn.placeholder(dtype, [4]), gn.placeholder(dtype, [4])
        fetches = [gn.truncatemod(x, y), gn.truncatediv(x, y), gn.floormod(x, y), gn.floordiv(x, y)]
    with gn.Session() as sess:
        got = sess.run(fetches, {x: xs, y: ys})
    exact = [[int(a) - int(b) * _c_quotient(int(a), int(b)) for a, b in zip(xs, ys)],
             [_c_quotient(int(a), int(b)) for a, b in zip(xs, ys)],
             [int(a) % int(b) for a, b in zip(xs, ys)], [int(a) // int(b) for a, b in zip(xs, ys)]]
    for name, g, e in zip(["truncatemod", "truncatediv", "floormod", "floordiv"], got, exact):
        assert g.dtype == np.dtype(dtype), name
        assert g.tolist() == e, name


def _c_quotient(a, b):
    """C's integer division: the quotient rounded towards zero."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


@pytest.mark.parametrize("dtype", ["int8", "int32", "uint8"])
def test_truncatemod_has_the_sign_of_x_with_broadcasting(device, dtype):
    xs = np.array([[7, -7, 0, -128 if dtype == "int8" else -9]], dtype) if dtype != "uint8" else \
        np.array([[7, 250, 0, 9]], dtype)
    ys = np.array([[3], [-2], [1]], dtype) if dtype != "uint8" else np.array([[3], [2], [1]], dtype)
    with gn.device(device):
        x, y = gn.placeholder(dtype, [1, 4]), gn.placeholder(dtype, [3, 1])
        result = gn.truncatemod(x, y)
    with gn.Session() as sess:
        got = sess.run(result, {x: xs, y: ys})
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, np.fmod(xs, ys))
