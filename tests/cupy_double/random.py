"""``cupy.random`` of the CuPy double (a model of CuPy, not CuPy): ``default_rng`` and the three
``Generator`` methods gpunet draws with, with CuPy 14.2's rules (cupy/random/_generator_api.pyx,
_bit_generator.pyx). The values come from NumPy's generator, not cuRAND: only the calling rules are
modelled.

* the generator's state is a device buffer of the device current at creation; drawing under
  another device raises RuntimeError (``BitGenerator._check_device``);
* each draw reads and writes that state with a kernel on the current stream, so a draw on a stream
  not ordered after the previous draw's is a race (the double's stream check);
* ``random`` draws float64 for float64 and float32 for any other dtype, then casts;
  ``standard_normal`` takes float32 and float64 only (TypeError otherwise); ``integers`` converts
  its bounds with ``int()``, checks them against the dtype and draws in [low, high).
"""
from __future__ import annotations

import operator

import numpy as np

from ._array import check_order, ndarray, wrap, wrote
from ._cuda import current_device, get_current_stream


# CuPy sizes every cuRAND generator's state as 8 * 256 * runtime.cudaDevAttrMultiProcessorCount (the enum's
# value, 16) states of sizeof(curandStateXORWOW) = 48 bytes: 1.5 MiB of device memory per generator.
STATE_BYTES = 8 * 256 * 16 * 48


class XORWOW:
    """``cupy.random.XORWOW``: a seed and a state buffer on the device current at creation."""

    def __init__(self, seed=None):
        if isinstance(seed, ndarray):
            seed = seed.get()
        self._host = np.random.default_rng(np.random.SeedSequence(seed))
        self._current_device_id = current_device()
        self._state = wrap(np.zeros(STATE_BYTES, np.int8), ("kernel", "init_curand"))

    def state(self):
        if current_device() != self._current_device_id:
            raise RuntimeError("This Generator state is allocated in a different device")
        return self._state

    def draw(self, values):
        """A kernel on the current stream that advances the state and writes ``values`` to a new array."""
        state = self.state()
        check_order(state, get_current_stream())
        wrote(state, ("kernel", "curand"))
        return wrap(values, ("kernel", "curand"))


class Generator:
    """``cupy.random.Generator`` (only ``random``, ``standard_normal`` and ``integers``)."""

    def __init__(self, bit_generator):
        self.bit_generator = bit_generator

    def random(self, size=None, dtype=np.float64, out=None):
        if out is not None:
            raise NotImplementedError("the CuPy double does not model Generator.random(out=)")
        dtype = np.dtype(dtype)
        drawn = np.float64 if dtype.char == "d" else np.float32
        values = self.bit_generator._host.random(_size(size), dtype=drawn)
        return self.bit_generator.draw(values).astype(dtype, copy=False)

    def standard_normal(self, size=None, dtype=np.float64, out=None):
        if out is not None:
            raise NotImplementedError("the CuPy double does not model Generator.standard_normal(out=)")
        dtype = np.dtype(dtype)
        if dtype.char not in ("f", "d"):
            raise TypeError(f"Unsupported dtype {dtype.name} for standard_normal")
        return self.bit_generator.draw(self.bit_generator._host.standard_normal(_size(size), dtype=dtype))

    def integers(self, low, high=None, size=None, dtype=np.int64, endpoint=False):
        lo, hi1 = (0, int(low)) if high is None else (int(low), int(high))
        hi1 -= 0 if endpoint else 1
        if lo > hi1:
            raise ValueError("low >= high")
        info = np.iinfo(dtype)
        if lo < info.min:
            raise ValueError(f"low is out of bounds for {np.dtype(dtype).name}")
        if hi1 > info.max:
            raise ValueError(f"high is out of bounds for {np.dtype(dtype).name}")
        return self.bit_generator.draw(self.bit_generator._host.integers(lo, hi1, _size(size), dtype=dtype,
                                                                         endpoint=True))


def _size(size):
    """CuPy's ``internal.get_size``: None, an int or a sequence of ints (``operator.index`` each)."""
    if size is None:
        return ()
    if isinstance(size, (int, np.integer)):
        return (int(size),)
    if not hasattr(size, "__len__"):
        raise ValueError("size should be None, collections.abc.Sequence, or int")
    return tuple(operator.index(d) for d in size)


def default_rng(seed=None):
    """``cupy.random.default_rng``: a Generator on an XORWOW bit generator."""
    return Generator(XORWOW(seed))
