"""The device registry: CPU:0 always, real GPUs from CuPy (probed safely), virtual GPUs, counted copies."""
import importlib.abc
import importlib.util
import itertools
import logging
import os
import pathlib
import subprocess
import sys
import types

import numpy as np
import pytest

import gpunet as gn
from gpunet.device import VirtualArray, copy, registry
from gpunet.device.backends import VirtualGpuBackend
from gpunet.device.cupy_backend import CupyBackend
from tests.conftest import no_gpu_only

ROOT = pathlib.Path(__file__).resolve().parents[2]
LOCAL = "/job:localhost/replica:0/task:0"


@no_gpu_only
def test_cpu0_always_exists_and_comes_first():
    devices = gn.config.list_logical_devices()
    assert [(d.name, d.device_type, d.index) for d in devices] == [(f"{LOCAL}/device:CPU:0", "CPU", 0)]
    assert gn.config.list_logical_devices("GPU") == []
    assert gn.config.list_logical_devices("cpu") == devices
    assert devices[0].short_name == "/cpu:0"


@no_gpu_only
def test_physical_devices_without_gpus_are_the_host_cpu():
    physical = gn.config.list_physical_devices()
    assert [(d.name, d.device_type) for d in physical] == [("/physical_device:CPU:0", "CPU")]
    assert gn.config.list_physical_devices("GPU") == []


@no_gpu_only
def test_virtual_gpus_exist_after_set_virtual_gpus():
    gn.config.set_virtual_gpus(3)
    gpus = gn.config.list_logical_devices("GPU")
    assert [d.name for d in gpus] == [f"{LOCAL}/device:GPU:{i}" for i in range(3)]
    assert all(d.virtual and isinstance(d.backend, VirtualGpuBackend) for d in gpus)
    assert [d.short_name for d in gpus] == ["/gpu:0", "/gpu:1", "/gpu:2"]
    assert gn.config.list_physical_devices("GPU") == []  # virtual GPUs are logical only


def test_virtual_gpus_from_the_environment(monkeypatch):
    monkeypatch.setenv("GPUNET_VIRTUAL_GPUS", "2")
    registry._reset_for_tests(None)  # nothing set in code: the environment decides
    assert [d.index for d in gn.config.list_logical_devices("GPU")] == [0, 1]


@pytest.mark.parametrize("text", ["two", "-1", "1.5", "abc", str(10 ** 9), "257"])
def test_a_bad_environment_value_is_a_clear_error(monkeypatch, text):
    monkeypatch.setenv("GPUNET_VIRTUAL_GPUS", text)
    registry._reset_for_tests(None)
    with pytest.raises(ValueError, match=f"GPUNET_VIRTUAL_GPUS must be an integer from 0 to 256, got '{text}'"):
        gn.config.list_logical_devices()


@pytest.mark.parametrize("n", [-1, 1.5, True, "2", 10 ** 9, 257])
def test_set_virtual_gpus_rejects_non_counts(n):
    with pytest.raises(ValueError, match=f"set_virtual_gpus expects an integer from 0 to 256, got {n!r}"):
        gn.config.set_virtual_gpus(n)


def test_the_device_set_is_fixed_once_a_session_exists():
    gn.config.set_virtual_gpus(2)
    gn.Session()
    gn.config.set_virtual_gpus(2)  # the same number is fine
    with pytest.raises(RuntimeError, match=r"Virtual GPUs cannot be changed to 4 after the first session was "
                                           r"created \(this process has 2\); call set_virtual_gpus before any "
                                           r"Session\."):
        gn.config.set_virtual_gpus(4)
    assert len(gn.config.list_logical_devices("GPU")) == 2


def test_the_environment_is_read_once_the_set_is_fixed(monkeypatch):
    gn.config.set_virtual_gpus(1)
    gn.Session()
    monkeypatch.setenv("GPUNET_VIRTUAL_GPUS", "3")
    assert len(gn.config.list_logical_devices("GPU")) == 1


# -- probing CuPy -------------------------------------------------------------------------------
@pytest.fixture
def probe(monkeypatch, caplog):
    """Forget the cached CuPy probe so the next device query probes again; capture its log."""
    monkeypatch.setitem(registry._state, "physical", None)
    monkeypatch.setitem(registry._state, "devices", None)
    caplog.set_level(logging.INFO, logger="gpunet.device")

    def records():
        return [r for r in caplog.records if r.name == "gpunet.device"]
    return records


def _fake_cupy(available=True, count=2, raises=None, kernel_error=None):
    module = types.ModuleType("cupy")

    def is_available():
        if raises is not None:
            raise raises
        return available

    class Device:
        def __init__(self, index):
            self.id = index

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def ones(shape, dtype):
        raise kernel_error

    module.is_available = is_available
    module.ones = ones
    module.ndarray = type("ndarray", (), {})
    module.cuda = types.SimpleNamespace(Device=Device, runtime=types.SimpleNamespace(getDeviceCount=lambda: count))
    return module


