"""Small pieces every op family uses: argument conversion, common shape rules, op construction."""
from __future__ import annotations

import contextlib

import numpy as np

from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import as_dtype
from ..graph.graph import Tensor, get_default_graph
from ..graph.registry import apply_op
from ..graph.shape import broadcast, compatible
from ..graph.validation import bounded_repr

bool_dtype = as_dtype("bool")


def out(op_type, inputs, attrs=None, name=None, default_name=None):
    """Create an op and return its single output tensor."""
    return apply_op(op_type, inputs, attrs or {}, name or default_name or op_type).outputs[0]


def outs(op_type, inputs, attrs=None, name=None, default_name=None):
    """Create an op and return the list of its outputs."""
    return list(apply_op(op_type, inputs, attrs or {}, name or default_name or op_type).outputs)


@contextlib.contextmanager
def op_scope(name, default_name, values=None):
    """TF1's ``name_scope(name, default_name)`` around building an op; yields the name to give it.

    Inside, converted Python values are named after the op (``x * 2.0`` -> ``mul/y``) and a
    composite's inner ops sit under its name. With ``values`` that are all tensors already there
    is nothing to name, so no scope opens and the op name is the plain (uniquified) default."""
    if values is not None and all(_is_tensorish(v) for v in values):
        yield name or default_name
        return
    with get_default_graph().name_scope(name or default_name) as scope:
        yield scope  # 'scope/': an op given this name takes it exactly


def tensor_arg(value, name=None, dtype=None):
    """An op argument as a Tensor (variables read, Python values become constants named ``name``)."""
    if _is_tensorish(value):
        return convert_to_tensor(value, dtype=dtype)
    if dtype is not None:
        _check_lossless(value, as_dtype(dtype))
    return convert_to_tensor(value, dtype=dtype, name=name)


def binary_args(op_type, x, y, names=(None, None)):
    """Convert two operands; a non-tensor takes the other's dtype (``1.0 + v``), as in TF1."""
    x_is, y_is = _is_tensorish(x), _is_tensorish(y)
    if x_is and not y_is:
        x = convert_to_tensor(x)
        y = _convert_like(y, x.dtype, names[1])
    elif y_is and not x_is:
        y = convert_to_tensor(y)
        x = _convert_like(x, y.dtype, names[0])
    else:
        x, y = tensor_arg(x, names[0]), tensor_arg(y, names[1])
    if x.dtype != y.dtype:
        raise TypeError(f"Input 'y' of '{op_type}' Op has type {y.dtype.name} that does not match type "
                        f"{x.dtype.name} of argument 'x'.")
    return x, y


def _convert_like(value, dtype, name):
    _check_lossless(value, dtype)
    return convert_to_tensor(value, preferred_dtype=dtype, name=name)


def _check_lossless(value, dtype):
    """``int_tensor + 2.5`` is a TypeError in TF1, not a silent truncation of 2.5."""
    array = np.asarray(value)
    if array.dtype.kind == "f" and (dtype.is_integer or dtype.is_bool) and not np.all(np.mod(array, 1) == 0):
        raise TypeError(f"Expected {dtype.name}, got {bounded_repr(value)} of type '{type(value).__name__}' instead.")


def _is_tensorish(value):
    return isinstance(value, Tensor) or hasattr(value, "_as_tensor")


# -- shape rules ----------------------------------------------------------------------------------
def same_as_input(inputs, attrs):
    return [(inputs[0].dtype, inputs[0]._shape)]


def broadcast_infer(inputs, attrs):
    x, y = inputs
    return [(attrs.get("out_dtype") or x.dtype, broadcast(x._shape, y._shape))]


def matching_pair(a, b, what):
    """The (dtype, shape) two inputs that must agree share; raises naming ``what`` when they don't."""
    if a.dtype != b.dtype:
        raise TypeError(f"{what} must have the same dtype, got {a.dtype.name} and {b.dtype.name}")
    if not compatible(a._shape, b._shape):
        raise ValueError(f"{what} must have the same shape, got {a.shape} and {b.shape}")
    return a.dtype, a._shape if a._shape is not None else b._shape


def bool_broadcast_infer(inputs, attrs):
    x, y = inputs
    return [(bool_dtype, broadcast(x._shape, y._shape))]


def rank_of(tensor):
    return None if tensor._shape is None else len(tensor._shape)


def dims_text(shape) -> str:
    """A static shape as TF1 prints it in errors: ``[2,?,3]`` (``<unknown>`` for unknown rank)."""
    if shape is None:
        return "<unknown>"
    return "[" + ",".join("?" if d is None else str(d) for d in shape) + "]"


