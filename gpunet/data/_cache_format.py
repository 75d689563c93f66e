"""The format of ``Dataset.cache(filename)``'s file: a TFRecord file of a header, the elements and an end record.

Each record is framed as in any TFRecord file (``uint64 length | uint32 masked CRC-32C of the length | data |
uint32 masked CRC-32C of the data``, little-endian; gpunet/ops/record_io.py), so a damaged byte is caught
by its CRC, and ``TFRecordDataset`` reads the records too. The records' data, all integers little-endian:

- the header: ``b"gpunet.data.cache/1\\n"`` then UTF-8 JSON ``{"dtypes": [names], "shapes": [[dims | null] | null]}``
  describing the flat components of an element, as the dataset that wrote it declared them;
- one record per element: ``b"E"``, then per component ``uint8 rank``, ``rank x int64`` dims and its values:
  the array's bytes in C order for numbers and bool, ``uint64 length | bytes`` per item for strings;
- the end record: ``b"Z" | uint64 number of elements``: a file without it is truncated.

Nothing is pickled: reading a file builds only arrays of the dtypes the header names.
"""
from __future__ import annotations

import json
import os
import struct

import numpy as np

from .. import errors
from ..graph.dtypes import as_dtype, string
from ..ops.record_io import masked_crc, tfrecord_frame
from .structure import compatible

__all__ = ["encode_element", "end_record", "header", "read_elements"]

_MAGIC = b"gpunet.data.cache/1\n"
_ELEMENT, _END = b"E", b"Z"
_COUNT = struct.Struct("<Q")
_END_FRAME_BYTES = 12 + 1 + _COUNT.size + 4  # the end record as framed: always the file's last bytes


def header(structure) -> bytes:
    """The header record of a file of ``structure``'s elements."""
    described = {"dtypes": [d.name for d in structure.flat_dtypes],
                 "shapes": [None if s is None else list(s) for s in structure.flat_shapes]}
    return _MAGIC + json.dumps(described).encode()


def end_record(count: int) -> bytes:
    return _END + _COUNT.pack(count)


def encode_element(element, dtypes) -> bytes:
    """One element's record; a component of another dtype than declared is an InvalidArgumentError."""
    parts = [_ELEMENT]
    for value, dtype in zip(element, dtypes):
        parts.extend(_encoded_component(_as_array(value, dtype), dtype))
    return b"".join(parts)


def _as_array(value, dtype):
    if dtype == string and isinstance(value, (bytes, str)):  # a 0-d string handed on as it is
        array = np.empty((), dtype=object)
        array[()] = value
        return array
    return np.asarray(value)


def _encoded_component(array, dtype):
    if array.dtype != dtype.np:
        raise errors.InvalidArgumentError(None, None, f"Dataset.cache: the input produced a {array.dtype} component "
                                                      f"where the dataset declares {dtype.name}")
    yield struct.pack(f"<B{array.ndim}q", array.ndim, *array.shape)
    if dtype != string:
        yield np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
        return
    for item in array.ravel():
        item = _as_bytes(item)
        yield _COUNT.pack(len(item))
        yield item


def _as_bytes(item) -> bytes:
    if isinstance(item, str):
        return item.encode("utf-8")
    if not isinstance(item, bytes):
        raise errors.InvalidArgumentError(None, None, f"Dataset.cache: a string component holds a "
                                                      f"{type(item).__name__}, not bytes")
    return item


# -- reading ----------------------------------------------------------------------------------------------------
def read_elements(file, structure, name):
    """The elements of the open cache file ``file``: its header and end record are checked first, so a file of
    other elements or a truncated one is refused before any element; DataLossError for a damaged or foreign
    file, InvalidArgumentError for one of other elements."""
    records = _framed_records(file, name)
    _check_header(next(records, (0, b""))[1], structure, name)
    elements, size = file.tell(), os.fstat(file.fileno()).st_size
    file.seek(max(size - _END_FRAME_BYTES, elements))
    count = _decode_end(file.read(_END_FRAME_BYTES), name)
    file.seek(elements)  # where ``records`` goes on reading
    for index, (offset, data) in enumerate(records):
        if index == count:
            if offset + _END_FRAME_BYTES != size:
                _lost(name, offset, f"records after its {count} elements")
            return
        yield _decode_element(data, structure, name, index)
    _lost(name, None, "it ends before its end record")


