"""``gn.summary.FileWriter``: TF1's writer of TensorBoard event files, on tensorboardX's event
file writer (extra ``tensorboard``)."""
from __future__ import annotations

from ._graph_def import graph_def
from .summary_ops import summary_pb2


def _tensorboardx_writer():
    try:
        from tensorboardX.writer import FileWriter as TbxFileWriter
    except ImportError as exc:
        raise ImportError(f"gn.summary.FileWriter needs tensorboardX: pip install 'gpunet[tensorboard]' ({exc})") \
            from None
    return TbxFileWriter


class FileWriter:
    """Writes summaries and the graph to an event file in ``logdir`` (created if needed), as in TF1:
    ``FileWriter(logdir, graph=sess.graph)``, ``add_summary(sess.run(merged), global_step)``.
    Events are queued and written by a background thread: at most ``max_queue`` pending, flushed
    every ``flush_secs``, on ``flush()`` and on ``close()``."""

    def __init__(self, logdir, graph=None, max_queue=10, flush_secs=120, filename_suffix=None):
        self._writer = _tensorboardx_writer()(str(logdir), max_queue, flush_secs, filename_suffix or "")
        if graph is not None:
            self.add_graph(graph)

    def get_logdir(self) -> str:
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
        self._writer.add_summary(summary, None if global_step is None else int(global_step), walltime)

    def add_graph(self, graph, global_step=None, walltime=None):
        """Add ``graph`` (a ``gn.Graph``) with each node's device, for TensorBoard's graph view."""
        from tensorboardX.proto import event_pb2
        event = event_pb2.Event(graph_def=graph_def(graph).SerializeToString())
        self._writer.add_event(event, None if global_step is None else int(global_step), walltime)

    def add_event(self, event):
        """Add an ``Event`` proto (its step as is; the current time when it has no wall time)."""
        self._writer.add_event(event, None, event.wall_time or None)

    def flush(self):
        """Write every pending event to disk."""
        self._writer.flush()

    def close(self):
        """Flush and close the event file; ``reopen()`` starts a new one."""
        self._writer.close()

    def reopen(self):
        self._writer.reopen()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
