"""Readers as in TF1's "Reading data": ``reader.read(filename_queue)`` -> (key, value).

A reader's state (the file it is in, where) lives in the session; when a file is done the next
read dequeues the next filename from the queue, and a closed, drained queue ends the reads with
OutOfRangeError. CPU ops.
"""
from __future__ import annotations

import threading

import numpy as np

from .. import errors
from ..graph.dtypes import int64, string
from ..graph.registry import apply_op, define_op
from .queue_ops import queue_state
from .record_io import compression_kind, records


class _ReaderState:
    def __init__(self, kind, params):
        self.kind, self.params = kind, params
        self.lock = threading.Lock()  # two threads reading with one reader take turns
        self.current = None
        self.produced = 0
        self.completed = 0

    def next_record(self, queue, op):
        while True:
            if self.current is not None:
                record = next(self.current, None)
                if record is not None:
                    self.produced += 1
                    return record
                self.current = None
                self.completed += 1
            (filename,) = queue.dequeue(1, False, op)[0]
            self.current = records(self.kind, filename[()] if isinstance(filename, np.ndarray) else filename,
                                   self.params)

    def reset(self):
        self.current, self.produced, self.completed = None, 0, 0

    def cancel(self):
        pass


def _reader_of(ctx):
    handle = ctx.op.inputs[0].op
    return ctx.state.resource(handle, lambda: _ReaderState(handle.attrs["kind"], handle.attrs["params"]))


def _handle_kernel(ctx):
    name = np.array(ctx.op.name.encode(), dtype=object)
    return lambda: name


def _read_kernel(ctx):
    n, op = ctx.attrs["n"], ctx.op

    def read(_reader, _queue):
        reader, queue = _reader_of(ctx), queue_state(ctx.state, op.inputs[1].op)
        with reader.lock:
            pairs = [reader.next_record(queue, op)] if n is None else _up_to(reader, queue, op, n)
        keys, values = np.empty(len(pairs), dtype=object), np.empty(len(pairs), dtype=object)
        for i, (key, value) in enumerate(pairs):
            keys[i], values[i] = key, value
        return (keys.reshape(()), values.reshape(())) if n is None else (keys, values)
    return read


def _up_to(reader, queue, op, n):
    """Up to ``n`` records; fewer only when the input ends after the first."""
    pairs = []
    try:
        while len(pairs) < n:
            pairs.append(reader.next_record(queue, op))
    except errors.OutOfRangeError:
        if not pairs:
            raise
    return pairs


def _count_kernel(ctx):
    field = ctx.attrs["field"]
    return lambda _reader: np.array(getattr(_reader_of(ctx), field), dtype=np.int64)


def _reset_kernel(ctx):
    return lambda _reader: _reader_of(ctx).reset()


def _read_infer(inputs, attrs):
    shape = () if attrs["n"] is None else (None,)
    return [(string, shape), (string, shape)]


_CPU = dict(stateful=True, differentiable=False)
define_op("ReaderHandle", lambda i, a: [(string, ())], {"CPU": _handle_kernel}, **_CPU)
define_op("ReaderRead", _read_infer, {"CPU": _read_kernel}, **_CPU)
define_op("ReaderCount", lambda i, a: [(int64, ())], {"CPU": _count_kernel}, **_CPU)
define_op("ReaderReset", lambda i, a: [], {"CPU": _reset_kernel}, **_CPU)


class ReaderBase:
    """A reader of records from the files named by a filename queue."""

    def __init__(self, kind, params, name):
        self._handle = apply_op("ReaderHandle", [], {"kind": kind, "params": params}, name).outputs[0]

    @property
    def reader_ref(self):
        return self._handle

    def read(self, queue, name=None):
        """(key, value): scalar string tensors of the next record."""
        return tuple(apply_op("ReaderRead", [self._handle, _queue_ref(queue)], {"n": None},
                              name or "ReaderReadV2").outputs)

    def read_up_to(self, queue, num_records, name=None):
        """(keys, values): vectors of up to ``num_records`` records."""
        if not isinstance(num_records, int) or num_records <= 0:
            raise ValueError(f"num_records must be a positive int, got {num_records!r}")
        return tuple(apply_op("ReaderRead", [self._handle, _queue_ref(queue)], {"n": num_records},
                              name or "ReaderReadUpToV2").outputs)

    def num_records_produced(self, name=None):
        return apply_op("ReaderCount", [self._handle], {"field": "produced"}, name or "ReaderNumRecordsProduced"
                        ).outputs[0]

    def num_work_units_completed(self, name=None):
        return apply_op("ReaderCount", [self._handle], {"field": "completed"},
                        name or "ReaderNumWorkUnitsCompleted").outputs[0]

    def reset(self, name=None):
        return apply_op("ReaderReset", [self._handle], {}, name or "ReaderReset")


def _queue_ref(queue):
    return getattr(queue, "queue_ref", queue)


class TextLineReader(ReaderBase):
    """Lines of text files (newline removed), skipping ``skip_header_lines`` per file."""

    def __init__(self, skip_header_lines=None, name=None):
        super().__init__("text", {"skip_header_lines": skip_header_lines or 0}, name or "TextLineReaderV2")


class FixedLengthRecordReader(ReaderBase):
    """Records of ``record_bytes`` bytes between ``header_bytes`` and ``footer_bytes`` of each file."""

    def __init__(self, record_bytes, header_bytes=None, footer_bytes=None, hop_bytes=None, name=None):
        if hop_bytes:
            raise ValueError("hop_bytes is not supported")
        if not isinstance(record_bytes, int) or record_bytes <= 0:
            raise ValueError(f"record_bytes must be a positive int, got {record_bytes!r}")
        super().__init__("fixed", {"record_bytes": record_bytes, "header_bytes": header_bytes or 0,
                                   "footer_bytes": footer_bytes or 0}, name or "FixedLengthRecordReaderV2")


class TFRecordReader(ReaderBase):
    """Records of TFRecord files (CRCs checked), compressed as ``options`` say (TFRecordOptions, 'GZIP', ...)."""

    def __init__(self, name=None, options=None):
        super().__init__("tfrecord", {"compression_type": compression_kind(options)}, name or "TFRecordReaderV2")


__all__ = ["FixedLengthRecordReader", "ReaderBase", "TFRecordReader", "TextLineReader"]
