"""Record files: TFRecord framing (masked CRC-32C, checked on read), text lines, fixed-length records.

Each reader is a generator of ``(key, record_bytes)``; keys are ``b"<file>:<n>"`` as TF1's readers
give. A TFRecord record is ``uint64 length | uint32 masked_crc(length) | data | uint32
masked_crc(data)``, all little-endian; a damaged one raises DataLossError naming file and offset.
"""
from __future__ import annotations

import struct

import crc32c

from .. import errors

_MASK_DELTA = 0xA282EAD8


def masked_crc(data: bytes) -> int:
    crc = crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def tfrecord_frame(record: bytes) -> bytes:
    """One record as it is written to a TFRecord file."""
    length = struct.pack("<Q", len(record))
    return length + struct.pack("<I", masked_crc(length)) + record + struct.pack("<I", masked_crc(record))


def _check_compression(compression_type):
    if compression_type not in (None, "", 0):
        raise ValueError(f"compression_type {compression_type!r} is not supported (only uncompressed files)")


def tfrecord_records(path, compression_type=None):
    """``(offset, data)`` per record of the TFRecord file ``path``, CRCs checked."""
    _check_compression(compression_type)
    name = _name(path)
    with open(path, "rb") as f:
        data = f.read()
    offset, end = 0, len(data)
    while offset < end:
        if end - offset < 12:
            _lost(name, offset, "truncated record header")
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


def _lost(name, offset, what):
    raise errors.DataLossError(None, None, f"{what} at offset {offset} in file {name}")


def _name(path) -> str:
    return path.decode() if isinstance(path, bytes) else str(path)


def text_lines(path, skip_header_lines=0):
    """``(line_number, line)`` per line, without its newline (``\\r\\n`` too)."""
    with open(_name(path), "rb") as f:
        for number, line in enumerate(f, start=1):
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
        source = text_lines(path, params.get("skip_header_lines", 0))
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
