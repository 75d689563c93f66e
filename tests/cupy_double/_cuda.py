"""``cupy.cuda`` of the CuPy double (a model of CuPy, not CuPy): fake devices with a thread-local
current device, per-device memory pools with a limit, streams and events that record what ran on
them and check that work on one stream reads another stream's results only after waiting for them.
"""
from __future__ import annotations

import itertools
import threading
import weakref

_local = threading.local()
CONFIG = {"devices": 2, "memory": 1 << 28}   # the number of fake GPUs, bytes of memory each
STATS = {"syncs": 0, "h2d": 0, "d2h": 0, "d2d": 0, "kernels": 0, "device_enters": 0,
         "compiles": 0}


class CUDARuntimeError(RuntimeError):
    """As ``cupy.cuda.runtime.CUDARuntimeError``."""


class OutOfMemoryError(MemoryError):
    """As ``cupy.cuda.memory.OutOfMemoryError`` (a MemoryError), with CuPy's message."""

    def __init__(self, size, total, limit=0):
        limit_text = f", limit set to: {limit:,} bytes" if limit else ""
        super().__init__(f"Out of memory allocating {size:,} bytes (allocated so far: {total:,} bytes{limit_text}).")


def current_device() -> int:
    stack = getattr(_local, "devices", None)
    return stack[-1] if stack else 0


class Device:
    """``cupy.cuda.Device(i)``: a context manager making device ``i`` current (thread-local)."""

    def __init__(self, device=None):
        self.id = current_device() if device is None else int(device)
        if not 0 <= self.id < CONFIG["devices"]:
            raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")

    def __enter__(self):
        STATS["device_enters"] += 1
        if not hasattr(_local, "devices"):
            _local.devices = []
        _local.devices.append(self.id)
        return self

    def __exit__(self, *exc):
        _local.devices.pop()
        return False

    def use(self):
        if not hasattr(_local, "devices") or not _local.devices:
            _local.devices = [self.id]
        else:
            _local.devices[-1] = self.id

    def synchronize(self):
        STATS["syncs"] += 1
        for stream in _streams_of(self.id):
            stream.synced = stream.seq

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return self.id

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


# -- streams and events -------------------------------------------------------------------------
_all_streams = weakref.WeakSet()
_streams_by_ptr = weakref.WeakValueDictionary()
_stream_ids = itertools.count(1 << 40, 256)


def stream_of(ptr, device_id):
    """The stream whose handle is ``ptr`` (0: the null stream of ``device_id``)."""
    stream = _null_stream(device_id) if ptr == 0 else _streams_by_ptr.get(ptr)
    if stream is None or stream.device_id != device_id:
        raise CUDARuntimeError(f"cudaErrorInvalidResourceHandle: stream {ptr:#x} is not a stream of device {device_id}")
    return stream


def _streams_of(device_id):
    return [s for s in list(_all_streams) if s.device_id == device_id]


class Event:
    """A point in one stream's work (``stream.record()``)."""

    def __init__(self, stream=None, seq=0):
        self.stream, self.seq = stream, seq

    @property
    def done(self):
        return self.stream is None or self.stream.synced >= self.seq

    def synchronize(self):
        STATS["syncs"] += 1
        if self.stream is not None:
            self.stream.synced = max(self.stream.synced, self.seq)


class Stream:
    """A CUDA stream on the device current at creation. ``log`` lists what ran on it in order:
    ('kernel', name), ('copy', kind), ('record', event), ('wait', event), ('sync',)."""

    def __init__(self, null=False, non_blocking=False, ptr=None):
        self.device_id = current_device()
        self.null, self.non_blocking = null, non_blocking
        self.log, self.seq, self.synced, self.seen = [], 0, 0, {}
        self.ptr = 0 if null else next(_stream_ids)  # the legacy null stream's handle is 0, as in CUDA
        _all_streams.add(self)
        if not null:
            _streams_by_ptr[self.ptr] = self

    def __enter__(self):
        if self.device_id != current_device():
            raise CUDARuntimeError(f"cudaErrorInvalidResourceHandle: a stream of device {self.device_id} used "
                                   f"while device {current_device()} is current")
        _stream_stack(self.device_id).append(self)
        return self

    def __exit__(self, *exc):
        _stream_stack(self.device_id).pop()
        return False

    def launch(self, what) -> int:
        """Something runs on this stream; returns its sequence number."""
        self.seq += 1
        self.log.append(what)
        return self.seq

    def record(self, event=None):
        event = Event(self, self.seq)
        self.log.append(("record", event))
        return event

    def wait_event(self, event):
        if event.stream is not None and event.stream is not self:
            self.seen[event.stream] = max(self.seen.get(event.stream, 0), event.seq)
        self.log.append(("wait", event))

    def synchronize(self):
        STATS["syncs"] += 1
        self.synced = self.seq
        self.log.append(("sync",))

    def ordered_after(self, writer, seq) -> bool:
        """Whether work issued now on this stream runs after ``writer``'s work number ``seq``."""
        if writer is self or seq <= writer.synced or self.seen.get(writer, 0) >= seq:
            return True
        # the legacy null stream and blocking streams wait for each other (CUDA's default semantics)
        return (self.null and not writer.non_blocking) or (writer.null and not self.non_blocking)


