"""Which thread runs the host's closing work when a plan spans devices (graph/executor.py).

The host's steps run on the caller's thread, which also runs the first GPU's part. Host steps whose
results feed no GPU step (the update of variables kept on the host, say) come after the GPU work they
read, when every device's thread is done with its own part and would otherwise sleep. They form pieces
that pass values to each other; each piece goes to the thread with the least such work so far, the
largest piece first (work counted as the bytes its steps read and write, from static shapes), so the
replicas' updates on the host run at once. A piece too small to repay waking another thread stays on
the caller's, and so do steps with state other than variables (random ops, queues, ``py_func``), whose
order only one thread keeps. Which thread runs a step never changes a value: every wait of the
concurrent executor still holds."""
from __future__ import annotations

from .plan import _static_bytes
from .steps import outputs_of

__all__ = ["spread_host_tail"]

MIN_MOVED_BYTES = 256 << 10  # a piece smaller than this stays on the caller's thread


def spread_host_tail(steps, runner, host, caller, kernel_steps):
    """``runner`` (the device whose thread runs each step) with the host's closing pieces spread over the
    threads. ``host[i]``: step ``i`` is the host's (it may run on any thread); ``caller``: the device of the
    caller's thread; ``kernel_steps``: op -> index of its kernel's step (for control dependencies)."""
    producer = {slot: i for i, step in enumerate(steps) for slot in outputs_of(step)}
    movable = _feeding_no_gpu(steps, host, kernel_steps, producer)
    pieces = _pieces(steps, movable, producer)
    if len(pieces) < 2:
        return runner
    threads = sorted(dict.fromkeys(runner), key=lambda d: d is not caller)
    load = dict.fromkeys(threads, 0)
    runner = list(runner)
    for cost, members in sorted(pieces, key=lambda p: (-p[0], p[1][0])):
        thread = caller if cost < MIN_MOVED_BYTES else min(threads, key=lambda t: load[t])
        load[thread] += cost
        for i in members:
            runner[i] = thread
    return runner


def _feeding_no_gpu(steps, host, kernel_steps, producer):
    """Per step: whether it is the host's and nothing a GPU runs depends on it (``producer``: slot -> step)."""
    readers = [[] for _ in steps]
    for i, step in enumerate(steps):
        for j in {producer[s] for s in step[1] if s in producer}:
            readers[j].append(i)
        if kernel_steps.get(step[4]) == i:
            for c in step[4].control_inputs:
                if c in kernel_steps:
                    readers[kernel_steps[c]].append(i)
    needed = [False] * len(steps)
    for i in reversed(range(len(steps))):
        needed[i] = not host[i] or any(needed[r] for r in readers[i])
    return [host[i] and not needed[i] and _free_to_move(steps[i][4]) for i in range(len(steps))]


def _free_to_move(op):
    """Whether ``op`` may run on any thread: its state, if any, is variables, whose reads and writes the
    executor orders across threads. Other state (random generators, queues, ``py_func``) has an order only
    on one thread, the caller's."""
    return not op.op_def.stateful or op.op_def.takes_refs


def _pieces(steps, movable, producer):
    """``[(bytes, step indices)]``: the movable steps joined by the values they pass each other."""
    parent = {i: i for i, m in enumerate(movable) if m}

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i
    for i in parent:
        for slot in steps[i][1]:
            j = producer.get(slot)
            if j in parent:
                parent[root(j)] = root(i)
    groups = {}
    for i in parent:
        groups.setdefault(root(i), []).append(i)
    return [(sum(_bytes(steps[i][4]) for i in members), members) for members in groups.values()]


def _bytes(op):
    return sum(_static_bytes(t) or 0 for t in (*op.inputs, *op.outputs))  # unknown shapes count 0
