"""Python operators on gn.Tensor and gn.Variable, building ops with TF1's names.

``+ - * / // % ** @`` (and their reflected forms), unary ``-`` and ``abs()``, ``< <= > >=``,
``& | ^ ~`` on bool tensors, and ``[]`` slicing. ``==`` and ``!=`` stay identity comparisons (as in
TF1 graph mode), so tensors remain usable as dict keys; use gn.equal / gn.not_equal for values.
"""
from __future__ import annotations

from ..graph.graph import Tensor
from ..graph.variables import Variable
from . import logic_ops, math_ops
from ._elementwise import binary
from .indexing_ops import getitem
from .linalg_ops import matmul

__all__ = []


def _binary(op_type, default_name):
    def operator(x, y):
        return binary(op_type, x, y, None, default_name)
    return operator, lambda x, y: operator(y, x)


def _install_operators(cls):
    for names, op_type, default_name in (
            (("__add__", "__radd__"), "AddV2", "add"), (("__sub__", "__rsub__"), "Sub", "sub"),
            (("__mul__", "__rmul__"), "Mul", "mul"), (("__floordiv__", "__rfloordiv__"), "FloorDiv", "floordiv"),
            (("__mod__", "__rmod__"), "FloorMod", "mod"), (("__pow__", "__rpow__"), "Pow", "pow"),
            (("__and__", "__rand__"), "LogicalAnd", "and"), (("__or__", "__ror__"), "LogicalOr", "or"),
            (("__lt__", None), "Less", "Less"), (("__le__", None), "LessEqual", "LessEqual"),
            (("__gt__", None), "Greater", "Greater"), (("__ge__", None), "GreaterEqual", "GreaterEqual")):
        forward, reflected = _binary(op_type, default_name)
        setattr(cls, names[0], forward)
        if names[1]:
            setattr(cls, names[1], reflected)
    cls.__truediv__ = lambda x, y: math_ops.divide(x, y)
    cls.__rtruediv__ = lambda x, y: math_ops.divide(y, x)
    cls.__matmul__ = lambda x, y: matmul(x, y, name="matmul")
    cls.__rmatmul__ = lambda x, y: matmul(y, x, name="matmul")
    cls.__xor__ = lambda x, y: logic_ops.logical_xor(x, y, name="xor")
    cls.__rxor__ = lambda x, y: logic_ops.logical_xor(y, x, name="xor")
    cls.__neg__ = lambda x: math_ops.negative(x)
    cls.__abs__ = lambda x: math_ops.abs(x)
    cls.__invert__ = lambda x: logic_ops.logical_not(x)
    cls.__getitem__ = getitem
    cls.__array_priority__ = 100  # ndarray <op> tensor defers to the reflected operator here


_install_operators(Tensor)
_install_operators(Variable)
