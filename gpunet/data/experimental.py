"""``gn.data.experimental`` (TF1's tf.data.experimental): AUTOTUNE, the device transformations, the
transformations TF1 input pipelines apply (``dataset.apply(gn.data.experimental.X(...))``:
``parallel_interleave``, ``map_and_batch``, ``shuffle_and_repeat``, ``ignore_errors``, ``unbatch``), datasets
drawn from others (``choose_from_datasets``, ``sample_from_datasets``), ``Counter`` and ``get_single_element``;
the sub-options of ``gn.data.Options``."""
from ._choosing import choose_from_datasets, sample_from_datasets
from ._options import DistributeOptions, MapVectorizationOptions, OptimizationOptions, StatsOptions, ThreadingOptions
from ._experimental import (Counter, get_single_element, ignore_errors, map_and_batch, parallel_interleave,
                            shuffle_and_repeat, unbatch)
from .dataset import AUTOTUNE
from .device import copy_to_device, prefetch_to_device

__all__ = ["AUTOTUNE", "Counter", "DistributeOptions", "MapVectorizationOptions", "OptimizationOptions",
           "StatsOptions", "ThreadingOptions", "choose_from_datasets", "copy_to_device", "get_single_element",
           "ignore_errors", "map_and_batch", "parallel_interleave", "prefetch_to_device", "sample_from_datasets",
           "shuffle_and_repeat", "unbatch"]
