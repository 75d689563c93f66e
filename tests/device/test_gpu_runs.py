"""Session runs on GPUs: out of memory at a feed or under a pool limit, runs that wait for their GPUs,
traced runs with feeds, close() freeing device memory, the device mapping log.

Marked `gpu`: on a machine with GPUs they run on CuPy; elsewhere on the CuPy double (a model of CuPy,
not CuPy; tests/cupy_double).
"""
import gc
import logging
import re

import numpy as np
import pytest

import gpunet as gn
from gpunet.device.cupy_backend import CupyBackend
from tests.conftest import device_name, is_double

pytestmark = pytest.mark.gpu
GPU0 = device_name("/gpu:0")


def _limited(fraction):
    return gn.ConfigProto(gpu_options=gn.GPUOptions(per_process_gpu_memory_fraction=fraction))


def _doubled_feed(shape):
    with gn.device("/gpu:0"):
        x = gn.placeholder(gn.float32, shape, name="x")
        y = gn.multiply(x, 2.0, name="y")
    return x, y


def test_a_feed_bigger_than_gpu_memory_is_resource_exhausted(cupy_gpus, monkeypatch):
    """D6: the feed's transfer is inside the error mapping, naming the fed tensor and the device."""
    if not is_double(cupy_gpus):
        pytest.skip("a feed bigger than a real GPU's memory does not fit in host memory either")
    monkeypatch.setitem(cupy_gpus.CONFIG, "memory", 1 << 20)
    x, y = _doubled_feed([None])
    with gn.Session() as sess:
        with pytest.raises(gn.errors.ResourceExhaustedError) as info:
            sess.run(y, {x: np.ones(1 << 19, np.float32)})  # 2 MiB into 1 MiB
    message = str(info.value)
    assert message.startswith("out of memory: Out of memory allocating 2,097,152 bytes")
    assert message.endswith(f"[[feed of x:0 to {GPU0}]]") and info.value.op is x.op
    assert re.search(r"\(\d+ bytes in use by gpunet, \d+ reserved, no limit; device: \d+ of 1048576 bytes free\)",
                     message)


def test_a_feed_over_the_pool_limit_is_resource_exhausted(cupy_gpus):
    """D6 and D12 under per_process_gpu_memory_fraction, on any GPU: the message reports the pool."""
    total = cupy_gpus.cuda.runtime.memGetInfo()[1]
    fraction = 2 ** 20 / total    # a 1 MiB cap
    x, y = _doubled_feed([None])
    with gn.Session(config=_limited(fraction)) as sess:
        np.testing.assert_array_equal(sess.run(y, {x: np.ones(1000, np.float32)}), np.full(1000, 2.0, np.float32))
        with pytest.raises(gn.errors.ResourceExhaustedError) as info:
            sess.run(y, {x: np.ones(1 << 20, np.float32)})  # 4 MiB
    message = str(info.value)
    assert message.endswith(f"[[feed of x:0 to {GPU0}]]")
    limit = int(fraction * total)
    assert re.search(rf"bytes in use by gpunet, \d+ reserved, limit {limit}; device: \d+ of {total} bytes free",
                     message), message


def test_a_kernel_over_the_pool_limit_names_the_op(cupy_gpus):
    total = cupy_gpus.cuda.runtime.memGetInfo()[1]
    with gn.device("/gpu:0"):
        big = gn.tile(gn.ones([1024], gn.float32), [1024], name="big")  # 4 MiB from 4 KiB
    with gn.Session(config=_limited(2 ** 20 / total)) as sess:
        with pytest.raises(gn.errors.ResourceExhaustedError, match=re.escape(f"[[node big (Tile) on {GPU0}]]")):
            sess.run(big)


def test_a_fetch_failing_on_the_device_is_mapped(cupy_gpus, monkeypatch):
    """D6: errors that surface when a fetch is read back name the fetched tensor."""
    x, y = _doubled_feed([2])

    def fails(self, array):
        raise MemoryError("no host staging memory")
    monkeypatch.setattr(CupyBackend, "to_host", fails)
    with gn.Session() as sess:
        with pytest.raises(gn.errors.ResourceExhaustedError) as info:
            sess.run(y, {x: [1.0, 2.0]})
    assert str(info.value).endswith(f"[[fetch of y:0 from {GPU0}]]") and info.value.op is y.op


def _count_syncs(monkeypatch):
    synced = []
    original = CupyBackend.synchronize

    def counting(self):
        synced.append(self.name)
        original(self)
    monkeypatch.setattr(CupyBackend, "synchronize", counting)
    return synced


def test_a_run_of_ops_only_returns_after_its_gpus_finished(cupy_gpus, monkeypatch):
    """D7: sess.run(train_op) waits for every GPU the plan used (and only those)."""
    with gn.device("/gpu:0"):
        v = gn.Variable(np.zeros(3, np.float32), name="v")
        step = gn.assign_add(v, np.ones(3, np.float32))
    with gn.Session() as sess:
        sess.run(v.initializer)
        synced = _count_syncs(monkeypatch)
        sess.run(step.op)
        assert synced == [GPU0]
        np.testing.assert_array_equal(sess.run(v), np.ones(3, np.float32))


