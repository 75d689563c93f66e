"""The array functions and ufuncs of the CuPy double (a model of CuPy, not CuPy), with CuPy's rules:
device arrays only (host ndarrays refused), results on the current device, ``take`` and scatter-add
wrap out-of-range indices, copies between devices only of contiguous arrays.
"""
from __future__ import annotations

import numpy as np

from ._array import ndarray, read, refuse_host_arrays, result_of, unwrap, wrap
from ._cuda import POOL, STATS, current_device, get_current_stream


class ufunc:
    def __init__(self, fn):
        self._fn = fn
        self.__name__ = fn.__name__

    def __call__(self, *args, out=None, **kwargs):
        read(args, out)
        refuse_host_arrays(list(args))
        if out is not None:
            self._fn(*unwrap(args), out=unwrap(out), **kwargs)
            for target in out if isinstance(out, tuple) else (out,):
                _wrote(target)
            return out
        return wrap(self._fn(*unwrap(args), **kwargs))

    def at(self, a, indices, b=None):
        """Scatter: CuPy's kernels wrap out-of-range indices (``index % n``), NumPy would raise."""
        read(a, indices, b)
        if self._fn is not np.add:
            raise NotImplementedError(f"`{self.__name__}.at` is not supported yet")
        if a.dtype.char not in "iILQefd":  # CuPy's atomicAdd: int32, uint32, uint64, float16/32/64 only
            raise TypeError("scatter_add only supports int32, float16, float32, float64, uint32, uint64, as data type")
        index = unwrap(indices)
        index = np.mod(index, a.shape[0]) if isinstance(index, np.ndarray) else index
        np.add.at(a._a, index, unwrap(b))
        _wrote(a)


def _wrote(array):
    from ._array import wrote
    wrote(array)


UFUNCS = """add subtract multiply true_divide divide floor_divide remainder mod power float_power maximum minimum
fmax fmin negative positive abs absolute sign square sqrt cbrt exp exp2 expm1 log log2 log10 log1p reciprocal sin cos
tan arcsin arccos arctan arctan2 sinh cosh tanh arcsinh arccosh arctanh floor ceil rint trunc logical_not logical_and
logical_or logical_xor equal not_equal less less_equal greater greater_equal isfinite isnan isinf bitwise_and
bitwise_or bitwise_xor invert left_shift right_shift matmul signbit copysign hypot""".split()

FUNCTIONS = """zeros ones empty full empty_like zeros_like ones_like full_like arange linspace eye where clip
concatenate stack split array_split tile repeat flip expand_dims squeeze transpose swapaxes moveaxis broadcast_to
reshape ravel tensordot dot einsum sum prod mean var std amax amin max min all any argmax argmin cumsum cumprod
argwhere count_nonzero pad diag tril triu outer round around nonzero isclose allclose take_along_axis""".split()


def _function(name):
    fn = getattr(np, name)

    def call(*args, **kwargs):
        read(args, kwargs)
        refuse_host_arrays(list(args))
        result = fn(*unwrap(args), **unwrap(kwargs))
        if isinstance(result, (bool, int, float)):
            result = np.asarray(result)  # CuPy reductions give 0-d device arrays
        source = next((a for a in args if isinstance(a, ndarray)), None)
        if isinstance(result, list) and source is not None:
            return [result_of(r, source) for r in result]
        return result_of(result, source) if source is not None else wrap(result)
    call.__name__ = name
    return call


def fmod(x, y, out=None, **kwargs):
    """CuPy's ``fmod`` kernel: C's ``fmod`` for floats; integers go through double
    (``in1 == 0 ? 0 : fmod((double)in0, (double)in1)``, cupy/_math/arithmetic.py), so a remainder of
    int64 values beyond 2**53 is rounded, and a zero divisor gives 0."""
    dtype = np.result_type(x, y)
    if dtype.kind not in "iu":
        return np.fmod(x, y, out=out, **kwargs)
    with np.errstate(invalid="ignore", divide="ignore"):
        through_double = np.fmod(np.asarray(x, np.float64), np.asarray(y, np.float64))
    result = np.where(np.asarray(y) == 0, 0, through_double).astype(dtype)
    if out is None:
        return result
    out[...] = result
    return out


def sorting(name):
    """``cupy.sort`` / ``argsort``: always a stable sort; ``kind`` may only be None or 'stable'."""
    def call(a, axis=-1, kind=None):
        _stable_only(kind)
        read(a)
        return wrap(getattr(np, name)(a._a, axis=axis, kind="stable"))
    call.__name__ = name
    return call


def _stable_only(kind):
    if kind not in (None, "stable"):
        raise ValueError(f"kind can only be None or 'stable', got {kind!r} (CuPy sorts are always stable)")


sort, argsort = sorting("sort"), sorting("argsort")


def take(a, indices, axis=None, out=None):
    read(a, indices)
    refuse_host_arrays([indices])
    return wrap(np.take(a._a, unwrap(indices), axis=axis, mode="wrap"))  # CuPy wraps, never raises


def asarray(a, dtype=None, order=None, *, blocking=False):
    return array(a, dtype=dtype, copy=False)


def array(obj, dtype=None, copy=True, order="K", ndmin=0, *, blocking=False):
    if isinstance(obj, ndarray):
        if obj.data.device_id != current_device():
            obj, copy = _copy(obj), False   # CuPy: src.copy() when the array is on another device
        read(obj)
        values = obj._a.astype(dtype or obj.dtype, copy=copy)
        return obj if values is obj._a else wrap(values)
    STATS["h2d"] += 1
    return wrap(np.array(obj, dtype=dtype, ndmin=ndmin), ("copy", "host to device"))


def ascontiguousarray(a, dtype=None):
    """As CuPy's: the array itself when already contiguous, except that a 0-d array comes back 1-d
    (shape (1,)), as NumPy's does (seen on an H200 with CuPy 14)."""
    read(a)
    if a._a.flags.c_contiguous and (dtype is None or a.dtype == dtype) and a._a.ndim:
        return a
    return wrap(np.ascontiguousarray(a._a, dtype=dtype))


def _copy(a, order="K"):
    """``cupy.copy`` / ``ndarray.copy`` under the current device (core.pyx ndarray.copy)."""
    if a.data.device_id != current_device():
        if not (a._a.flags.c_contiguous or a._a.flags.f_contiguous):
            raise NotImplementedError("CuPy cannot copy non-contiguous array between devices.")
        from ._array import check_order
        check_order(a, get_current_stream())   # a peer copy runs on the current (destination) stream
        STATS["d2d"] += 1
        return wrap(a._a.copy(order=order), ("copy", "peer"))
    read(a)
    return wrap(a._a.copy(order=order), ("copy", "device"))


copy = _copy


def asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
    if isinstance(a, ndarray):
        return a.get(order=order, blocking=blocking)
    return np.asarray(a, order=order)


def get_array_module(*args):
    import sys
    return sys.modules[__name__.rsplit(".", 1)[0]] if any(isinstance(a, ndarray) for a in args) else np


class _StrideTricks:
    @staticmethod
    def as_strided(x, shape=None, strides=None):
        read(x)
        return x._view(np.lib.stride_tricks.as_strided(x._a, shape, strides))


class lib:
    stride_tricks = _StrideTricks


def get_default_memory_pool():
    return POOL
