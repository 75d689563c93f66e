"""TF1's regex and split string ops: regex_replace, regex_full_match (static patterns), string_split and
strings.split (SparseTensor results). Host ops on object arrays of ``bytes``; no gradients.

TF matches with RE2 over UTF-8 text; Python's ``re`` runs here on the text decoded from UTF-8 (bytes that are
not UTF-8 kept as surrogates, so they survive), the pattern first checked and translated by gpunet/ops/_re2.py.
"""
from __future__ import annotations

import re

import numpy as np

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import bool_, int64, string
from ..graph.registry import apply_op, define_op
from ._re2 import compile_re2
from .parsing_ops import SparseTensor
from .string_ops import _map_kernel, _shape_text

__all__ = ["regex_full_match", "regex_replace", "split", "string_split"]

_HOST = dict(differentiable=False)

def _decode(value):
    return value.decode("utf-8", "surrogateescape")


def _encode(text):
    return text.encode("utf-8", "surrogateescape")


def _compile(pattern, op):
    """``pattern`` compiled by Python's re, or TF's InvalidArgumentError where RE2 would refuse it."""
    return compile_re2(pattern, lambda message: errors.InvalidArgumentError(None, op, message))


def _rewrite_parts(rewrite, groups):
    """RE2's rewrite string as literal text and group numbers (``\\0``-``\\9``; ``\\\\`` is a backslash), and
    whether RE2 finds it valid: its parts stop at an escape RE2 rejects."""
    parts, i = [], 0
    while i < len(rewrite):
        if rewrite[i] != "\\":
            parts.append(rewrite[i])
        elif rewrite[i + 1:i + 2].isdigit():
            parts.append(int(rewrite[i + 1]))
            i += 1
        elif rewrite[i + 1:i + 2] == "\\":
            parts.append("\\")
            i += 1
        else:
            return parts, False
        i += 1
    return parts, True


def _replace_convert(ctx):
    attrs = ctx.attrs
    compiled = _compile(attrs["pattern"], ctx.op)
    parts, valid = _rewrite_parts(attrs["rewrite"], compiled.groups)
    # RE2 leaves the string as it was when the rewrite names a group the pattern lacks, or (replacing the first
    # match only) holds a bad escape; GlobalReplace writes a bad rewrite up to its bad escape, as TF returns
    if any(isinstance(p, int) and p > compiled.groups for p in parts) or not (valid or attrs["replace_global"]):
        return lambda v: v
    count = 0 if attrs["replace_global"] else 1

    def replace(match):
        return "".join(p if isinstance(p, str) else (match.group(p) or "") for p in parts)
    return lambda v: _encode(compiled.sub(replace, _decode(v), count=count))


def _match_convert(ctx):
    compiled = _compile(ctx.attrs["pattern"], ctx.op)
    return lambda v: compiled.fullmatch(_decode(v)) is not None


for _type, _dtype, _convert, _doc in [("StaticRegexReplace", string, _replace_convert, "regex matches replaced"),
                                      ("StaticRegexFullMatch", bool_, _match_convert, "whether a regex matches "
                                                                                       "all of each string")]:
    define_op(_type, lambda inputs, attrs, d=_dtype: [(d, inputs[0]._shape)], {"CPU": _map_kernel(_convert)},
              doc=_doc, **_HOST)


def _static_pattern(value, what):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a Python string here (a pattern tensor is not supported), got "
                        f"{type(value).__name__}")
    return value


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):  # noqa: A002
    """Each string with the matches of the RE2 ``pattern`` replaced by ``rewrite`` (``\\0``: the match,
    ``\\1``..``\\9``: groups); only the first match unless ``replace_global``."""
    attrs = {"pattern": _static_pattern(pattern, "pattern"), "rewrite": _static_pattern(rewrite, "rewrite"),
             "replace_global": bool(replace_global)}
    return apply_op("StaticRegexReplace", [convert_to_tensor(input, dtype=string)], attrs,
                    name or "StaticRegexReplace").outputs[0]


def regex_full_match(input, pattern, name=None):  # noqa: A002
    """Whether the RE2 ``pattern`` matches the whole of each string (bool, the input's shape)."""
    return apply_op("StaticRegexFullMatch", [convert_to_tensor(input, dtype=string)],
                    {"pattern": _static_pattern(pattern, "pattern")}, name or "StaticRegexFullMatch").outputs[0]


