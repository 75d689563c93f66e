"""The CuPy double itself (tests/cupy_double: a model of CuPy on NumPy, NOT CuPy) refuses what CuPy
refuses; the GPU tests are only as strict as these rules. Each rule is from CuPy 14.2's source."""
import re

import numpy as np
import pytest

from tests import cupy_double as cp

HOST = np.arange(6, dtype=np.float32).reshape(2, 3)


@pytest.fixture(autouse=True)
def two_small_gpus(monkeypatch):
    monkeypatch.setitem(cp.CONFIG, "devices", 2)
    monkeypatch.setitem(cp.CONFIG, "memory", 1 << 16)


def test_device_arrays_refuse_implicit_host_conversion():
    a = cp.asarray(HOST)
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(a)
    with pytest.raises(TypeError, match="Unsupported type"):
        HOST + a  # NumPy hands its ufunc to CuPy's, which refuses the host operand
    np.testing.assert_array_equal(a.get(), HOST)
    np.testing.assert_array_equal(cp.asnumpy(a), HOST)


def test_kernels_refuse_host_arrays_but_take_scalars():
    a = cp.asarray(HOST)
    for call in (lambda: a + HOST, lambda: cp.add(a, HOST), lambda: cp.take(a, np.array([0]))):
        with pytest.raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>"):
            call()
    np.testing.assert_array_equal((a * np.float32(2) + 1.0).get(), HOST * 2 + 1)


def test_kernels_refuse_arrays_of_another_device():
    a = cp.asarray(HOST)
    with cp.cuda.Device(1), pytest.raises(ValueError, match=re.escape(
            "The device where the array resides (0) is different from the current device (1)")):
        a + 1.0


def test_copies_between_devices_only_of_contiguous_arrays():
    a = cp.asarray(HOST)
    with cp.cuda.Device(1):
        with pytest.raises(NotImplementedError, match="CuPy cannot copy non-contiguous array between devices"):
            cp.copy(a[:, 1:])
        moved = cp.copy(a)
        assert moved.data.device_id == 1 and moved.device == cp.cuda.Device(1)
        np.testing.assert_array_equal(cp.asarray(a).get(), HOST)  # asarray of another device's array copies


def test_take_and_scatter_add_wrap_out_of_range_indices():
    a = cp.asarray(np.array([10.0, 20.0, 30.0], np.float32))
    assert cp.take(a, cp.asarray(np.array([4, -1]))).get().tolist() == [20.0, 30.0]
    cp.add.at(a, cp.asarray(np.array([3])), cp.asarray(np.array([1.0], np.float32)))
    assert a.get().tolist() == [11.0, 20.0, 30.0]


def test_reductions_give_0_d_device_arrays():
    total = cp.asarray(HOST).sum()
    assert isinstance(total, cp.ndarray) and total.shape == () and float(total) == 15.0
    assert isinstance(cp.count_nonzero(cp.asarray(HOST)), cp.ndarray)


def test_memory_is_accounted_per_device_and_limited():
    pool = cp.get_default_memory_pool()
    base = pool.used_bytes()
    a = cp.asarray(np.zeros(1024, np.float32))
    assert pool.used_bytes() == base + 4096
    del a
    assert pool.used_bytes() == base
    with pytest.raises(cp.cuda.memory.OutOfMemoryError, match="Out of memory allocating 131,072 bytes") as info:
        cp.asarray(np.zeros(1 << 15, np.float32))   # 128 KiB on a 64 KiB device
    assert isinstance(info.value, MemoryError)
    pool.set_limit(size=1024)
    try:
        with pytest.raises(MemoryError, match="limit set to: 1,024 bytes"):
            cp.asarray(np.zeros(512, np.float32))
        assert pool.get_limit() == 1024 and cp.cuda.runtime.memGetInfo()[1] == 1 << 16
    finally:
        pool.set_limit(size=0)


def test_streams_log_their_work_and_catch_unordered_reads():
    with cp.cuda.Device(0):
        first, second = cp.cuda.Stream(), cp.cuda.Stream()
        with first:
            a = cp.asarray(HOST) * 2.0
        with second, pytest.raises(AssertionError, match="without waiting for an event recorded after it"):
            a + 1.0
        second.wait_event(first.record())
        with second:
            np.testing.assert_array_equal((a + 1.0).get(), HOST * 2 + 1)
    assert [entry[0] for entry in first.log] == ["copy", "kernel", "record"]
    assert [entry[0] for entry in second.log] == ["wait", "kernel", "copy", "sync"]


def test_a_stream_of_another_device_cannot_be_made_current():
    with cp.cuda.Device(1):
        stream = cp.cuda.Stream()
    with pytest.raises(cp.cuda.runtime.CUDARuntimeError, match="a stream of device 1 used while device 0"):
        with stream:
            pass


def test_elementwise_kernels_check_their_call_and_run_a_fallback_body():
    kernel = cp.ElementwiseKernel("T x, T y", "T z", "z = x * y + 1", name="double_fma")
    a = cp.asarray(HOST)
    with pytest.raises(NotImplementedError, match="no fallback body for kernel 'double_fma'"):
        kernel(a, a)
    cp.register_fallback("double_fma", lambda ins, outs: ins["x"] * ins["y"] + 1.0)
    np.testing.assert_array_equal(kernel(a, a).get(), HOST * HOST + 1)
    with pytest.raises(TypeError, match="Wrong number of arguments for 'double_fma'"):
        kernel(a)
    with pytest.raises(TypeError, match="Type is mismatched"):
        kernel(a, cp.asarray(HOST.astype(np.float64)))


def test_installing_the_double_is_explicit():
    assert cp.__version__.endswith("+double")
    assert "it is not cupy" in " ".join(cp.__doc__.lower().split())


