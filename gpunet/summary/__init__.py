"""``gn.summary``: TF1's summary ops (``scalar``, ``histogram``, ``image``, ``merge``,
``merge_all``) and ``FileWriter``, writing TensorBoard event files through tensorboardX."""
from .summary_ops import histogram, image, merge, merge_all, scalar
from .writer import FileWriter

__all__ = ["FileWriter", "Summary", "histogram", "image", "merge", "merge_all", "scalar"]


def __getattr__(name):
    """``gn.summary.Summary``: the Summary proto class (``Summary(value=[Summary.Value(tag=, simple_value=)])``),
    imported on first use so gpunet imports without tensorboardX."""
    if name == "Summary":
        from .summary_ops import summary_pb2
        return summary_pb2().Summary
    raise AttributeError(f"module 'gpunet.summary' has no attribute {name!r}")
