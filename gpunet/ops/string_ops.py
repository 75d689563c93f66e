"""TF1's string ops: as_string, string_to_number, string_join, reduce_join, substr, strings.length /
lower / upper / strip. Host ops on object arrays of ``bytes`` (the
placer keeps every op with a string input or output on the CPU); none has a gradient.

Regular expressions and splitting live in gpunet/ops/string_regex_ops.py; base64, hash buckets and
strings.format in gpunet/ops/string_encoding_ops.py.
"""
from __future__ import annotations

import re

import numpy as np

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import as_dtype, bool_, float16, float32, float64, int8, int16, int32, int64, string, uint8
from ..graph.registry import apply_op, define_op

__all__ = ["as_string", "length", "lower", "reduce_join", "string_join",
           "string_strip", "string_to_number", "strip", "substr", "to_number", "upper"]

_HOST = dict(differentiable=False)


def _map_kernel(convert):
    """A kernel builder applying ``convert(ctx) -> fn(bytes) -> value`` to every element, keeping the shape."""
    def build(ctx):
        fn, dtype = convert(ctx), ctx.out_dtype()

        def run(array):
            out = np.empty(array.shape, dtype=dtype)
            for index, value in np.ndenumerate(array):
                out[index] = fn(value)
            return out
        return run
    return build


def _define_map(op_type, out_dtype, convert, doc):
    """An elementwise host op: one string (or number) input, one output of its shape."""
    define_op(op_type, lambda inputs, attrs: [(out_dtype(attrs), inputs[0]._shape)],
              {"CPU": _map_kernel(convert)}, doc=doc, **_HOST)


def _strings(value):
    return convert_to_tensor(value, dtype=string)


def _shape_text(shape):
    """A shape as TF's run-time messages write it: ``[2,3]``."""
    return "[" + ",".join(str(d) for d in shape) + "]"


# -- as_string -----------------------------------------------------------------------------------
_FLOATS = (float16, float32, float64)
_INTEGERS = (int8, int16, int32, int64, uint8)
_FILLS = " +-0#"


def _as_string_format(dtype, attrs, op):
    """The printf format TF1's AsString builds (as_string_op.cc), its attrs checked as it checks them."""
    precision, scientific, shortest, width, fill = (attrs[k] for k in ("precision", "scientific", "shortest",
                                                                       "width", "fill"))
    for what, asked in (("scientific and shortest format", scientific or shortest), ("precision", precision > -1)):
        if asked and dtype not in _FLOATS:
            raise errors.InvalidArgumentError(None, op, f"{what} not supported for datatype {dtype.name}")
    if scientific and shortest:
        raise errors.InvalidArgumentError(None, op, "Cannot select both scientific and shortest notation")
    if len(fill) > 1:
        raise errors.InvalidArgumentError(None, op, "Fill string must be one or fewer characters")
    if fill and fill not in _FILLS:
        raise errors.InvalidArgumentError(None, op, f'Fill argument not supported: "{fill}"')
    spec = "%" + fill + (str(width) if width > -1 else "") + (f".{precision}" if precision > -1 else "")
    if dtype in _FLOATS:
        return spec + ("g" if shortest else "e" if scientific else "f")
    return spec + ("d" if dtype in _INTEGERS else "s")


def _as_string_convert(ctx):
    dtype = ctx.op.inputs[0].dtype
    spec = _as_string_format(dtype, ctx.attrs, ctx.op)
    if dtype == bool_:
        return lambda v: b"true" if v else b"false"  # TF ignores width and fill for bools
    if dtype == string:
        return lambda v: spec.encode() % v  # widths count bytes, as C's printf does
    return lambda v: (spec % v).encode()


_define_map("AsString", lambda attrs: string, _as_string_convert, "each element formatted as a string")


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="", name=None):  # noqa: A002
    """Each element of a number, bool or string tensor as a string, formatted as C's printf does with the
    format ``%{fill}{width}.{precision}{f|e|g|d}`` (``shortest``: %g, ``scientific``: %e)."""
    tensor = convert_to_tensor(input)
    if tensor.dtype not in (*_FLOATS, *_INTEGERS, bool_, string):
        raise TypeError(f"as_string does not take {tensor.dtype.name} inputs")
    attrs = {"precision": int(precision), "scientific": bool(scientific), "shortest": bool(shortest),
             "width": int(width), "fill": str(fill)}
    return apply_op("AsString", [tensor], attrs, name or "AsString").outputs[0]


