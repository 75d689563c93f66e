"""Checkpoint files: the tensors in one safetensors file whose header carries a checksum of the
whole checkpoint; atomic writes.

A checkpoint with prefix ``P`` is the file ``P.safetensors``: safetensors' layout (8-byte header
length, a JSON header naming each tensor's dtype, shape and byte range, the raw tensors back to
back) with ``__metadata__`` ``{"format": FORMAT, "crc32c": ...}``. The CRC32C covers the tensor
table (canonical JSON) and the tensor bytes, so a reader detects a truncated, altered or foreign
file before trusting any of it. No file holds pickled objects. The file is streamed, the checksum
computed on the way (twice as fast as building it in memory with the safetensors library, which
reads it back), fsynced and renamed into place.
"""
from __future__ import annotations

import contextlib
import json
import os
import struct
import tempfile

import numpy as np

from .. import errors

FORMAT = "gpunet-checkpoint-1"
DATA_SUFFIX = ".safetensors"
# NumPy dtype -> safetensors dtype code (strings and objects have no fixed-size layout)
_SAFETENSORS_DTYPES = {"bool": "BOOL", "uint8": "U8", "int8": "I8", "int16": "I16", "int32": "I32", "int64": "I64",
                       "uint16": "U16", "uint32": "U32", "uint64": "U64", "float16": "F16", "float32": "F32",
                       "float64": "F64"}
_NUMPY_DTYPES = {code: name for name, code in _SAFETENSORS_DTYPES.items()}
SUPPORTED_DTYPES = frozenset(_SAFETENSORS_DTYPES)


def _io_libraries():
    try:
        import crc32c
        import safetensors.numpy
    except ImportError as exc:
        raise ImportError(f"gpunet checkpoints need safetensors and crc32c: pip install 'gpunet[io]' ({exc})") from None
    return safetensors.numpy, crc32c.crc32c


# -- atomic writes ------------------------------------------------------------------------------
@contextlib.contextmanager
def atomic_file(path: str):
    """A binary file to write ``path`` through, so that a crash at any instant leaves either the
    old file or the complete new one: a temp file in the same directory, fsync, rename, fsync the
    directory. Nothing replaces ``path`` if the body raises."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o644)
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_directory(directory)


def write_atomic(path: str, data: bytes) -> None:
    """Replace ``path`` by ``data`` atomically (see ``atomic_file``)."""
    with atomic_file(path) as f:
        f.write(data)


def fsync_directory(directory: str) -> None:
    """Make a rename or unlink in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- writing ------------------------------------------------------------------------------------
def write_checkpoint(prefix: str, tensors: dict) -> None:
    """Write ``tensors`` (key -> host array) atomically as the checkpoint ``prefix``."""
    arrays = {key: _little_endian_c_order(value) for key, value in tensors.items()}
    table = _tensor_table(arrays)
    chunks = [memoryview(array.reshape(-1).view(np.uint8)) for array in arrays.values()]
    header = json.dumps({"__metadata__": {"format": FORMAT, "crc32c": str(_checksum(table, chunks))}, **table},
                        separators=(",", ":")).encode()
    header += b" " * (-len(header) % 8)  # safetensors aligns the data to 8 bytes
    with atomic_file(prefix + DATA_SUFFIX) as f:
        f.write(struct.pack("<Q", len(header)) + header)
        for chunk in chunks:
            f.write(chunk)


