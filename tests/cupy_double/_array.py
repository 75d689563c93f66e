"""``cupy.ndarray`` of the CuPy double (a model of CuPy, not CuPy): a NumPy array that lives on one
fake device, refuses implicit host conversion, refuses host arrays and other devices' arrays as
kernel arguments, and records on which stream it was last written.
"""
from __future__ import annotations

import itertools
import weakref

import numpy as np

from ._cuda import POOL, STATS, current_device, get_current_stream


_by_pointer = weakref.WeakValueDictionary()  # ptr -> the array it addresses (NCCL takes raw pointers)
_pointers = itertools.count(1 << 32, 1 << 20)


class MemoryPointer:
    """``ndarray.data``: its ``device_id``, and a ``ptr`` that stands for the array's address (given
    on first use; ``pointed_array(ptr)`` finds the array again, as a kernel given the address would)."""

    __slots__ = ("device_id", "_array", "_ptr")

    def __init__(self, device_id, array=None):
        self.device_id = device_id
        self._array = None if array is None else weakref.ref(array)
        self._ptr = None

    @property
    def ptr(self):
        if self._ptr is None:
            self._ptr = next(_pointers)
            _by_pointer[self._ptr] = self._array()
        return self._ptr


def pointed_array(ptr):
    """The live array whose ``data.ptr`` is ``ptr`` (a dangling or foreign pointer is an error)."""
    array = _by_pointer.get(ptr)
    if array is None:
        raise ValueError(f"CuPy double: {ptr:#x} is not the address of a live device array")
    return array


class ndarray:
    """A device array: ``_a`` its values (host memory standing in for device memory), ``data.device_id``
    its device, ``_writer`` the (stream, sequence number) of the work that last wrote it."""

    __slots__ = ("_a", "data", "_writer", "__weakref__")

    def __init__(self, a, device_id, writer):
        self._a, self.data, self._writer = a, MemoryPointer(device_id, self), writer

    # host conversion is explicit in CuPy (core.pyx __array__)
    def __array__(self, *args, **kwargs):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use `.get()` to construct "
                        "a NumPy array explicitly.")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        import sys
        double = sys.modules[__package__]
        if method != "__call__" or not hasattr(double, ufunc.__name__):
            return NotImplemented
        return getattr(double, ufunc.__name__)(*inputs, **kwargs)  # CuPy runs NumPy's ufuncs as its own

    @property
    def __cuda_array_interface__(self):
        return {"shape": self._a.shape, "typestr": self._a.dtype.str, "data": (id(self._a), False), "version": 3}

    @property
    def device(self):
        from ._cuda import Device
        return Device(self.data.device_id)

    def get(self, stream=None, order="C", out=None, blocking=True):
        """Device to host; blocking: waits for the current stream, as ``asnumpy``."""
        read(self)
        STATS["d2h"] += 1
        stream = get_current_stream()
        stream.launch(("copy", "device to host"))
        if blocking:
            stream.synchronize()
        return np.array(self._a, order=order)

    def _sync_value(self):
        return self.get()

    def item(self):
        return self._sync_value().item()

    def tolist(self):
        return self._sync_value().tolist()

    def __bool__(self):
        return bool(self._sync_value())

    def __float__(self):
        return float(self._sync_value())

    def __int__(self):
        return int(self._sync_value())

    def __index__(self):
        return self._sync_value().__index__()

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (self[i] for i in range(len(self._a)))

    def __repr__(self):
        return f"cupy_double.array({self._a!r}, device={self.data.device_id})"

    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: self._view(self._a.T))

    def _view(self, a):
        return ndarray(a, self.data.device_id, self._writer)

    def __getattr__(self, name):
        if name in _METHODS:
            return lambda *args, **kwargs: _method(self, name, args, kwargs)
        raise AttributeError(f"the CuPy double does not model ndarray.{name}")

    def __getitem__(self, key):
        result = self._a[unwrap(key)]
        if isinstance(result, np.ndarray) and np.shares_memory(result, self._a):
            return self._view(result)   # basic indexing: a view made on the host, no kernel, no device check
        read(self, key)
        return wrap(result)

    def __setitem__(self, key, value):
        read(self, key, value)
        refuse_host_arrays(value)
        self._a[unwrap(key)] = unwrap(value)
        wrote(self)

    def copy(self, order="C"):
        from ._functions import copy
        return copy(self, order)

    def _binary(self, other, fn):
        read(self, other)
        refuse_host_arrays(other)
        return wrap(fn(self._a, unwrap(other)))

    def _inplace(self, other, fn):
        read(self, other)
        refuse_host_arrays(other)
        fn(self._a, unwrap(other), out=self._a)
        wrote(self)
        return self


