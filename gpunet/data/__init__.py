"""``gn.data``: Datasets (tf.data as in TF1) and their iterators."""
from . import experimental
from ._options import Options
from .dataset import AUTOTUNE, Dataset
from .device import copy_to_device, prefetch_to_device
from .iterator import Iterator, make_initializable_iterator, make_one_shot_iterator
from .sources import FixedLengthRecordDataset, TextLineDataset, TFRecordDataset

__all__ = ["AUTOTUNE", "Dataset", "FixedLengthRecordDataset", "Iterator", "Options", "TFRecordDataset",
           "TextLineDataset", "copy_to_device", "experimental", "make_initializable_iterator", "make_one_shot_iterator",
           "prefetch_to_device"]
