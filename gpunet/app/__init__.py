"""``gn.app``: TF1's ``tf.app.run(main=None, argv=None)`` and the absl-style ``gn.app.flags``."""
import sys

from . import flags

__all__ = ["flags", "run"]


def run(main=None, argv=None):
    """Parse the command-line flags in ``argv`` (default ``sys.argv``) into ``flags.FLAGS``, then
    exit with ``main(remaining_argv)``'s return value, as TF1 does. ``main`` defaults to the
    ``main`` of the calling script's ``__main__`` module. An unknown or malformed flag prints the
    error and exits with status 1."""
    argv = list(sys.argv if argv is None else argv)
    try:
        remaining = flags.FLAGS(argv)
    except flags.Error as exc:
        sys.stderr.write(f"FATAL Flags parsing error: {exc}\n")
        sys.exit(1)
    main = main or sys.modules["__main__"].main
    sys.exit(main(remaining))
