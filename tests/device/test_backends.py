"""Array backends behind one interface, and the ownership check that makes missing copies fail loudly."""
import pathlib
import re

import numpy as np
import pytest

import gpunet as gn
from gpunet.device import Backend, Capabilities, DeviceMismatchError, MemoryInfo, VirtualArray
from gpunet.device.backends import NumpyBackend, VirtualGpuBackend, copy_between
from gpunet.device.cupy_backend import CupyBackend
from gpunet.graph import core_ops
from gpunet.graph.steps import CopyStep
from gpunet.graph.registry import KernelContext, get_op_def
from tests.conftest import no_gpu_only

HOST = np.arange(6, dtype=np.float32).reshape(2, 3)


@pytest.mark.parametrize("backend", [NumpyBackend("cpu"), VirtualGpuBackend("gpu0")], ids=["numpy", "virtual"])
def test_every_backend_offers_the_same_interface(backend):
    assert backend.xp is np
    on_device = backend.from_host(HOST)
    assert backend.owns(on_device)
    assert np.array_equal(backend.to_host(on_device), HOST)
    backend.synchronize()
    with backend.context():
        pass
    assert isinstance(backend, Backend)
    assert backend.capabilities == Capabilities(device_memory=False, asynchronous=False, fused_kernels=False)
    assert backend.memory_info() == MemoryInfo() and backend.memory_info().describe() == ""
    assert backend.record_event() is None
    backend.wait_event(None)  # nothing is ever pending in host memory


def test_the_cupy_backend_says_what_it_can_do():
    assert issubclass(CupyBackend, Backend)
    assert CupyBackend.capabilities == Capabilities(device_memory=True, asynchronous=True, fused_kernels=True,
                                                    allocation_unit=512)


@pytest.mark.parametrize("nbytes, unit, taken", [(0, 512, 0), (1, 512, 512), (512, 512, 512), (513, 512, 1024),
                                                 (4, 1, 4), (0, 1, 0)])
def test_an_allocator_takes_whole_units(nbytes, unit, taken):
    assert Capabilities(allocation_unit=unit).allocated_bytes(nbytes) == taken


def test_the_backend_interface_cannot_be_left_half_implemented():
    class Partial(Backend):
        def from_host(self, array):
            return array

    with pytest.raises(TypeError, match="abstract"):
        Partial()


KIND_TEST = (r"backend\.kind|(==|!=)\s*[\"'](cupy|numpy|virtual)[\"']"
             r"|[\"'](cupy|numpy|virtual)[\"']\s*(==|!=)")


