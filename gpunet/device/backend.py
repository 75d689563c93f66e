"""The one interface every array backend implements (NumPy on the CPU, virtual GPUs in host memory,
CuPy on real GPUs), its capability flags, and the ownership errors they share.

Code outside ``gpunet/device`` asks a backend what it *can* do (``backend.capabilities``), never
what *kind* it is.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np

__all__ = ["Backend", "Capabilities", "DeviceMismatchError", "MemoryInfo", "VirtualArray", "is_array",
           "is_device_array", "refuse", "where_it_lives"]


class DeviceMismatchError(RuntimeError):
    """A kernel was handed an array that lives on another device (a copy step is missing)."""


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do, as flags (instead of asking its kind)."""

    device_memory: bool = False   # arrays live outside host memory: ``to_host`` makes a fresh host buffer
    asynchronous: bool = False    # kernels may still run when a call returns; ``synchronize`` waits
    fused_kernels: bool = False   # runs hand-written CUDA ``ElementwiseKernel`` bodies (gpunet/ops/_cuda.py)
    allocation_unit: int = 1      # the allocator rounds every array's bytes up to a multiple of this

    def allocated_bytes(self, nbytes: int) -> int:
        """What an array of ``nbytes`` takes from this device's allocator."""
        return -(-nbytes // self.allocation_unit) * self.allocation_unit


@dataclass(frozen=True)
class MemoryInfo:
    """Memory of one device as gpunet sees it; ``None`` where a backend has no such figure."""

    used_bytes: int | None = None    # held by arrays gpunet allocated (CuPy: the pool's used bytes)
    pool_bytes: int | None = None    # reserved by the allocator, used or cached
    limit_bytes: int | None = None   # the pool limit (per_process_gpu_memory_fraction), None if unlimited
    free_bytes: int | None = None    # free on the whole device (all processes)
    total_bytes: int | None = None   # the device's memory

    def describe(self) -> str:
        """' (…)' for an out-of-memory message, or '' when nothing is known."""
        if self.used_bytes is None:
            return ""
        limit = "no limit" if self.limit_bytes is None else f"limit {self.limit_bytes}"
        return (f" ({self.used_bytes} bytes in use by gpunet, {self.pool_bytes} reserved, {limit}; "
                f"device: {self.free_bytes} of {self.total_bytes} bytes free)")


class Backend(abc.ABC):
    """One device's arrays and kernels. ``name`` is the device's canonical name, ``xp`` its array module."""

    name: str
    xp: object
    description: str
    capabilities: Capabilities

    @abc.abstractmethod
    def from_host(self, array):
        """A new array on this device holding the host (NumPy) ``array``."""

    @abc.abstractmethod
    def to_host(self, array):
        """The host (NumPy) value of this device's ``array``, complete (waits for pending work)."""

    @abc.abstractmethod
    def copy_from(self, array, src: Backend):
        """A copy on this device of ``array`` owned by backend ``src``: always a new buffer, ordered
        after the work ``src`` issued before."""

    def share(self, array, src: Backend):
        """``array``, a buffer of ``src``, made readable as this device's without moving its bytes (both
        keep arrays in host memory); None where the bytes must move (either side in device memory)."""
        return None

    @abc.abstractmethod
    def owns(self, array) -> bool:
        """Whether ``array`` is an array that lives on this device."""

    @abc.abstractmethod
    def wrap_kernel(self, fn):
        """What a kernel on this device runs inside: checks its inputs live here, makes the device
        current, and marks its results as this device's."""

    def context(self):
        """A context manager in which new arrays (constants at plan build) are made on this device."""
        return _NO_CONTEXT

    def synchronize(self) -> None:  # noqa: B027  (a default: host memory has nothing to wait for)
        """Wait until every kernel and copy issued to this device has finished."""

    def memory_info(self) -> MemoryInfo:
        return MemoryInfo()

    def release_cached_memory(self) -> None:
        """Give the memory this device's allocator keeps cached for reuse back to the device (a
        session's ``close``); arrays still in use keep theirs. Nothing to do in host memory."""
        return None

    def record_event(self):
        """A marker of the work issued to this device so far (``None``: nothing is ever pending)."""
        return None

    def wait_event(self, event) -> None:  # noqa: B027  (a default: host memory orders itself)
        """Make work issued to this device from now on wait for ``event`` (from ``record_event``)."""


class _NoContext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_NO_CONTEXT = _NoContext()


class VirtualArray:
    """A host or device array owned by one logical device (a virtual GPU, or one of several logical
    GPUs on one card); kernels elsewhere refuse it."""

    __slots__ = ("data", "owner")

    def __init__(self, data, owner):
        self.data = data
        self.owner = owner

    @property
    def nbytes(self):
        return self.data.nbytes

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    def __repr__(self):
        return f"VirtualArray(owner={self.owner!r}, {self.data!r})"


def is_device_array(value) -> bool:
    """A GPU array of any CUDA library (CuPy and its stand-ins expose ``__cuda_array_interface__``)."""
    return hasattr(value, "__cuda_array_interface__")


def is_array(value) -> bool:
    return isinstance(value, (np.ndarray, np.generic, VirtualArray)) or is_device_array(value)


def where_it_lives(array) -> str:
    if array.__class__ is VirtualArray:
        return array.owner
    if is_device_array(array):
        return f"CUDA device {array.data.device_id}"
    return "the host (CPU)"


def refuse(array, backend):
    """Pass through what is not an array; raise for an array that lives elsewhere, naming its owner."""
    if not is_array(array):
        return array
    raise DeviceMismatchError(
        f"a kernel on {backend.name} was handed an array that lives on {where_it_lives(array)}; "
        f"a copy step to {backend.name} is missing")
