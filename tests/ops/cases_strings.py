"""The string ops (gpunet/ops/string_ops.py, string_regex_ops.py) are host ops on bytes with no NumPy reference
a kernel case could compare: each is checked against TF1's frozen outputs by tests/ops/test_string_ops.py
(0-d, empty, n-d, UTF-8, bad input, placement from a GPU scope)."""

CASES = []

STRING_OPS = {op_type: "string op on the host: tests/ops/test_string_ops.py" for op_type in (
    "AsString", "StringToNumber", "StringJoin", "ReduceJoin", "Substr", "StringLength", "StringLower", "StringUpper",
    "StringStrip", "EncodeBase64", "DecodeBase64", "StaticRegexReplace", "StaticRegexFullMatch", "StringSplit",
    "StringToHashBucketFast", "StringFormat")}
EXEMPT = dict(STRING_OPS)
