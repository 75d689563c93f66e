"""Random ops: distributions, dtypes, and TF1 seeding (graph seed + op seed): reproducible on every
device; the same numbers on the CPU and virtual GPUs, a CuPy GPU's own stream (cupy.random)."""
import numpy as np
import pytest

import gpunet as gn
from gpunet.device import find


def _draw(device, build, seed_graph=None):
    gn.reset_default_graph()
    if seed_graph is not None:
        gn.set_random_seed(seed_graph)
    with gn.device(device):
        t = build()
    with gn.Session() as sess:
        return sess.run(t), sess.run(t)


@pytest.mark.parametrize("build, mean, std, check", [
    (lambda: gn.random_normal([20000], mean=1.0, stddev=2.0), 1.0, 2.0, None),
    (lambda: gn.random_uniform([20000], -1.0, 3.0), 1.0, 4 / np.sqrt(12), lambda v: (v >= -1).all() and (v < 3).all()),
    (lambda: gn.truncated_normal([20000], stddev=1.0), 0.0, 0.8796, lambda v: (abs(v) <= 2).all()),
], ids=["normal", "uniform", "truncated"])
def test_distribution_moments(device, build, mean, std, check):
    first, _ = _draw(device, build, seed_graph=1)
    assert first.dtype == np.float32 and first.shape == (20000,)
    assert abs(first.mean() - mean) < 0.05 and abs(first.std() - std) < 0.05
    if check:
        assert check(first)


def test_graph_seed_makes_runs_reproducible_across_sessions_and_devices(vgpus):
    build = lambda: gn.random_normal([5])  # noqa: E731
    cpu_a, cpu_b = _draw("/cpu:0", build, seed_graph=42)
    again_a, _ = _draw("/cpu:0", build, seed_graph=42)
    gpu_a, gpu_b = _draw("/gpu:1", build, seed_graph=42)
    gpu_again, _ = _draw("/gpu:1", build, seed_graph=42)
    np.testing.assert_array_equal(cpu_a, again_a)   # same seed, new session: same sequence
    np.testing.assert_array_equal(gpu_a, gpu_again)
    assert not np.array_equal(cpu_a, cpu_b)         # successive runs differ
    assert not np.array_equal(gpu_a, gpu_b)
    # host-memory GPUs draw with the session's NumPy generator: the CPU's numbers; a CuPy GPU draws
    # its own stream on the device, seeded from the same seeds (documented in random_ops)
    same_stream = find("GPU", 1).backend.xp is np
    assert np.array_equal(cpu_a, gpu_a) == same_stream and np.array_equal(cpu_b, gpu_b) == same_stream


def test_op_seed_alone_is_reproducible_and_distinct_seeds_differ():
    a, _ = _draw("/cpu:0", lambda: gn.random_uniform([4], seed=7))
    b, _ = _draw("/cpu:0", lambda: gn.random_uniform([4], seed=7))
    c, _ = _draw("/cpu:0", lambda: gn.random_uniform([4], seed=8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_two_ops_under_one_graph_seed_differ():
    gn.set_random_seed(3)
    a, b = gn.random_normal([4]), gn.random_normal([4])
    with gn.Session() as sess:
        va, vb = sess.run([a, b])
    assert not np.array_equal(va, vb)


def test_float64_and_integer_uniform():
    gn.set_random_seed(0)
    d = gn.random_normal([3], dtype=gn.float64)
    i = gn.random_uniform([1000], 0, 10, dtype=gn.int32)
    with gn.Session() as sess:
        vd, vi = sess.run([d, i])
    assert vd.dtype == np.float64 and vi.dtype == np.int32
    assert vi.min() >= 0 and vi.max() <= 9 and len(set(vi.tolist())) == 10


def test_unknown_shape_and_integer_without_maxval_are_rejected():
    with pytest.raises(ValueError, match="fully defined shape"):
        gn.random_normal([None, 3])
    with pytest.raises(ValueError, match="Must specify maxval for integer dtype int32"):
        gn.random_uniform([3], dtype=gn.int32)


@pytest.mark.parametrize("dtype", [gn.int32, gn.int64])
@pytest.mark.parametrize("minval, maxval", [(-3, 3), (-7, -2), (0, 5)])
def test_integer_uniform_is_uniform_over_every_value_on_each_device(minval, maxval, dtype, device):
    """Chi-square of the counts of each value: with a fixed seed the draw is fixed, and the bound
    (~p=1e-6 for a fair die) sits far below what a skewed draw gives (a value never drawn alone adds n/k)."""
    n, k = 60000, maxval - minval
    with gn.device(device):
        draws = gn.random_uniform([n], minval, maxval, dtype=dtype, seed=11)
    with gn.Session() as sess:
        values = sess.run(draws)
    assert values.dtype == dtype.np and values.min() >= minval and values.max() < maxval
    counts = np.bincount(values - minval, minlength=k)
    chi_square = float(((counts - n / k) ** 2 / (n / k)).sum())
    assert len(counts) == k and chi_square < 35, (counts.tolist(), chi_square)


def test_integer_draws_ask_the_generator_for_non_negative_ranges_only():
    """CuPy's generator draws unsigned offsets; the kernel hands every backend [0, span) and adds minval."""
    from gpunet.ops.random_ops import XpRandom

    class NonNegativeOnly:
        def __init__(self):
            self.rng = np.random.default_rng(0)

        def integers(self, low, high, size, dtype):
            assert 0 <= low < high, (low, high)
            return self.rng.integers(low, high, size, dtype=dtype)

    values = XpRandom(NonNegativeOnly(), np).uniform(-4.0, 2.0, (6000,), np.int32)
    assert values.dtype == np.int32 and sorted(set(values.tolist())) == [-4, -3, -2, -1, 0, 1]
