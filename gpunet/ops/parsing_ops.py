"""Decoders: decode_csv, decode_raw, parse_single_example / parse_example (tf.train.Example). CPU ops."""
from __future__ import annotations

import csv
from collections import namedtuple

import numpy as np

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import as_dtype, float32, float64, int32, int64, string
from ..graph.registry import apply_op, define_op
from ..graph.shape import TensorShape
from .array_ops import reshape

_CPU = dict(differentiable=False)


# -- decode_csv --------------------------------------------------------------------------------
def _csv_kernel(ctx):
    delim, quote, na, op = ctx.attrs["field_delim"], ctx.attrs["use_quote_delim"], ctx.attrs["na_value"], ctx.op
    select = ctx.attrs.get("select_cols")
    dtypes = [t.dtype for t in ctx.op.outputs]

    def decode(records, *defaults):
        columns = [np.empty(records.shape, dtype=d.np) for d in dtypes]
        for index, record in np.ndenumerate(records):
            fields = _selected(_split(record, delim, quote, op), select, len(dtypes), record, op)
            for i, field in enumerate(fields):
                columns[i][index] = _csv_value(field, defaults[i], dtypes[i], na, i, record, op)
        return columns[0] if len(columns) == 1 else tuple(columns)
    return decode


def _selected(fields, select, count, record, op):
    """The fields decoded: all of them (exactly ``count``), or the columns ``select`` names."""
    if select is None:
        if len(fields) != count:
            raise errors.InvalidArgumentError(None, op, f"Expect {count} fields but have {len(fields)} "
                                                        f"in record {record!r}")
        return fields
    if select[-1] >= len(fields):
        raise errors.InvalidArgumentError(None, op, f"select_cols asks for column {select[-1]} but record {record!r} "
                                                    f"has {len(fields)} fields")
    return [fields[c] for c in select]


def _split(record, delim, quote, op):
    text = record.decode("utf-8") if isinstance(record, bytes) else str(record)
    try:
        return next(csv.reader([text], delimiter=delim, quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE,
                               strict=True)) if text else [""]
    except csv.Error as exc:
        raise errors.InvalidArgumentError(None, op, f"Unquoted or badly quoted field in record {record!r}: "
                                                    f"{exc}") from None


def _csv_value(field, default, dtype, na, column, record, op):
    if field == "" or (na and field == na):
        if default.size == 0:
            raise errors.InvalidArgumentError(None, op, f"Field {column} is required but missing in record "
                                                        f"{record!r}!")
        return default.reshape(-1)[0]
    if dtype == string:
        return field.encode("utf-8")
    try:
        return (int if dtype.is_integer else float)(field)
    except ValueError:
        raise errors.InvalidArgumentError(None, op, f"Field {column} in record {record!r} is not a valid "
                                                    f"{dtype.name}: {field!r}") from None


define_op("DecodeCSV", lambda inputs, attrs: [(t.dtype, inputs[0]._shape) for t in inputs[1:]],
          {"CPU": _csv_kernel}, **_CPU)

_CSV_TYPES = (float32, float64, int32, int64, string)


def decode_csv(records, record_defaults, field_delim=",", use_quote_delim=True, name=None, na_value="",
               select_cols=None):
    """Columns of CSV ``records``: one tensor per ``record_defaults`` entry (a 1-element default,
    or an empty one for a required column), of its dtype and the records' shape; with ``select_cols``
    (strictly increasing column indices, one per default) only those columns are decoded."""
    select_cols = _check_select_cols(select_cols, len(record_defaults))
    if len(field_delim) != 1:
        raise ValueError(f"field_delim must be one character, got {field_delim!r}")
    defaults = [_csv_default(d, i) for i, d in enumerate(record_defaults)]
    op = apply_op("DecodeCSV", [convert_to_tensor(records, dtype=string)] + defaults,
                  {"field_delim": field_delim, "use_quote_delim": use_quote_delim, "na_value": na_value,
                   "select_cols": select_cols},
                  name or "DecodeCSV")
    return list(op.outputs)


def _check_select_cols(select_cols, count):
    """``select_cols`` as a tuple of column indices (None: all columns), checked as TF1 does."""
    if select_cols is None:
        return None
    select = tuple(int(c) for c in select_cols)
    if any(b <= a for a, b in zip(select, select[1:])):
        raise ValueError("select_cols is not strictly increasing.")
    if select and select[0] < 0:
        raise ValueError("select_cols contains negative values.")
    if len(select) != count:
        raise ValueError(f"Length of select_cols and record_defaults do not match: select_cols has {len(select)} "
                         f"columns but record_defaults {count}.")
    return select


