"""``gn.data.experimental`` (TF1's tf.data.experimental): AUTOTUNE, the device transformations and the
transformations TF1 input pipelines apply (``dataset.apply(gn.data.experimental.X(...))``):
``parallel_interleave``, ``map_and_batch``, ``shuffle_and_repeat``, ``ignore_errors``."""
from ._experimental import ignore_errors, map_and_batch, parallel_interleave, shuffle_and_repeat
from .dataset import AUTOTUNE
from .device import copy_to_device, prefetch_to_device

__all__ = ["AUTOTUNE", "copy_to_device", "ignore_errors", "map_and_batch", "parallel_interleave",
           "prefetch_to_device", "shuffle_and_repeat"]
