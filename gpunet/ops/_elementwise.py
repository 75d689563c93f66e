"""How elementwise op families are defined: dtype rules, and factories for binary and unary ops
whose builders follow TF1's naming (Python operands become constants ``<op>/x``, ``<op>/y``)."""
from __future__ import annotations

from ..graph.core_ops import convert_to_tensor
from ..graph.registry import define_op, get_op_def
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
def define_binary(op_type, kernel, grad=None, check=numbers, infer=broadcast_infer, *, doc=""):
    """Register a broadcasting binary op (differentiable when it has a ``grad``); ``doc``, what it
    computes in one line, is needed when it has a public builder (:func:`public_binary`)."""
    define_op(op_type, _checked(infer, check, op_type), {"any": kernel}, grad=grad, differentiable=grad is not None,
              doc=doc)


def binary(op_type, x, y, name, default_name):
    """Build the binary op ``op_type`` on ``x`` and ``y`` (Python values converted as ``<scope>/x``, ``/y``)."""
    with op_scope(name, default_name, [x, y]) as scope:
        x, y = binary_args(op_type, x, y, names=("x", "y"))
        return out(op_type, [x, y], name=scope)


def public_binary(op_type, default_name):
    """The public ``fn(x, y, name=None)`` for a binary op, named ``default_name`` by default; its
    docstring begins with the doc registered with the op."""
    def build(x, y, name=None):
        return binary(op_type, x, y, name, default_name)
    build.__name__ = default_name.lower()
    build.__doc__ = _binary_doc(get_op_def(op_type), default_name)
    return build


def _binary_doc(op_def, default_name):
    require_doc(op_def.type, op_def.doc)
    gradient = "" if op_def.grad else "\n\nNot differentiable: its gradients are None, as in TF1."
    return (f"{op_def.doc}{gradient}\n\n"
            f"Args:\n  x, y: Tensors (or values convertible to them) of one dtype; their shapes broadcast as "
            f"NumPy's.\n  name: a name for the op (default {default_name!r}).\n\n"
            f"Returns:\n  A Tensor of the broadcast shape of ``x`` and ``y``.")


# -- unary ops --------------------------------------------------------------------------------------
_DTYPE_WORDS = {floats: "a floating-point dtype", numbers: "a number dtype (floating-point or integer)",
                bools: "dtype bool", any_dtype: "any dtype"}


def define_unary(op_type, default_name, kernel, grad=None, check=floats, *, doc):
    """Register ``op_type`` (same dtype and shape as its input; ``doc``: what it computes, one line)
    and return its public builder ``fn(x, name=None)``, whose docstring the OpDef's doc begins."""
    require_doc(op_type, doc)
    op_def = define_op(op_type, _checked(_same_shape, check, op_type), {"any": kernel}, grad=grad,
                       differentiable=grad is not None, doc=doc)

    def build(x, name=None):
        with op_scope(name, default_name, [x]) as scope:
            return out(op_type, [convert_to_tensor(x, name="x")], name=scope)
    build.__name__ = default_name.lower()
    build.__doc__ = unary_doc(op_def, default_name, "x", _DTYPE_WORDS[check])
    return build


def unary_doc(op_def, default_name, arg, dtypes):
    """The docstring of the builder ``fn(<arg>, name=None)`` of the one-input op ``op_def``: its doc,
    then what it takes and gives (and that no gradient flows when it has none)."""
    require_doc(op_def.type, op_def.doc)
    gradient = "" if op_def.grad else "\n\nNot differentiable: its gradient is None, as in TF1."
    return (f"{op_def.doc}{gradient}\n\n"
            f"Args:\n  {arg}: a Tensor (or a value convertible to one) of {dtypes}.\n"
            f"  name: a name for the op (default {default_name!r}).\n\n"
            f"Returns:\n  A Tensor of the same shape and dtype as ``{arg}``.")


def require_doc(op_type, doc):
    """``ValueError`` unless ``doc`` says what ``op_type`` computes: every public builder has a docstring."""
    if not (isinstance(doc, str) and doc.strip()):
        raise ValueError(f"Op type {op_type!r} has a public builder but no doc (got {doc!r})")


def _bool_of_same_shape(inputs, attrs):
    return [(bool_dtype, inputs[0]._shape)]


def define_predicate(op_type, default_name, kernel, doc, check=floats):
    """Register ``op_type``, a test of each element (a bool tensor of the input's shape, no gradient),
    and return its public builder."""
    require_doc(op_type, doc)
    define_op(op_type, _checked(_bool_of_same_shape, check, op_type), {"any": kernel}, differentiable=False,
              doc=doc)

    def build(x, name=None):
        with op_scope(name, default_name, [x]) as scope:
            return out(op_type, [convert_to_tensor(x, name="x")], name=scope)
    build.__name__, build.__doc__ = default_name, doc
    return build