def _framed_records(file, name):
    """``(offset, data)`` per record of the open binary ``file`` read as it goes, CRCs checked; a damaged
    or cut record is a DataLossError naming ``name`` and the offset."""
    offset = 0
    while head := file.read(12):
        if len(head) < 12 or struct.unpack_from("<I", head, 8)[0] != masked_crc(head[:8]):
            _lost(name, offset, "a truncated record header" if len(head) < 12 else "a corrupted record length")
        (length,) = _COUNT.unpack_from(head)
        body = file.read(length + 4)
        if len(body) < length + 4:
            _lost(name, offset, f"a truncated record of {length} bytes")
        data = body[:length]
        if struct.unpack_from("<I", body, length)[0] != masked_crc(data):
            _lost(name, offset, "a corrupted record (CRC mismatch)")
        yield offset, data
        offset += 12 + length + 4


def _decode_end(frame: bytes, name) -> int:
    """The number of elements the file's last ``_END_FRAME_BYTES`` state; DataLossError if they are not an end
    record (the file was cut, or not completed)."""
    if len(frame) == _END_FRAME_BYTES and frame == tfrecord_frame(frame[12:-4]) and frame[12:13] == _END:
        return _COUNT.unpack_from(frame, 13)[0]
    raise errors.DataLossError(None, None, f"cache file {name} is truncated or corrupted: it does not end with "
                                           f"the end record a complete cache has; delete it to write it again")


def _check_header(data: bytes, structure, name):
    """DataLossError if ``data`` is not a cache header; InvalidArgumentError if it describes other elements."""
    if not data.startswith(_MAGIC):
        raise errors.DataLossError(None, None, f"{name} is not a gpunet cache file (its first record does not "
                                               f"start with {_MAGIC!r})")
    try:
        described = json.loads(data[len(_MAGIC):])
        dtypes = [as_dtype(d) for d in described["dtypes"]]
        shapes = [None if s is None else tuple(s) for s in described["shapes"]]
    except (ValueError, TypeError, KeyError) as exc:
        raise errors.DataLossError(None, None, f"cache file {name} has a damaged header: {exc}") from None
    if dtypes != structure.flat_dtypes or len(shapes) != len(dtypes) or not all(
            _unifiable(a, b) for a, b in zip(shapes, structure.flat_shapes)):
        raise errors.InvalidArgumentError(None, None, (
            f"cache file {name} holds elements of dtypes {[d.name for d in dtypes]} and shapes {shapes}, but this "
            f"dataset's elements have dtypes {[d.name for d in structure.flat_dtypes]} and shapes "
            f"{structure.flat_shapes}: it was written by another pipeline; delete it or cache to another filename"))


def _unifiable(a, b) -> bool:
    """Whether some shape fits both ``a`` and ``b`` (None: any shape; a None dimension: any size)."""
    return a is None or b is None or (len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b)))


def _decode_element(data: bytes, structure, name, index):
    """The flat tuple of read-only arrays record ``data`` holds (element ``index`` of file ``name``)."""
    if data[:1] != _ELEMENT:
        _lost(name, None, f"record {index + 1} is not an element")
    offset, out = 1, []
    try:
        for dtype, shape in zip(structure.flat_dtypes, structure.flat_shapes):
            array, offset = _decoded_component(data, offset, dtype)
            if not compatible(shape, array.shape):
                raise errors.InvalidArgumentError(None, None, f"cache file {name} holds an element of shape "
                                                              f"{list(array.shape)} where the dataset declares {shape}")
            array.flags.writeable = False  # shared by every pass that reads it: a fetch copies it
            out.append(array)
    except (struct.error, ValueError):
        _lost(name, None, f"element {index} is malformed")
    if offset != len(data):
        _lost(name, None, f"element {index} has {len(data) - offset} bytes left over")
    return tuple(out)


def _decoded_component(data, offset, dtype):
    (rank,) = struct.unpack_from("<B", data, offset)
    shape = struct.unpack_from(f"<{rank}q", data, offset + 1)
    offset += 1 + 8 * rank
    if min(shape, default=0) < 0:
        raise ValueError("a negative dimension")
    count = int(np.prod(shape, dtype=np.int64))
    if dtype == string:
        items = []
        for _ in range(count):
            (length,) = _COUNT.unpack_from(data, offset)
            items.append(data[offset + 8:offset + 8 + length])
            if len(items[-1]) != length:
                raise ValueError("a string runs past the record")
            offset += 8 + length
        array = np.empty(count, dtype=object)
        array[:] = items
        return array.reshape(shape), offset
    stored = dtype.np.newbyteorder("<")
    array = np.frombuffer(data, dtype=stored, count=count, offset=offset).reshape(shape)
    return array.astype(dtype.np, copy=False), offset + count * stored.itemsize


def _lost(name, offset, what):
    where = "" if offset is None else f" at offset {offset}"
    raise errors.DataLossError(None, None, f"cache file {name} is corrupted: {what}{where}; delete it to write it "
                                           f"again")
