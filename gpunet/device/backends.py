"""The host-memory backends — NumPy on the CPU and virtual GPUs — and the copy between any two
backends. The CuPy backend is in cupy_backend.py; the interface they all implement in backend.py.
"""
from __future__ import annotations

import numpy as np

from .backend import Backend, Capabilities, DeviceMismatchError, VirtualArray, refuse

__all__ = ["NumpyBackend", "VirtualGpuBackend", "copy_between", "nbytes", "tag"]


class NumpyBackend(Backend):
    """The CPU: host memory, NumPy kernels."""

    xp = np
    description = "host memory, NumPy kernels"
    capabilities = Capabilities()

    def __init__(self, name: str, strict: bool = False):
        self.name = name
        # strict: GPUs exist (virtual ones keep host arrays too), so CPU kernels check ownership
        self.strict = strict

    def from_host(self, array):
        return np.asarray(array)

    def to_host(self, array):
        return array

    def copy_from(self, array, src):
        host = src.to_host(array)
        return host if src.capabilities.device_memory else np.array(host)  # a virtual GPU's buffer is not ours

    def share(self, array, src):
        return _host_buffer(array, src)

    def owns(self, array) -> bool:
        return isinstance(array, (np.ndarray, np.generic))

    def wrap_kernel(self, fn):
        return _checked(fn, self) if self.strict else fn


class VirtualGpuBackend(Backend):
    """A GPU simulated in host memory: arrays are tagged with their owner and checked on use."""

    xp = np
    description = "virtual GPU in host memory (arrays owned by this device; copies counted)"
    capabilities = Capabilities()

    def __init__(self, name: str):
        self.name = name

    def from_host(self, array):
        return VirtualArray(np.array(array), self.name)

    def to_host(self, array):
        return array.data

    def copy_from(self, array, src):
        return self.from_host(src.to_host(array))  # from_host copies

    def share(self, array, src):
        host = _host_buffer(array, src)
        return None if host is None else VirtualArray(host, self.name)

    def owns(self, array) -> bool:
        return array.__class__ is VirtualArray and array.owner == self.name

    def wrap_kernel(self, fn):
        name = self.name

        def run(*args):
            data = [a.data if a.__class__ is VirtualArray and a.owner == name else refuse(a, self) for a in args]
            return tag(fn(*data), name, (np.ndarray, np.generic))

        return run


def tag(result, owner, array_types):
    """``result`` with its arrays of ``array_types`` marked as owned by ``owner``."""
    if result.__class__ is np.ndarray and np.ndarray in array_types:  # the common case, first
        return VirtualArray(result, owner)
    if isinstance(result, tuple):
        return tuple(tag(r, owner, array_types) for r in result)
    if isinstance(result, array_types):
        return VirtualArray(np.asarray(result) if isinstance(result, np.generic) else result, owner)
    return result  # None, Python objects (py_func handles, variable slots)


def _checked(fn, backend):
    owns = backend.owns

    def run(*args):
        for a in args:
            if a.__class__ is not np.ndarray and not owns(a):
                refuse(a, backend)
        return fn(*args)

    return run


def _host_buffer(array, src):
    """``array``'s host buffer where ``src`` keeps arrays in host memory; None for device memory, and for
    what is not an array (``copy_between`` refuses that)."""
    if src.capabilities.device_memory or not hasattr(array, "nbytes"):
        return None
    return np.asarray(src.to_host(array))


def copy_between(array, src, dst):
    """Copy ``array`` from backend ``src`` to backend ``dst`` (always a new buffer on ``dst``)."""
    if not hasattr(array, "nbytes"):
        raise DeviceMismatchError(
            f"cannot copy a {type(array).__name__} from {src.name} to {dst.name}: only arrays move "
            f"between devices (a variable's ops must be colocated with it)")
    return dst.copy_from(array, src)


def nbytes(array) -> int:
    return int(getattr(array, "nbytes", 0))
