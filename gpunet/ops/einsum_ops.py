"""``einsum``: forward by ``xp.einsum``; the gradient of each operand is the einsum of the output gradient with
the other operands (subscripts that only that operand has are broadcast back)."""
from __future__ import annotations

from ..graph.core_ops import convert_to_tensor
from ..graph.registry import define_op
from ._helpers import dims_text, out

__all__ = ["einsum"]


def _parse(equation, count):
    """``(inputs, output)`` subscripts of ``equation``; the output is implicit (letters used once, sorted) when
    there is no ``->``."""
    equation = equation.replace(" ", "")
    if "." in equation:
        raise ValueError(f"einsum: ellipsis ('...') subscripts are not supported, got {equation!r}")
    lhs, arrow, rhs = equation.partition("->")
    inputs = lhs.split(",")
    letters = "".join(inputs)
    if len(inputs) != count or not all(s.isalpha() or s == "" for s in inputs + [rhs]):
        raise ValueError(f"einsum: equation {equation!r} must name letter subscripts for each of the {count} inputs")
    if not arrow:
        rhs = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if any(c not in letters for c in rhs) or len(set(rhs)) != len(rhs):
        raise ValueError(f"einsum: output subscripts {rhs!r} must be distinct letters of the inputs in {equation!r}")
    return tuple(inputs), rhs


def _einsum_infer(inputs, attrs):
    subscripts, output = attrs["inputs"], attrs["output"]
    if len({t.dtype for t in inputs}) > 1:
        raise TypeError(f"einsum: all inputs must have one dtype, got {[t.dtype.name for t in inputs]}")
    dims = {}
    for t, letters in zip(inputs, subscripts):
        if t._shape is None:
            continue
        if len(t._shape) != len(letters):
            raise ValueError(f"einsum: input of shape {dims_text(t._shape)} has {len(t._shape)} dimensions but "
                             f"subscripts {letters!r}")
        for c, d in zip(letters, t._shape):
            if d is not None and dims.setdefault(c, d) != d:
                raise ValueError(f"einsum: subscript {c!r} has size {dims[c]} and {d}")
    known = all(t._shape is not None for t in inputs)
    return [(inputs[0].dtype, tuple(dims.get(c) for c in output) if known else None)]


def _einsum_kernel(ctx):
    einsum_fn, spec = ctx.xp.einsum, f"{','.join(ctx.attrs['inputs'])}->{ctx.attrs['output']}"
    return lambda *operands: einsum_fn(spec, *operands)


def _operand_grad(op, g, i):
    from .array_ops import expand_dims
    from .broadcast_ops import broadcast_to_like
    subscripts, output = op.attrs["inputs"], op.attrs["output"]
    mine = subscripts[i]
    if len(set(mine)) != len(mine):
        raise LookupError(f"einsum: no gradient for an operand with a repeated subscript ({mine!r})")
    others = [s for j, s in enumerate(subscripts) if j != i]
    seen = output + "".join(others)
    kept = "".join(c for c in mine if c in seen)  # letters only this operand has were summed: broadcast back
    grad = out("Einsum", [g] + [t for j, t in enumerate(op.inputs) if j != i],
               {"inputs": (output, *others), "output": kept}, default_name="Einsum")
    for axis, c in enumerate(mine):
        if c not in seen:
            grad = expand_dims(grad, axis)
    return grad if kept == mine else broadcast_to_like(grad, op.inputs[i])


define_op("Einsum", _einsum_infer, {"any": _einsum_kernel},
          grad=lambda op, g: [_operand_grad(op, g, i) for i in range(len(op.inputs))],
          doc="the sum of products of the operands' entries over the subscripts the output does not keep")


def einsum(equation, *inputs, name=None):
    """Einstein summation, as TF1/NumPy: ``einsum("ij,jk->ik", a, b)`` is a matrix product; without ``->`` the
    output keeps the letters used once, sorted. Letter subscripts only (no ``...``); the gradient flows to every
    operand without a repeated subscript."""
    if not inputs:
        raise ValueError("einsum: needs at least one input")
    subscripts, output = _parse(str(equation), len(inputs))
    tensors = [convert_to_tensor(t) for t in inputs]
    return out("Einsum", tensors, {"inputs": subscripts, "output": output}, name=name, default_name="Einsum")
