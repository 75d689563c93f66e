"""The ops the graph layer itself needs: constants, placeholders, identity, no_op and variables."""
from __future__ import annotations

import math
import threading

import numpy as np

from .. import errors
from .dtypes import as_bytes_array, as_dtype, infer_dtype, string
from .graph import Tensor, _as_op, assert_same_graph, get_default_graph
from .registry import apply_op, define_op
from .shape import as_shape, compatible
from .validation import MAX_NESTING, bounded_repr, check_not_none, lossless_array

__all__ = ["FedVariable", "REF_READERS", "VarSlot", "constant", "convert_to_tensor", "group", "identity", "locking",
           "no_op", "placeholder", "placeholder_message", "placeholder_with_default"]


def _same_as_input(inputs, attrs):
    return [(inputs[0].dtype, inputs[0]._shape)]


def _pass_through(ctx):
    return lambda x: x


# -- constants and placeholders -----------------------------------------------------------------
def _const_kernel(ctx):
    value = ctx.xp.asarray(ctx.attrs["value"])
    return lambda: value


define_op("Const", lambda i, a: [(a["dtype"], a["value"].shape)], {"any": _const_kernel},
          aliases_state=True, differentiable=False)


def _unfed_kernel(ctx):
    def fail():
        raise errors.InvalidArgumentError(None, ctx.op, placeholder_message(ctx.op))
    return fail


def placeholder_message(op) -> str:
    t = op.outputs[0]
    text = f"You must feed a value for placeholder tensor {op.name!r} with dtype {_tf_name(t.dtype)}"
    if t._shape is None or t._shape:
        dims = "<unknown>" if t._shape is None else ",".join("?" if d is None else str(d) for d in t._shape)
        text += f" and shape [{dims}]"
    return text


def _tf_name(dtype):
    return {"float32": "float", "float64": "double"}.get(dtype.name, dtype.name)


define_op("Placeholder", lambda i, a: [(a["dtype"], a["shape"])], {"any": _unfed_kernel},
          differentiable=False)
define_op("PlaceholderWithDefault", lambda i, a: [(i[0].dtype, a["shape"])], {"any": _pass_through},
          grad=lambda op, g: [g])
define_op("Identity", _same_as_input, {"any": _pass_through}, grad=lambda op, g: [g])
define_op("NoOp", lambda i, a: [], {"any": lambda ctx: lambda *args: None}, differentiable=False)


def constant(value, dtype=None, shape=None, name="Const"):
    """A constant tensor; Python floats become float32 and ints int32, as in TF1."""
    check_not_none(value)
    if _holds_tensors(value):
        raise TypeError(f"List of Tensors when single Tensor expected: {bounded_repr(value)} (gn.stack them, "
                        f"or use gn.convert_to_tensor)")
    dtype = as_dtype(dtype) if dtype is not None else infer_dtype(value)
    array = _constant_array(value, dtype)
    if shape is not None:
        array = _shaped(array, as_shape(shape), dtype)
    array.setflags(write=False)  # shared by every run of every plan
    return apply_op("Const", [], {"value": array, "dtype": dtype}, name).outputs[0]


def _shaped(array, shape, dtype):
    """``constant(value, shape=)``: a scalar fills the shape, otherwise the value is reshaped."""
    if shape is None or None in shape:
        raise ValueError(f"A constant's shape must be fully defined, got {shape}")
    count = math.prod(shape)
    if array.size == 1 and count != 1:
        try:
            return np.full(shape, array.reshape(()), dtype=dtype.np)
        except (MemoryError, ValueError) as exc:  # NumPy: 'array is too big' or cannot allocate
            raise ValueError(f"A constant of shape {shape} ({count} elements of {dtype.name}) does not fit "
                             f"in memory: {exc}") from None
    if array.size != count:
        raise TypeError(f"Expected {count} values for a constant of shape {shape}, got {array.size}")
    return array.reshape(shape)


