"""The CuPy double: a strict model of the CuPy behaviours gpunet's GPU plumbing depends on, written on
NumPy for machines without a GPU. It is not CuPy: it proves nothing about CuPy's numerics or speed;
it proves that gpunet's CuPy-only paths run and respect CuPy's rules (each taken from CuPy 14.2's
source, see /work/shared/reference/gpu-audit/REPORT.md):

* N fake devices (``configure(devices=...)``) with a thread-local current device:
  ``cuda.Device(i)`` as a context manager, ``cuda.runtime.getDeviceCount()``.
* device arrays that refuse implicit host conversion (``numpy.asarray(a)`` raises TypeError; use
  ``a.get()`` / ``asnumpy``); kernels that refuse host ndarrays (TypeError 'Unsupported type') and
  arrays of a device other than the current one (ValueError, no peer access).
* copies between devices of non-contiguous arrays raise NotImplementedError (ndarray.copy).
* ``take`` and scatter-add wrap out-of-range indices; reductions return 0-d device arrays.
* ``fmod`` of integers goes through double (rounded beyond 2**53; a zero divisor gives 0); sorts are
  always stable and take no ``kind`` but None or 'stable'.
* ``cupy.random.default_rng``: a generator whose 1.5 MiB state lives on the device current at its
  creation (drawing under another device raises), advanced by each draw on the current stream;
  CuPy's dtype rules for ``random``, ``standard_normal`` and ``integers`` (see random.py).
* a memory pool per device with a limit (``set_limit``) and a device size (``configure(memory=)``);
  going over raises ``cuda.memory.OutOfMemoryError``, a MemoryError. Freed arrays' bytes stay cached
  in the pool until ``free_all_blocks`` (or until an allocation needs them).
* streams and events that record what ran on them in order (``Stream.log``), and a race check:
  work on one stream that reads an array written on another non-blocking stream must have waited
  on an event recorded after that write (``AssertionError`` otherwise).
* ``ElementwiseKernel`` built from CUDA source runs a registered NumPy fallback body
  (``register_fallback``), checking argument count, one type T, and device; it "compiles" at the first
  call of each device and signature, as CuPy does (``STATS['compiles']``).
* ``cuda.nccl`` (imported as ``cupy.cuda.nccl``, as in CuPy): ``NcclCommunicator.initAll`` over the
  fake devices, ``groupStart``/``groupEnd`` and ``allReduce`` on raw pointers (``ndarray.data.ptr``)
  and stream handles (``Stream.ptr``), with NCCL's usage rules and the race check on each rank's
  stream (see _nccl.py).
* ``STATS`` counts syncs, transfers, kernels, compiles and ``Device`` entries (``device_enters``).

Install it in place of CuPy with ``install()`` (tests/conftest.py does so when the environment
variable GPUNET_TEST_CUPY_DOUBLE=N asks for N fake GPUs).
"""
import sys

import numpy as _np

from . import _nccl, cupyx, random
from ._array import ndarray
from ._cuda import CONFIG, STATS, Device, Event, OutOfMemoryError, Stream, get_current_stream, memory, runtime
from ._functions import (
    FUNCTIONS,
    UFUNCS,
    _function,
    argsort,
    array,
    asarray,
    ascontiguousarray,
    asnumpy,
    copy,
    fmod,
    get_array_module,
    get_default_memory_pool,
    lib,
    sort,
    take,
    ufunc,
)
from ._kernels import ElementwiseKernel, register_fallback

__version__ = "14.2.0+double"

for _name in UFUNCS:
    globals()[_name] = ufunc(getattr(_np, _name))
for _name in FUNCTIONS:
    globals()[_name] = _function(_name)
fmod = ufunc(fmod)   # CuPy's fmod kernel: integers through double, a zero divisor gives 0
for _name in """bool_ int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 float32 float64 complex64
complex128 dtype inf nan pi e newaxis iinfo finfo result_type promote_types can_cast""".split():
    globals()[_name] = getattr(_np, _name)


class cuda:
    """``cupy.cuda``."""

    Device = Device
    Stream = Stream
    Event = Event
    runtime = runtime
    memory = memory
    OutOfMemoryError = OutOfMemoryError
    get_current_stream = staticmethod(get_current_stream)


def is_available():
    return CONFIG["devices"] > 0


def configure(devices=None, memory=None):
    """Set the number of fake GPUs and the bytes of memory each has."""
    if devices is not None:
        CONFIG["devices"] = devices
    if memory is not None:
        CONFIG["memory"] = memory


def install(devices=2):
    """Put the double in ``sys.modules`` as ``cupy`` and ``cupyx`` (before gpunet probes for CuPy)."""
    configure(devices=devices)
    sys.modules.update(modules())
    return sys.modules[__name__]


def modules():
    """The double under CuPy's module names (``cupy.cuda.nccl``: as in CuPy, a submodule to import,
    not an attribute of ``cupy.cuda``)."""
    return {"cupy": sys.modules[__name__], "cupyx": cupyx, "cupy.cuda.nccl": _nccl}


__all__ = ["ElementwiseKernel", "STATS", "argsort", "array", "asarray", "ascontiguousarray", "asnumpy", "configure",
           "copy", "cuda", "fmod", "get_array_module", "get_default_memory_pool", "install", "is_available", "lib",
           "modules", "ndarray", "random", "register_fallback", "sort", "take"]
