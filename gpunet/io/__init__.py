"""``gn.io``: decoders, Example parsing, TFRecord files and ``gn.io.gfile`` (TF1's tf.io)."""
from ..ops.parsing_ops import (FixedLenFeature, SparseTensor, VarLenFeature, decode_csv, decode_raw, parse_example,
                               parse_single_example)
from ..ops.string_encoding_ops import decode_base64, encode_base64
from ..python_io import TFRecordOptions, TFRecordWriter, tf_record_iterator
from . import gfile

__all__ = ["FixedLenFeature", "SparseTensor", "TFRecordOptions", "TFRecordWriter", "VarLenFeature", "decode_base64",
           "decode_csv", "decode_raw", "encode_base64", "gfile", "parse_example", "parse_single_example",
           "tf_record_iterator"]
