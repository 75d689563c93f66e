"""Copies on GPUs: CPU <-> GPU, between physical GPUs (non-contiguous views too), between logical GPUs
sharing one card (each with its own stream), ordered by events; missing copies fail naming the owner.

Marked `gpu`: on a machine with GPUs they run on CuPy; elsewhere on the CuPy double (a model of CuPy,
not CuPy; tests/cupy_double), which refuses what CuPy refuses and checks stream order.
"""
import re
import types

import numpy as np
import pytest

import gpunet as gn
from gpunet.device import DeviceMismatchError, VirtualArray
from gpunet.device.cupy_backend import CupyBackend
from gpunet.graph.steps import CopyStep
from tests.conftest import device_name, is_double

pytestmark = pytest.mark.gpu

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
READS = {  # a view made on /gpu:0 and read on /gpu:1; all but the first are non-contiguous
    "rows": lambda x: x[1:],
    "columns": lambda x: x[:, 1:],
    "strided": lambda x: x[:, ::2, 1::2],
    "transposed": lambda x: gn.transpose(x, [2, 0, 1]),
    "split-axis-1": lambda x: gn.split(x, 3, axis=1)[1],
}


def _slice_on_gpu0_read_on_gpu1(make_view):
    with gn.device("/gpu:0"):
        x = gn.placeholder(gn.float32, X.shape, name="x")
        view = make_view(x)
    with gn.device("/gpu:1"):
        y = gn.multiply(view, 2.0, name="y")
    with gn.Session() as sess:
        return sess.run(y, {x: X}), sess.placement_report(y, {x: X})


def _two_physical_gpus(cupy):
    if cupy.cuda.runtime.getDeviceCount() < 2:
        pytest.skip("needs two physical GPUs")


@pytest.mark.parametrize("view", READS, ids=list(READS))
def test_a_view_made_on_gpu0_reads_on_gpu1(cupy_gpus, view):
    """D2: CuPy copies only contiguous arrays between cards; the copy makes the view contiguous first."""
    _two_physical_gpus(cupy_gpus)
    expected = gn.Session().run(READS[view](gn.constant(X)) * 2.0)
    got, _ = _slice_on_gpu0_read_on_gpu1(READS[view])
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("view", READS, ids=list(READS))
def test_a_view_made_on_gpu0_reads_on_gpu1_of_virtual_gpus(vgpus, view):
    expected = gn.Session().run(READS[view](gn.constant(X)) * 2.0)
    got, _ = _slice_on_gpu0_read_on_gpu1(READS[view])
    np.testing.assert_array_equal(got, expected)


def test_cpu_to_gpu_and_back_copies_are_counted(cupy_gpus):
    with gn.device("/cpu:0"):
        a = gn.constant(X, name="a")
    with gn.device("/gpu:0"):
        b = gn.multiply(a, 3.0, name="b")
    with gn.device("/cpu:0"):
        c = gn.add(b, 1.0, name="c")
    meta = gn.RunMetadata()
    with gn.Session() as sess:
        np.testing.assert_array_equal(sess.run(c, run_metadata=meta), X * 3.0 + 1.0)
    assert (meta.copy_stats.count, meta.copy_stats.bytes) == (2, 2 * X.nbytes)


def _shared_card(config_kwargs=None):
    """Two logical GPUs on physical GPU 0."""
    gn.config.set_virtual_gpus(2)
    return gn.ConfigProto(gpu_options=gn.GPUOptions(visible_device_list="0"), **(config_kwargs or {}))


def test_logical_gpus_on_one_card_each_have_their_own_stream(cupy_gpus):
    with gn.Session(config=_shared_card()) as sess:
        gpu0, gpu1 = [d.backend for d in sess.list_devices()[1:]]
    assert (gpu0.physical_id, gpu1.physical_id, gpu0.shared, gpu1.shared) == (0, 0, True, True)
    assert gpu0.stream is not gpu1.stream
    assert "its own stream on a shared card" in gpu0.description


def test_a_copy_between_logical_gpus_on_one_card_moves_the_value(cupy_gpus):
    config = _shared_card()
    with gn.device("/gpu:0"):
        a = gn.constant(X, name="a") * 2.0
    with gn.device("/gpu:1"):
        b = gn.reduce_sum(a[:, 1:], axis=2, name="b")
    meta = gn.RunMetadata()
    with gn.Session(config=config) as sess:
        np.testing.assert_array_equal(sess.run(b, run_metadata=meta), (X * 2.0)[:, 1:].sum(axis=2))
    assert meta.copy_stats.count == 1


def test_a_missing_copy_between_logical_gpus_on_one_card_fails(cupy_gpus, monkeypatch):
    """D9: ownership is per logical GPU, so a forgotten copy fails as between virtual GPUs."""
    config = _shared_card()
    monkeypatch.setattr(CopyStep, "__call__", lambda self, array: array)  # the copy "forgets" to move
    with gn.device("/gpu:0"):
        a = gn.constant(X, name="a") * 2.0
    with gn.device("/gpu:1"):
        b = gn.multiply(a, 2.0, name="b")
    with gn.Session(config=config) as sess:
        with pytest.raises(gn.errors.InternalError) as info:
            sess.run(b)
    gpu0, gpu1 = device_name("/gpu:0"), device_name("/gpu:1")
    assert str(info.value) == (f"a kernel on {gpu1} was handed an array that lives on {gpu0}; a copy step to "
                               f"{gpu1} is missing\n\t [[node b (Mul) on {gpu1}]]")