# -- string_to_number ----------------------------------------------------------------------------
_NUMBER_TYPES = (float32, float64, int32, int64)
_INT = re.compile(r"[+-]?[0-9]+\Z")
_HEX = re.compile(r"[+-]?0[xX]")  # C's strtod reads hexadecimal floats (0x1p3 is 8.0)


def _parse_number(text, dtype):
    """``text`` as ``dtype`` as TF's safe_strto* parse it (surrounding whitespace allowed), or None."""
    stripped = text.strip(" \t\n\v\f\r")
    if dtype.is_integer:
        info = np.iinfo(dtype.np)
        return int(stripped) if _INT.match(stripped) and info.min <= int(stripped) <= info.max else None
    if "_" in stripped or not stripped.isascii():  # Python's float() reads 1_000; strtod does not
        return None
    try:
        return float.fromhex(stripped) if _HEX.match(stripped) else float(stripped)
    except (ValueError, OverflowError):
        return None


def _to_number_convert(ctx):
    dtype, op = ctx.out_dtype(), ctx.op
    target = as_dtype(ctx.attrs["out_type"])

    def convert(value):
        number = _parse_number(value.decode("utf-8", "replace"), target)
        if number is None:
            raise errors.InvalidArgumentError(None, op, "StringToNumberOp could not correctly convert string: "
                                                        f"{value.decode('utf-8', 'replace')}")
        with np.errstate(over="ignore"):  # strtof's out-of-range float32 is inf, as here
            return dtype.type(number)
    return convert


_define_map("StringToNumber", lambda attrs: attrs["out_type"], _to_number_convert, "each string parsed as a number")


def string_to_number(string_tensor=None, out_type=float32, name=None, input=None):  # noqa: A002
    """Each string parsed as a number of ``out_type`` (float32, float64, int32 or int64); a string that is
    not one is an InvalidArgumentError at run time."""
    out_type = as_dtype(out_type)
    if out_type not in _NUMBER_TYPES:
        raise TypeError(f"string_to_number: out_type must be one of float32, float64, int32, int64, "
                        f"got {out_type.name}")
    source = input if string_tensor is None else string_tensor
    return apply_op("StringToNumber", [_strings(source)], {"out_type": out_type},
                    name or "StringToNumber").outputs[0]


to_number = string_to_number


# -- string_join / reduce_join -------------------------------------------------------------------
def _join_infer(inputs, attrs):
    shapes = [t._shape for t in inputs if t._shape != ()]
    known = [s for s in shapes if s is not None]
    for shape in known[1:]:
        _check_same_shape(known[0], shape)
    if not shapes:
        return [(string, ())]
    return [(string, known[0] if len(known) == len(shapes) else None)]


def _check_same_shape(first, other, what="equal rank"):
    """TF's shape-function error where two shapes that must be the same differ (StringJoin's non-scalar inputs,
    Substr's pos and len)."""
    if len(first) != len(other):
        raise ValueError(f"Shapes must be equal rank, but are {len(first)} and {len(other)}" if what == "equal rank"
                         else f"Shape must be rank {len(first)} but is rank {len(other)}")
    for i, (a, b) in enumerate(zip(first, other)):
        if a is not None and b is not None and a != b:
            raise ValueError(f"Dimension {i} in both shapes must be equal, but are {a} and {b}. Shapes are "
                             f"{list(first)} and {list(other)}.")


def _join_kernel(ctx):
    separator, op = ctx.attrs["separator"], ctx.op

    def run(*arrays):
        shapes = [a.shape for a in arrays if a.ndim]
        shape = shapes[0] if shapes else ()
        other = next((s for s in shapes if s != shape), None)
        if other is not None:
            raise errors.InvalidArgumentError(None, op, f"Input shapes do not match: {_shape_text(shape)} vs. "
                                                        f"{_shape_text(other)}")
        columns = [np.broadcast_to(a, shape) for a in arrays]
        out = np.empty(shape, dtype=object)
        for index in np.ndindex(shape):
            out[index] = separator.join(c[index] for c in columns)
        return out
    return run


define_op("StringJoin", _join_infer, {"CPU": _join_kernel}, doc="strings joined elementwise with a separator",
          **_HOST)


def string_join(inputs, separator="", name=None):
    """The strings of ``inputs`` (tensors of one shape, or scalars, which are broadcast) joined elementwise
    with ``separator``."""
    tensors = [_strings(x) for x in inputs]
    if not tensors:
        raise ValueError("string_join needs at least one input")
    return apply_op("StringJoin", tensors, {"separator": _as_bytes(separator)}, name or "StringJoin").outputs[0]


def _as_bytes(text):
    return text.encode("utf-8") if isinstance(text, str) else bytes(text)


