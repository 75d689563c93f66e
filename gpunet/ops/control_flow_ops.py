"""gn.cond and gn.while_loop as in TF1, with gradients.

Each construct is one op in the main plan (``If`` named ``cond``, ``While`` named ``while``) whose
kernel runs sub-plans compiled once with the plan (gpunet/graph/control_flow.py): only the taken
branch runs; a loop body's ops run on the devices they were placed on, with planned copies.

Their gradients (gpunet/ops/control_flow_grad.py) are control flow too; the forward ops export
the values a gradient needs as extra outputs (``_CondSpec.export``, ``_LoopSpec.export_stack``).
"""
from __future__ import annotations

import numpy as np

from .. import errors
from ..graph.control_flow import ControlFlowContext, compile_subplan, context_of
from ..graph.core_ops import constant, convert_to_tensor
from ..graph.dtypes import bool_, int32
from ..graph.graph import Operation, Tensor, get_default_graph
from ..graph.registry import apply_op, as_value, define_op
from ..graph.shape import TensorShape, as_shape
from . import _composite_loop_vars, nest

__all__ = ["cond", "while_loop"]


# -- the ops --------------------------------------------------------------------------------------
class _Branch:
    """One side of a cond: its context and its flat outputs."""

    def __init__(self, context, outputs):
        self.context = context
        self.outputs = outputs


class _CondSpec:
    """What an ``If`` op runs: ``branches`` (false, true) reading ``captures`` (the tensors the
    branches' ops read from outside, supplied in order by the op's inputs after the predicate)."""

    def __init__(self, branches, captures, n_outputs):
        self.branches = branches
        self.captures = captures
        self.n_outputs = n_outputs
        self.exports = []          # (branch index, tensor) behind each extra output

    def export(self, op, tensor) -> Tensor:
        """The extra output of ``op`` that carries ``tensor`` (made inside one branch) out."""
        for k, (_, t) in enumerate(self.exports):
            if t is tensor:
                return op.outputs[self.n_outputs + k]
        side = next(i for i, b in enumerate(self.branches) if b.context is context_of(tensor))
        self.exports.append((side, tensor))
        return _add_output(op, tensor.dtype, tensor._shape)


class _LoopSpec:
    """What a ``While`` op runs. Inputs: initial loop values, the iteration limit (when
    ``has_limit``), then sources for ``captures``. ``cond_output`` None: run ``limit`` times.
    ``stacked`` captures hold one value per forward iteration; they are fed last to first."""

    def __init__(self, context, loop_vars, cond_output, body_outputs, captures, has_limit, stacked, back_prop):
        self.context = context
        self.loop_vars = loop_vars
        self.cond_output = cond_output
        self.body_outputs = body_outputs
        self.captures = captures
        self.has_limit = has_limit
        self.stacked = stacked
        self.back_prop = back_prop
        self.extras = []           # per extra output: a recorded body tensor, or None for the count

    @property
    def n_vars(self):
        return len(self.loop_vars)

    def export_stack(self, op, tensor) -> Tensor:
        """The extra output of ``op`` holding ``tensor``'s value at each iteration (a list)."""
        return self._extra(op, tensor, tensor.dtype, None)

    def export_count(self, op) -> Tensor:
        """The extra output of ``op`` holding the number of iterations run (int32 scalar)."""
        return self._extra(op, None, int32, ())

    def _extra(self, op, tensor, dtype, shape):
        for k, t in enumerate(self.extras):
            if t is tensor:
                return op.outputs[self.n_vars + k]
        self.extras.append(tensor)
        return _add_output(op, dtype, shape)


def _add_output(op, dtype, shape) -> Tensor:
    op.outputs.append(Tensor(op, len(op.outputs), dtype, shape))
    return op.outputs[-1]


def _truth(value, op) -> bool:
    if np.ndim(value) != 0:
        raise errors.InvalidArgumentError(None, op, f"The predicate of {op.name} must be a scalar, got a "
                                                    f"value of shape {list(np.shape(value))}")
    return bool(value)


def _as_kernel(fn, plans):
    fn.nested_plans = plans           # the plan's log and report list the ops inside
    fn.takes_device_arrays = True     # arrays go on to the sub-plans as they are
    return fn


