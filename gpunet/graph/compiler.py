"""The compiler: prune -> place -> partition (insert copies) -> schedule -> free, producing a Plan."""
from __future__ import annotations

import numpy as np

from .. import errors
from . import executor, memory
from .core_ops import REF_READERS, FedVariable, placeholder_message
from .graph import Operation, Tensor
from .in_place import join_in_place
from .plan import Plan, _host_value, _op_error, _static_bytes
from .registry import KernelContext
from .steps import CopyInfo, CopyStep, FeedStep, FetchStep, SyncStep
from .variable_order import ANY_VARIABLE, NO_TOUCH, Touch

__all__ = ["build_plan", "prune", "with_nested_plans"]


def prune(fetches, feeds) -> list[Operation]:
    """The ops the fetches need, stopping at fed tensors, in graph (= topological) order."""
    fed = set(feeds)
    needed, stack = set(), []
    for item in fetches:
        if isinstance(item, Tensor):
            if item not in fed:
                stack.append(item.op)
        else:
            stack.append(item)
    while stack:
        op = stack.pop()
        if op in needed:
            continue
        needed.add(op)
        stack.extend(t.op for t in op.inputs if t not in fed)
        stack.extend(op.control_inputs)
    return sorted(needed, key=lambda op: op._id)


def build_plan(fetches, feeds, placer, state, graph) -> Plan:
    ops = prune(fetches, feeds)
    for op in ops:
        if op.type == "Placeholder":
            raise errors.InvalidArgumentError(None, op, placeholder_message(op))
    for op in reversed(ops):  # made inside a cond branch or loop body (gpunet/graph/control_flow.py)
        if getattr(op, "_control_flow_context", None) is not None:
            raise errors.InvalidArgumentError(None, op, op._control_flow_context.escape_message(op))
    _check_fed_variables(ops, feeds)
    placement = placer.place(ops, graph)
    builder = _StepBuilder(placement, state, feeds)
    for op in ops:
        builder.add_op(op)
    fetch_steps = [builder.fetch(item) for item in fetches]
    ops, placement = with_nested_plans(ops, placement, builder)
    steps = builder.finish()
    plan = Plan(fetches, feeds, ops, placement, builder.copies, steps, builder.feed_steps,
                fetch_steps, builder.n_slots, builder.sync_steps(), builder.schedule(steps))
    memory.check_fits(plan)  # a GPU plan that cannot fit fails here, before its first step
    guards = (op.op_def.run_guard(state, op) for op in ops if op.op_def.run_guard is not None)
    plan._guards = tuple({id(g): g for g in guards}.values())  # the ops of one collective share its guard
    return plan


def with_nested_plans(ops, placement, builder):
    """Ops and placement including those of control-flow sub-plans (a branch, a loop body) that
    kernels compiled while this plan was built: logs and reports describe them with the plan."""
    if not builder.nested:
        return ops, placement
    placement = dict(placement)
    for sub in builder.nested:
        placement.update(sub.placement)
        builder.copies.extend(sub.copies)
    return sorted(placement, key=lambda op: op._id), placement


def _check_fed_variables(ops, feeds):
    """A fed variable tensor stands for the variable's value in this run: reads see it, but an
    update of the variable in the same run has nothing to update."""
    fed = {t for t in feeds if t.op.type == "VariableV2"}
    for op in ops:
        for t in op.inputs:
            if t in fed and op.type not in REF_READERS:
                raise errors.InvalidArgumentError(None, op, (
                    f"Cannot feed variable tensor {t.name} while {op.name} ({op.type}) updates the variable in "
                    f"the same run; feed {t.name} only to runs that read it"))