class _BrokenCupyImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Importing cupy fails with a non-ImportError, as a CuPy without its CUDA libraries can."""

    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_loader(name, self) if name == "cupy" else None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        raise RuntimeError("libcudart.so.12: cannot open shared object file")


@pytest.mark.parametrize("setup, reason", [
    (lambda mp: mp.setitem(sys.modules, "cupy", None), "CuPy is not installed"),
    (lambda mp: mp.setitem(sys.modules, "cupy", _fake_cupy(available=False)),
     "CuPy found no usable CUDA driver or device"),
    (lambda mp: mp.setitem(sys.modules, "cupy", _fake_cupy(raises=RuntimeError("cudaErrorNoDevice"))),
     "CuPy could not query devices (RuntimeError: cudaErrorNoDevice)"),
    (lambda mp: (mp.delitem(sys.modules, "cupy", raising=False),
                 mp.setattr(sys, "meta_path", [_BrokenCupyImport()] + sys.meta_path)),
     "CuPy could not be imported (RuntimeError: libcudart.so.12: cannot open shared object file)"),
], ids=["not-installed", "not-available", "query-raises", "import-raises"])
def test_cupy_without_a_usable_gpu_means_zero_gpus_and_one_info_line(monkeypatch, probe, setup, reason):
    setup(monkeypatch)
    assert gn.config.list_physical_devices("GPU") == []
    assert [d.device_type for d in gn.config.list_logical_devices()] == ["CPU"]
    gn.config.list_logical_devices()  # asking again does not probe (or log) again
    lines = probe()
    assert len(lines) == 1 and lines[0].levelno == logging.INFO
    assert lines[0].getMessage() == f"gpunet: no GPUs: {reason}" + (
        " (pip install 'gpunet[gpu]')" if reason == "CuPy is not installed" else "")


def test_cpu_work_runs_when_cupy_is_broken(monkeypatch, probe):
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(raises=OSError("driver crashed")))
    with gn.Session() as sess:
        assert sess.run(gn.constant(2.0) * 3.0) == 6.0
    assert len(probe()) == 1


def test_a_cupy_whose_first_kernel_fails_means_zero_gpus(monkeypatch, probe):
    """D1: a driver but no NVRTC/cuBLAS (CuPy without its [ctk] extra): detection must not say 'GPU'."""
    error = RuntimeError("Failed to find CUDA headers. pip install cupy-cuda12x[ctk]")
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(count=1, kernel_error=error))
    assert gn.config.list_physical_devices("GPU") == []
    assert [d.device_type for d in gn.config.list_logical_devices()] == ["CPU"]
    with gn.Session() as sess:
        assert sess.run(gn.constant(2.0) * 3.0) == 6.0
    [line] = probe()
    assert line.getMessage() == (
        "gpunet: no GPUs: a first CuPy kernel failed, so GPUs are unusable (RuntimeError: Failed to find CUDA "
        "headers. pip install cupy-cuda12x[ctk]); pip install 'gpunet[gpu]' installs CuPy with its CUDA libraries")


# cupy_gpus: real CuPy on a GPU machine, elsewhere the CuPy double (a model of CuPy, not CuPy)
@pytest.mark.gpu
def test_real_gpus_come_from_cupy(cupy_gpus, probe):
    count = cupy_gpus.cuda.runtime.getDeviceCount()
    assert [d.name for d in gn.config.list_physical_devices("GPU")] == [f"/physical_device:GPU:{i}"
                                                                        for i in range(count)]
    gpus = gn.config.list_logical_devices("GPU")
    assert [(d.name, d.virtual, type(d.backend), d.backend.physical_id, d.backend.shared) for d in gpus] == [
        (f"{LOCAL}/device:GPU:{i}", False, CupyBackend, i, False) for i in range(count)]
    assert probe() == []  # found GPUs: nothing to report


@pytest.mark.gpu
def test_virtual_gpus_with_real_ones_share_them_round_robin(cupy_gpus):
    count = cupy_gpus.cuda.runtime.getDeviceCount()
    gn.config.set_virtual_gpus(2 * count + 1)
    gpus = gn.config.list_logical_devices("GPU")
    assert [(d.index, d.virtual, d.backend.physical_id, d.backend.shared) for d in gpus] == [
        (i, True, i % count, True) for i in range(2 * count + 1)]
    assert len({id(d.backend.stream) for d in gpus}) == len(gpus)  # a stream of its own each


def _run_script(code):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("GPUNET_VIRTUAL_GPUS", None)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)


def test_import_gpunet_never_touches_cuda():
    code = """
import sys
class NoCupy:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'cupy':
            raise AssertionError('import gpunet imported ' + name)
sys.meta_path.insert(0, NoCupy())
import gpunet as gn
x = gn.placeholder(gn.float32, [2], name='x')
y = gn.reduce_sum(x * 2.0)
print('built', y.name)
"""
    result = _run_script(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "built Sum:0\n"


# -- copies -------------------------------------------------------------------------------------
@no_gpu_only
def test_copies_between_any_two_devices_move_the_value(vgpus):
    devices = gn.config.list_logical_devices()
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    for src, dst in itertools.permutations(devices, 2):
        array = src.backend.from_host(host)
        moved = copy(array, src, dst)
        assert dst.backend.owns(moved) and not src.backend.owns(moved)
        assert np.array_equal(dst.backend.to_host(moved), host)
        assert not np.shares_memory(dst.backend.to_host(moved), src.backend.to_host(array))
        assert moved.nbytes == host.nbytes


@no_gpu_only
def test_a_copy_to_a_virtual_gpu_is_owned_by_it(vgpus):
    cpu, gpu0, gpu1 = gn.config.list_logical_devices()
    moved = copy(np.ones(3, np.float32), cpu, gpu1)
    assert isinstance(moved, VirtualArray) and moved.owner == gpu1.name
    assert not gpu0.backend.owns(moved)