# -- splitting -----------------------------------------------------------------------------------
def _split_v1(value, delimiter, skip_empty):
    """TF1's StringSplit: any byte of ``delimiter`` splits (empty: each byte a token)."""
    if not value:  # TF gives an empty string no token, even when keeping empty ones
        return []
    if not delimiter:
        return [value[i:i + 1] for i in range(len(value))]
    pieces = re.split(b"[" + re.escape(delimiter) + b"]", value)
    return [p for p in pieces if p] if skip_empty else pieces


def _split_v2(value, sep, maxsplit):
    """StringSplitV2: on the whole of ``sep``, or (empty ``sep``) on runs of whitespace, dropping empties."""
    if sep:
        return value.split(sep, maxsplit)
    return value.split(None, maxsplit)


def _split_kernel(ctx):
    attrs, op = ctx.attrs, ctx.op
    if attrs["version"] == 1:
        cut = lambda v: _split_v1(v, attrs["delimiter"], attrs["skip_empty"])  # noqa: E731
    else:
        cut = lambda v: _split_v2(v, attrs["delimiter"], attrs["maxsplit"])  # noqa: E731

    def run(source):
        if source.ndim != 1 and not attrs.get("any_rank"):
            raise errors.InvalidArgumentError(None, op, "input must be a vector, got shape: "
                                                        f"{_shape_text(source.shape)}")
        lead = source.shape or (1,)  # tf.strings.split splits a scalar as a vector of one
        rows = [cut(v) for v in source.reshape(-1)]
        width = max((len(r) for r in rows), default=0)
        indices = np.array([(*np.unravel_index(r, lead), c) for r, row in enumerate(rows) for c in range(len(row))],
                           dtype=np.int64).reshape(-1, len(lead) + 1)
        values = np.empty(sum(len(r) for r in rows), dtype=object)
        values[:] = [p for row in rows for p in row]
        if not source.size:  # TF's bounding shape of an empty ragged tensor: every inner dimension 0
            lead = lead[:1] + (0,) * (len(lead) - 1)
        return indices, values, np.array(lead + (width,), dtype=np.int64)
    return run


def _split_infer(inputs, attrs):
    shape = inputs[0]._shape
    rank = 2 if shape is None else max(len(shape), 1) + 1
    return [(int64, (None, rank)), (string, (None,)), (int64, (rank,))]


define_op("StringSplit", _split_infer, {"CPU": _split_kernel}, doc="strings split into a SparseTensor of tokens",
          **_HOST)


def _split_op(source, attrs, name):
    if attrs.get("result_type", "SparseTensor") != "SparseTensor":
        raise ValueError(f"result_type {attrs['result_type']!r} is not supported: gpunet has no RaggedTensor; "
                         "use result_type='SparseTensor'")
    attrs = {k: v for k, v in attrs.items() if k != "result_type"}
    tensor = convert_to_tensor(source, dtype=string)
    rank = tensor.shape.rank
    if attrs["version"] == 1 and rank is not None and rank != 1:
        raise ValueError(f"Shape must be rank 1 but is rank {rank}")
    # tf.strings.split takes any known rank (its RaggedTensor path); a tensor of unknown rank must be a vector
    attrs["any_rank"] = attrs["version"] == 2 and rank is not None
    return SparseTensor(*apply_op("StringSplit", [tensor], attrs, name).outputs)


def string_split(source, sep=None, skip_empty=True, delimiter=None, result_type="SparseTensor", name=None):
    """TF1's string_split: each string of the vector ``source`` split at any character of ``sep`` (default
    a space), empty tokens dropped when ``skip_empty``; a SparseTensor of the tokens, one row per string."""
    delimiter = sep if sep is not None else delimiter
    delimiter = b" " if delimiter is None else _bytes(delimiter)
    return _split_op(source, {"version": 1, "delimiter": delimiter, "skip_empty": bool(skip_empty),
                              "result_type": result_type}, name or "StringSplit")


def split(input=None, sep=None, maxsplit=-1, result_type="SparseTensor", source=None, name=None):  # noqa: A002
    """tf.strings.split: each string of ``input`` split on the whole of ``sep`` (None: on runs of whitespace,
    empties dropped), at most ``maxsplit`` times; a SparseTensor of the tokens whose indices are each string's
    index (a scalar's is ``[0]``) and the token's."""
    source = input if input is not None else source
    return _split_op(source, {"version": 2, "delimiter": b"" if sep is None else _bytes(sep),
                              "maxsplit": int(maxsplit), "result_type": result_type}, name or "StringSplitV2")


def _bytes(text):
    return text.encode("utf-8") if isinstance(text, str) else bytes(text)
