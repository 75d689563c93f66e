"""The benchmark job (``gpunet-bench run``), its figures (``plot``) and the micro-benchmarks (``micro``).

``main`` is the command line; the micro-benchmarks' table helpers stay importable from here."""
from .cli import main
from .micro import TARGETS, format_table, ratio_rows

__all__ = ["TARGETS", "format_table", "main", "ratio_rows"]
