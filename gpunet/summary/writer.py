"""``gn.summary.FileWriter``: TF1's writer of TensorBoard event files, on tensorboardX's event
file writer (extra ``tensorboard``)."""
from __future__ import annotations

import itertools
import os

from ._graph_def import graph_def
from .summary_ops import summary_pb2

__all__ = ["FileWriter"]


def _tensorboardx_writer():
    try:
        from tensorboardX.writer import FileWriter as TbxFileWriter
    except ImportError as exc:
        raise ImportError(f"gn.summary.FileWriter needs tensorboardX: pip install 'gpunet[tensorboard]' ({exc})") \
            from None
    return TbxFileWriter


_file_counter = itertools.count()


class FileWriter:
    """Writes summaries and the graph to an event file in ``logdir`` (created if needed), as in TF1:
    ``FileWriter(logdir, graph=sess.graph)``, ``add_summary(sess.run(merged), global_step)``.
    Events are queued and written by a background thread: at most ``max_queue`` pending, flushed
    every ``flush_secs``, on ``flush()`` and on ``close()``."""

    def __init__(self, logdir, graph=None, max_queue=10, flush_secs=120, filename_suffix=None):
        self._options = (str(logdir), max_queue, flush_secs, filename_suffix or "")
        self._writer = self._new_event_file()
        self._closed = False
        if graph is not None:
            self.add_graph(graph)

    def _new_event_file(self):
        """tensorboardX names the file by the second and host alone and opens it with 'wb': two
        writers (or a reopen) within one second would overwrite each other, so the name also
        carries the process id and a per-process counter."""
        logdir, max_queue, flush_secs, suffix = self._options
        unique = f".{os.getpid()}.{next(_file_counter)}{suffix}"
        return _tensorboardx_writer()(logdir, max_queue, flush_secs, unique)

    def _open_writer(self):
        if self._closed:
            raise RuntimeError(f"This FileWriter ({self._options[0]}) is closed; call reopen() to write again.")
        return self._writer

    def get_logdir(self) -> str:
        """The directory the event file is in."""
        return self._writer.get_logdir()

    def add_summary(self, summary, global_step=None, walltime=None):
        """Add a Summary — the bytes a summary op returns, or a ``gn.summary.Summary`` proto —
        recorded at ``global_step``."""
        Summary = summary_pb2().Summary
        if isinstance(summary, (bytes, bytearray)):
            summary = Summary.FromString(bytes(summary))
        elif not isinstance(summary, Summary):
            raise TypeError(f"add_summary takes the serialized Summary a summary op returns (bytes) or a "
                            f"gn.summary.Summary, got {type(summary).__name__}")
        self._open_writer().add_summary(summary, None if global_step is None else int(global_step), walltime)

    def add_graph(self, graph, global_step=None, walltime=None):
        """Add ``graph`` (a ``gn.Graph``) with each node's device, for TensorBoard's graph view."""
        from tensorboardX.proto import event_pb2
        if not callable(getattr(graph, "get_operations", None)):
            raise TypeError(f"add_graph takes a gn.Graph (e.g. sess.graph), got {type(graph).__name__}")
        event = event_pb2.Event(graph_def=graph_def(graph).SerializeToString())
        self._open_writer().add_event(event, None if global_step is None else int(global_step), walltime)

    def add_event(self, event):
        """Add an ``Event`` proto (its step as is; the current time when it has no wall time)."""
        self._open_writer().add_event(event, None, event.wall_time or None)

    def flush(self):
        """Write every pending event to disk."""
        self._writer.flush()

    def close(self):
        """Flush and close the event file; ``reopen()`` starts a new one."""
        self._writer.close()
        self._closed = True

    def reopen(self):
        """After ``close()``: continue in a new event file in the same directory."""
        if self._closed:
            self._writer = self._new_event_file()
            self._closed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
