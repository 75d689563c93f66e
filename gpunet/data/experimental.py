"""``gn.data.experimental`` (TF1's tf.data.experimental): AUTOTUNE and the device transformations."""
from .dataset import AUTOTUNE
from .device import copy_to_device, prefetch_to_device

__all__ = ["AUTOTUNE", "copy_to_device", "prefetch_to_device"]