def normalize_axis(axis, rank):
    """Axes as a sorted tuple of non-negative ints (None = all); needs a known rank for negatives."""
    if axis is None:
        return None
    axes = (int(axis),) if np.ndim(axis) == 0 else tuple(int(a) for a in axis)
    if rank is None:
        if any(a < 0 for a in axes):
            return axes
        return tuple(sorted(axes))
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(f"axis {a} is out of range for a tensor of rank {rank}")
    return tuple(sorted(a % rank for a in axes))


def single_axis(axis, rank, op_name, extra=0):
    """One axis in ``[-rank-extra, rank+extra)`` as a non-negative int (needs the rank if negative).

    ``extra=1`` is for ops that insert an axis (stack, expand_dims): they accept ``rank`` itself."""
    axis = one_int(axis, "axis", op_name)
    if rank is None:
        if axis < 0:
            raise ValueError(f"{op_name}: a negative axis ({axis}) needs an input of known rank")
        return axis
    size = rank + extra
    if not -size <= axis < size:
        raise ValueError(f"{op_name}: axis {axis} is out of range [{-size}, {size}) for input of rank {rank}")
    return axis % size


# -- values known when the graph is built ---------------------------------------------------------
def constant_value(tensor):
    """The NumPy value of ``tensor`` if the graph alone determines it (constants, fully known shapes,
    stacks of such), else None — TF1's ``tensor_util.constant_value``."""
    op = tensor.op
    if op.type == "Const":
        return op.attrs["value"]
    if op.type == "Shape":
        shape = op.inputs[0]._shape
        if shape is not None and None not in shape:
            return np.array(shape, dtype=tensor.dtype.np)
    if op.type == "Pack":
        values = [constant_value(t) for t in op.inputs]
        if all(v is not None for v in values):
            return np.stack(values, axis=op.attrs["axis"]).astype(tensor.dtype.np)
    if op.type == "StridedSlice":
        source = op.inputs[0]
        if source.op.type == "Shape" and source.op.inputs[0]._shape is not None:  # gn.shape(x)[1] of a known dim
            values = np.array(source.op.inputs[0]._shape, dtype=object)[op.attrs["key"]]
        else:
            values = constant_value(source)
            values = None if values is None else values[op.attrs["key"]]
        if values is not None and None not in np.reshape(values, -1).tolist():
            return np.asarray(values, dtype=tensor.dtype.np)
    return None


def shape_from_tensor(tensor):
    """The static shape a 1-D int tensor describes, None for the entries only known at run time."""
    value = constant_value(tensor)
    if value is not None:
        return tuple(int(d) for d in np.reshape(value, -1))
    op = tensor.op
    if op.type == "Shape":
        return op.inputs[0]._shape
    if op.type == "Pack":
        return tuple(None if v is None else int(v) for v in map(constant_value, op.inputs))
    if tensor._shape is not None and len(tensor._shape) == 1 and tensor._shape[0] is not None:
        return (None,) * tensor._shape[0]
    return None


def one_int(value, what, op_name):
    """One int given as a Python or NumPy int, or a graph-constant tensor of one element (not True, 2.5 or [])."""
    ints = int_list_arg(value, what, op_name)
    if len(ints) != 1:  # [] or [0, 1] where one value is meant
        raise TypeError(f"{op_name}: {what} must be one int, got {bounded_repr(value)}")
    return ints[0]


def int_list_arg(value, what, op_name):
    """A list of ints given as a Python sequence, a NumPy array or a graph-constant tensor."""
    if _is_tensorish(value):
        known = constant_value(convert_to_tensor(value))
        if known is None:
            raise TypeError(f"{op_name}: {what} must be known when the graph is built (Python ints or a "
                            f"constant), got the tensor {convert_to_tensor(value).name}")
        value = known
    if hasattr(value, "as_list"):
        value = value.as_list()
    try:
        values = np.reshape(np.asarray(value), -1)
        ints = [int(v) for v in values]
    except (TypeError, ValueError, OverflowError):
        raise TypeError(f"{op_name}: {what} must be a list of ints, got {bounded_repr(value)}") from None
    inexact = values.dtype.kind not in "iu" and any(i != v for i, v in zip(ints, values))  # 0.5 is no axis
    if inexact or values.dtype.kind == "b":  # True is no axis either (NumPy would take it as 1)
        raise TypeError(f"{op_name}: {what} must be a list of ints, got {bounded_repr(value)}")
    return ints
