"""The steps of a plan besides kernels: copying a tensor between devices, feeding a value,
fetching one back to the host, and waiting for a device — each able to say where it failed."""
from __future__ import annotations

from dataclasses import dataclass

from ..device import copy as device_copy
from .copy_stats import current
from .graph import Tensor

__all__ = ["CopyInfo", "CopyStep", "FeedStep", "FetchStep", "SyncStep", "outputs_of"]


class CopyStep:
    """The step that copies one tensor to one device; it remembers the bytes it last moved, so a
    report after a run can state what a tensor of unknown static shape really costs.

    ``shares``: both devices keep arrays in host memory (the CPU, virtual GPUs), so the destination
    reads the source's buffer instead of a copy of its bytes, as TF passes tensors between devices that
    share an address space. The compiler then counts the destination's readers as readers of every
    variable the value may share a buffer with (graph/variable_order.py). Shared or not, the copy is
    the run's transfer, counted with its bytes."""

    __slots__ = ("tensor", "src", "dst", "measured_bytes", "shares")

    def __init__(self, tensor, src, dst):
        self.tensor = tensor
        self.src = src
        self.dst = dst
        self.measured_bytes = None
        self.shares = not (src.backend.capabilities.device_memory or dst.backend.capabilities.device_memory)

    def __call__(self, array):
        out = self.dst.backend.share(array, self.src.backend) if self.shares else None
        if out is None:
            out = device_copy(array, self.src, self.dst)
        self.measured_bytes = out.nbytes
        stats = current()
        if stats is not None:
            stats.record(self.src.name, self.dst.name, out.nbytes)
        return out


@dataclass(frozen=True)
class CopyInfo:
    tensor: Tensor
    src: object          # Device
    dst: object          # Device
    static_bytes: int | None   # per step, when the static shape is fully known
    step: CopyStep

    @property
    def bytes(self) -> int | None:
        """Bytes per step: from the static shape, else as measured by the last run (None before)."""
        return self.static_bytes if self.static_bytes is not None else self.step.measured_bytes

    def log_line(self) -> str:
        if self.bytes is None:
            size = "? bytes"
        else:
            size = f"{self.bytes} bytes" + (" (measured)" if self.static_bytes is None else "")
        return f"{self.tensor.name}: (Copy): {self.src.name} -> {self.dst.name} ({size} per step)"


class FeedStep:
    """Puts fed value number ``index`` on ``device`` into ``slot``."""

    __slots__ = ("tensor", "device", "index", "slot", "convert")

    def __init__(self, tensor, device, index, slot, convert):
        self.tensor, self.device, self.index, self.slot, self.convert = tensor, device, index, slot, convert

    def where(self) -> str:
        return f"feed of {self.tensor.name} to {self.device.name}"


class FetchStep:
    """Reads one fetched value back to the host (``slot`` None: an op, which fetches as None)."""

    __slots__ = ("tensor", "device", "slot", "from_feed", "convert")

    def __init__(self, tensor, device, slot, from_feed, convert):
        self.tensor, self.device, self.slot, self.from_feed, self.convert = tensor, device, slot, from_feed, convert

    def __call__(self, vals, feed_values):
        if self.slot is None:
            return None
        return self.convert(feed_values[self.slot] if self.from_feed else vals[self.slot])

    def where(self) -> str:
        return f"fetch of {self.tensor.name} from {self.device.name if self.device else 'its feed'}"


class SyncStep:
    """Waits for a device the plan used (GPU kernels run asynchronously): ``sess.run`` returns
    only when the work it started is done, so timings and errors belong to this run."""

    __slots__ = ("device",)

    def __init__(self, device):
        self.device = device

    def __call__(self):
        self.device.backend.synchronize()

    def where(self) -> str:
        return f"waiting for {self.device.name} to finish the run"


def outputs_of(step):
    """The slots a plan step ``(fn, ins, out, frees, op, device)`` writes: ``out`` is one slot, several, or None."""
    out = step[2]
    return (out,) if out.__class__ is int else out or ()
