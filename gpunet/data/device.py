"""Datasets whose elements ``get_next`` hands out on a device: ``prefetch_to_device``, ``copy_to_device``.

``prefetch_to_device`` copies each element to the device in its prefetch thread (through the
device's backend, ``from_host``), so the host-to-device copy of batch k+1 overlaps step k; the
get-next op runs on the device and hands out arrays the device owns already. ``copy_to_device``
copies in the get-next op itself, inside the run (TF1's: no prefetch). How the copies are counted:
gpunet/ops/iterator_ops.py.
"""
from __future__ import annotations

from ..device import DeviceSpec, find
from ..graph.copy_stats import HOST
from ..graph.dtypes import string
from ._threads import threaded
from .dataset import _Unary


class OnDevice(_Unary):
    """``input_dataset``'s elements on ``device``; ``buffer_size`` None: copied by get-next, unprefetched."""

    def __init__(self, input_dataset, device, buffer_size, what):
        spec = DeviceSpec.from_string(device) if isinstance(device, str) else device
        if spec.device_type is None:
            raise ValueError(f"{what}: {device!r} names no device")
        if spec.device_type == "GPU" and string in input_dataset._structure.flat_dtypes:
            raise TypeError(f"{what}({device!r}): the dataset has string components "
                            f"({input_dataset.output_types}); strings stay on the host")
        super().__init__(input_dataset)
        self.target_device = spec.canonical()
        self._spec, self._buffer_size = spec, buffer_size

    def _elements(self, env):
        source = self._input._elements(env)
        if self._buffer_size is None:
            return source
        device = find(self._spec.device_type, self._spec.device_index or 0)
        if device is None or device.device_type == "CPU":  # soft placement moved get-next: it copies
            return threaded(source, self._buffer_size, env)
        return threaded(_copied(source, device, env.copy_stats), self._buffer_size, env)


def _copied(source, device, stats):
    """Each element of ``source`` copied to ``device`` by the thread that produces it, counted in ``stats``."""
    from_host = device.backend.from_host
    for element in source:
        arrays = tuple(from_host(value) for value in element)
        for array in arrays:
            stats.record(HOST, device.name, array.nbytes, "prefetch")
        yield arrays



def prefetch_to_device(device, buffer_size=None):
    """For ``dataset.apply`` (the last transformation): elements are produced and copied to ``device``
    by a background thread, at most ``buffer_size`` (default 1) ahead, and ``get_next`` yields them
    on ``device`` with no copy in the run."""
    def apply(dataset):
        return OnDevice(dataset, device, max(int(buffer_size or 1), 1), "prefetch_to_device")
    return apply


def copy_to_device(target_device, source_device="/cpu:0"):
    """For ``dataset.apply``: ``get_next`` yields elements on ``target_device``, copying each in its run."""
    def apply(dataset):
        return OnDevice(dataset, target_device, None, "copy_to_device")
    return apply


__all__ = ["copy_to_device", "prefetch_to_device"]