def _constant_array(value, dtype):
    """The constant's value, converted without silent loss (1.5 or 300 to an int8 is an error)."""
    return as_bytes_array(value) if dtype == string else lossless_array(value, dtype.np)


def placeholder(dtype, shape=None, name=None):
    """A tensor of ``dtype`` (and ``shape``, None = any) whose value must be fed in each run that needs it.

    Running it unfed raises ``gn.errors.InvalidArgumentError``.
    """
    return apply_op("Placeholder", [], {"dtype": as_dtype(dtype), "shape": as_shape(shape)},
                    name or "Placeholder").outputs[0]


def placeholder_with_default(input, shape, name=None):
    """A placeholder that gives ``input`` when not fed; ``shape`` must be compatible with the default's shape."""
    value = convert_to_tensor(input)
    shape = as_shape(shape)
    if not compatible(value._shape, shape):
        raise ValueError(f"placeholder_with_default: the default's shape {value.shape} is not "
                         f"compatible with shape {shape}")
    return apply_op("PlaceholderWithDefault", [value], {"shape": shape},
                    name or "PlaceholderWithDefault").outputs[0]


def identity(input, name=None):
    """A tensor with the value, shape and dtype of ``input``; the gradient passes through unchanged."""
    return apply_op("Identity", [convert_to_tensor(input)], {}, name or "Identity").outputs[0]


def no_op(name=None):
    """An op that does nothing (useful with control dependencies)."""
    return apply_op("NoOp", [], {}, name or "NoOp")


def group(*inputs, name=None):
    """An op that runs all ``inputs`` (ops or tensors) and outputs nothing."""
    ops = [_as_op(i) for i in _flatten(inputs)]
    assert_same_graph(ops)
    graph = ops[0].graph if ops else get_default_graph()
    with graph.control_dependencies(ops):
        return apply_op("NoOp", [], {}, name or "group_deps", graph=graph)


def _flatten(items):
    for item in items:
        if isinstance(item, (list, tuple)):
            yield from _flatten(item)
        elif isinstance(item, dict):
            yield from _flatten(list(item.values()))
        elif item is not None:
            yield item


def convert_to_tensor(value, dtype=None, name=None, preferred_dtype=None):
    """A Tensor for ``value``: tensors pass through (dtype checked), variables give their value,
    anything array-like becomes a constant."""
    check_not_none(value)
    if hasattr(value, "_as_tensor"):
        value = value._as_tensor()
    if isinstance(value, Tensor):
        if dtype is not None and value.dtype != as_dtype(dtype):
            raise ValueError(f"Tensor conversion requested dtype {as_dtype(dtype).name} for Tensor "
                             f"{value.name} with dtype {value.dtype.name}")
        return value
    if _holds_tensors(value):
        return _packed(value, dtype, name)
    if dtype is None and preferred_dtype is not None:
        try:
            return constant(value, as_dtype(preferred_dtype), name=name or "Const")
        except (TypeError, ValueError):
            pass
    return constant(value, dtype, name=name or "Const")


def _holds_tensors(value, depth=0):
    """Whether a (nested) list or tuple holds a tensor or variable somewhere (TF1 packs those)."""
    if not isinstance(value, (list, tuple)) or depth > MAX_NESTING:
        return False
    return any(isinstance(v, Tensor) or hasattr(v, "_as_tensor") or _holds_tensors(v, depth + 1) for v in value)


def _packed(value, dtype, name):
    """TF1's conversion of a list holding tensors: its items converted (to the tensors' dtype)
    and stacked along a new first axis, as ``gn.stack`` would."""
    items = [v._as_tensor() if hasattr(v, "_as_tensor") else v for v in value]
    if dtype is None:
        dtype = next(v.dtype for v in _flatten(items) if isinstance(v, Tensor))
    parts = [convert_to_tensor(v, dtype) for v in items]
    return apply_op("Pack", parts, {"axis": 0}, name or "packed").outputs[0]