def _if_kernel(ctx):
    spec, device, op = ctx.attrs["spec"], ctx.device, ctx.op
    plans = [compile_subplan(spec.captures, b.outputs + [t for side, t in spec.exports if side == i],
                             b.context, device, ctx.state) for i, b in enumerate(spec.branches)]
    sides = [side for side, _ in spec.exports]
    empties = [device.backend.from_host(np.zeros(0, t.dtype.np)) for _, t in spec.exports]
    n, count, to_host = spec.n_outputs, len(op.outputs), device.backend.to_host

    def run_if(pred, *captured):
        taken = int(_truth(to_host(pred), op))
        values = plans[taken].run(captured)
        exported = iter(values[n:])
        outputs = values[:n] + [next(exported) if side == taken else e for side, e in zip(sides, empties)]
        return outputs[0] if count == 1 else tuple(outputs) or None
    return _as_kernel(run_if, plans)


def _while_kernel(ctx):
    spec, device, op = ctx.attrs["spec"], ctx.device, ctx.op
    feeds, recorded = spec.loop_vars + spec.captures, [t for t in spec.extras if t is not None]
    body = compile_subplan(feeds, spec.body_outputs + recorded, spec.context, device, ctx.state)
    cond = None if spec.cond_output is None else compile_subplan(
        feeds, [spec.cond_output], spec.context, device, ctx.state)
    n, first, stacked = spec.n_vars, spec.n_vars + spec.has_limit, sorted(spec.stacked)
    to_host, from_host = device.backend.to_host, device.backend.from_host

    def fed_at(values, captured, index):
        if stacked:
            captured = list(captured)
            for j in stacked:
                captured[j] = captured[j][index]
        return list(values) + list(captured)

    def run_while(*inputs):
        values, captured = inputs[:n], inputs[first:]
        limit = int(to_host(inputs[n])) if spec.has_limit else None
        stacks, k = [[] for _ in recorded], 0
        while limit is None or k < limit:
            fed = fed_at(values, captured, limit - 1 - k if stacked else None)
            if cond is not None and not _truth(to_host(cond.run(fed)[0]), op):
                break
            outs = body.run(fed)
            values = outs[:n]
            for stack, value in zip(stacks, outs[n:]):
                stack.append(value)
            k += 1
        stacks = iter(stacks)
        outputs = list(values) + [from_host(np.asarray(k, np.int32)) if t is None else next(stacks)
                                  for t in spec.extras]
        return outputs[0] if len(outputs) == 1 else tuple(outputs)
    return _as_kernel(run_while, [p for p in (cond, body) if p is not None])


def _never_run(ctx):
    def fail():
        raise errors.InternalError(None, ctx.op, f"{ctx.op.name} is a loop variable: the While op feeds it")
    return fail


def _declared_outputs(inputs, attrs):
    return list(attrs["outputs"])


define_op("If", _declared_outputs, {"any": _if_kernel}, stateful=True, aliases_state=True, takes_refs=True)
define_op("While", _declared_outputs, {"any": _while_kernel}, stateful=True, aliases_state=True,
          takes_refs=True)  # captured variables reach the sub-plans as VarSlots
define_op("LoopVar", lambda i, a: [(a["dtype"], a["shape"])], {"any": _never_run}, differentiable=False)


# -- gn.cond ----------------------------------------------------------------------------------------
def cond(pred, true_fn=None, false_fn=None, strict=False, name=None, fn1=None, fn2=None):
    """``true_fn()`` if ``pred`` else ``false_fn()``, as TF1's tf.cond: only the taken branch's ops
    run. Both must return the same structure (tensors in lists/tuples/dicts) with the same dtypes;
    ``strict=False`` unpacks a one-element list. Ops made inside a branch are named ``cond/...``."""
    true_fn, false_fn = true_fn if true_fn is not None else fn1, false_fn if false_fn is not None else fn2
    pred = _predicate(pred)
    for label, fn in (("true_fn", true_fn), ("false_fn", false_fn)):
        if not callable(fn):
            raise TypeError(f"{label} must be callable.")
    graph = pred.graph
    with graph.as_default(), graph.name_scope(name or "cond") as scope:
        return _build_cond(graph, scope, pred, (false_fn, true_fn), strict)


def _predicate(pred) -> Tensor:
    if isinstance(pred, (bool, np.bool_)):
        raise TypeError("pred must not be a Python bool")
    pred = convert_to_tensor(pred)
    if not pred.dtype.is_bool:
        raise TypeError(f"pred must be a boolean scalar tensor, got {pred.name} of dtype {pred.dtype.name}")
    if pred._shape not in (None, ()):
        raise ValueError(f"pred must be a scalar (shape ()), got {pred.name} of shape {pred.shape}")
    return pred