def _csv_default(value, column):
    tensor = convert_to_tensor(value)
    if tensor.dtype not in _CSV_TYPES:
        raise TypeError(f"record_defaults[{column}] has dtype {tensor.dtype.name}; decode_csv takes "
                        f"{', '.join(d.name for d in _CSV_TYPES)}")
    if tensor.shape.num_elements() not in (0, 1, None):
        raise ValueError(f"record_defaults[{column}] must have at most one element, got shape {tensor.shape}")
    return tensor


# -- decode_raw --------------------------------------------------------------------------------
def _raw_kernel(ctx):
    dtype = ctx.out_dtype().newbyteorder("<" if ctx.attrs["little_endian"] else ">")
    op = ctx.op

    def decode(data):
        flat = [np.frombuffer(_bytes_of(b, dtype.itemsize, op), dtype=dtype) for b in data.reshape(-1)]
        if len({len(f) for f in flat}) > 1:
            raise errors.InvalidArgumentError(None, op, f"DecodeRaw requires input strings to all be the same "
                                              f"size, but element 0 has size {len(flat[0]) * dtype.itemsize}")
        width = len(flat[0]) if flat else 0
        out = np.stack(flat) if flat else np.empty((0, 0), dtype)
        return out.astype(dtype.newbyteorder("="), copy=False).reshape(data.shape + (width,))
    return decode


def _bytes_of(value, itemsize, op):
    if len(value) % itemsize:
        raise errors.InvalidArgumentError(None, op, f"Input to DecodeRaw has length {len(value)} that is not a "
                                                    f"multiple of {itemsize}, the size of the output type")
    return value


define_op("DecodeRaw", lambda inputs, attrs: [(attrs["out_type"], None if inputs[0]._shape is None
                                               else tuple(inputs[0]._shape) + (None,))],
          {"CPU": _raw_kernel}, **_CPU)


def decode_raw(input_bytes=None, out_type=None, little_endian=True, name=None, bytes=None):  # noqa: A002
    """The bytes of each string as a vector of ``out_type`` (all strings the same length)."""
    source = input_bytes if input_bytes is not None else bytes
    out_type = as_dtype(out_type)
    if out_type == string:
        raise TypeError("decode_raw cannot decode to string")
    return apply_op("DecodeRaw", [convert_to_tensor(source, dtype=string)],
                    {"out_type": out_type, "little_endian": little_endian}, name or "DecodeRaw").outputs[0]


# -- Example protos ----------------------------------------------------------------------------
FixedLenFeature = namedtuple("FixedLenFeature", ["shape", "dtype", "default_value"], defaults=[None])
VarLenFeature = namedtuple("VarLenFeature", ["dtype"])


class SparseTensor(namedtuple("SparseTensor", ["indices", "values", "dense_shape"])):
    """indices [N, rank] int64, values [N], dense_shape [rank] int64: graph tensors, and (as fetched)
    their NumPy values."""


SparseTensorValue = SparseTensor
_KINDS = {float32: "float_list", int64: "int64_list", string: "bytes_list"}


def _feature_values(example, key, feature, op):
    kind = _KINDS[as_dtype(feature.dtype)]
    if key not in example.features.feature:
        return None
    proto = example.features.feature[key]
    which = proto.WhichOneof("kind")
    if which is not None and which != kind:
        raise errors.InvalidArgumentError(None, op, f"Feature: {key} (data type: {feature.dtype.name}) is "
                                                    f"required but could not be found as {kind} (it is {which}).")
    return list(getattr(proto, kind).value) if which else []


def _parse_kernel(ctx):
    keys, features, op = ctx.attrs["keys"], ctx.attrs["features"], ctx.op

    def parse(serialized):
        examples = [_example(s, op) for s in serialized.reshape(-1)]
        outputs = []
        for key, feature in zip(keys, features):
            values = [_feature_values(e, key, feature, op) for e in examples]
            if isinstance(feature, VarLenFeature):
                outputs.extend(_sparse(values, as_dtype(feature.dtype)))
            else:
                outputs.append(_dense(values, key, feature, op))
        if ctx.attrs["single"]:
            outputs = [_unbatch(o, i, keys, features) for i, o in enumerate(outputs)]
        return outputs[0] if len(outputs) == 1 else tuple(outputs)
    return parse


def _example(serialized, op):
    from .example_proto import Example  # protobuf (the `io` extra) is imported when Examples are parsed
    try:
        return Example.FromString(serialized)
    except Exception:  # noqa: BLE001 — protobuf's DecodeError and friends
        raise errors.InvalidArgumentError(None, op, "Could not parse example input, value: "
                                                    f"{serialized[:64]!r}") from None