def _check_axis_range(axis, rank, fail):
    for a in axis:
        if not -rank <= a < rank:
            raise fail(f"Invalid reduction dimension {a} for input with {rank} dimensions.")


def _reduce_axes(axis, rank, fail):
    """The non-negative axes ``axis`` names (None: all), in the order TF joins them: the first named varies
    fastest (None joins in row-major order). ``fail(message)`` makes the error to raise."""
    if axis is None:
        return tuple(range(rank - 1, -1, -1))
    _check_axis_range(axis, rank, fail)
    axes = tuple(a % rank for a in axis)
    repeated = next((a for i, a in enumerate(axes) if a in axes[:i]), None)
    if repeated is not None:
        raise fail(f"Duplicate reduction dimension {repeated}")
    return axes


def _reduce_join_infer(inputs, attrs):
    shape, axis = inputs[0]._shape, attrs["axis"]
    if shape is None:
        return [(string, None)]
    if axis is not None:
        _check_axis_range(axis, len(shape), ValueError)  # a repeated axis is TF's run-time error
    joined = set(range(len(shape))) if axis is None else {a % len(shape) for a in axis}
    return [(string, tuple(1 if i in joined else d for i, d in enumerate(shape)) if attrs["keep_dims"]
             else tuple(d for i, d in enumerate(shape) if i not in joined))]


def _reduce_join_kernel(ctx):
    axis, keep, separator, op = ctx.attrs["axis"], ctx.attrs["keep_dims"], ctx.attrs["separator"], ctx.op

    def run(array):
        axes = _reduce_axes(axis, array.ndim, lambda message: errors.InvalidArgumentError(None, op, message))
        kept = [i for i in range(array.ndim) if i not in axes]
        moved = np.transpose(array, kept + list(reversed(axes)))  # the first axis named varies fastest
        lead = moved.shape[:len(kept)]
        rows = moved.reshape(lead + (-1,)) if moved.size else np.empty(lead + (0,), dtype=object)
        out = np.empty(lead, dtype=object)
        for index in np.ndindex(lead):
            out[index] = separator.join(rows[index])
        return out.reshape([1 if i in axes else d for i, d in enumerate(array.shape)]) if keep else out
    return run


define_op("ReduceJoin", _reduce_join_infer, {"CPU": _reduce_join_kernel},
          doc="strings joined along axes with a separator", **_HOST)


def reduce_join(inputs, axis=None, keep_dims=None, separator="", name=None, reduction_indices=None, keepdims=None):
    """The strings of ``inputs`` joined with ``separator`` along ``axis`` (all axes when None); the first axis
    named varies fastest (all axes: row-major order); ``keep_dims`` keeps each joined axis with length 1."""
    tensor = _strings(inputs)
    axis = reduction_indices if axis is None else axis
    keep = bool(keepdims if keepdims is not None else keep_dims)
    attrs = {"axis": None if axis is None else tuple(int(a) for a in np.atleast_1d(axis)), "keep_dims": keep,
             "separator": _as_bytes(separator)}
    return apply_op("ReduceJoin", [tensor], attrs, name or "ReduceJoin").outputs[0]


# -- substr --------------------------------------------------------------------------------------
def _substr_infer(inputs, attrs):
    shapes = [t._shape for t in inputs]
    if any(s is None or None in s for s in shapes):
        return [(string, shapes[0] if shapes[0] is not None and shapes[1] == () else None)]
    try:
        return [(string, np.broadcast_shapes(shapes[0], shapes[1]))]
    except ValueError:
        a, b = next((a, b) for a, b in zip(reversed(shapes[0]), reversed(shapes[1])) if 1 != a != b != 1)
        raise ValueError(f"Dimensions must be equal, but are {a} and {b}") from None


def _utf8_starts(value):
    """Where each UTF-8 character of ``value`` starts (a byte that is not 10xxxxxx, as TF counts them), and the end."""
    return [i for i, b in enumerate(value) if b & 0xC0 != 0x80] + [len(value)]


