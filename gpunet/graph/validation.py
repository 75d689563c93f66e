"""Checks of user-supplied arguments, so that bad input gets a clear error naming what was wrong
(never an internal AttributeError, RecursionError or OverflowError), and the one place values are
formatted into error messages (bounded, so a huge array or string never floods a log)."""
from __future__ import annotations

import numpy as np

__all__ = ["MAX_DIM", "MAX_NESTING", "MESSAGE_LIMIT", "REPR_LIMIT", "StructureGuard", "bounded", "bounded_repr",
           "check_config_args", "check_gpu_options_args", "check_no_overflow", "check_not_none", "check_run_args",
           "check_session_args", "check_type", "is_oversized", "lossless_array", "static_dim"]

REPR_LIMIT = 300        # characters of a value's repr kept in an error message
MESSAGE_LIMIT = 2000    # characters of a kernel's own error text kept in a run-time error
MAX_NESTING = 100       # levels of list/tuple/dict in a fetch structure
MAX_DIM = 2 ** 62       # larger static dimensions are certainly a mistake (and overflow int64 math)


def bounded_repr(value, limit: int = REPR_LIMIT) -> str:
    """``repr(value)`` cut to ``limit`` characters (with a note of how much was left out)."""
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__} with failing repr: {type(exc).__name__}>"
    return bounded(text, limit)


