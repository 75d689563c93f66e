"""Record files: TFRecord framing (masked CRC-32C, checked on read), text lines, fixed-length records.

Each reader is a generator of ``(key, record_bytes)``; keys are ``b"<file>:<n>"`` as TF1's readers
give. A TFRecord record is ``uint64 length | uint32 masked_crc(length) | data | uint32
masked_crc(data)``, all little-endian; a damaged one raises DataLossError naming file and offset. A GZIP or ZLIB
TFRecord file is that byte stream compressed whole, as TF writes it (zlib's default level, memory
level 9), so files gpunet writes are byte-identical to TF's; offsets are in the uncompressed stream.
"""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np

from .. import errors

__all__ = ["fixed_length_records", "masked_crc", "record_chunks", "records", "text_lines", "tfrecord_frame",
           "tfrecord_records"]

_MASK_DELTA = 0xA282EAD8


def _crc32c():
    """The ``crc32c`` package (the ``io`` extra), imported when a TFRecord file is first used."""
    try:
        import crc32c
    except ImportError:
        raise ImportError("TFRecord files need the crc32c package: pip install 'gpunet[io]'") from None
    return crc32c.crc32c


def masked_crc(data: bytes) -> int:
    crc = _crc32c()(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def tfrecord_frame(record: bytes) -> bytes:
    """One record as it is written to a TFRecord file."""
    length = struct.pack("<Q", len(record))
    return length + struct.pack("<I", masked_crc(length)) + record + struct.pack("<I", masked_crc(record))


_WINDOW_BITS = {"ZLIB": 15, "GZIP": 31}  # 31: a gzip header and trailer around the deflate stream
_CODES = {0: None, 1: "ZLIB", 2: "GZIP"}    # TFRecordCompressionType's values


def compression_kind(compression_type):
    """None, 'ZLIB' or 'GZIP' for TF's ways of naming them (None, '', 'NONE', 'ZLIB', 'GZIP', 0, 1, 2,
    or TFRecordOptions); anything else is a ValueError naming it."""
    compression_type = getattr(compression_type, "compression_type", compression_type)
    if compression_type in (None, ""):
        return None
    if isinstance(compression_type, int) and not isinstance(compression_type, bool) and compression_type in _CODES:
        return _CODES[compression_type]
    if isinstance(compression_type, str) and compression_type.upper() in ("NONE", "ZLIB", "GZIP"):
        return None if compression_type.upper() == "NONE" else compression_type.upper()
    raise ValueError(f"compression_type {compression_type!r} is not supported: use None, 'ZLIB' or 'GZIP'")


def compressor(compression_type):
    """A zlib compressor that writes what TF's TFRecordWriter writes for ``compression_type`` (or None)."""
    kind = compression_kind(compression_type)
    return None if kind is None else zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, _WINDOW_BITS[kind], 9)


def _file_bytes(name, compression_type):
    """The (uncompressed) bytes of record file ``name``; a damaged compressed file is DataLossError."""
    kind = compression_kind(compression_type)
    with open(name, "rb") as f:
        data = f.read()
    if kind is None:
        return data
    inflater = zlib.decompressobj(_WINDOW_BITS[kind])
    try:
        out = inflater.decompress(data) + inflater.flush()
    except zlib.error as exc:
        raise errors.DataLossError(None, None, f"corrupted {kind} data in file {name}: {exc}") from None
    if not inflater.eof:
        raise errors.DataLossError(None, None, f"truncated {kind} data in file {name}")
    return out


# a record's header: its length (8 bytes) and the length's masked CRC (4). TF's readers end a file
# where fewer bytes than a header remain (a file still being written), and report a record whose header
# is whole but whose data or CRC is cut off as DataLossError; gpunet's do the same.
_HEADER = 12


def tfrecord_records(path, compression_type=None):
    """``(offset, data)`` per record of the TFRecord file ``path``, CRCs checked."""
    name = _name(path)
    data = _file_bytes(name, compression_type)
    offset, end = 0, len(data)
    while end - offset >= _HEADER:  # fewer bytes than a header end the file, as in TF
        header = data[offset:offset + 8]
        (length,) = struct.unpack_from("<Q", data, offset)
        if struct.unpack_from("<I", data, offset + 8)[0] != masked_crc(header):
            _lost(name, offset, "corrupted record length (CRC mismatch)")
        start = offset + 12
        if start + length + 4 > end:
            _lost(name, offset, f"truncated record of {length} bytes")
        record = data[start:start + length]
        if struct.unpack_from("<I", data, start + length)[0] != masked_crc(record):
            _lost(name, offset, "corrupted record data (CRC mismatch)")
        yield offset, record
        offset = start + length + 4