class _StepBuilder:
    def __init__(self, placement, state, feeds):
        self.placement = placement
        self.state = state
        self.feed_index = {t: i for i, t in enumerate(feeds)}
        self.slot_of = {}        # (tensor, device) -> slot
        self.home = {}           # tensor -> device that produced it
        self.steps = []
        self.copies = []
        self.feed_steps = []
        self.n_slots = 0
        self.fetched = set()
        self.aliasing = {}       # tensor -> the variables whose buffer its value on its home device may share
        self.shared_copies = set()  # (tensor, device): its copy there shares the home device's buffer
        self.nested = []         # sub-plans compiled by control-flow kernels (gpunet/graph/control_flow.py)
        self.used = {}           # devices any step runs on or copies to, in first-use order
        self.kernel_steps = {}   # op -> index of its kernel's step
        self.touches = []        # per step, the variables whose buffers it reads and writes (variable_order.py)
        self.spans_devices = False    # a kernel's sub-plan runs on other devices: the plan runs flat

    def _new_slot(self) -> int:
        self.n_slots += 1
        return self.n_slots - 1

    def _input(self, tensor, device) -> int:
        key = (tensor, device)
        if key in self.slot_of:
            return self.slot_of[key]
        slot = self.slot_of[key] = self._new_slot()
        if tensor in self.feed_index:
            self.used[device] = True
            if tensor.op.type == "VariableV2":
                return self._fed_variable(tensor, device, slot)
            self.feed_steps.append(FeedStep(tensor, device, self.feed_index[tensor], slot, device.backend.from_host))
            return slot
        src = self.home[tensor]
        if tensor.dtype.name == "string" and device.device_type == "GPU":
            raise errors.InvalidArgumentError(None, tensor.op, f"string tensor {tensor.name} cannot be "
                                                               f"copied to {device.name}")
        step = CopyStep(tensor, src, device)
        if step.shares:
            self.shared_copies.add(key)
        self.copies.append(CopyInfo(tensor, src, device, _static_bytes(tensor), step))
        self._add_step((step, [self._input(tensor, src)], slot, None, tensor.op, device),
                       Touch(reads=self.aliasing.get(tensor, frozenset())))
        self.used[device] = True
        return slot

    def _add_step(self, step, touch=NO_TOUCH):
        self.steps.append(step)
        self.touches.append(touch)

    def _fed_variable(self, tensor, device, slot) -> int:
        """A fed variable tensor: the fed array, wrapped as the variable its readers expect."""
        fed = self._new_slot()
        self.feed_steps.append(FeedStep(tensor, device, self.feed_index[tensor], fed, device.backend.from_host))
        wrap = device.backend.wrap_kernel(lambda value: FedVariable(tensor.op.name, value))
        self._add_step((wrap, [fed], slot, None, tensor.op, device))
        return slot

    def add_op(self, op):
        device = self.placement[op].device
        ins = [self._input(t, device) for t in op.inputs]
        outs = []
        for t in op.outputs:
            self.home[t] = device
            outs.append(self._new_slot())
            self.slot_of[(t, device)] = outs[-1]
        touch = self._touch(op, device)
        ctx = KernelContext(op, device, self.state)
        try:
            with device.backend.context():
                kernel = op.op_def.kernel_for(device.device_type)(ctx)
        except Exception as exc:  # a builder rejecting its attributes: say which op and device
            raise _op_error((None, None, None, None, op, device), exc) from exc
        out = outs[0] if len(outs) == 1 else (tuple(outs) or None)
        nested = getattr(kernel, "nested_plans", ())
        self.nested.extend(nested)
        self.spans_devices |= any({p.device for p in sub.placement.values()} - {device} for sub in nested)
        self.kernel_steps[op] = len(self.steps)
        # a control-flow kernel hands device arrays on to its sub-plans, whose steps check them
        fn = kernel if getattr(kernel, "takes_device_arrays", False) else device.backend.wrap_kernel(kernel)
        self._add_step((fn, ins, out, None, op, device), touch)
        self.used[device] = True

    def _touch(self, op, device):
        """The variables ``op`` may read (its refs, and inputs on this device that may share a variable's
        buffer: a copy from another device shares it too where both keep arrays in host memory) and write in
        place (the refs of a stateful op); notes its outputs as sharing what it read when they may."""
        refs = _refs(op)
        shared = frozenset().union(*[self.aliasing[t] for t in op.inputs if t in self.aliasing and (
            self.home[t] is device or (t, device) in self.shared_copies)])
        touch = Touch(reads=refs | shared, writes=refs if op.op_def.stateful else frozenset())
        if ((op.op_def.aliases_state and op.type != "Const") or shared) and not op.op_def.fresh_outputs:
            # conservative: any kernel may hand back (a view of) its input, unless its op says it never
            # does. Constants are read-only arrays, so values derived from them are recognised at fetch
            # time instead.
            self.aliasing.update((t, touch.reads or frozenset([ANY_VARIABLE])) for t in op.outputs)
        return touch

    def fetch(self, item):
        if isinstance(item, Operation):
            return FetchStep(None, None, None, False, None)  # an op fetches as None
        if item in self.feed_index:
            return FetchStep(item, None, self.feed_index[item], True, np.asarray)
        device = self.home[item]
        slot = self.slot_of[(item, device)]
        aliasing = item in self.aliasing
        if item.op.type == "VariableV2":  # a variable's own tensor fetches as its value
            slot, aliasing = self._read_variable(item, device, slot), True
        self.fetched.add(slot)
        # the caller owns what a fetch returns: later steps must not change it in place (a transfer
        # from device memory is a fresh host buffer already)
        to_host = device.backend.to_host
        copy = aliasing and not device.backend.capabilities.device_memory
        return FetchStep(item, device, slot, False, lambda v: _host_value(to_host(v), copy))

    def schedule(self, steps):
        """The concurrent executor's per-device schedule, or None for a plan run as a flat loop."""
        if self.spans_devices:
            return None
        return executor.schedule(steps, self.kernel_steps, self.touches)

    def sync_steps(self):
        """One wait per asynchronous device the plan uses (none on CPUs and virtual GPUs)."""
        return tuple(SyncStep(d) for d in self.used if d.backend.capabilities.asynchronous)

    def _read_variable(self, tensor, device, slot) -> int:
        value = self._new_slot()
        self._add_step((device.backend.wrap_kernel(_read_slot), [slot], value, None, tensor.op, device),
                       Touch(reads=frozenset([tensor.op])))
        return value

    def finish(self):
        """Attach to each step the slots whose last reader it is (fetched slots are kept)."""
        join_in_place(self.steps, self.kernel_steps, self.fetched,
                      lambda op, device: KernelContext(op, device, self.state))
        last = {}
        for k, step in enumerate(self.steps):
            for slot in step[1]:
                last[slot] = k
            for slot in (step[2],) if step[2].__class__ is int else step[2] or ():
                last.setdefault(slot, k)
        frees = [[] for _ in self.steps]
        for slot, k in last.items():
            if slot not in self.fetched:
                frees[k].append(slot)
        return [(fn, ins, out, tuple(frees[k]), op, device)
                for k, (fn, ins, out, _, op, device) in enumerate(self.steps)]


def _refs(op):
    """The variables whose refs ``op`` takes (a kernel given refs may read or write their buffers)."""
    if not op.op_def.takes_refs:
        return frozenset()
    return frozenset(t.op for t in op.inputs if t.op.type == "VariableV2")


def _read_slot(slot):
    return slot.get()