def bounded(text: str, limit: int = REPR_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, saying how many were left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


# -- argument types ---------------------------------------------------------------------------------
def check_type(value, types, argument: str, where: str, allow_none: bool = True):
    """TypeError naming ``argument`` of ``where`` unless ``value`` is one of ``types`` (or None)."""
    if (value is None and allow_none) or (isinstance(value, types) and not _bool_for_int(value, types)):
        return value
    names = " or ".join(dict.fromkeys(t.__name__ for t in (types if isinstance(types, tuple) else (types,))))
    raise TypeError(f"{where}: argument `{argument}` must be {names}{' or None' if allow_none else ''}, "
                    f"got {type(value).__name__}: {bounded_repr(value)}")


def _bool_for_int(value, types):
    """True for a bool where an int is asked (True is an int to Python, never a thread count)."""
    types = types if isinstance(types, tuple) else (types,)
    return isinstance(value, bool) and int in types and bool not in types


def check_session_args(target, graph, config, graph_type, config_type):
    """``Session(target, graph, config)``: a TypeError naming the argument of the wrong type."""
    check_type(target, (str, bytes), "target", "Session")
    check_type(graph, graph_type, "graph", "Session")
    check_type(config, config_type, "config", "Session")


def check_run_args(feed_dict, options, run_metadata, options_type, metadata_type):
    """``Session.run``'s optional arguments (the fetches are checked as they are flattened)."""
    check_type(feed_dict, dict, "feed_dict", "Session.run")
    check_type(options, options_type, "options", "Session.run")
    check_type(run_metadata, metadata_type, "run_metadata", "Session.run")


def check_config_args(config, gpu_options_type):
    """Types of ConfigProto's fields (what TF1's protobuf constructor refuses with a TypeError)."""
    for name in ("log_device_placement", "allow_soft_placement"):
        check_type(getattr(config, name), (bool, int, np.bool_), name, "ConfigProto", allow_none=False)
    for name in ("inter_op_parallelism_threads", "intra_op_parallelism_threads"):
        check_type(getattr(config, name), int, name, "ConfigProto", allow_none=False)
    check_type(config.gpu_options, gpu_options_type, "gpu_options", "ConfigProto", allow_none=False)
    check_type(config.device_count, dict, "device_count", "ConfigProto", allow_none=False)
    for kind, count in config.device_count.items():
        check_type(kind, str, "device_count key", "ConfigProto", allow_none=False)
        check_type(count, int, f"device_count[{kind!r}]", "ConfigProto", allow_none=False)
    check_type(config.plan_cache_size, int, "plan_cache_size", "ConfigProto", allow_none=False)
    if config.plan_cache_size < 1:
        raise ValueError(f"ConfigProto: plan_cache_size must be >= 1, got {config.plan_cache_size}")


def check_gpu_options_args(options):
    """Types of GPUOptions' fields."""
    check_type(options.allow_growth, (bool, int, np.bool_), "allow_growth", "GPUOptions", allow_none=False)
    check_type(options.visible_device_list, str, "visible_device_list", "GPUOptions", allow_none=False)
    check_type(options.per_process_gpu_memory_fraction, (int, float), "per_process_gpu_memory_fraction",
               "GPUOptions", allow_none=False)


# -- structures ------------------------------------------------------------------------------------
class StructureGuard:
    """Tracks the containers on the path being flattened: a cycle or a nesting deeper than
    MAX_NESTING is a ValueError saying so (instead of a RecursionError)."""

    def __init__(self, what: str):
        self.what = what
        self._path = []

    def enter(self, container):
        """Step into ``container``; a ValueError when it is already on the path or too deep."""
        if any(c is container for c in self._path):
            raise ValueError(f"{self.what} contains itself (a cyclic structure): {bounded_repr(container, 80)}")
        if len(self._path) >= MAX_NESTING:
            raise ValueError(f"{self.what} is nested more than {MAX_NESTING} levels deep")
        self._path.append(container)

    def leave(self):
        """Step back out of the innermost container."""
        self._path.pop()


# -- values ----------------------------------------------------------------------------------------
def lossless_array(value, np_dtype, copy=True):
    """``value`` as an array of ``np_dtype`` (a new one unless ``copy=False``); a TypeError when a
    float would lose its fraction (1.5 to int32: TF1's message), a ValueError when a number does
    not fit (300 to uint8)."""
    source = value if isinstance(value, np.ndarray) else _source_array(value)
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # checked below, with a clear error
            array = np.array(value, dtype=np_dtype) if copy else np.asarray(value, dtype=np_dtype)
    except OverflowError:
        raise ValueError(f"{bounded_repr(value)} does not fit in {np.dtype(np_dtype).name}") from None
    except (TypeError, ValueError) as exc:
        raise TypeError(f"Cannot convert {bounded_repr(value)} to {np.dtype(np_dtype).name}: {exc}") from None
    if source is not None and array.dtype.kind == "f":
        check_no_overflow(source, array)
    if source is None or source.dtype == array.dtype or source.dtype.kind not in "iufb" \
            or array.dtype.kind not in "iub":
        return array
    with np.errstate(invalid="ignore", over="ignore"):
        same = np.array_equal(array, source)
    if not same:
        bad = _first_mismatch(source, array).item()
        if source.dtype.kind == "f" and not (np.isfinite(bad) and float(bad).is_integer()):
            raise TypeError(f"Expected {np.dtype(np_dtype).name}, but got {bounded_repr(bad)} of type "
                            f"'{type(bad).__name__}'.")
        raise ValueError(f"{bounded_repr(bad)} does not fit in {np.dtype(np_dtype).name}")
    return array


def check_no_overflow(source, array):
    """A ValueError when a finite number became infinite in the narrower float ``array`` (1e6 to
    float16): NumPy does it silently, with a RuntimeWarning at most."""
    if source.dtype.kind not in "iuf" or not array.size or np.can_cast(source.dtype, array.dtype, "safe"):
        return
    with np.errstate(invalid="ignore", over="ignore"):
        overflowed = np.isinf(array) & np.isfinite(source)
    if overflowed.any():
        bad = source[overflowed].ravel()[0].item() if source.ndim else source[()].item()
        raise ValueError(f"{bounded_repr(bad)} does not fit in {array.dtype.name} (it would become inf)")


def _source_array(value):
    try:
        return np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _first_mismatch(source, array):
    if source.ndim == 0:
        return source[()]
    with np.errstate(invalid="ignore"):
        return source[array != source].ravel()[0]


def check_not_none(value):
    """TF1's error for ``None`` where a tensor is needed."""
    if value is None:
        raise ValueError("None values not supported.")


def static_dim(d):
    """One dimension of a user-given static shape: an int >= 0, or None / -1 for unknown."""
    if d is None:
        return None
    if isinstance(d, (bool, np.bool_)) or not hasattr(d, "__index__"):
        raise TypeError(f"Dimension value must be integer or None, got {bounded_repr(d)} of type "
                        f"'{type(d).__name__}'")
    d = int(d)
    if d == -1:
        return None
    if d < 0:
        raise ValueError(f"Dimension {d} must be >= 0")
    if d > MAX_DIM:
        raise ValueError(f"Dimension {d} is absurdly large (more than 2**62 elements)")
    return d


def is_oversized(exc) -> bool:
    """Whether ``exc`` is NumPy refusing an allocation that could never fit (a resource error,
    not an invalid argument): 'array is too big', 'iterator is too large', 'Maximum allowed size'."""
    text = str(exc)
    return isinstance(exc, ValueError) and any(m in text for m in (
        "array is too big", "iterator is too large", "Maximum allowed size exceeded"))
