"""gn.gradients: reverse-mode differentiation over the graph, with TF1's semantics.

Sums over several ``ys``; ``grad_ys`` seeds; ``None`` for unconnected ``xs``; stops at
``stop_gradient`` and non-differentiable ops; fan-out is aggregated with AddN. Each op's
gradient ops are created under ``gradients/<op name>_grad`` and colocated with the op, so a
tower's backward pass stays on the tower's device.
"""
from __future__ import annotations

from ..graph.core_ops import convert_to_tensor
from ..graph.graph import Tensor, assert_same_graph, get_default_graph
from ..graph.validation import bounded_repr
from .math_ops import add_n, ones_like, zeros_like

__all__ = ["gradients"]


def gradients(ys, xs, grad_ys=None, name="gradients", colocate_gradients_with_ops=True, stop_gradients=None):
    """Symbolic d(sum(ys))/dx for each x in ``xs``: a list of tensors, None where x does not affect ys.

    Args:
      ys: a tensor or list of tensors to differentiate.
      xs: a tensor, variable or list of them to differentiate with respect to.
      grad_ys: initial gradients for ``ys`` (default: ones of each y's shape).
      name: the name scope of the gradient ops (default 'gradients').
      colocate_gradients_with_ops: accepted for TF1; each gradient op goes where its forward op is.
      stop_gradients: tensors treated as constants (no gradient flows through them).

    Raises:
      ValueError: ``grad_ys`` and ``ys`` differ in length, or the tensors come from different graphs.
    """
    ys, xs = _as_list(ys), _as_list(xs)
    ys = [convert_to_tensor(y) for y in ys]
    xs = [_as_x(x) for x in xs]
    grad_ys = _as_list(grad_ys) if grad_ys is not None else [None] * len(ys)
    assert_same_graph([*ys, *xs, *grad_ys])
    if len(grad_ys) != len(ys):
        raise ValueError(f"Passed {len(grad_ys)} grad_ys for {len(ys)} ys")
    graph = ys[0].graph if ys else get_default_graph()
    stops = {_as_x(s).op for s in _as_list(stop_gradients or [])}
    with graph.as_default(), graph.name_scope(name):
        between = _ops_between(ys, xs, stops)
        pending = {}  # tensor -> list of gradient tensors
        for i, (y, gy) in enumerate(zip(ys, grad_ys)):
            if gy is None:
                with graph.colocate_with(y.op), graph.name_scope(f"grad_ys_{i}"):
                    gy = ones_like(y)
            else:
                gy = convert_to_tensor(gy, dtype=y.dtype)
            pending.setdefault(y, []).append(gy)
        x_set = set(xs)
        for op in sorted(between, key=lambda o: o._id, reverse=True):
            _backprop_op(graph, op, pending, x_set, stops)
        return [_aggregate(pending.get(x), graph) for x in xs]


def _backprop_op(graph, op, pending, x_set, stops):
    out_grads = [pending.get(t) for t in op.outputs]
    if all(g is None for g in out_grads) or op in stops or not op.op_def.differentiable:
        return
    if op.op_def.grad is None:
        raise LookupError(f"No gradient defined for operation '{op.name}' (op type: {op.type})")
    with graph.name_scope(f"{op.name}_grad"), graph.colocate_with(op):
        grads = [_aggregate(g, graph) for g in out_grads]
        grads = [g if g is not None or not _float(t) else zeros_like(t) for g, t in zip(grads, op.outputs)]
        in_grads = op.op_def.grad(op, *grads)
    if len(in_grads) != len(op.inputs):
        raise ValueError(f"Gradient of {op.type} returned {len(in_grads)} values for {len(op.inputs)} inputs")
    for t, g in zip(op.inputs, in_grads):
        if g is not None and _float(t):
            pending.setdefault(t, []).append(g)


def _aggregate(grads, graph):
    if not grads:
        return None
    return grads[0] if len(grads) == 1 else add_n(grads)


def _float(t) -> bool:
    return t.dtype.is_floating


def _ops_between(ys, xs, stops):
    """Ops on some path from an x to a y (the only ones whose gradients matter)."""
    from_ys, stack = set(), [y.op for y in ys]
    while stack:
        op = stack.pop()
        if op in from_ys:
            continue
        from_ys.add(op)
        stack.extend(t.op for t in op.inputs)
    reach, stack = set(), [c for x in xs for c in x._consumers]
    while stack:
        op = stack.pop()
        if op in reach or op not in from_ys:
            continue
        reach.add(op)
        stack.extend(c for t in op.outputs for c in t._consumers)
    return reach


def _as_x(x):
    """A variable stands for its own tensor, whose gradient sums those of all its reads
    (``read_value()``, ``value()``, ``v + 0``, ``identity(v)``) as in TF1."""
    element = getattr(x, "_as_graph_element", lambda: x)()
    if not isinstance(element, Tensor):
        raise TypeError(f"gradients: expected Tensors or Variables, got {type(x).__name__}: {bounded_repr(x)}")
    return element


def _as_list(value):
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]