def _dense(values, key, feature, op):
    shape, dtype = tuple(feature.shape), as_dtype(feature.dtype)
    size = int(np.prod(shape))
    rows = []
    for v in values:
        if v is None or (not v and size):
            if feature.default_value is None:
                raise errors.InvalidArgumentError(None, op, f"Feature: {key} (data type: {dtype.name}) is "
                                                            "required but could not be found.")
            rows.append(np.broadcast_to(np.asarray(feature.default_value, dtype=dtype.np), shape))
            continue
        if len(v) != size:
            raise errors.InvalidArgumentError(None, op, f"Key: {key}.  Can't parse serialized Example: "
                                                        f"expected {size} values for shape {list(shape)}, got {len(v)}")
        rows.append(np.array(v, dtype=dtype.np).reshape(shape))
    return np.stack(rows) if rows else np.empty((0,) + shape, dtype.np)


def _sparse(values, dtype):
    values = [v or [] for v in values]
    indices = [(row, col) for row, v in enumerate(values) for col in range(len(v))]
    flat = np.array([x for v in values for x in v], dtype=dtype.np)
    if dtype == string:
        flat = np.array([x for v in values for x in v] or [], dtype=object)
    shape = np.array([len(values), max((len(v) for v in values), default=0)], dtype=np.int64)
    return np.array(indices, dtype=np.int64).reshape(-1, 2), flat, shape


def _unbatch(output, index, keys, features):
    """parse_single_example: drops the batch axis (a sparse result's first index column)."""
    kinds = [k for f in features for k in (("i", "v", "s") if isinstance(f, VarLenFeature) else ("d",))]
    kind = kinds[index]
    if kind == "d" or kind == "v":
        return output[0] if kind == "d" else output
    return output[:, 1:] if kind == "i" else output[1:]


def _parse_infer(inputs, attrs):
    lead = () if attrs["single"] else (None,)
    rank = 1 if attrs["single"] else 2
    outs = []
    for feature in attrs["features"]:
        dtype = as_dtype(feature.dtype)
        if isinstance(feature, VarLenFeature):
            outs += [(int64, (None, rank)), (dtype, (None,)), (int64, (rank,))]
        else:
            outs.append((dtype, lead + tuple(feature.shape)))
    return outs


define_op("ParseExample", _parse_infer, {"CPU": _parse_kernel}, **_CPU)


def parse_example(serialized, features, name=None, example_names=None):
    """A dict of tensors from a vector of serialized Examples: dense features ``[batch] + shape``,
    VarLenFeature as a SparseTensor with indices ``[N, 2]``."""
    return _parse(serialized, features, False, name or "ParseExample")


def parse_single_example(serialized, features, name=None, example_names=None):
    """A dict of tensors from one serialized Example (VarLenFeature: SparseTensor of rank 1)."""
    return _parse(serialized, features, True, name or "ParseSingleExample")


def _parse(serialized, features, single, name):
    if not isinstance(features, dict) or not features:
        raise ValueError(f"features must be a non-empty dict, got {features!r}")
    keys = sorted(features)
    specs = [_check_feature(k, features[k]) for k in keys]
    tensor = convert_to_tensor(serialized, dtype=string)
    if single:
        tensor = reshape(tensor, [1])
    outputs = iter(apply_op("ParseExample", [tensor], {"keys": keys, "features": specs, "single": single},
                            name).outputs)
    result = {}
    for key, spec in zip(keys, specs):
        result[key] = SparseTensor(*[next(outputs) for _ in range(3)]) if isinstance(spec, VarLenFeature) \
            else next(outputs)
    return result


def _check_feature(key, spec):
    if not isinstance(spec, (FixedLenFeature, VarLenFeature)):
        raise TypeError(f"features[{key!r}] must be a FixedLenFeature or VarLenFeature, got {spec!r}")
    dtype = as_dtype(spec.dtype)
    if dtype not in _KINDS:
        raise TypeError(f"features[{key!r}] has dtype {dtype.name}; Example features are float32, int64 or string")
    if isinstance(spec, FixedLenFeature):
        shape = TensorShape(spec.shape)
        if not shape.is_fully_defined():
            raise ValueError(f"features[{key!r}]: FixedLenFeature needs a fully defined shape, got {spec.shape}")
        return FixedLenFeature(tuple(shape.as_list()), dtype, spec.default_value)
    return VarLenFeature(dtype)


__all__ = ["FixedLenFeature", "SparseTensor", "SparseTensorValue", "VarLenFeature", "decode_csv", "decode_raw",
           "parse_example", "parse_single_example"]