# -- cupy.random, fmod, sorting (cupy/random/_generator_api.pyx, _bit_generator.pyx; cupy/_math/arithmetic.py;
#    cupy/_sorting/sort.py) ---------------------------------------------------------------------------------
@pytest.fixture
def roomy_gpus(monkeypatch):
    monkeypatch.setitem(cp.CONFIG, "memory", 1 << 24)   # a generator's state alone takes 1.5 MiB


def test_a_generator_draws_on_its_device_only_and_holds_its_state_there(roomy_gpus):
    pool = cp.get_default_memory_pool()
    with cp.cuda.Device(1):
        before = pool.used_bytes()
        rng = cp.random.default_rng(7)
        assert pool.used_bytes() == before + cp.random.STATE_BYTES == before + 1_572_864
        draw = rng.random((2, 3), dtype=np.float32)
        assert isinstance(draw, cp.ndarray) and draw.data.device_id == 1 and draw.dtype == np.float32
    with pytest.raises(RuntimeError, match="This Generator state is allocated in a different device"):
        rng.random(3)


def test_generator_dtype_rules(roomy_gpus):
    rng = cp.random.default_rng(1)
    assert rng.random(4, dtype=np.float16).dtype == np.float16   # drawn as float32, then cast
    assert rng.random(4).dtype == np.float64 and rng.random().shape == ()
    assert rng.standard_normal((2, 2), dtype=np.float32).dtype == np.float32
    with pytest.raises(TypeError, match="Unsupported dtype float16 for standard_normal"):
        rng.standard_normal(3, dtype=np.float16)
    values = rng.integers(-3.0, 5.0, (1000,), dtype=np.int8).get()   # bounds through int()
    assert values.dtype == np.int8 and values.min() == -3 and values.max() == 4
    with pytest.raises(ValueError, match="low >= high"):
        rng.integers(5, 5, 3)
    with pytest.raises(ValueError, match="high is out of bounds for uint8"):
        rng.integers(0, 300, 3, dtype=np.uint8)
    with pytest.raises(ValueError, match="low is out of bounds for uint8"):
        rng.integers(-1, 3, 3, dtype=np.uint8)


def test_draws_on_two_streams_must_be_ordered(roomy_gpus):
    rng = cp.random.default_rng(3)    # its state was written on the null stream: blocking streams wait for it
    first, second = cp.cuda.Stream(), cp.cuda.Stream()
    with first:
        rng.random(3)
    with second, pytest.raises(AssertionError, match="without waiting for an event recorded after it"):
        rng.random(3)   # the state was last advanced on `first`
    second.wait_event(first.record())
    with second:
        assert rng.random(3).shape == (3,)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8])
def test_fmod_of_integers_goes_through_double_and_gives_0_for_a_zero_divisor(dtype):
    x, y = np.array([7, -7, 9, 5], dtype) if dtype != np.uint8 else np.array([7, 8, 9, 5], dtype), \
        np.array([2, 2, -4, 0], dtype) if dtype != np.uint8 else np.array([2, 3, 4, 0], dtype)
    got = cp.fmod(cp.asarray(x), cp.asarray(y)).get()
    with np.errstate(divide="ignore"):
        assert got.dtype == np.dtype(dtype) and got.tolist() == np.where(y == 0, 0, np.fmod(x, y)).tolist()
    big = cp.asarray(np.array([2 ** 53 + 1], np.int64))
    assert cp.fmod(big, cp.asarray(np.array([2], np.int64))).get().tolist() == [0]   # 2**53 + 1 rounds to 2**53


def test_fmod_of_floats_is_cs_fmod():
    x, y = np.array([5.5, -5.5, 1.0], np.float32), np.array([2.0, 2.0, 0.0], np.float32)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(cp.fmod(cp.asarray(x), cp.asarray(y)).get(), np.fmod(x, y))


def test_sorts_are_stable_and_take_no_other_kind():
    keys = cp.asarray(np.array([[1, 0, 1, 0, 1, 0, 1, 0] * 4], np.float32))
    expected = np.argsort(keys.get(), kind="stable")
    np.testing.assert_array_equal(cp.argsort(keys).get(), expected)
    np.testing.assert_array_equal(keys.argsort(axis=-1).get(), expected)
    np.testing.assert_array_equal(cp.argsort(keys, kind="stable").get(), expected)
    for call in (lambda: cp.argsort(keys, kind="quicksort"), lambda: keys.argsort(kind="heapsort"),
                 lambda: cp.sort(keys, kind="quicksort")):
        with pytest.raises(ValueError, match="kind can only be None or 'stable'"):
            call()
    picked = cp.take_along_axis(keys, cp.argsort(keys)[:, :2], axis=-1)
    assert picked.get().tolist() == [[0.0, 0.0]]


def test_the_pool_caches_freed_blocks_until_free_all_blocks():
    pool = cp.get_default_memory_pool()
    pool.free_all_blocks()
    a = cp.asarray(np.zeros(1024, np.float32))
    used, total = pool.used_bytes(), pool.total_bytes()
    del a
    assert pool.used_bytes() == used - 4096 and pool.total_bytes() == total   # cached, not given back
    assert cp.cuda.runtime.memGetInfo()[0] == (1 << 16) - total
    b = cp.asarray(np.zeros(512, np.float32))   # served from the cache
    assert pool.total_bytes() == total
    del b
    pool.free_all_blocks()
    assert pool.total_bytes() == pool.used_bytes() == used - 4096
    big = cp.asarray(np.zeros(1 << 13, np.float32))   # 32 KiB of a 64 KiB device: the cache is freed first
    del big
