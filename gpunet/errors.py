"""TF1-style errors: every error raised while running names the op and its device."""


class OpError(Exception):
    """Base of run-time errors. ``op`` is the failing operation (or None), ``message`` the text."""

    error_code = 2

    def __init__(self, node_def=None, op=None, message=""):
        self.node_def = node_def
        self.op = op
        self.message = message
        super().__init__(message)

    def __str__(self):
        return self.message


class CancelledError(OpError):
    """An op that was waiting (a queue's enqueue or dequeue) was cancelled: its session closed."""
    error_code = 1


class InvalidArgumentError(OpError):
    """An op got an invalid value at run time (an unfed placeholder, a bad index, a failed check)."""

    error_code = 3


class InvalidFeedError(InvalidArgumentError, ValueError):
    """A fed value whose shape or dtype does not fit its tensor: an ``InvalidArgumentError`` for
    gpunet code and a ``ValueError`` for TF1 code (TF1 raises ValueError there)."""


class NotFoundError(OpError):
    """Something named does not exist: a file, a checkpoint, a variable in a checkpoint."""

    error_code = 5


class AlreadyExistsError(OpError):
    """What an op would create exists already, or is being created by another: a cache file being written."""

    error_code = 6


class PermissionDeniedError(OpError):
    """The process may not do what the op asks: write a file in a read-only directory, say."""

    error_code = 7


class FailedPreconditionError(OpError):
    """The state does not allow the op: reading an uninitialized variable, say."""

    error_code = 9


class ResourceExhaustedError(OpError):
    """A device ran out of memory (or another resource) for a run."""

    error_code = 8


class OutOfRangeError(OpError):
    """Input ran out: the end of a dataset or iterator, or a closed, empty queue."""

    error_code = 11


class DataLossError(OpError):
    """A file is corrupt or truncated (a TFRecord, a checkpoint)."""

    error_code = 15


class UnavailableError(OpError):
    """The service asked for is not available (a remote session ``target``)."""

    error_code = 14


class InternalError(OpError):
    """An invariant of the runtime broke: a bug in gpunet, or a graph it cannot run."""

    error_code = 13


__all__ = ["OpError", "CancelledError", "InvalidArgumentError", "InvalidFeedError", "NotFoundError",
           "AlreadyExistsError", "PermissionDeniedError", "FailedPreconditionError", "ResourceExhaustedError",
           "OutOfRangeError", "DataLossError", "UnavailableError", "InternalError"]
