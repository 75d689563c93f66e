"""``gn.python_io``: TFRecord files from plain Python (TF1's tf.python_io)."""
from __future__ import annotations

import os

from .ops.record_io import compression_kind, compressor, tfrecord_frame, tfrecord_records


class TFRecordCompressionType:
    """TF1's codes for a TFRecord file's compression."""

    NONE, ZLIB, GZIP = 0, 1, 2


class TFRecordOptions:
    """How a TFRecord file is compressed: ``compression_type`` None/'' (not), 'ZLIB' or 'GZIP' (or
    a TFRecordCompressionType code), as TF1. Files are byte-identical to those TF writes."""

    compression_type_map = {TFRecordCompressionType.ZLIB: "ZLIB", TFRecordCompressionType.GZIP: "GZIP",
                            TFRecordCompressionType.NONE: ""}

    def __init__(self, compression_type=None):
        compression_kind(compression_type)  # a ValueError naming an unknown type
        self.compression_type = compression_type

    @classmethod
    def get_compression_type_string(cls, options):
        """'', 'ZLIB' or 'GZIP' for ``options`` (TFRecordOptions, a code, a string or None)."""
        return compression_kind(options) or ""


class TFRecordWriter:
    """Writes records to ``path``; written to a temporary file and moved in place on close, so a
    reader never sees half a file. A context manager."""

    def __init__(self, path, options=None):
        self._compressor = compressor(options)
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
        frame = tfrecord_frame(bytes(record))
        self._file.write(frame if self._compressor is None else self._compressor.compress(frame))

    def flush(self):
        """Writes what is buffered to the (temporary) file; compressed data is completed on close."""
        self._file.flush()

    def close(self):
        """Completes the file and moves it in place."""
        if self._file is not None:
            if self._compressor is not None:
                self._file.write(self._compressor.flush())
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
    for _, record in tfrecord_records(os.fspath(path), options):
        yield record


__all__ = ["TFRecordCompressionType", "TFRecordOptions", "TFRecordWriter", "tf_record_iterator"]