def _stream_stack(device_id):
    if not hasattr(_local, "streams"):
        _local.streams = {}
    return _local.streams.setdefault(device_id, [])


_null_streams = {}


def get_current_stream(device_id=None):
    device_id = current_device() if device_id is None else device_id
    stack = _stream_stack(device_id)
    return stack[-1] if stack else _null_stream(device_id)


def _null_stream(device_id):
    if device_id not in _null_streams:
        with Device(device_id):
            _null_streams[device_id] = Stream(null=True)
    return _null_streams[device_id]


# -- memory ---------------------------------------------------------------------------------------
ALLOCATION_UNIT = 512


class MemoryPool:
    """CuPy's default pool as the double sees it, per device: bytes held by live arrays (``used``) and
    bytes of freed arrays the pool keeps for reuse (``cached``) until ``free_all_blocks``; a limit on
    both together. As CuPy's, it rounds every allocation up to whole 512-byte units (a 4-byte scalar
    holds 512 bytes; an empty array none). Simplified: cached bytes serve any size (CuPy reuses blocks
    by size bins), and an allocation over the cap first frees the cached blocks and retries, as CuPy
    does."""

    def __init__(self):
        self._used = {}
        self._cached = {}
        self._limit = {}

    def used_bytes(self):
        return self._used.get(current_device(), 0)

    def total_bytes(self):
        device = current_device()
        return self._used.get(device, 0) + self._cached.get(device, 0)

    def free_all_blocks(self, stream=None):
        self._cached[current_device()] = 0

    def set_limit(self, size=None, fraction=None):
        if fraction is not None:
            size = int(fraction * CONFIG["memory"])
        self._limit[current_device()] = size or 0

    def get_limit(self):
        return self._limit.get(current_device(), 0)

    def allocate(self, nbytes, owner):
        """Account ``nbytes`` for ``owner`` (an array) on the current device until it is collected."""
        nbytes = -(-nbytes // ALLOCATION_UNIT) * ALLOCATION_UNIT
        device = current_device()
        limit = self._limit.get(device, 0)
        cap = min(limit or CONFIG["memory"], CONFIG["memory"])
        if self.total_bytes() + max(nbytes - self._cached.get(device, 0), 0) > cap:
            self.free_all_blocks()
        used, cached = self._used.get(device, 0), self._cached.get(device, 0)
        reused = min(cached, nbytes)
        if used + cached + nbytes - reused > cap:
            raise OutOfMemoryError(nbytes, used + cached, limit)
        self._used[device], self._cached[device] = used + nbytes, cached - reused
        weakref.finalize(owner, self._release, device, nbytes)

    def _release(self, device, nbytes):
        self._used[device] -= nbytes
        self._cached[device] = self._cached.get(device, 0) + nbytes


POOL = MemoryPool()


class runtime:
    """``cupy.cuda.runtime``."""

    CUDARuntimeError = CUDARuntimeError

    @staticmethod
    def getDeviceCount():
        return CONFIG["devices"]

    @staticmethod
    def memGetInfo():
        total = CONFIG["memory"]
        return total - POOL.total_bytes(), total

    @staticmethod
    def getDeviceProperties(device):
        return {"name": b"CuPy double (not a GPU)", "totalGlobalMem": CONFIG["memory"]}

    @staticmethod
    def runtimeGetVersion():
        return 12090


class memory:
    """``cupy.cuda.memory``."""

    OutOfMemoryError = OutOfMemoryError
    MemoryPool = MemoryPool
