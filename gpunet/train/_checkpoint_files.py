"""Checkpoint files: the tensors in a safetensors file, a JSON index with its checksum, atomic writes.

A checkpoint with prefix ``P`` is two files: ``P.safetensors`` (each tensor under its checkpoint
key) and ``P.index`` (JSON: the format, the data file's size and CRC32C, and each tensor's dtype
and shape). The index is written only after the data file is complete and on disk, so an index
that exists describes complete data; a reader trusts nothing it cannot check against the index.
No file holds pickled objects.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile

import numpy as np

from .. import errors

FORMAT = "gpunet-checkpoint-1"
DATA_SUFFIX = ".safetensors"
INDEX_SUFFIX = ".index"
# dtypes safetensors stores exactly (strings and objects have no fixed-size layout)
SUPPORTED_DTYPES = frozenset(["bool", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32",
                              "uint64", "float16", "float32", "float64"])


def _io_libraries():
    try:
        import crc32c
        import safetensors.numpy
    except ImportError as exc:
        raise ImportError(f"gpunet checkpoints need safetensors and crc32c: pip install 'gpunet[io]' ({exc})") from None
    return safetensors.numpy, crc32c.crc32c


# -- atomic writes ------------------------------------------------------------------------------
def write_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash at any instant leaves either the old file or
    the complete new one: a temp file in the same directory, fsync, rename, fsync the directory."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o644)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_directory(directory)


def fsync_directory(directory: str) -> None:
    """Make a rename or unlink in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- writing ------------------------------------------------------------------------------------
def write_checkpoint(prefix: str, tensors: dict) -> None:
    """Write ``tensors`` (key -> host array) as the checkpoint ``prefix``: data first, then index."""
    st, crc = _io_libraries()
    # C order always: safetensors writes a view's raw buffer (wrong); ascontiguousarray would make 0-d 1-d
    arrays = {key: np.asarray(value, order="C") for key, value in tensors.items()}
    data = st.save(arrays)
    index = {"format": FORMAT, "size": len(data), "crc32c": crc(data),
             "tensors": {key: {"dtype": a.dtype.name, "shape": list(a.shape)} for key, a in arrays.items()}}
    write_atomic(prefix + DATA_SUFFIX, data)
    write_atomic(prefix + INDEX_SUFFIX, json.dumps(index, sort_keys=True).encode())


def delete_checkpoint(prefix: str) -> None:
    """Remove a checkpoint's files, the index first so no index ever names missing data."""
    for suffix in (INDEX_SUFFIX, DATA_SUFFIX):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(prefix + suffix)


def checkpoint_exists(prefix: str) -> bool:
    return os.path.isfile(prefix + INDEX_SUFFIX)


# -- reading ------------------------------------------------------------------------------------
def read_index(prefix: str) -> dict:
    """The checked index of checkpoint ``prefix``: key -> (dtype name, shape tuple), plus the
    data file's size and checksum. ``NotFoundError`` when there is no such checkpoint."""
    try:
        with open(prefix + INDEX_SUFFIX, "rb") as f:
            raw = f.read()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise errors.NotFoundError(None, None, f"The passed save_path is not a valid checkpoint: {prefix} "
                                               f"(no file {prefix + INDEX_SUFFIX})") from None
    try:
        return _checked_index(json.loads(raw))
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        raise _data_loss(prefix + INDEX_SUFFIX, f"the index is not a valid gpunet checkpoint index ({exc})")


def _checked_index(index) -> dict:
    if index.get("format") != FORMAT:
        raise ValueError(f"format {index.get('format')!r}, expected {FORMAT!r}")
    size, crc = index["size"], index["crc32c"]
    if not (_is_count(size) and _is_count(crc)):
        raise ValueError("size and crc32c must be non-negative integers")
    tensors = {}
    for key, entry in index["tensors"].items():
        shape = entry["shape"]
        if entry["dtype"] not in SUPPORTED_DTYPES or not isinstance(shape, list) or not all(map(_is_count, shape)):
            raise ValueError(f"bad entry for {key!r}: {entry!r}")
        tensors[key] = (entry["dtype"], tuple(shape))
    return {"size": size, "crc32c": crc, "tensors": tensors}


def _is_count(value) -> bool:
    return type(value) is int and value >= 0


def read_tensors(prefix: str, index: dict) -> dict:
    """All tensors of checkpoint ``prefix`` (key -> array), verified against its index: a
    missing, truncated or altered data file is a ``DataLossError``."""
    path = prefix + DATA_SUFFIX
    try:
        with open(path, "rb") as f:
            data = f.read()
    except (FileNotFoundError, IsADirectoryError):
        raise _data_loss(path, "the data file named by the index is missing") from None
    if len(data) != index["size"]:
        raise _data_loss(path, f"the data file has {len(data)} bytes, the index says {index['size']} (truncated?)")
    st, crc = _io_libraries()
    if crc(data) != index["crc32c"]:
        raise _data_loss(path, "the data file's CRC32C does not match the index (corrupted)")
    try:
        tensors = st.load(data)
    except Exception as exc:  # any parse failure of bytes that passed the checksum
        raise _data_loss(path, f"the data file is not a valid safetensors file ({exc})") from None
    _check_against_index(path, tensors, index["tensors"])
    return tensors


def _check_against_index(path, tensors, described):
    if set(tensors) != set(described):
        raise _data_loss(path, f"the data file holds tensors {sorted(tensors)}, the index lists {sorted(described)}")
    for key, array in tensors.items():
        if (array.dtype.name, array.shape) != described[key]:
            raise _data_loss(path, f"tensor {key!r} is {array.dtype.name}{list(array.shape)} in the data file "
                                   f"but {described[key][0]}{list(described[key][1])} in the index")


def _data_loss(path: str, why: str) -> errors.DataLossError:
    return errors.DataLossError(None, None, f"Unable to read checkpoint file {path}: {why}.")