# -- variables ----------------------------------------------------------------------------------
class VarSlot:
    """A variable's value in one session, on the variable's device (None until initialized).
    ``lock`` serialises the updates built with ``use_locking=True``; others do not take it."""

    __slots__ = ("value", "name", "lock")

    def __init__(self, name):
        self.value = None
        self.name = name
        self.lock = threading.Lock()

    def get(self):
        if self.value is None:
            raise errors.FailedPreconditionError(
                None, None, f"Attempting to use uninitialized value {self.name}")
        return self.value


class FedVariable(VarSlot):
    """A variable's tensor fed in one run: its reads see the fed value; nothing may update it."""

    __slots__ = ()

    def __init__(self, name, value):
        super().__init__(name)
        self.value = value


# The ops that only read the VariableV2 tensor they take: feeding that tensor overrides them.
# Every other consumer (Assign, AssignAdd, the optimizer updates) writes to the variable.
REF_READERS = frozenset({"ReadVariable", "IsVariableInitialized", "InitializedValue", "VariableRank"})


def locking(ctx, update):
    """``update(slot, ...)`` holding the variable's lock when the op was built with
    ``use_locking=True``; as is otherwise (lock-free "Hogwild" updates, TF1's default)."""
    if not ctx.attrs.get("use_locking"):
        return update

    def locked(slot, *args):
        with slot.lock:
            return update(slot, *args)
    return locked


def _variable_kernel(ctx):
    slot = ctx.state.slot(ctx.op)
    return lambda: slot


def _read_kernel(ctx):
    return lambda slot: slot.get()


def _assign_kernel(ctx):
    validate = ctx.attrs.get("validate_shape", True)
    shape = ctx.op.inputs[0]._shape
    xp, dtype = ctx.xp, ctx.op.outputs[0].dtype.np

    def assign(slot, value):
        if validate and shape is not None and tuple(value.shape) != shape:
            raise errors.InvalidArgumentError(
                None, None, f"Assign requires shapes of both tensors to match. "
                f"lhs shape= {list(shape)} rhs shape= {list(value.shape)}")
        if slot.value is not None and slot.value.shape == value.shape:
            slot.value[...] = value  # reuse the variable's buffer
        else:
            slot.value = xp.array(value, dtype=dtype, copy=True)
        return slot.value
    return locking(ctx, assign)


def _update_kernel(ufunc_name):
    def build(ctx):
        ufunc = getattr(ctx.xp, ufunc_name)

        def update(slot, delta):
            value = slot.get()
            ufunc(value, delta, out=value)
            return value
        return locking(ctx, update)
    return build


def _ref_infer(inputs, attrs):
    return [(attrs["dtype"], attrs["shape"])]


define_op("VariableV2", _ref_infer, {"any": _variable_kernel}, stateful=True, differentiable=False)
define_op("ReadVariable", _same_as_input, {"any": _read_kernel}, aliases_state=True, takes_refs=True,
          grad=lambda op, g: [g])
for _type, _ufunc in (("Assign", None), ("AssignAdd", "add"), ("AssignSub", "subtract")):
    define_op(_type, _same_as_input, {"any": _assign_kernel if _ufunc is None else _update_kernel(_ufunc)},
              stateful=True, aliases_state=True, differentiable=False, takes_refs=True)


def _is_initialized_kernel(ctx):
    xp = ctx.xp  # a device array on its device, as every kernel output (a GPU consumer refuses host arrays)
    return lambda slot: xp.asarray(slot.value is not None)


define_op("IsVariableInitialized", lambda i, a: [(as_dtype("bool"), ())],
          {"any": _is_initialized_kernel}, stateful=True, differentiable=False, takes_refs=True)


def _initialized_value_kernel(ctx):
    return lambda slot, initial: initial if slot.value is None else slot.value


define_op("InitializedValue", _same_as_input, {"any": _initialized_value_kernel}, stateful=True,
          aliases_state=True, differentiable=False, takes_refs=True)