def _substr_kernel(ctx):
    op, utf8 = ctx.op, ctx.attrs["unit"] == "UTF8_CHAR"

    def one(value, pos, size, index):
        starts = _utf8_starts(value) if utf8 else range(len(value) + 1)
        count = len(starts) - 1
        if not -count <= pos <= count:
            shown = "" if utf8 else f" {value!r}"  # TF's UTF8_CHAR message names no string
            raise errors.InvalidArgumentError(None, op, f"pos {pos} out of range for string{shown} at index {index}")
        start = pos + count if pos < 0 else pos
        stop = count if size < 0 else min(start + size, count)  # a negative len: to the end
        return value[starts[start]:starts[stop]]

    def run(array, pos, size):
        if pos.shape != size.shape:
            raise errors.InvalidArgumentError(None, op, f"pos and len should have the same shape, got: "
                                                        f"{_shape_text(pos.shape)} vs. {_shape_text(size.shape)}")
        try:
            array, pos, size = np.broadcast_arrays(array, pos, size)
        except ValueError:
            raise errors.InvalidArgumentError(None, op, f"Incompatible shapes: {_shape_text(array.shape)} vs. "
                                                        f"{_shape_text(pos.shape)}") from None
        out = np.empty(array.shape, dtype=object)
        for flat, index in enumerate(np.ndindex(array.shape)):
            out[index] = one(array[index], int(pos[index]), int(size[index]), flat)
        return out
    return run


define_op("Substr", _substr_infer, {"CPU": _substr_kernel}, doc="substrings at pos of length len", **_HOST)

_UNITS = ("BYTE", "UTF8_CHAR")


def _check_unit(unit):
    if unit not in _UNITS:
        raise ValueError(f"unit must be one of {', '.join(_UNITS)}, got {unit!r}")
    return unit


def substr(input, pos, len, name=None, unit="BYTE"):  # noqa: A002
    """The substring of each string starting at ``pos`` (negative: from the end) of ``len`` bytes (or UTF-8
    characters with ``unit='UTF8_CHAR'``); ``pos`` and ``len`` are int32/int64, scalars or the input's shape."""
    tensor = _strings(input)
    pos, size = convert_to_tensor(pos), convert_to_tensor(len)
    if pos.dtype != size.dtype or pos.dtype not in (int32, int64):
        raise TypeError(f"substr: pos and len must both be int32 or both int64, got {pos.dtype.name} and "
                        f"{size.dtype.name}")
    if pos.shape.rank is not None and size.shape.rank is not None:
        _check_same_shape(size.shape.as_list(), pos.shape.as_list(), what="rank")
    return apply_op("Substr", [tensor, pos, size], {"unit": _check_unit(unit)}, name or "Substr").outputs[0]


# -- length, lower, upper, strip ------------------------------------------------------------------
def _length_convert(ctx):
    if ctx.attrs["unit"] == "BYTE":
        return len
    # TF counts the bytes that do not continue a UTF-8 sequence (invalid UTF-8 is not an error)
    return lambda v: sum(1 for b in v if b & 0xC0 != 0x80)


_define_map("StringLength", lambda attrs: int32, _length_convert, "the length of each string in bytes or characters")


def length(input, name=None, unit="BYTE"):  # noqa: A002
    """The length of each string (int32), in bytes or (``unit='UTF8_CHAR'``) UTF-8 characters."""
    return apply_op("StringLength", [_strings(input)], {"unit": _check_unit(unit)}, name or "StringLength").outputs[0]


_ASCII_LOWER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = bytes.maketrans(b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _case_convert(table, method):
    def convert(ctx):
        if ctx.attrs["encoding"]:
            return lambda v: getattr(v.decode("utf-8", "surrogateescape"), method)().encode("utf-8", "surrogateescape")
        return lambda v: v.translate(table)
    return convert


_define_map("StringLower", lambda attrs: string, _case_convert(_ASCII_LOWER, "lower"), "each string in lower case")
_define_map("StringUpper", lambda attrs: string, _case_convert(_ASCII_UPPER, "upper"), "each string in upper case")


def _case_op(op_type, input, encoding, name):  # noqa: A002
    if encoding not in ("", "utf-8"):
        raise ValueError(f"encoding must be '' (ASCII letters only) or 'utf-8', got {encoding!r}")
    return apply_op(op_type, [_strings(input)], {"encoding": encoding}, name or op_type).outputs[0]


def lower(input, encoding="", name=None):  # noqa: A002
    """Each string in lower case: ASCII letters only, or (``encoding='utf-8'``) every cased character."""
    return _case_op("StringLower", input, encoding, name)


def upper(input, encoding="", name=None):  # noqa: A002
    """Each string in upper case: ASCII letters only, or (``encoding='utf-8'``) every cased character."""
    return _case_op("StringUpper", input, encoding, name)


_define_map("StringStrip", lambda attrs: string, lambda ctx: lambda v: v.strip(b" \t\n\v\f\r"),
            "each string without leading and trailing whitespace")


def strip(input, name=None):  # noqa: A002
    """Each string without its leading and trailing ASCII whitespace."""
    return apply_op("StringStrip", [_strings(input)], {}, name or "StringStrip").outputs[0]


string_strip = strip
