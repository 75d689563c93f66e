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
