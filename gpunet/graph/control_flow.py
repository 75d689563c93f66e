"""The graph side of control flow: contexts that record a branch's or loop body's ops, and the
sub-plans a cond / while_loop kernel runs.

``gn.cond`` and ``gn.while_loop`` (gpunet/ops/control_flow_ops.py) call the user's functions
inside a :class:`ControlFlowContext`: the ops they create are ordinary graph ops (named, scoped
and placed as any other, ``cond/add``, ``while/mul``) tagged with the context. The main plan
never runs them directly: it schedules one ``If`` / ``While`` step whose kernel runs a
:func:`compile_subplan` result — pruned, placed, copy-planned and compiled once, when the main
plan is built — with the tensors the branch captured from outside as its inputs.
"""
from __future__ import annotations

import contextlib

from .. import errors
from .compiler import _StepBuilder, prune, with_nested_plans
from .plan import Plan
from .steps import FeedStep, FetchStep
from .variables import GraphKeys, Variable

__all__ = ["ControlFlowContext", "compile_subplan", "context_of"]


class ControlFlowContext:
    """The ops one cond branch (or one while loop's cond and body) created while being traced."""

    def __init__(self, graph, kind: str, name: str):
        self.graph = graph
        self.kind = kind            # 'cond' or 'while'
        self.name = name            # the construct's scope, e.g. 'cond' or 'outer/while_1'
        self.ops = []
        self.owner = None           # the If / While op, once created

    @contextlib.contextmanager
    def trace(self):
        """Ops created inside belong to this context (those of nested contexts to theirs).
        Outer control dependencies apply to the If/While op, not to the ops inside."""
        graph = self.graph
        start, saved = len(graph._ops), graph._control_stack
        graph._control_stack = []
        try:
            yield self
        finally:
            graph._control_stack = saved
            new = [op for op in graph._ops[start:] if getattr(op, "_control_flow_context", None) is None]
            lifted = _variable_ops(graph, new)
            for op in new:
                if op not in lifted:
                    op._control_flow_context = self
                    self.ops.append(op)
            self._reject_variables()

    def _reject_variables(self):
        for op in self.ops:
            if op.type == "VariableV2":
                raise ValueError(f"Variable {op.name} was created inside {self.describe()} and is in no "
                                 f"collection, so it cannot be lifted out; create it outside control flow.")

    def describe(self) -> str:
        return f"the {'branch of cond' if self.kind == 'cond' else 'while loop'} {self.name!r}"

    def captures(self, outputs=()) -> list:
        """Tensors made outside this context that its ops read or that it returns as they are, in
        first-use order: the values the construct's op supplies to its sub-plans."""
        inside = set(self.ops)
        seen, result = set(), []
        for t in [t for op in self.ops for t in op.inputs] + list(outputs):
            if t.op not in inside and t not in seen:
                seen.add(t)
                result.append(t)
        return result

    def take_external_control_inputs(self) -> list:
        """Remove control inputs on outside ops from the ops inside; return them (the If/While op
        waits for them instead, so they run once, before the construct, as in TF1)."""
        inside, taken = set(self.ops), []
        for op in self.ops:
            outside = [c for c in op.control_inputs if c not in inside]
            op.control_inputs = [c for c in op.control_inputs if c in inside]
            taken += [c for c in outside if c not in taken]
        return taken

    def escape_message(self, op) -> str:
        return (f"{op.name} was created inside {self.describe()} and cannot be run or fetched from outside "
                f"it: only the outputs of gn.cond / gn.while_loop leave it. Return the value from the "
                f"branch or loop body instead.")


def _variable_ops(graph, new_ops) -> set:
    """The ops of variables created while tracing (variable, initializer, read, initial value): as in
    TF1 (its init_scope), a variable made by a branch or loop body, say a layer's weights on its
    first call, lives outside the construct and is initialized once, not at every iteration."""
    new, lifted = set(new_ops), set()
    collected = [v for key in (GraphKeys.GLOBAL_VARIABLES, GraphKeys.LOCAL_VARIABLES)
                 for v in graph.get_collection(key) if isinstance(v, Variable)]
    for variable in collected:
        if variable.op not in new:
            continue
        lifted |= {variable.op, variable.initializer, variable.value().op}
        stack = [variable.initial_value.op]
        while stack:
            op = stack.pop()
            if op in lifted or op not in new:
                continue
            if op.type == "LoopVar":
                raise ValueError(f"Initializer for variable {variable.op.name} is from inside a control-flow "
                                 f"construct, such as a loop or conditional. When creating a variable inside a "
                                 f"loop or conditional, use a lambda as the initializer.")
            lifted.add(op)
            stack.extend(t.op for t in op.inputs)
    return lifted


def context_of(tensor_or_op):
    op = getattr(tensor_or_op, "op", tensor_or_op)
    return getattr(op, "_control_flow_context", None)


def compile_subplan(feeds, outputs, context, device, state) -> Plan:
    """A plan for ``outputs`` of ``context`` given ``feeds`` (arrays on ``device``, in order),
    whose outputs are arrays on ``device``. Ops inside are placed by the session's placer and
    every crossing to another device is a planned, counted copy — as in the main plan."""
    ops = prune(outputs, feeds)
    for op in ops:
        if context_of(op) is not context:
            where = context_of(op)
            raise errors.InvalidArgumentError(None, op, where.escape_message(op) if where else (
                f"{op.name} is outside {context.describe()} but was not captured by it"))
    placement = state.placer.place(ops, state.graph)
    builder = _StepBuilder(placement, state, ())
    in_slots = [_feed_slot(builder, t, device) for t in feeds]
    for op in ops:
        builder.add_op(op)
    out_slots = [builder._input(t, device) for t in outputs]
    builder.fetched.update(out_slots)
    steps = builder.finish()
    ops, placement = with_nested_plans(ops, placement, builder)
    # a sub-plan waits for its devices as a plan does: the loop reads its predicate each
    # iteration anyway, so this adds no host round trip
    return Plan(outputs, feeds, ops, placement, builder.copies, steps,
                [FeedStep(t, device, i, s, _same) for i, (t, s) in enumerate(zip(feeds, in_slots))],
                [FetchStep(t, device, s, False, _same) for t, s in zip(outputs, out_slots)],
                builder.n_slots, builder.sync_steps())


def _feed_slot(builder, tensor, device) -> int:
    slot = builder._new_slot()
    builder.slot_of[(tensor, device)] = slot
    builder.home[tensor] = device
    return slot


def _same(value):
    return value
