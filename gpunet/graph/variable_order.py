"""Which variables' buffers each step of a plan may read or write in place, and the order that keeps
between threads: what the flat loop would do to each variable, the concurrent executor does too.

A variable's value is its buffer, updated in place (``Apply*``, ``Assign*``), and a read of it
(``ReadVariable``, and every view a kernel may hand back of it on the same device) shares that buffer.
So per variable, in plan order: a step that reads waits for the last step that wrote it, and a step
that writes waits for the last writer and every reader since, when they run on other threads. Steps
on one thread keep plan order by themselves. A value copied to another device is a buffer of its own,
and reads nothing of the variable after its copy."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ANY_VARIABLE", "NO_TOUCH", "Touch", "ordering"]

ANY_VARIABLE = object()  # stands for a buffer whose variable is not known: it orders against every variable


@dataclass(frozen=True)
class Touch:
    """The variables (their ``VariableV2`` ops, or ``ANY_VARIABLE``) whose buffers a step reads and writes."""

    reads: frozenset = frozenset()
    writes: frozenset = frozenset()

    @property
    def variables(self):
        return self.reads | self.writes


NO_TOUCH = Touch()


def ordering(touches, thread_of):
    """``[(step, earlier step it waits for)]`` between steps on different threads (``thread_of[i]``) that
    share a variable, at least one of them writing it, in plan order."""
    per_variable = {}
    for i, touch in enumerate(touches):
        for variable in touch.variables:
            per_variable.setdefault(variable, []).append(i)
    unknown = per_variable.pop(ANY_VARIABLE, [])
    pairs = []
    for variable, steps in (per_variable or {ANY_VARIABLE: []}).items():  # unknown buffers alone: order them
        pairs += _readers_and_writers(sorted(steps + unknown), touches, thread_of, variable)
    return pairs


def _readers_and_writers(steps, touches, thread_of, variable):
    last_write, readers, pairs = None, [], []
    for i in steps:
        writes = variable in touches[i].writes or ANY_VARIABLE in touches[i].writes
        before = ([last_write] if last_write is not None else []) + (readers if writes else [])
        pairs += [(i, j) for j in before if thread_of[j] is not thread_of[i]]
        if writes:
            last_write, readers = i, []
        else:
            readers.append(i)
    return pairs