_METHODS = set("""reshape transpose sum max min mean all any ravel astype fill prod cumsum cumprod argmax argmin
squeeze swapaxes clip dot view flatten repeat take nonzero round conj argsort sort var std""".split())


def _method(array, name, args, kwargs):
    read(array, args, kwargs)
    refuse_host_arrays(list(args))
    if name in ("argsort", "sort"):  # CuPy sorts are always stable; kind may only be None or 'stable'
        from ._functions import _stable_only
        _stable_only(kwargs.get("kind"))
        kwargs = dict(kwargs, kind="stable")
    result = getattr(array._a, name)(*unwrap(args), **unwrap(kwargs))
    if name == "fill":
        wrote(array)
    return result_of(result, array)


def _install_operators():
    binary = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
              "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power, "matmul": np.matmul,
              "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor, "lshift": np.left_shift,
              "rshift": np.right_shift}
    for name, fn in binary.items():
        setattr(ndarray, f"__{name}__", (lambda f: lambda self, o: self._binary(o, f))(fn))
        setattr(ndarray, f"__r{name}__", (lambda f: lambda self, o: self._binary(o, lambda a, b: f(b, a)))(fn))
        setattr(ndarray, f"__i{name}__", (lambda f: lambda self, o: self._inplace(o, f))(fn))
    for name, fn in {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
                     "eq": np.equal, "ne": np.not_equal}.items():
        setattr(ndarray, f"__{name}__", (lambda f: lambda self, o: self._binary(o, f))(fn))
    for name, fn in {"neg": np.negative, "pos": np.positive, "abs": np.abs, "invert": np.invert}.items():
        setattr(ndarray, f"__{name}__", (lambda f: lambda self: self._binary(None, lambda a, _: f(a)))(fn))
    ndarray.__hash__ = object.__hash__


_install_operators()


# -- arguments ----------------------------------------------------------------------------------
def arrays_in(obj):
    if isinstance(obj, ndarray):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from arrays_in(item)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from arrays_in(item)


def read(*objs):
    """Device arrays used by work issued now: they must be on the current device (no peer access in
    the double), and written by work this stream is ordered after."""
    device, stream = current_device(), get_current_stream()
    for array in arrays_in(objs):
        if array.data.device_id != device:
            raise ValueError(f"The device where the array resides ({array.data.device_id}) is different from "
                             f"the current device ({device}). Peer access is unavailable between these devices.")
        check_order(array, stream)


def check_order(array, stream):
    writer, seq = array._writer
    if not stream.ordered_after(writer, seq):
        raise AssertionError(f"CuPy double: a stream of device {stream.device_id} read an array written by "
                             f"another stream (work #{seq}) without waiting for an event recorded after it: "
                             f"a race on a real GPU")


def refuse_host_arrays(obj):
    """CuPy kernels take device arrays and scalars; a host ndarray is 'Unsupported type'."""
    if isinstance(obj, np.ndarray):
        raise TypeError(f"Unsupported type {type(obj)}")
    if isinstance(obj, (list, tuple)):
        for item in obj:
            refuse_host_arrays(item)


def unwrap(obj):
    if isinstance(obj, ndarray):
        return obj._a
    if isinstance(obj, tuple):
        return tuple(unwrap(o) for o in obj)
    if isinstance(obj, list):
        return [unwrap(o) for o in obj]
    if isinstance(obj, dict):
        return {k: unwrap(v) for k, v in obj.items()}
    return obj


def wrap(obj, what=("kernel", "elementwise")):
    """A new device array on the current device (allocated from the pool), written on the current stream."""
    if isinstance(obj, np.generic):  # CuPy returns 0-d device arrays, never NumPy scalars
        obj = np.asarray(obj)
    if isinstance(obj, np.ndarray):
        stream = get_current_stream()
        array = ndarray(obj, current_device(), (stream, stream.launch(what)))
        POOL.allocate(obj.nbytes, array)
        STATS["kernels"] += what[0] == "kernel"
        return array
    if isinstance(obj, (tuple, list)):
        return type(obj)(wrap(o, what) for o in obj)
    return obj


def wrote(array, what=("kernel", "in-place")):
    stream = get_current_stream()
    array._writer = (stream, stream.launch(what))


def result_of(result, source):
    """A view of ``source`` keeps its device; anything else is a new array."""
    if isinstance(result, np.ndarray) and np.shares_memory(result, source._a):
        return source._view(result)
    return wrap(result)
