"""One logical GPU through CuPy: its own CUDA stream, its arrays' ownership, ordered copies.

Every call runs with the GPU's ``cupy.cuda.Device`` and this backend's stream current. Several
logical GPUs on one card (``shared``) each get their own stream, and their arrays are tagged with
their owner, so a missing copy between two of them fails as it does between virtual GPUs. Copies
between streams are ordered with events: the destination waits for an event recorded on the source
stream, and the source waits for the copy before it may reuse the buffer.
"""
from __future__ import annotations

import threading

from .backend import Backend, Capabilities, MemoryInfo, VirtualArray, refuse
from .backends import tag

__all__ = ["CupyBackend"]


_making_streams = threading.Lock()
_entered = threading.local()   # .stack: the _Current contexts this thread is inside, innermost last


class _Current:
    """Enter the device, then the stream (both thread-local in CuPy, so one object serves all threads).
    The innermost one entered on a thread is what CuPy has current there: a kernel of its backend
    runs without entering it again (a plan enters it once per stretch of that device's steps)."""

    __slots__ = ("device", "stream")

    def __init__(self, device, stream):
        self.device, self.stream = device, stream

    def __enter__(self):
        self.device.__enter__()
        self.stream.__enter__()
        stack = getattr(_entered, "stack", None)
        if stack is None:
            stack = _entered.stack = []
        stack.append(self)
        return self

    def __exit__(self, *exc):
        _entered.stack.pop()
        self.stream.__exit__(*exc)
        self.device.__exit__(*exc)
        return False


def _is_current(current) -> bool:
    stack = getattr(_entered, "stack", None)
    return bool(stack) and stack[-1] is current


class CupyBackend(Backend):
    """Logical GPU ``name`` on CUDA device ``physical_id``; ``shared`` when other logical GPUs use it too."""

    # CuPy's memory pool rounds every allocation up to 512 bytes (seen on an H200: a 4-byte scalar
    # holds 512 bytes of the pool), so memory estimates count each array that way
    capabilities = Capabilities(device_memory=True, asynchronous=True, fused_kernels=True, allocation_unit=512)

    def __init__(self, name: str, physical_id: int, cupy_module, shared: bool = False):
        self.name = name
        self.physical_id = physical_id
        self.shared = shared
        self.xp = cupy_module
        self._device = cupy_module.cuda.Device(physical_id)
        self._current = None  # made on first use: creating a stream needs the CUDA context

    @property
    def description(self) -> str:
        try:
            name = self.xp.cuda.runtime.getDeviceProperties(self.physical_id)["name"].decode()
        except Exception:  # a description must never break logging
            name = "unknown name"
        stream = ", its own stream on a shared card" if self.shared else ""
        return f"CUDA device {self.physical_id} ({name}){stream}, CuPy kernels"

    @property
    def stream(self):
        return self.context().stream

    def context(self):
        if self._current is None:
            with _making_streams, self._device:  # one stream per backend, even when threads race here
                if self._current is None:
                    self._current = _Current(self._device, self.xp.cuda.Stream())
        return self._current

    # -- transfers ------------------------------------------------------------------------------
    def from_host(self, array):
        with self.context():
            return self._mine(self.xp.asarray(array))

    def to_host(self, array):
        data = array.data if array.__class__ is VirtualArray else array
        if not isinstance(data, self.xp.ndarray):
            return data
        with self.context():
            return self.xp.asnumpy(data)  # blocking: waits for this stream's work

    def copy_from(self, array, src):
        if not src.capabilities.device_memory:
            host = src.to_host(array)
            with self.context():
                return self._mine(self.xp.asarray(host))
        data = array.data if array.__class__ is VirtualArray else array
        if src.physical_id != self.physical_id and not data.flags.c_contiguous:
            with src.context():  # CuPy copies only contiguous arrays between cards (a C-order copy keeps
                data = data.copy()  # 0-d arrays 0-d, where ascontiguousarray would make them 1-d)
        self.wait_event(src.record_event())
        with self.context():
            out = data.copy() if src.physical_id == self.physical_id else self.xp.copy(data)
        src.wait_event(self.record_event())  # the source may reuse the buffer only after the copy read it
        return self._mine(out)

    def _mine(self, array):
        return VirtualArray(array, self.name) if self.shared else array

    # -- kernels --------------------------------------------------------------------------------
    def owns(self, array) -> bool:
        if self.shared:
            return array.__class__ is VirtualArray and array.owner == self.name
        return isinstance(array, self.xp.ndarray) and array.data.device_id == self.physical_id

    def wrap_kernel(self, fn):
        current, ndarray, physical_id, name = self.context(), self.xp.ndarray, self.physical_id, self.name
        if self.shared:
            def run_tagged(*args):
                data = [a.data if a.__class__ is VirtualArray and a.owner == name else refuse(a, self) for a in args]
                if _is_current(current):
                    return tag(fn(*data), name, ndarray)
                with current:
                    return tag(fn(*data), name, ndarray)
            return run_tagged

        def run(*args):
            for a in args:  # the cheap test first: the array's memory pointer's device id
                if a.__class__ is not ndarray or a.data.device_id != physical_id:
                    refuse(a, self)
            if _is_current(current):
                return fn(*args)
            with current:
                return fn(*args)
        return run

    # -- streams, memory --------------------------------------------------------------------------
    def synchronize(self):
        if self._current is not None:
            self._current.stream.synchronize()

    def record_event(self):
        with self.context():
            return self.stream.record()

    def wait_event(self, event):
        self.stream.wait_event(event)

    def memory_info(self) -> MemoryInfo:
        with self._device:
            pool = self.xp.get_default_memory_pool()
            free, total = self.xp.cuda.runtime.memGetInfo()
            return MemoryInfo(used_bytes=pool.used_bytes(), pool_bytes=pool.total_bytes(),
                              limit_bytes=pool.get_limit() or None, free_bytes=free, total_bytes=total)

    def release_cached_memory(self) -> None:
        """``free_all_blocks`` on this card's CuPy pool: the blocks of freed arrays go back to the device."""
        with self._device:
            self.xp.get_default_memory_pool().free_all_blocks()

    def set_memory_limit(self, fraction: float) -> None:
        """Cap CuPy's pool on this card at ``fraction`` of its memory (0: no cap)."""
        with self._device:
            self.xp.get_default_memory_pool().set_limit(fraction=fraction)
