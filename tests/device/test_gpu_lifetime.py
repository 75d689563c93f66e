"""A session's device memory and device contexts on GPUs: close() gives the memory of its buffers
back to the device (D19), and a run makes each GPU current once per stretch of steps on it rather
than once per op (D18).

Marked `gpu`: on a machine with GPUs they run on CuPy; elsewhere on the CuPy double (a model of CuPy,
not CuPy; tests/cupy_double).
"""
import gc

import numpy as np
import pytest

import gpunet as gn
from tests.conftest import is_double

pytestmark = pytest.mark.gpu


def test_close_gives_the_cached_blocks_back_to_the_device(cupy_gpus):
    """D19: CuPy's pool keeps freed blocks cached; close() frees them on the devices the session used."""
    pool = cupy_gpus.get_default_memory_pool()
    with gn.device("/gpu:0"):
        v = gn.Variable(np.ones(1 << 18, np.float32), name="v")  # 1 MiB
        doubled = v * 2.0
    sess = gn.Session()
    sess.run(v.initializer)
    assert sess.run(doubled)[:3].tolist() == [2.0, 2.0, 2.0]
    gc.collect()
    with cupy_gpus.cuda.Device(0):
        held = pool.total_bytes()
    sess.close()
    gc.collect()
    with cupy_gpus.cuda.Device(0):
        assert held - pool.total_bytes() >= 1 << 20   # not merely back in the pool's cache
        if is_double(cupy_gpus):
            assert pool.total_bytes() == pool.used_bytes()


def test_close_of_a_cpu_session_touches_no_gpu_pool(cupy_gpus):
    pool = cupy_gpus.get_default_memory_pool()
    with cupy_gpus.cuda.Device(0):
        cached = cupy_gpus.asarray(np.ones(1 << 16, np.float32))
        del cached
        before = pool.total_bytes()
    with gn.device("/cpu:0"):
        y = gn.constant([1.0, 2.0]) * 3.0
    with gn.Session() as sess:
        assert sess.run(y).tolist() == [3.0, 6.0]
    with cupy_gpus.cuda.Device(0):
        assert pool.total_bytes() == before   # this session ran nothing on GPU:0
        pool.free_all_blocks()


def _chain(n, device):
    with gn.device(device):
        x = gn.placeholder(gn.float32, [3], name="x")
        y = x
        for _ in range(n):
            y = y * 1.5 + 1.0
    return x, y


def _device_enters_of_a_run(cupy, sess, fetch, feeds):
    sess.run(fetch, feeds)   # the plan is built (kernels compiled, streams made) by the first run
    before = cupy.STATS["device_enters"]
    result = sess.run(fetch, feeds)
    return cupy.STATS["device_enters"] - before, result


@pytest.mark.parametrize("n_ops", [5, 60])
def test_a_run_makes_its_gpu_current_once_not_once_per_op(cupy_gpus, n_ops):
    """D18: a plan enters a device (and its stream) once per stretch of its steps; the kernels then
    find it current. Counted with the double's Device.__enter__ (a count CuPy does not offer)."""
    if not is_double(cupy_gpus):
        pytest.skip("counts device entries with the CuPy double")
    x, y = _chain(n_ops, "/gpu:0")
    values = np.array([1.0, 2.0, -3.0], np.float32)
    expected = values.copy()
    for _ in range(n_ops):
        expected = expected * np.float32(1.5) + np.float32(1.0)
    with gn.Session() as sess:
        enters, result = _device_enters_of_a_run(cupy_gpus, sess, y, {x: values})
    np.testing.assert_allclose(result, expected, rtol=1e-6)
    # the feed, the stretch of 2 * n_ops kernels, the fetch and the wait at the end of the run
    assert enters == 3


def test_logical_gpus_on_one_card_alternating_run_each_on_its_own_stream(cupy_gpus):
    """Stretches of /gpu:0 and /gpu:1 on one card alternate: each stretch enters its own logical
    GPU's stream, so each kernel runs on its GPU's stream and every copy between them is ordered."""
    gn.config.set_virtual_gpus(2)
    config = gn.ConfigProto(gpu_options=gn.GPUOptions(visible_device_list="0"))
    with gn.device("/gpu:0"):
        x = gn.placeholder(gn.float32, [4], name="x")
    y = x
    for k in range(6):
        with gn.device(f"/gpu:{k % 2}"):
            y = gn.multiply(y, 2.0, name=f"m{k}")
    values = np.arange(4, dtype=np.float32)
    with gn.Session(config=config) as sess:
        np.testing.assert_array_equal(sess.run(y, {x: values}), values * 64.0)
        gpu0, gpu1 = [d.backend for d in sess.list_devices()[1:]]
        if is_double(cupy_gpus):
            kernels0 = [e for e in gpu0.stream.log if e[0] == "kernel"]
            kernels1 = [e for e in gpu1.stream.log if e[0] == "kernel"]
            assert len(kernels0) >= 3 and len(kernels1) >= 3


def test_fused_kernels_compile_at_plan_build_not_in_the_first_traced_run(cupy_gpus):
    """D14: CuPy compiles an ElementwiseKernel at its first call with a signature; the plan build
    makes that call (on one-element arrays), so the first traced run charges no compile to an op.
    Counted with the double's compile count (it models compiling per device and signature)."""
    if not is_double(cupy_gpus):
        pytest.skip("counts compiles with the CuPy double")
    with gn.device("/gpu:0"):
        x = gn.placeholder(gn.float32, [2, 3], name="x")
        v = gn.Variable(np.zeros([2, 3], np.float32), name="v")
        loss = gn.reduce_sum(gn.sigmoid(x * v))
        train = gn.train.AdamOptimizer(0.1).minimize(loss)
        init = gn.global_variables_initializer()
    values = np.ones([2, 3], np.float32)
    with gn.Session() as sess:
        sess.run(init)
        metadata = gn.RunMetadata()
        sess._plan((train,), (x,))  # the plan of the traced run, built (and its kernels compiled) first
        before = cupy_gpus.STATS["compiles"]
        sess.run(train, {x: values}, options=gn.RunOptions(trace_level=gn.RunOptions.FULL_TRACE),
                 run_metadata=metadata)
        assert cupy_gpus.STATS["compiles"] == before
        assert {s.op_type for s in metadata.step_stats.node_stats} >= {"Sigmoid", "SigmoidGrad", "ApplyAdam"}
        np.testing.assert_array_less(sess.run(v), 0.0)   # one Adam step moved v by -lr
