"""How elementwise op families are defined: dtype rules, and factories for binary and unary ops
whose builders follow TF1's naming (Python operands become constants ``<op>/x``, ``<op>/y``)."""
from __future__ import annotations

from ..graph.core_ops import convert_to_tensor
from ..graph.registry import define_op
from ._helpers import binary_args, bool_dtype, broadcast_infer, op_scope, out


# -- dtype rules: check(op_type, dtype) raises TypeError ------------------------------------------
def numbers(op_type, dtype):
    if not (dtype.is_floating or dtype.is_integer):
        raise TypeError(f"{op_type} does not support dtype {dtype.name}: it needs numbers")


def floats(op_type, dtype):
    if not dtype.is_floating:
        raise TypeError(f"{op_type} does not support dtype {dtype.name}: it needs a floating-point tensor "
                        f"(gn.cast it first)")


def bools(op_type, dtype):
    if not dtype.is_bool:
        raise TypeError(f"{op_type} needs bool tensors, got {dtype.name}")


def any_dtype(op_type, dtype):
    pass


def _checked(infer, check, op_type):
    def checked_infer(inputs, attrs):
        for t in inputs:
            check(op_type, t.dtype)
        return infer(inputs, attrs)
    return checked_infer


def _same_shape(inputs, attrs):
    return [(inputs[0].dtype, inputs[0]._shape)]


# -- binary ops -------------------------------------------------------------------------------------
def define_binary(op_type, kernel, grad=None, check=numbers, infer=broadcast_infer):
    """Register a broadcasting binary op (differentiable when it has a ``grad``)."""
    define_op(op_type, _checked(infer, check, op_type), {"any": kernel}, grad=grad, differentiable=grad is not None)


def binary(op_type, x, y, name, default_name):
    """Build the binary op ``op_type`` on ``x`` and ``y`` (Python values converted as ``<scope>/x``, ``/y``)."""
    with op_scope(name, default_name, [x, y]) as scope:
        x, y = binary_args(op_type, x, y, names=("x", "y"))
        return out(op_type, [x, y], name=scope)


def public_binary(op_type, default_name, doc):
    """The public ``fn(x, y, name=None)`` for a binary op, named ``default_name`` by default."""
    def build(x, y, name=None):
        return binary(op_type, x, y, name, default_name)
    build.__name__, build.__doc__ = default_name.lower(), doc
    return build


# -- unary ops --------------------------------------------------------------------------------------
def define_unary(op_type, default_name, kernel, grad=None, check=floats):
    """Register ``op_type`` (same dtype and shape as its input) and return its public builder."""
    define_op(op_type, _checked(_same_shape, check, op_type), {"any": kernel}, grad=grad,
              differentiable=grad is not None)

    def build(x, name=None):
        with op_scope(name, default_name, [x]) as scope:
            return out(op_type, [convert_to_tensor(x, name="x")], name=scope)
    build.__name__ = default_name.lower()
    return build


def _bool_of_same_shape(inputs, attrs):
    return [(bool_dtype, inputs[0]._shape)]


def define_predicate(op_type, default_name, kernel, doc, check=floats):
    """Register ``op_type``, a test of each element (a bool tensor of the input's shape, no gradient),
    and return its public builder."""
    define_op(op_type, _checked(_bool_of_same_shape, check, op_type), {"any": kernel}, differentiable=False)

    def build(x, name=None):
        with op_scope(name, default_name, [x]) as scope:
            return out(op_type, [convert_to_tensor(x, name="x")], name=scope)
    build.__name__, build.__doc__ = default_name, doc
    return build