def test_cpu_only_runs_wait_for_no_gpu(cupy_gpus, monkeypatch):
    with gn.device("/cpu:0"):
        y = gn.constant(2.0) * 3.0
    synced = _count_syncs(monkeypatch)
    with gn.Session() as sess:
        assert sess.run(y) == 6.0
    assert synced == []


def test_a_traced_run_records_feeds_as_copies_and_times_each_gpu_step(cupy_gpus):
    """D14: the feed is synchronized and recorded before the first kernel."""
    x, y = _doubled_feed([3])
    with gn.device("/cpu:0"):
        z = gn.add(y, 1.0, name="z")
    options, metadata = gn.RunOptions(trace_level=gn.RunOptions.FULL_TRACE), gn.RunMetadata()
    with gn.Session() as sess:
        np.testing.assert_array_equal(sess.run(z, {x: [1.0, 2.0, 3.0]}, options=options, run_metadata=metadata),
                                      [3.0, 5.0, 7.0])
    events = [(s.node_name, s.op_type, s.device) for s in metadata.step_stats.node_stats]
    assert events[0] == ("feed x:0", "Copy", GPU0)
    assert ("y", "Mul", GPU0) in events and ("copy y:0 from /gpu:0", "Copy", device_name("/cpu:0")) in events
    trace = gn.timeline.Timeline(metadata.step_stats).generate_chrome_trace_format()
    assert '"name": "feed x:0"' in trace and '"cat": "Copy"' in trace


def test_close_frees_the_sessions_device_memory(cupy_gpus):
    """D19: variable buffers go back to the pool when the session closes."""
    pool = cupy_gpus.get_default_memory_pool()
    with gn.device("/gpu:0"):
        v = gn.Variable(np.ones(1 << 18, np.float32), name="v")  # 1 MiB
    sess = gn.Session()
    sess.run(v.initializer)
    gc.collect()
    with cupy_gpus.cuda.Device(0):
        held = pool.used_bytes()
    sess.close()
    gc.collect()
    with cupy_gpus.cuda.Device(0):
        assert held - pool.used_bytes() >= 1 << 20
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session"):
        sess.run(v)


def test_the_device_mapping_log_says_what_each_gpu_is(cupy_gpus, caplog):
    caplog.set_level(logging.INFO, logger="gpunet.placement")
    gn.Session(config=gn.ConfigProto(log_device_placement=True))
    lines = [r.getMessage() for r in caplog.records if r.name == "gpunet.placement.devices"]
    count = cupy_gpus.cuda.runtime.getDeviceCount()
    assert lines[0] == "Device mapping:" and len(lines) == 2 + count
    for i in range(count):
        assert re.fullmatch(rf"{re.escape(device_name(f'/gpu:{i}'))} -> CUDA device {i} \(.+\), CuPy kernels",
                            lines[2 + i])


def test_log_device_placement_on_a_gpu_prints_tf1_lines(cupy_gpus, caplog):
    caplog.set_level(logging.INFO, logger="gpunet.placement")
    a = gn.constant([[1.0, 2.0]], name="a")
    c = gn.matmul(a, gn.constant([[3.0], [4.0]], name="b"), name="c")
    with gn.Session(config=gn.ConfigProto(log_device_placement=True)) as sess:
        assert sess.run(c).tolist() == [[11.0]]
    lines = [r.getMessage() for r in caplog.records if r.name == "gpunet.placement"]
    assert lines[:3] == [f"c: (MatMul): {GPU0}", f"a: (Const): {GPU0}", f"b: (Const): {GPU0}"]


def test_an_asynchronous_fault_surfacing_at_the_final_wait_is_mapped(cupy_gpus, monkeypatch):
    """D7: a CUDA error reported when the run waits for its GPU is an InternalError of this run."""
    x, y = _doubled_feed([2])

    def fault(self):
        raise RuntimeError("cudaErrorIllegalAddress: an illegal memory access was encountered")
    monkeypatch.setattr(CupyBackend, "synchronize", fault)
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InternalError) as info:
            sess.run(y.op, {x: [1.0, 2.0]})
    assert str(info.value) == ("RuntimeError: cudaErrorIllegalAddress: an illegal memory access was encountered"
                               f"\n\t [[waiting for {GPU0} to finish the run]]")


def test_a_copy_to_a_gpu_over_the_pool_limit_names_the_copy(cupy_gpus, monkeypatch):
    total = cupy_gpus.cuda.runtime.memGetInfo()[1]
    with gn.device("/cpu:0"):
        a = gn.ones([1 << 20], gn.float32, name="a")  # 4 MiB on the host
    with gn.device("/gpu:0"):
        b = gn.multiply(a, 2.0, name="b")

    def unknown(self):
        raise RuntimeError("no memory figures")
    monkeypatch.setattr(CupyBackend, "memory_info", unknown)  # the error report survives that
    with gn.Session(config=_limited(2 ** 20 / total)) as sess:
        with pytest.raises(gn.errors.ResourceExhaustedError) as info:
            sess.run(b)
    message = str(info.value)
    assert message.startswith("out of memory: ") and "bytes in use" not in message
    assert message.endswith(f"[[copy of a:0 from {device_name('/cpu:0')} to {GPU0}]]")
