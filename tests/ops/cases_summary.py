"""The summary ops (gpunet/summary/summary_ops.py) output serialized Summary protos, not arrays a
NumPy reference could match: their values (TF1's histogram buckets and image scaling, tags, merge
rules) are checked by parsing the protos in tests/summary/test_summary_ops.py, and the event files
they end up in by TensorBoard's reader in tests/summary/test_file_writer.py."""

CASES = []

_REASON = "serialized Summary proto; parsed and checked against TF1's values in tests/summary/"

EXEMPT = {op_type: _REASON for op_type in ("ScalarSummary", "HistogramSummary", "ImageSummary", "MergeSummary")}
