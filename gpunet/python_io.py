"""``gn.python_io``: TFRecord files from plain Python (TF1's tf.python_io)."""
from __future__ import annotations

import os

from .ops.record_io import tfrecord_frame, tfrecord_records


class TFRecordCompressionType:
    """TF1's compression codes for TFRecord files: only NONE (uncompressed) is supported."""

    NONE, ZLIB, GZIP = 0, 1, 2


class TFRecordOptions:
    """Only uncompressed files are supported."""

    def __init__(self, compression_type=None):
        if compression_type not in (None, "", TFRecordCompressionType.NONE):
            raise ValueError(f"compression_type {compression_type!r} is not supported (only uncompressed files)")
        self.compression_type = None


class TFRecordWriter:
    """Writes records to ``path``; written to a temporary file and moved in place on close, so a
    reader never sees half a file. A context manager."""

    def __init__(self, path, options=None):
        TFRecordOptions(getattr(options, "compression_type", options))
        self._path = os.fspath(path)
        self._tmp = f"{self._path}.tmp{os.getpid()}"
        self._file = open(self._tmp, "wb")

    def write(self, record):
        if self._file is None:
            raise ValueError("write on a closed TFRecordWriter")
        if isinstance(record, str):
            record = record.encode("utf-8")
        if not isinstance(record, (bytes, bytearray, memoryview)):
            raise TypeError(f"TFRecordWriter.write takes bytes, got {type(record).__name__}")
        self._file.write(tfrecord_frame(bytes(record)))

    def flush(self):
        self._file.flush()

    def close(self):
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
            os.replace(self._tmp, self._path)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def tf_record_iterator(path, options=None):
    """The records of a TFRecord file, in order (DataLossError on a damaged record)."""
    for _, record in tfrecord_records(os.fspath(path), getattr(options, "compression_type", options)):
        yield record


__all__ = ["TFRecordCompressionType", "TFRecordOptions", "TFRecordWriter", "tf_record_iterator"]
