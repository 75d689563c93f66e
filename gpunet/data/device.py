"""``prefetch_to_device``: a dataset whose elements are prefetched and handed to a device."""
from __future__ import annotations

from .dataset import _Prefetch

__all__ = ["copy_to_device", "prefetch_to_device"]


def prefetch_to_device(device, buffer_size=None):
    """For ``dataset.apply``: elements are prefetched by a host thread (``buffer_size``, default 1)
    and ``get_next`` yields them on ``device`` (a planned, counted host-to-device copy)."""
    def apply(dataset):
        prefetched = _Prefetch(dataset, buffer_size or 1)
        prefetched._target_device = device
        return prefetched
    return apply


def copy_to_device(target_device, source_device="/cpu:0"):
    """For ``dataset.apply``: ``get_next`` yields elements on ``target_device``."""
    def apply(dataset):
        copied = _Prefetch(dataset, 1)
        copied._target_device = target_device
        return copied
    return apply
