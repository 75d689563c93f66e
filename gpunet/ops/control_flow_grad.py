"""Gradients of If and While, built as control flow themselves.

The gradient of an ``If`` is a cond on the same predicate whose branches differentiate the forward
branches; the forward values they read leave the forward ``If`` as extra outputs (the untaken
branch gives an empty array, never read). The gradient of a ``While`` is a loop running the same
number of iterations backwards: the forward loop records, per iteration, each body value the
gradient body reads (extra outputs: those stacks and the iteration count), and the gradient loop
is fed iteration ``k``'s values at its step ``n - 1 - k``. Second-order gradients of loops are not
supported.

Both differentiate their bodies only up to the captured tensors (``stop_gradients``): a capture computed
outside from another capture (``p = f(w)``, both read inside) passes its gradient on to ``w`` outside,
through ``f``'s own gradient; followed inside as well, that path would count twice.
"""
from __future__ import annotations

from ..graph.control_flow import context_of
from ..graph.registry import register_gradient
from .control_flow_ops import _build_cond, _build_while
from .creation_ops import zeros_like
from .gradients_impl import gradients

__all__ = []


def _differentiable(capture) -> bool:
    """Float values; not a variable's handle (an assign inside reads it; gradients go to its reads)."""
    return capture.dtype.is_floating and capture.op.type != "VariableV2"


@register_gradient("If")
def _if_grad(op, *grads):
    spec = op.attrs["spec"]
    floats = [i for i in range(spec.n_outputs) if op.outputs[i].dtype.is_floating]
    wrt = [j for j, c in enumerate(spec.captures) if _differentiable(c)]
    result = [None] * len(op.inputs)
    if not wrt:
        return result
    grad_ys = [grads[i] for i in floats]
    contexts = {b.context for b in spec.branches}

    def branch_grad(branch):
        def differentiate():
            xs = [spec.captures[j] for j in wrt]
            gs = (gradients([branch.outputs[i] for i in floats], xs, grad_ys=grad_ys, stop_gradients=spec.captures)
                  if floats else [None] * len(xs))
            return [zeros_like(x) if g is None else g for g, x in zip(gs, xs)]
        return differentiate

    graph = op.graph
    with graph.name_scope("cond") as scope:
        outs = _build_cond(graph, scope, op.inputs[0], [branch_grad(b) for b in spec.branches], True,
                           resolve=lambda t: spec.export(op, t) if context_of(t) in contexts else t)
    for j, g in zip(wrt, outs):
        result[1 + j] = g
    return result


@register_gradient("While")
def _while_grad(op, *grads):
    spec = op.attrs["spec"]
    result = [None] * len(op.inputs)
    if spec.cond_output is None:
        raise LookupError(f"Second-order gradients of while loops are not supported ({op.name})")
    first = spec.n_vars + spec.has_limit
    var_ids = [i for i, t in enumerate(spec.loop_vars) if t.dtype.is_floating]
    cap_ids = [j for j, t in enumerate(spec.captures) if _differentiable(t)]
    if not spec.back_prop or not (var_ids or cap_ids):
        return result
    init = [grads[i] for i in var_ids] + [zeros_like(op.inputs[first + j]) for j in cap_ids]
    invariants = [spec.loop_vars[i]._shape for i in var_ids] + [spec.captures[j]._shape for j in cap_ids]
    n = len(var_ids)

    def body(*gs):
        xs = [spec.loop_vars[i] for i in var_ids] + [spec.captures[j] for j in cap_ids]
        ds = (gradients([spec.body_outputs[i] for i in var_ids], xs, grad_ys=list(gs[:n]), stop_gradients=spec.captures)
              if n else [None] * len(xs))
        return ([zeros_like(g) if d is None else d for g, d in zip(gs[:n], ds[:n])] +
                [acc if d is None else acc + d for acc, d in zip(gs[n:], ds[n:])])

    def resolve(t):
        return (spec.export_stack(op, t), True) if context_of(t) is spec.context else (t, False)

    graph = op.graph
    with graph.name_scope("while") as scope:
        outs = _build_while(graph, scope, None, body, list(init), init, invariants, spec.export_count(op),
                            True, resolve)
    for k, i in enumerate(var_ids):
        result[i] = outs[k]
    for k, j in enumerate(cap_ids):
        result[first + j] = outs[n + k]
    return result
