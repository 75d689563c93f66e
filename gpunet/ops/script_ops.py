"""py_func: run a Python function on NumPy arrays inside the graph (CPU only)."""
from __future__ import annotations

import numpy as np

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import as_bytes_array, as_dtype, string
from ..graph.registry import apply_op, define_op
from ..graph.shape import TensorShape, compatible
from ..graph.validation import bounded_repr, lossless_array

__all__ = ["py_func"]


def _py_func_infer(inputs, attrs):
    return [(dtype, None) for dtype in attrs["Tout"]]


def _py_func_kernel(ctx):
    func, touts, single = ctx.attrs["func"], ctx.attrs["Tout"], ctx.attrs["single"]
    where = f"py_func {ctx.op.name} ({_func_name(func)})"

    def call(*args):
        # a copy each: the function must never see (and so never change) a variable's own buffer
        result = _call(func, [np.array(a, copy=True) for a in args], where)
        results = (result,) if single else _as_tuple(result, where)
        if len(results) != len(touts):
            raise errors.InvalidArgumentError(None, ctx.op, f"{where} returned {len(results)} values, "
                                                            f"expected {len(touts)}")
        arrays = tuple(_result_array(r, i, t, where) for i, (r, t) in enumerate(zip(results, touts)))
        for i, (array, tensor) in enumerate(zip(arrays, ctx.op.outputs)):
            _check_shape(array, i, tensor, where)
        return arrays[0] if len(arrays) == 1 else arrays
    return call


def _func_name(func):
    return getattr(func, "__name__", None) or type(func).__name__


def _call(func, args, where):
    try:
        return func(*args)
    except StopIteration:  # TF1: a py_func that runs out of data ends the input, like a dataset
        raise errors.OutOfRangeError(None, None, f"{where} raised StopIteration") from None


def _as_tuple(result, where):
    if not isinstance(result, (list, tuple)):
        raise errors.InvalidArgumentError(None, None, f"{where} must return a list or tuple of values (Tout is "
                                                      f"a list), got {type(result).__name__}: {bounded_repr(result)}")
    return tuple(result)


def _result_array(value, index, dtype, where):
    """The ``index``-th result as an array of ``dtype``: exact conversions only (no 1.5 -> 1)."""
    if value is None:
        raise errors.InvalidArgumentError(None, None, f"{index}-th value returned by {where} is None, "
                                                      f"but expects {dtype.name}")
    if dtype == string:
        try:
            return as_bytes_array(value)
        except TypeError as exc:
            raise errors.InvalidArgumentError(None, None, f"{index}-th value returned by {where} is not "
                                                          f"strings, but expects string: {exc}") from None
    source = np.asarray(value) if not isinstance(value, np.ndarray) else value
    float_to_int = source.dtype.kind == "f" and not dtype.is_floating  # TF1 refuses these, even 1.0
    if float_to_int or source.dtype.kind not in "iufb":
        raise errors.InvalidArgumentError(None, None, f"{index}-th value returned by {where} is "
                                                      f"{source.dtype.name}, but expects {dtype.name}")
    try:
        return lossless_array(source, dtype.np, copy=False)
    except (TypeError, ValueError) as exc:
        raise errors.InvalidArgumentError(None, None, f"{index}-th value returned by {where} is "
                                                      f"{source.dtype.name}, but expects {dtype.name}: {exc}") from None


def _check_shape(array, index, tensor, where):
    if not compatible(tensor._shape, array.shape):
        raise errors.InvalidArgumentError(None, None, f"{index}-th value returned by {where} has shape "
                                                      f"{array.shape}, but its output {tensor.name} has shape "
                                                      f"{TensorShape(tensor._shape)}")


define_op("PyFunc", _py_func_infer, {"CPU": _py_func_kernel}, stateful=True, differentiable=False)


def py_func(func, inp, Tout, stateful=True, name=None):
    """``func(*numpy_arrays)`` as an op; ``Tout`` a dtype or a list of dtypes. Runs on the CPU."""
    single = not isinstance(Tout, (list, tuple))
    touts = [as_dtype(Tout)] if single else [as_dtype(t) for t in Tout]
    op = apply_op("PyFunc", [convert_to_tensor(x) for x in inp], {"func": func, "Tout": touts, "single": single},
                  name or "PyFunc")
    return op.outputs[0] if single else list(op.outputs)
