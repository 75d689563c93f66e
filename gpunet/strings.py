"""``gn.strings``: TF1's tf.strings (gpunet/ops/string_ops.py, string_regex_ops.py, string_encoding_ops.py).
Host ops on bytes."""
from .ops.string_ops import (as_string, length, lower, reduce_join, strip, substr, to_number, upper)
from .ops.string_ops import string_join as join
from .ops.string_regex_ops import regex_full_match, regex_replace, split
from .ops.string_encoding_ops import string_format as format  # noqa: A004  (TF's name)
from .ops.string_encoding_ops import string_to_hash_bucket_fast as to_hash_bucket_fast

__all__ = ["as_string", "format", "join", "length", "lower", "reduce_join", "regex_full_match", "regex_replace",
           "split", "strip", "substr", "to_hash_bucket_fast", "to_number", "upper"]
