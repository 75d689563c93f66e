"""The ``--json`` results: one record per configuration, with the machine and the versions.

The file is ``{"format": "gpunet-bench/1", "records": [...]}``, written atomically."""
from __future__ import annotations

import datetime
import json
import os
import platform

import numpy as np

import gpunet as gn

from .report import throughput
from .runner import Measured, RunSpec

__all__ = ["FORMAT", "environment", "load_records", "record", "write_records"]

FORMAT = "gpunet-bench/1"


def record(flags: dict, spec: RunSpec, measured: Measured, devices) -> dict:
    """The JSON record of one configuration."""
    return {"flags": flags,
            "configuration": {"model": spec.graph.spec.name, "variable_update": spec.graph.variable_update,
                              "local_parameter_device": spec.graph.host, "optimizer": spec.graph.optimizer,
                              "forward_only": spec.graph.forward_only, "data": spec.data,
                              "image_shape": list(spec.graph.shape), "width": spec.graph.width,
                              "learning_rate": spec.graph.learning_rate},
            "num_devices": len(spec.graph.devices), "devices": list(spec.graph.devices),
            "batch_size": spec.batch_size, "global_batch_size": spec.global_batch,
            "device_info": [device_info(d) for d in devices],
            "step_times": measured.step_times, "losses": measured.losses,
            "images_per_sec": throughput(spec.global_batch, measured.step_times),
            "placement_summary": measured.placement_summary,
            "copies_per_step": measured.copies, "peak_memory": measured.memory, "environment": environment()}


def device_info(device) -> dict:
    """A device's name, kind and memory (total bytes where the backend knows them)."""
    memory = device.backend.memory_info()
    return {"name": device.short_name, "canonical_name": device.name, "description": device.backend.description,
            "virtual": device.virtual, "memory_total_bytes": memory.total_bytes}


def environment() -> dict:
    """Versions and the machine."""
    cupy_version = cuda_version = None
    try:
        import cupy
        cupy_version = cupy.__version__
        cuda_version = cupy.cuda.runtime.runtimeGetVersion()
    except Exception:  # no CuPy, or no CUDA runtime: the record says None
        pass
    return {"gpunet": gn.__version__, "numpy": np.__version__, "cupy": cupy_version, "cuda_runtime": cuda_version,
            "python": platform.python_version(), "cpu": cpu_model(), "cpu_count": os.cpu_count(),
            "platform": platform.platform(), "load_average": _load_average(),
            "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _load_average():
    try:
        return list(os.getloadavg())
    except OSError:
        return None


def write_records(path, records) -> None:
    """Writes the results file atomically (a reader never sees half a file)."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = f"{path}.tmp{os.getpid()}"
    with open(temporary, "w") as f:
        json.dump({"format": FORMAT, "records": records}, f, indent=1)
    os.replace(temporary, path)


def load_records(path) -> list[dict]:
    """The records of a results file; ValueError naming the file when it is not one."""
    with open(path) as f:
        content = json.load(f)
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise ValueError(f"{path} is not a gpunet-bench results file (expected format {FORMAT!r})")
    return content["records"]