def test_no_code_outside_gpunet_device_asks_a_backend_its_kind():
    """Capabilities and methods, never kind strings (dtype.kind is NumPy's and fine)."""
    root = pathlib.Path(gn.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if path.parent.name == "device":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(KIND_TEST, line):
                offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert offenders == []


def test_a_virtual_gpu_owns_a_private_copy_of_host_data():
    gpu = VirtualGpuBackend("gpu0")
    on_device = gpu.from_host(HOST)
    assert isinstance(on_device, VirtualArray) and on_device.owner == "gpu0"
    assert (on_device.shape, on_device.dtype, on_device.nbytes) == ((2, 3), np.float32, HOST.nbytes)
    assert not np.shares_memory(on_device.data, HOST)
    assert "owner='gpu0'" in repr(on_device)


@pytest.mark.parametrize("src, dst", [
    (VirtualGpuBackend("gpu0"), NumpyBackend("cpu")),
    (NumpyBackend("cpu"), VirtualGpuBackend("gpu0")),
    (VirtualGpuBackend("gpu0"), VirtualGpuBackend("gpu1")),
], ids=["gpu-to-cpu", "cpu-to-gpu", "gpu-to-gpu"])
def test_copy_from_another_device_never_shares_the_buffer(src, dst):
    array = src.from_host(HOST.copy())
    moved = dst.copy_from(array, src)
    assert dst.owns(moved) and np.array_equal(dst.to_host(moved), HOST)
    src.to_host(array)[0, 0] = 100.0  # an in-place update at the source after the copy...
    assert dst.to_host(moved)[0, 0] == 0.0  # ...is not seen at the destination


def test_only_arrays_cross_devices():
    slot = core_ops.VarSlot("w")
    with pytest.raises(DeviceMismatchError, match="cannot copy a VarSlot from cpu to gpu0: only arrays move "
                                                  "between devices"):
        copy_between(slot, NumpyBackend("cpu"), VirtualGpuBackend("gpu0"))


# -- ownership checks around kernels ------------------------------------------------------------
def _wrapped(backend):
    return backend.wrap_kernel(lambda a, b: a + b)


def test_virtual_gpu_kernel_gets_plain_arrays_and_tags_its_result():
    gpu = VirtualGpuBackend("gpu0")
    out = _wrapped(gpu)(gpu.from_host(HOST), gpu.from_host(HOST))
    assert isinstance(out, VirtualArray) and out.owner == "gpu0"
    assert np.array_equal(out.data, HOST * 2)


@pytest.mark.parametrize("foreign, where", [
    (VirtualArray(HOST, "gpu1"), "gpu1"),
    (HOST, "the host (CPU)"),
    (np.float32(1.0), "the host (CPU)"),
], ids=["other-gpu", "host-ndarray", "host-scalar"])
def test_virtual_gpu_kernel_refuses_arrays_it_does_not_own(foreign, where):
    gpu = VirtualGpuBackend("gpu0")
    with pytest.raises(DeviceMismatchError, match=re.escape(f"a kernel on gpu0 was handed an array that lives on "
                                                            f"{where}; a copy step to gpu0 is missing")):
        _wrapped(gpu)(gpu.from_host(HOST), foreign)


def test_non_array_inputs_such_as_variable_slots_pass_through():
    gpu = VirtualGpuBackend("gpu0")
    slot = core_ops.VarSlot("w")
    assert gpu.wrap_kernel(lambda s: s)(slot) is slot


def test_cpu_kernels_check_ownership_only_when_virtual_gpus_exist():
    strict, relaxed = NumpyBackend("cpu", strict=True), NumpyBackend("cpu")
    with pytest.raises(DeviceMismatchError, match="a kernel on cpu was handed an array that lives on gpu0"):
        _wrapped(strict)(HOST, VirtualArray(HOST, "gpu0"))
    assert np.array_equal(_wrapped(strict)(HOST, HOST), HOST * 2)
    assert relaxed.wrap_kernel(len) is len  # no wrapper at all


@no_gpu_only
def test_a_registered_kernel_on_a_virtual_gpu_refuses_foreign_arrays(vgpus):
    cpu, gpu0, gpu1 = gn.config.list_logical_devices()
    with gn.device("/gpu:1"):
        x = gn.placeholder(gn.float32, [2, 3])
        y = x + x
    ctx = KernelContext(y.op, gpu1, state=None)
    kernel = gpu1.backend.wrap_kernel(get_op_def(y.op.type).kernel_for("GPU")(ctx))
    own = gpu1.backend.from_host(HOST)
    assert np.array_equal(gpu1.backend.to_host(kernel(own, own)), HOST * 2)
    with pytest.raises(DeviceMismatchError, match="lives on /job:localhost/replica:0/task:0/device:GPU:0"):
        kernel(own, gpu0.backend.from_host(HOST))
    with pytest.raises(DeviceMismatchError, match="lives on the host"):
        kernel(own, HOST)
    cpu_kernel = cpu.backend.wrap_kernel(get_op_def(y.op.type).kernel_for("CPU")(KernelContext(y.op, cpu, None)))
    with pytest.raises(DeviceMismatchError, match="a kernel on /job:localhost/replica:0/task:0/device:CPU:0 was "
                                                  "handed an array that lives on .*GPU:1"):
        cpu_kernel(HOST, own)


@no_gpu_only
def test_a_plan_missing_a_copy_fails_naming_the_op_and_device(vgpus, monkeypatch):
    monkeypatch.setattr(CopyStep, "__call__", lambda self, array: array)  # the copy "forgets" to move
    with gn.device("/cpu:0"):
        a = gn.constant(HOST, name="a")
    with gn.device("/gpu:1"):
        b = gn.multiply(a, 2.0, name="b")
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InternalError) as info:
            sess.run(b)
    message = str(info.value)
    assert "a kernel on /job:localhost/replica:0/task:0/device:GPU:1 was handed an array that lives on the " \
           "host (CPU); a copy step to /job:localhost/replica:0/task:0/device:GPU:1 is missing" in message
    assert message.endswith("[[node b (Mul) on /job:localhost/replica:0/task:0/device:GPU:1]]")
    assert info.value.op is b.op
