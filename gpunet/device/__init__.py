"""Devices: specs, the registry of devices this process has, and their array backends."""
from .backend import Backend, Capabilities, DeviceMismatchError, MemoryInfo, VirtualArray
from .options import GpuSettings, gpu_count_limit
from .registry import (
                       Device,
                       copy,
                       devices,
                       find,
                       freeze,
                       list_logical_devices,
                       list_physical_devices,
                       set_virtual_gpus,
)
from .spec import DeviceSpec, canonical_name

__all__ = ["Backend", "Capabilities", "Device", "DeviceMismatchError", "DeviceSpec", "GpuSettings", "MemoryInfo",
           "VirtualArray", "canonical_name", "copy", "devices", "find", "freeze", "gpu_count_limit",
           "list_logical_devices", "list_physical_devices", "set_virtual_gpus"]
