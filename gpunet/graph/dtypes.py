"""Data types: thin named wrappers around NumPy dtypes (float32 is the default float)."""
from __future__ import annotations

import numpy as np

from .validation import bounded_repr

__all__ = ["DType", "as_bytes_array", "as_dtype", "bool_", "float16", "float32", "float64", "infer_dtype", "int16",
           "int32", "int64", "int8", "string", "uint8"]


class DType:
    """A tensor element type; compares equal to the matching NumPy dtype as well."""

    __slots__ = ("name", "np")

    def __init__(self, name: str, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)

    @property
    def as_numpy_dtype(self):
        return self.np.type

    @property
    def base_dtype(self):
        return self

    @property
    def is_floating(self) -> bool:
        return self.np.kind == "f"

    @property
    def is_integer(self) -> bool:
        return self.np.kind in "iu"

    @property
    def is_bool(self) -> bool:
        return self.np.kind == "b"

    @property
    def size(self) -> int:
        return self.np.itemsize

    def __eq__(self, other):
        try:
            return self.np == as_dtype(other).np
        except TypeError:
            return False

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f"gn.{self.name}"

    __str__ = __repr__


float16 = DType("float16", np.float16)
float32 = DType("float32", np.float32)
float64 = DType("float64", np.float64)
int8 = DType("int8", np.int8)
int16 = DType("int16", np.int16)
int32 = DType("int32", np.int32)
int64 = DType("int64", np.int64)
uint8 = DType("uint8", np.uint8)
bool_ = DType("bool", np.bool_)
string = DType("string", np.object_)
_ALL = [float16, float32, float64, int8, int16, int32, int64, uint8, bool_, string]
_BY_NP = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update({"float": float32, "double": float64, "half": float16})


def as_dtype(value) -> DType:
    """DType from a DType, a name ('float32'), a NumPy dtype or type."""
    if isinstance(value, DType):
        return value
    if value is None:  # NumPy reads None as float64: TF1 refuses it
        raise TypeError("Cannot convert None to a gpunet dtype")
    if isinstance(value, str) and value in _BY_NAME:
        return _BY_NAME[value]
    if value in (str, bytes):
        return string
    try:
        npd = np.dtype(value)
    except TypeError:
        raise TypeError(f"Cannot convert {bounded_repr(value)} to a gpunet dtype") from None
    if npd.kind in "SU":
        return string
    if npd not in _BY_NP:
        raise TypeError(f"Unsupported dtype {npd}")
    return _BY_NP[npd]


def infer_dtype(value) -> DType:
    """The dtype TF1 gives a Python/NumPy constant: floats become float32, ints int32."""
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        return as_dtype(value.dtype)
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        return float32
    if arr.dtype.kind in "iu":
        fits = arr.size == 0 or (-2 ** 31 <= arr.min() and arr.max() < 2 ** 31)  # -2**31 is an int32 too
        return int32 if fits else int64
    return as_dtype(arr.dtype)


def as_bytes_array(value):
    """A string tensor's value: an object array of ``bytes`` (str is UTF-8 encoded), as TF1 returns."""
    array = np.array(value, dtype=object)
    if not all(isinstance(v, (str, bytes)) for v in array.ravel()):  # an object array of anything else
        raise TypeError(f"Failed to convert object of type {type(value).__name__} to Tensor. Contents: "
                        f"{bounded_repr(value)}. Consider casting elements to a supported type.")
    flat = [v.encode("utf-8") if isinstance(v, str) else v for v in array.ravel()]
    out = np.empty(array.shape, dtype=object)
    out.ravel()[:] = flat
    return out
