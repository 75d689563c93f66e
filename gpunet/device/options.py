"""TF1's GPU options as gpunet honours them: parsed and checked here, applied by the registry when
the first session fixes the device set (``visible_device_list``, ``per_process_gpu_memory_fraction``,
``allow_growth``), or per session (``device_count``). An option gpunet cannot honour raises
``ValueError`` naming it instead of being ignored.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GpuSettings", "gpu_count_limit"]


@dataclass(frozen=True)
class GpuSettings:
    """Process-wide GPU choices: which physical GPUs, in which order, and the pool cap per GPU."""

    visible: tuple | None = None       # physical GPU ids in logical order; None: all of them
    memory_fraction: float = 0.0       # 0: no cap
    allow_growth: bool = False         # CuPy's pool always grows on demand; TF's preallocation is not modelled

    @classmethod
    def parse(cls, visible_device_list="", per_process_gpu_memory_fraction=0.0, allow_growth=False):
        return cls(_parse_visible(visible_device_list), _parse_fraction(per_process_gpu_memory_fraction),
                   _parse_flag("allow_growth", allow_growth))

    @property
    def is_default(self) -> bool:
        return self == GpuSettings(allow_growth=self.allow_growth)

    def physical_ids(self, physical_count: int) -> list[int]:
        """The physical GPUs to use, in logical order; an id this process does not have is an error.
        Without any GPU there is nothing to select (as in TF1 on a CPU machine)."""
        if self.visible is None or physical_count == 0:
            return list(range(physical_count))
        for gpu in self.visible:
            if gpu >= physical_count:
                raise ValueError(f"GPUOptions.visible_device_list names GPU {gpu}, but this process has "
                                 f"{physical_count} physical GPU(s)")
        return list(self.visible)


def _parse_visible(text) -> tuple | None:
    if not isinstance(text, str):
        raise ValueError(f"GPUOptions.visible_device_list must be a string such as '0,1', got {text!r}")
    if not text.strip():
        return None
    ids = []
    for item in text.split(","):
        if not item.strip().isdigit():
            raise ValueError(f"GPUOptions.visible_device_list: {item.strip()!r} is not a GPU id "
                             f"(expected comma-separated integers such as '0,1'), got {text!r}")
        ids.append(int(item))
    if len(set(ids)) != len(ids):
        raise ValueError(f"GPUOptions.visible_device_list names a GPU twice: {text!r}")
    return tuple(ids)


def _parse_fraction(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"GPUOptions.per_process_gpu_memory_fraction must be a number in [0, 1], got {value!r} "
                         f"(values above 1, oversubscription with unified memory, are not supported)")
    return float(value)


def _parse_flag(name, value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"GPUOptions.{name} must be True or False, got {value!r}")
    return value


def gpu_count_limit(device_count) -> int | None:
    """How many GPUs a session may use under ``ConfigProto.device_count`` (None: all)."""
    if not isinstance(device_count, dict):
        raise ValueError(f"ConfigProto.device_count must be a dict such as {{'GPU': 0}}, got {device_count!r}")
    for key, value in device_count.items():
        if key not in ("CPU", "GPU"):
            raise ValueError(f"ConfigProto.device_count: unknown device type {key!r} (gpunet has 'CPU' and 'GPU')")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"ConfigProto.device_count[{key!r}] must be an integer >= 0, got {value!r}")
    if device_count.get("CPU", 1) != 1:
        raise ValueError(f"ConfigProto.device_count['CPU'] = {device_count['CPU']}: gpunet has exactly one "
                         f"CPU device (/cpu:0); use intra_op_parallelism_threads for CPU threads")
    return device_count.get("GPU")