def test_a_missing_copy_between_physical_gpus_names_the_owner(cupy_gpus, monkeypatch):
    """D13: the message says where the array lives and which copy is missing."""
    _two_physical_gpus(cupy_gpus)
    monkeypatch.setattr(CopyStep, "__call__", lambda self, array: array)
    with gn.device("/gpu:0"):
        a = gn.constant(X, name="a") * 2.0
    with gn.device("/gpu:1"):
        b = gn.multiply(a, 2.0, name="b")
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InternalError, match=f"a kernel on {device_name('/gpu:1')} was handed an array "
                                                          f"that lives on CUDA device 0; a copy step to "
                                                          f"{device_name('/gpu:1')} is missing"):
            sess.run(b)


@pytest.mark.parametrize("foreign", ["host-ndarray", "host-scalar-array", "virtual"])
def test_a_gpu_kernel_refuses_host_arrays_naming_the_host(cupy_gpus, foreign):
    backend = CupyBackend("gpu0", 0, cupy_gpus)
    value = {"host-ndarray": X, "host-scalar-array": np.asarray(1.0, np.float32),
             "virtual": VirtualArray(X, "gpu7")}[foreign]
    where = "gpu7" if foreign == "virtual" else "the host (CPU)"
    with pytest.raises(DeviceMismatchError, match=re.escape(f"a kernel on gpu0 was handed an array that lives on "
                                                            f"{where}; a copy step to gpu0 is missing")):
        backend.wrap_kernel(lambda a, b: a + b)(backend.from_host(X), value)
    assert backend.wrap_kernel(lambda a, s: a * s)(backend.from_host(X), 2.0) is not None  # Python scalars pass


def test_copies_between_streams_wait_for_an_event_of_the_source(cupy_gpus):
    """Item 5: the destination stream waits on an event recorded on the source stream before the copy,
    and the source waits for the copy before reusing the buffer (the double records both)."""
    if not is_double(cupy_gpus):
        pytest.skip("stream logs exist only in the CuPy double")
    pairs = [(CupyBackend("g0", 0, cupy_gpus, shared=True), CupyBackend("g1", 0, cupy_gpus, shared=True))]
    if cupy_gpus.cuda.runtime.getDeviceCount() > 1:
        pairs.append((CupyBackend("g0", 0, cupy_gpus), CupyBackend("g1", 1, cupy_gpus)))
    for src, dst in pairs:
        produced = src.wrap_kernel(lambda a: a * 2.0)(src.from_host(X))
        moved = dst.copy_from(produced, src)
        np.testing.assert_array_equal(dst.to_host(moved), X * 2.0)
        waits = [i for i, entry in enumerate(dst.stream.log) if entry[0] == "wait"]
        copies = [i for i, entry in enumerate(dst.stream.log) if entry[0] == "copy"]
        ready = dst.stream.log[waits[0]][1]
        written = (produced.data if isinstance(produced, VirtualArray) else produced)._writer
        assert ready.stream is src.stream and written == (src.stream, ready.seq)
        assert waits[0] < copies[-1]
        assert any(entry[0] == "wait" and entry[1].stream is dst.stream for entry in src.stream.log)


def test_a_copy_without_the_event_would_be_a_race_the_double_catches(cupy_gpus, monkeypatch):
    if not is_double(cupy_gpus):
        pytest.skip("the race check is the CuPy double's")
    src, dst = CupyBackend("g0", 0, cupy_gpus, shared=True), CupyBackend("g1", 0, cupy_gpus, shared=True)
    produced = src.wrap_kernel(lambda a: a * 2.0)(src.from_host(X))
    monkeypatch.setattr(type(dst.stream), "wait_event", lambda self, event: None)
    with pytest.raises(AssertionError, match="without waiting for an event recorded after it"):
        dst.copy_from(produced, src)


def test_ownership_is_per_logical_gpu_on_a_shared_card_and_per_card_otherwise(cupy_gpus):
    own, other = CupyBackend("g0", 0, cupy_gpus, shared=True), CupyBackend("g1", 0, cupy_gpus, shared=True)
    mine = own.from_host(X)
    assert isinstance(mine, VirtualArray) and own.owns(mine) and not other.owns(mine)
    card = CupyBackend("g0", 0, cupy_gpus)
    on_card = card.from_host(X)
    assert card.owns(on_card) and not card.owns(X) and not card.owns(mine)
    assert not own.owns(on_card)  # an untagged array belongs to no logical GPU of a shared card


def test_a_description_survives_a_failing_device_query(cupy_gpus):
    backend = CupyBackend("g0", 0, cupy_gpus)
    assert re.fullmatch(r"CUDA device 0 \(.+\), CuPy kernels", backend.description)

    def broken(device):
        raise RuntimeError("driver gone")
    backend.xp = types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(
        getDeviceProperties=broken)))
    assert backend.description == "CUDA device 0 (unknown name), CuPy kernels"


def test_the_per_kernel_ownership_check_reads_the_memory_pointer_only(cupy_gpus, monkeypatch):
    """D18: no ``Device`` object is built per array per kernel (``a.device``); ``a.data.device_id`` is read."""
    if not is_double(cupy_gpus):
        pytest.skip("CuPy's ndarray.device cannot be patched")

    def no_device(array):
        raise AssertionError("ndarray.device used on the per-kernel path")
    monkeypatch.setattr(cupy_gpus.ndarray, "device", property(no_device))
    with gn.device("/gpu:0"):
        x = gn.placeholder(gn.float32, [3], name="x")
        y = gn.reduce_sum(x * x + 1.0)
    with gn.Session() as sess:
        assert sess.run(y, {x: [1.0, 2.0, 3.0]}) == 17.0
