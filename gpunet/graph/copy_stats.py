"""Copies counted per run (``RunMetadata.copy_stats``), not per process: what one ``Session.run``
moved between devices, by route, and the bytes each device received from and sent to the host."""
from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass

__all__ = ["DeviceTransfers", "HOST", "RunCopyStats", "Transfer", "counting", "current", "planned_transfers"]

_local = threading.local()


@dataclass(frozen=True)
class Transfer:
    """One transfer of a run: ``kind`` is 'copy' (a plan's copy step), 'feed' or 'fetch'."""

    src: str
    dst: str
    bytes: int
    kind: str = "copy"


class RunCopyStats:
    """The copies of one run. ``count`` and ``bytes`` count the plan's copy steps between devices
    (a loop body's copies once per iteration); ``host_to_device`` and ``device_to_host`` add the
    feeds to and fetches from each non-CPU device, per device name."""

    def __init__(self):
        self.transfers = []  # list.append is atomic: device threads record into one list

    def record(self, src: str, dst: str, nbytes: int, kind: str = "copy"):
        """Note one transfer from device ``src`` to device ``dst`` (canonical names)."""
        self.transfers.append(Transfer(src, dst, int(nbytes), kind))

    @property
    def count(self) -> int:
        return sum(1 for t in self.transfers if t.kind == "copy")

    @property
    def bytes(self) -> int:
        return sum(t.bytes for t in self.transfers if t.kind == "copy")

    def routes(self) -> dict:
        """``{(src, dst): (count, bytes)}`` of the copy steps."""
        out = {}
        for t in self.transfers:
            if t.kind == "copy":
                count, size = out.get((t.src, t.dst), (0, 0))
                out[(t.src, t.dst)] = (count + 1, size + t.bytes)
        return out

    @property
    def host_to_device(self) -> dict:
        """Device name -> bytes it received from the host (CPU) in this run, copies and feeds."""
        return self._by_device(lambda t: _is_host(t.src) and not _is_host(t.dst), "dst")

    @property
    def device_to_host(self) -> dict:
        """Device name -> bytes it sent to the host (CPU) in this run, copies and fetches."""
        return self._by_device(lambda t: _is_host(t.dst) and not _is_host(t.src), "src")

    def _by_device(self, selected, side) -> dict:
        out = {}
        for t in self.transfers:
            if selected(t):
                name = getattr(t, side)
                out[name] = out.get(name, 0) + t.bytes
        return out

    def __repr__(self):
        return (f"RunCopyStats(count={self.count}, bytes={self.bytes}, host_to_device={self.host_to_device}, "
                f"device_to_host={self.device_to_host})")


HOST = "/job:localhost/replica:0/task:0/device:CPU:0"


@dataclass
class DeviceTransfers:
    """Bytes one device receives from the host (``host_to_device``) and sends to it per step;
    ``unknown`` counts transfers whose size is not known before a run."""

    device: str
    host_to_device: int = 0
    device_to_host: int = 0
    unknown: int = 0

    def add(self, to_device: bool, nbytes):
        if nbytes is None:
            self.unknown += 1
        elif to_device:
            self.host_to_device += nbytes
        else:
            self.device_to_host += nbytes

    def describe(self) -> str:
        unknown = f" + {self.unknown} of unknown size" if self.unknown else ""
        return f"{self.device} H2D {self.host_to_device} bytes, D2H {self.device_to_host} bytes{unknown}"


def planned_transfers(copies, feeds, fetches) -> list[DeviceTransfers]:
    """Per non-CPU device, a plan's host transfers per step from its ``copies`` ``(src, dst, bytes)``,
    ``feeds`` and ``fetches`` ``(device, bytes)`` (bytes None: unknown before a run)."""
    rows = {}

    def row(device):
        return rows.setdefault(device, DeviceTransfers(device.short_name))

    for src, dst, nbytes in copies:
        if (src.device_type == "CPU") != (dst.device_type == "CPU"):
            row(dst if src.device_type == "CPU" else src).add(src.device_type == "CPU", nbytes)
    for device, nbytes in feeds:
        if device.device_type != "CPU":
            row(device).add(True, nbytes)
    for device, nbytes in fetches:
        if device.device_type != "CPU":
            row(device).add(False, nbytes)
    return [rows[d] for d in sorted(rows, key=lambda d: (d.device_type, d.index))]


def _is_host(name) -> bool:
    return name.endswith("/device:CPU:0")


def current():
    """The stats the run on this thread records into, or None (no run metadata asked for)."""
    return getattr(_local, "stats", None)


@contextlib.contextmanager
def counting(stats):
    """Record this thread's copies into ``stats``; None keeps the enclosing run's (a control-flow
    sub-plan's copies count in the run of the plan that runs it)."""
    outer = getattr(_local, "stats", None)
    _local.stats = outer if stats is None else stats
    try:
        yield stats
    finally:
        _local.stats = outer