def _tensor_table(arrays: dict) -> dict:
    """safetensors' header entries: the tensors back to back in the order given."""
    table, offset = {}, 0
    for key, array in arrays.items():
        table[key] = {"dtype": _SAFETENSORS_DTYPES[array.dtype.name], "shape": list(array.shape),
                      "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    return table


def _checksum(table: dict, chunks) -> int:
    """CRC32C of the tensor table (canonical JSON: key order and spacing do not matter) and the bytes."""
    _, crc32c = _io_libraries()
    crc = crc32c(_canonical(table))
    for chunk in chunks:
        crc = crc32c(chunk, crc)
    return crc


def _canonical(table: dict) -> bytes:
    return json.dumps(table, sort_keys=True, separators=(",", ":")).encode()


def _little_endian_c_order(value) -> np.ndarray:
    """safetensors' layout; a view (a transpose) is copied, never written as its raw buffer, and
    0-d stays 0-d (np.ascontiguousarray would make it 1-d)."""
    array = np.asarray(value)
    return np.asarray(array, dtype=array.dtype.newbyteorder("<"), order="C")


def delete_checkpoint(prefix: str) -> None:
    """Remove checkpoint ``prefix`` (gone already is fine)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(prefix + DATA_SUFFIX)


def checkpoint_exists(prefix: str) -> bool:
    """Whether checkpoint ``prefix`` was written (its file exists; not that it is intact)."""
    return os.path.isfile(prefix + DATA_SUFFIX)


# -- reading ------------------------------------------------------------------------------------
def read_checkpoint(prefix: str) -> dict:
    """All tensors of checkpoint ``prefix`` (key -> array), verified before anything is trusted:
    a missing file is a ``NotFoundError``; a truncated, altered or foreign one a ``DataLossError``."""
    try:
        with open(prefix + DATA_SUFFIX, "rb") as f:
            data = f.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise errors.NotFoundError(None, None, f"The passed save_path is not a valid checkpoint: {prefix} "
                                               f"(no file {prefix + DATA_SUFFIX})") from None
    length = struct.unpack("<Q", data[:8])[0] if len(data) >= 8 else len(data)
    if len(data) < 8 or length > len(data) - 8:
        raise _data_loss(prefix, f"the file ends within the header ({len(data)} bytes; truncated)")
    table, crc = _parse_header(prefix, data[8:8 + length])
    payload = memoryview(data)[8 + length:]
    end = max((entry["data_offsets"][1] for entry in table.values()), default=0)
    if len(payload) != end:
        raise _data_loss(prefix, f"the tensors need {end} bytes after the header, the file has {len(payload)} "
                                 f"(truncated?)")
    if _checksum(table, [payload]) != crc:
        raise _data_loss(prefix, "the CRC32C does not match (the file is corrupted)")
    return _tensors(prefix, data, table)


def _parse_header(prefix, text: bytes) -> tuple:
    """(tensor table, the checksum its metadata states), or ``DataLossError``."""
    try:
        header = json.loads(text)
        metadata = header.pop("__metadata__")
        if metadata["format"] != FORMAT:
            raise ValueError(f"format {metadata['format']!r}, expected {FORMAT!r}")
        return {key: _checked_entry(key, entry) for key, entry in header.items()}, int(metadata["crc32c"])
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
        raise _data_loss(prefix, f"the header is not a gpunet checkpoint header ({type(exc).__name__}: {exc})") from exc


def _checked_entry(key, entry):
    shape, offsets = entry["shape"], entry["data_offsets"]
    if (entry["dtype"] not in _NUMPY_DTYPES or not isinstance(shape, list) or not all(map(_is_count, shape))
            or not isinstance(offsets, list) or len(offsets) != 2 or not all(map(_is_count, offsets))):
        raise ValueError(f"bad entry for {key!r}: {entry!r}")
    return entry


def _is_count(value) -> bool:
    return type(value) is int and value >= 0


def _tensors(prefix, data, table):
    st, _ = _io_libraries()
    try:
        tensors = st.load(data)
    except Exception as exc:  # noqa: BLE001 — any parse failure of bytes that passed the checksum
        raise _data_loss(prefix, f"not a valid safetensors file ({exc})") from None
    for key, entry in table.items():
        described = (_NUMPY_DTYPES[entry["dtype"]], tuple(entry["shape"]))
        if (tensors[key].dtype.name, tensors[key].shape) != described:
            raise _data_loss(prefix, f"tensor {key!r} reads as {tensors[key].dtype.name}{list(tensors[key].shape)}, "
                                     f"the header says {described[0]}{list(described[1])}")
    return tensors


def _data_loss(prefix: str, why: str) -> errors.DataLossError:
    return errors.DataLossError(None, None, f"Unable to read checkpoint file {prefix + DATA_SUFFIX}: {why}.")