def _build_cond(graph, scope, pred, fns, strict, resolve=None):
    traced = [_trace_branch(graph, scope, fn, strict, label)
              for fn, label in zip(fns, ("false_fn", "true_fn"))]
    (ctx_f, res_f, out_f), (ctx_t, res_t, out_t) = traced
    nest.assert_same_structure(res_t, res_f, "Incompatible return values of true_fn and false_fn")
    for i, (t, f) in enumerate(zip(out_t, out_f)):
        if t.dtype != f.dtype:
            raise ValueError(f"Outputs of true_fn and false_fn must have the same type: {t.dtype.name}, "
                             f"{f.dtype.name} (output {i}: {t.name} from true_fn, {f.name} from false_fn)")
    captures = _union(ctx_t.captures(out_t), ctx_f.captures(out_f))
    spec = _CondSpec([_Branch(ctx_f, out_f), _Branch(ctx_t, out_t)], captures, len(out_t))
    outputs = [(t.dtype, _most_specific(t._shape, f._shape)) for t, f in zip(out_t, out_f)]
    sources = [resolve(t) if resolve else t for t in captures]
    op = apply_op("If", [pred] + sources, {"spec": spec, "outputs": outputs}, scope)
    _adopt(op, ctx_f, ctx_t)
    return nest.pack_as(res_t, op.outputs[:len(out_t)])


def _trace_branch(graph, scope, fn, strict, label):
    context = ControlFlowContext(graph, "cond", scope[:-1])
    with context.trace():
        result = fn()
        if result is None:
            raise ValueError(f"{label} must have a return value.")
        if not strict and isinstance(result, (list, tuple)) and len(result) == 1 and not hasattr(result, "_fields"):
            result = result[0]
        outputs = [_branch_output(leaf) for leaf in nest.flatten(result)]
    return context, result, outputs


def _branch_output(value) -> Tensor:
    if isinstance(value, Operation):  # TF1: an op stands for "ran", a boolean output
        with get_default_graph().control_dependencies([value]):
            return constant(True, bool_)
    return as_value(convert_to_tensor(value))  # a variable's own tensor passes on its value


def _union(*lists):
    seen, result = set(), []
    for items in lists:
        for t in items:
            if t not in seen:
                seen.add(t)
                result.append(t)
    return result


def _most_specific(a, b):
    """The static shape both branches' values have (unknown where they differ)."""
    if a is None or b is None or len(a) != len(b):
        return None
    return tuple(x if x == y else None for x, y in zip(a, b))


def _adopt(op, *contexts):
    for context in contexts:
        context.owner = op
        op.control_inputs += [c for c in context.take_external_control_inputs() if c not in op.control_inputs]


# -- gn.while_loop ----------------------------------------------------------------------------------
def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10, back_prop=True,
               swap_memory=False, name=None, maximum_iterations=None, return_same_structure=False):
    """Repeat ``body`` while ``cond`` holds, as TF1's tf.while_loop: ``cond(*loop_vars)`` is a
    boolean scalar, ``body(*loop_vars)`` returns new values of the same structure, dtypes and
    shapes (a shape may vary only where ``shape_invariants`` leaves a dimension unknown). At most
    ``maximum_iterations`` iterations. A single loop variable comes back as a tensor unless
    ``return_same_structure``. Ops made inside are named ``while/...`` and run on their devices."""
    if not callable(cond):
        raise TypeError("cond must be callable.")
    if not callable(body):
        raise TypeError("body must be callable.")
    if not isinstance(parallel_iterations, int) or parallel_iterations < 1:
        raise TypeError("parallel_iterations must be a positive integer.")
    if not nest.is_sequence(loop_vars):
        raise TypeError(f"loop_vars must be a list, tuple or dict of tensors, got {type(loop_vars).__name__}")
    if not nest.flatten(loop_vars):
        raise ValueError("No loop variables provided")
    if _composite_loop_vars.has_composites(loop_vars):  # gn.TensorArray loop variables
        return _composite_loop_vars.run(while_loop, cond, body, loop_vars, shape_invariants, return_same_structure,
                                        parallel_iterations=parallel_iterations, back_prop=back_prop, name=name,
                                        maximum_iterations=maximum_iterations)
    graph = get_default_graph()
    with graph.name_scope(name or "while") as scope:
        flat = [as_value(convert_to_tensor(v)) for v in nest.flatten(loop_vars)]
        invariants = _invariants(flat, loop_vars, shape_invariants)
        limit = None if maximum_iterations is None else _limit(maximum_iterations)
        outputs = _build_while(graph, scope, cond, body, loop_vars, flat, invariants, limit, back_prop)
    packed = nest.pack_as(loop_vars, outputs)
    if not return_same_structure and isinstance(loop_vars, (list, tuple)) and len(flat) == 1:
        return packed[0]
    return packed


