"""``gpunet-bench``: ``run`` (the benchmark job), ``plot`` (scaling figures) and ``micro`` (the
pytest-benchmark micro-benchmarks of bench/). Without a subcommand the arguments go to ``micro``,
as ``python -m gpunet.bench`` did before the job existed."""
from __future__ import annotations

import sys

__all__ = ["main"]

USAGE = """usage: gpunet-bench {run,plot,micro} ...

  run    train a model data-parallel on N (virtual) GPUs, print images/sec (gpunet-bench run --help)
  plot   images/sec and efficiency against devices from results files (gpunet-bench plot --help)
  micro  the micro-benchmarks of bench/ against NumPy (gpunet-bench micro --help)"""


def main(argv=None) -> int:
    """Dispatches to the subcommand; exit status 2 for an unknown one."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else None
    if command == "run":
        from . import job
        return job.main(argv[1:])
    if command == "plot":
        from . import plot
        return plot.main(argv[1:])
    if command == "micro":
        from . import micro
        return micro.main(argv[1:])
    if command in ("-h", "--help"):
        print(USAGE)
        return 0
    if command is None or command.startswith("-"):
        from . import micro
        return micro.main(argv)  # the pre-job invocation: python -m gpunet.bench [--json PATH] [pytest args]
    print(f"gpunet-bench: error: unknown command {command!r} (choose from run, plot, micro)", file=sys.stderr)
    return 2


def entry_point():
    """The ``gpunet-bench`` console script."""
    sys.exit(main())