def _tfrecord_chunks(name, size, compression_type=None):
    """Lists of up to ``size`` records: ``tfrecord_records`` in a tight loop (the hot path of
    TFRecordDataset); the masked CRCs of a chunk are compared at once with NumPy."""
    data = _file_bytes(name, compression_type)
    unpack_q, crc, end = struct.Struct("<Q").unpack_from, _crc32c(), len(data)
    offset = 0
    while end - offset >= _HEADER:
        chunk, offsets, crcs = [], [], []
        while end - offset >= _HEADER and len(chunk) < size:
            (length,) = unpack_q(data, offset)
            start = offset + 12
            stop = start + length
            if stop + 4 > end or length > end:
                _lost(name, offset, f"truncated record of {length} bytes")
            record = data[start:stop]
            crcs.append(crc(data[offset:offset + 8]))
            crcs.append(crc(record))
            chunk.append(record)
            offsets.append(offset)
            offset = stop + 4
        _check_crcs(name, data, offsets, [len(r) for r in chunk], crcs)
        yield chunk


def _check_crcs(name, data, offsets, lengths, crcs):
    computed = np.array(crcs, dtype=np.uint64)
    masked = (((computed >> 15) | (computed << 17)) + _MASK_DELTA) & 0xFFFFFFFF
    starts = np.array(offsets, dtype=np.int64)
    where = np.empty(len(crcs), dtype=np.int64)
    where[0::2], where[1::2] = starts + 8, starts + 12 + np.array(lengths, dtype=np.int64)
    raw = np.frombuffer(data, dtype=np.uint8)
    stored = np.ascontiguousarray(raw[where[:, None] + np.arange(4)]).view("<u4").ravel()
    bad = np.flatnonzero(stored != masked)
    if len(bad):
        first = bad[0]
        _lost(name, offsets[first // 2], "corrupted record length (CRC mismatch)" if first % 2 == 0
              else "corrupted record data (CRC mismatch)")


def record_chunks(kind, path, params, size):
    """The values of the records of ``path`` (no keys), in lists of up to ``size``."""
    name = _name(path)
    try:
        if kind == "tfrecord":
            yield from _tfrecord_chunks(name, size, params.get("compression_type"))
            return
        chunk = []
        for _, value in records(kind, path, params):
            chunk.append(value)
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise errors.NotFoundError(None, None, f"{name}: {exc.strerror}") from None


def _lost(name, offset, what):
    raise errors.DataLossError(None, None, f"{what} at offset {offset} in file {name}")


def _name(path) -> str:
    return path.decode() if isinstance(path, bytes) else str(path)


def text_lines(path, skip_header_lines=0, compression_type=None):
    """``(line_number, line)`` per line, without its newline (``\\r\\n`` too); a 'GZIP' or 'ZLIB' file
    is decompressed first."""
    name = _name(path)
    if compression_kind(compression_type) is not None:
        lines = io.BytesIO(_file_bytes(name, compression_type))
        yield from _numbered(lines, skip_header_lines)
        return
    with open(name, "rb") as f:
        yield from _numbered(f, skip_header_lines)


def _numbered(lines, skip_header_lines):
    for number, line in enumerate(lines, start=1):
        if number > skip_header_lines:
            yield number, line.rstrip(b"\n").rstrip(b"\r")


def fixed_length_records(path, record_bytes, header_bytes=0, footer_bytes=0):
    """``(index, record)`` per record between the header and the footer; a partial last record is
    DataLossError, as TF1."""
    name = _name(path)
    with open(name, "rb") as f:
        data = f.read()
    body = data[header_bytes:len(data) - footer_bytes]
    if len(body) % record_bytes:
        _lost(name, header_bytes + len(body) - len(body) % record_bytes,
              f"{len(body) % record_bytes} bytes left over after the last of {len(body) // record_bytes} "
              f"records of {record_bytes} bytes")
    for index in range(len(body) // record_bytes):
        yield index, body[index * record_bytes:(index + 1) * record_bytes]


def records(kind, path, params):
    """``(key, value)`` per record of ``path`` read as ``kind`` ('text', 'fixed', 'tfrecord')."""
    name = _name(path)
    if kind == "text":
        source = text_lines(path, params.get("skip_header_lines", 0), params.get("compression_type"))
    elif kind == "fixed":
        source = fixed_length_records(path, params["record_bytes"], params.get("header_bytes", 0),
                                      params.get("footer_bytes", 0))
    else:
        source = tfrecord_records(name, params.get("compression_type"))
    try:
        for n, value in source:
            yield f"{name}:{n}".encode(), value
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise errors.NotFoundError(None, None, f"{name}: {exc.strerror}") from None