def _invariants(flat, loop_vars, shape_invariants):
    if shape_invariants is None:
        return [t._shape for t in flat]
    nest.assert_same_structure(loop_vars, shape_invariants, "shape_invariants must match loop_vars")
    shapes = [as_shape(s) for s in nest.flatten(shape_invariants)]
    for t, shape in zip(flat, shapes):
        if not _at_least_as_specific(t._shape, shape):
            raise ValueError(f"The shape invariant specified for {t.name} is not compatible with the initial shape "
                             f"of the loop variable. It enters the loop with shape {t.shape}, but the specified "
                             f"shape invariant is {TensorShape(shape)}.")
    return shapes


def _at_least_as_specific(shape, invariant) -> bool:
    """Whether a value of static shape ``shape`` satisfies the shape invariant ``invariant``."""
    if invariant is None:
        return True
    if shape is None or len(shape) != len(invariant):
        return False
    return all(d is None or d == s for s, d in zip(shape, invariant))


def _limit(maximum_iterations) -> Tensor:
    if isinstance(maximum_iterations, Tensor) or hasattr(maximum_iterations, "_as_tensor"):
        limit = convert_to_tensor(maximum_iterations)
    else:
        limit = constant(maximum_iterations, int32 if np.asarray(maximum_iterations).dtype.kind in "iu" else None,
                         name="maximum_iterations")
    if not limit.dtype.is_integer or limit._shape not in (None, ()):
        raise ValueError(f"maximum_iterations must be an integer scalar, got {limit.name} of dtype "
                         f"{limit.dtype.name} and shape {limit.shape}")
    return limit


def _build_while(graph, scope, cond_fn, body_fn, structure, flat, invariants, limit, back_prop, resolve=None):
    """The While op; ``resolve(t) -> (source, stacked)`` says where a gradient loop's captures come from."""
    context = ControlFlowContext(graph, "while", scope[:-1])
    with context.trace():
        loop_vars = [apply_op("LoopVar", [], {"dtype": t.dtype, "shape": s}, "Identity").outputs[0]
                     for t, s in zip(flat, invariants)]
        args = _call_args(structure, loop_vars)
        pred = None if cond_fn is None else _loop_predicate(cond_fn(*args))
        body_outputs = _body_outputs(structure, body_fn(*args), loop_vars)
    if resolve is None:  # a gradient loop's shapes follow the forward loop's; static ones may be vaguer
        _check_body_outputs(flat, invariants, body_outputs)
    captures = context.captures(body_outputs + ([pred] if pred is not None else []))
    sources = [resolve(t) if resolve else (t, False) for t in captures]
    spec = _LoopSpec(context, loop_vars, pred, body_outputs, captures, limit is not None,
                     {j for j, (_, stacked) in enumerate(sources) if stacked}, back_prop)
    inputs = flat + ([limit] if limit is not None else []) + [s for s, _ in sources]
    op = apply_op("While", inputs, {"spec": spec, "outputs": [(t.dtype, s) for t, s in zip(flat, invariants)]},
                  scope)
    _adopt(op, context)
    return op.outputs[:len(flat)]


def _call_args(structure, loop_vars):
    packed = nest.pack_as(structure, loop_vars)
    return list(packed) if isinstance(structure, (list, tuple)) else [packed]


def _loop_predicate(value) -> Tensor:
    pred = convert_to_tensor(value)
    if not pred.dtype.is_bool or pred._shape not in (None, ()):
        raise TypeError(f"The while_loop cond must return a boolean scalar, got {pred.name} of dtype "
                        f"{pred.dtype.name} and shape {pred.shape}")
    return pred


def _body_outputs(structure, result, loop_vars):
    expected = list(_call_args(structure, loop_vars))
    if len(expected) == 1 and not (isinstance(result, (list, tuple)) and len(result) == 1):
        result = [result]
    nest.assert_same_structure(expected, list(result) if isinstance(result, (list, tuple)) else result,
                                "The while_loop body must return the structure of loop_vars")
    return [as_value(v) if isinstance(v, Tensor) else convert_to_tensor(v, preferred_dtype=lv.dtype)
            for v, lv in zip(nest.flatten(list(result)), loop_vars)]


def _check_body_outputs(flat, invariants, outputs):
    for t, shape, out in zip(flat, invariants, outputs):
        if out.dtype != t.dtype:
            raise TypeError(f"Loop variable {t.name} enters the loop with type {t.dtype.name}, but the body "
                            f"returns {out.name} of type {out.dtype.name}.")
        if not _at_least_as_specific(out._shape, shape):
            raise ValueError(f"Input tensor '{t.name}' enters the loop with shape {TensorShape(shape)}, but has "
                             f"shape {out.shape} after one iteration. To allow the shape to vary across "
                             f"iterations, use the `shape_invariants` argument of tf.while_loop to specify a "
                             f"less-specific shape.")
