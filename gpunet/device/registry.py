"""The devices this process can use: CPU:0 always, real GPUs from CuPy, virtual GPUs on request.

The device set is fixed once the first session asks for it (``freeze``), with that session's GPU
options (which physical GPUs, the memory cap); asking to change the number of virtual GPUs or the
GPU options after that is an error, because placed plans and variables depend on them.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from .backends import NumpyBackend, VirtualGpuBackend, copy_between
from .cupy_backend import CupyBackend
from .options import GpuSettings
from .spec import canonical_name

__all__ = ["Device", "MAX_VIRTUAL_GPUS", "copy", "devices", "find", "freeze", "list_logical_devices",
           "list_physical_devices", "set_virtual_gpus"]

_log = logging.getLogger("gpunet.device")


@dataclass(frozen=True)
class Device:
    """One logical device: ``name`` is canonical, ``device_type`` is 'CPU' or 'GPU'."""

    name: str
    device_type: str
    index: int
    backend: object = field(compare=False, repr=False)
    virtual: bool = False

    @property
    def short_name(self) -> str:
        return f"/{self.device_type.lower()}:{self.index}"


_state = {"virtual_gpus": None, "devices": None, "physical": None, "frozen": False, "settings": GpuSettings(),
          "capped": []}


MAX_VIRTUAL_GPUS = 256  # more is a typo, and would build that many devices (and threads) at once


def set_virtual_gpus(n: int) -> None:
    """Make ``/gpu:0..n-1`` exist as virtual GPUs. Only before the first session."""
    if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= MAX_VIRTUAL_GPUS:
        raise ValueError(f"set_virtual_gpus expects an integer from 0 to {MAX_VIRTUAL_GPUS}, got {n!r:.100}")
    if _state["frozen"] and n != _virtual_gpu_count():
        raise RuntimeError(
            f"Virtual GPUs cannot be changed to {n} after the first session was created "
            f"(this process has {_virtual_gpu_count()}); call set_virtual_gpus before any Session.")
    if n != _state["virtual_gpus"]:
        _state["virtual_gpus"] = n
        _state["devices"] = None


def _virtual_gpu_count() -> int:
    if _state["virtual_gpus"] is not None:
        return _state["virtual_gpus"]
    text = os.environ.get("GPUNET_VIRTUAL_GPUS", "0").strip() or "0"
    try:
        count = int(text)
    except ValueError:
        count = -1
    if not 0 <= count <= MAX_VIRTUAL_GPUS:
        raise ValueError(f"GPUNET_VIRTUAL_GPUS must be an integer from 0 to {MAX_VIRTUAL_GPUS}, got {text!r:.100}")
    return count


def _real_gpus():
    """(cupy module or None, number of GPUs). Never raises: no CuPy/driver/device means zero."""
    if _state["physical"] is None:
        _state["physical"] = _probe_cupy()
    return _state["physical"]


def _probe_cupy():
    try:
        import cupy
    except ImportError:
        _log.info("gpunet: no GPUs: CuPy is not installed (pip install 'gpunet[gpu]')")
        return None, 0
    except Exception as exc:  # e.g. CUDA libraries missing: CuPy may fail with other errors
        _log.info("gpunet: no GPUs: CuPy could not be imported (%s: %s)", type(exc).__name__, exc)
        return None, 0
    try:
        if not cupy.is_available():
            _log.info("gpunet: no GPUs: CuPy found no usable CUDA driver or device")
            return None, 0
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # a broken driver must not break import or CPU use
        _log.info("gpunet: no GPUs: CuPy could not query devices (%s: %s)", type(exc).__name__, exc)
        return None, 0
    try:
        _run_tiny_kernels(cupy)
    except Exception as exc:  # e.g. no NVRTC or cuBLAS (CuPy without its [ctk] extra or a CUDA toolkit)
        _log.info("gpunet: no GPUs: a first CuPy kernel failed, so GPUs are unusable (%s: %s); "
                  "pip install 'gpunet[gpu]' installs CuPy with its CUDA libraries", type(exc).__name__, exc)
        return None, 0
    return cupy, count


def _run_tiny_kernels(cupy):
    """An elementwise kernel (compiled by NVRTC) and a matmul (cuBLAS) on GPU 0, read back."""
    with cupy.cuda.Device(0):
        a = cupy.ones((2, 2), dtype="float32")
        if (a @ a + 1).get().tolist() != [[3.0, 3.0], [3.0, 3.0]]:
            raise RuntimeError("1 @ 1 + 1 did not give 3")


def devices() -> list[Device]:
    """All logical devices, CPU:0 first, then GPUs by index."""
    if _state["devices"] is None:
        _state["devices"] = _build_devices()
    return _state["devices"]


def _build_devices() -> list[Device]:
    cupy, physical = _real_gpus()
    virtual = _virtual_gpu_count()
    ids = _state["settings"].physical_ids(physical)
    if ids:
        gpus = _cupy_gpus(cupy, ids, virtual)
    else:
        gpus = [Device(canonical_name("GPU", i), "GPU", i, VirtualGpuBackend(canonical_name("GPU", i)),
                       virtual=True) for i in range(virtual)]
    # with any GPU, host arrays and GPU arrays coexist: CPU kernels check what they are handed
    cpu = Device(canonical_name("CPU", 0), "CPU", 0, NumpyBackend(canonical_name("CPU", 0), strict=bool(gpus)))
    return [cpu] + gpus


def _cupy_gpus(cupy, ids, virtual):
    """One logical GPU per visible physical one, or ``virtual`` logical GPUs sharing them round robin."""
    count = virtual or len(ids)
    physical_of = [ids[i % len(ids)] for i in range(count)]
    gpus = [Device(canonical_name("GPU", i), "GPU", i,
                   CupyBackend(canonical_name("GPU", i), pid, cupy, shared=physical_of.count(pid) > 1),
                   virtual=bool(virtual)) for i, pid in enumerate(physical_of)]
    fraction = _state["settings"].memory_fraction
    if fraction:
        for gpu in {g.backend.physical_id: g for g in gpus}.values():
            gpu.backend.set_memory_limit(fraction)
            _state["capped"].append(gpu.backend)
    return gpus


def freeze(settings: GpuSettings | None = None) -> list[Device]:
    """Called by each session: the first one fixes the device set with its GPU ``settings``; a later
    one asking for other (non-default) settings is an error, since the GPUs are chosen already."""
    settings = settings or GpuSettings()
    if not _state["frozen"]:
        if settings != _state["settings"]:
            _state.update(settings=settings, devices=None)
        _state["frozen"] = True
    elif not settings.is_default and settings != _state["settings"]:
        raise ValueError(f"GPU options {settings} differ from those the first session fixed "
                         f"({_state['settings']}); GPU options are process-wide")
    return devices()


def find(device_type: str, index: int):
    for d in devices():
        if d.device_type == device_type and d.index == index:
            return d
    return None


def list_logical_devices(device_type=None) -> list[Device]:
    """The devices sessions place ops on (``/device:CPU:0``, ``/device:GPU:N``), optionally of one ``device_type``."""
    return [d for d in devices() if device_type is None or d.device_type == device_type.upper()]


def list_physical_devices(device_type=None) -> list[Device]:
    """The machine's CPU and real GPUs (virtual GPUs are not listed), optionally of one ``device_type``."""
    _, physical = _real_gpus()
    cpu = [Device("/physical_device:CPU:0", "CPU", 0, None)]
    gpus = [Device(f"/physical_device:GPU:{i}", "GPU", i, None) for i in range(physical)]
    return [d for d in cpu + gpus if device_type is None or d.device_type == device_type.upper()]


def copy(array, src: Device, dst: Device):
    """Copy an array between two devices (a plan's copy step counts it in the run's metadata)."""
    return copy_between(array, src.backend, dst.backend)


def _reset_for_tests(virtual_gpus=None):
    """Forget the device set and GPU options, lifting memory caps (tests only: a process fixes them once)."""
    for backend in _state["capped"]:
        backend.set_memory_limit(0)
    _state.update(virtual_gpus=virtual_gpus, devices=None, frozen=False, settings=GpuSettings(), capped=[])
