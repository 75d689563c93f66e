"""Iterator ops: the graph side of ``gn.data`` iterators (CPU ops, but for the get-next on a device).

An ``IteratorHandle`` op names an iterator; its state (a Python iterator of flat tuples of arrays,
made by a dataset's ``factory(capture_values, iterator_state)``) lives in the session. ``IteratorInit``
(re)starts it from the values of the dataset's captured tensors; ``IteratorGetNext`` takes the next
element, OutOfRangeError at the end. A one-shot get-next starts the iterator itself on first use.

``IteratorGetNextOnDevice`` (``prefetch_to_device``, ``copy_to_device``) runs on the target device
and has no data inputs (the handle is a string, which stays on the host): it hands out arrays the
device owns already, copied ahead of the run by the prefetch thread. Those copies happen outside
any run, so they are counted twice over: in the iterator's own ``copy_stats`` when made, and in the
run that consumes them as transfers of kind ``'prefetch'`` (``RunCopyStats.host_to_device``
includes them; ``count``, the plan's copy steps, does not). An element that is not on the device
yet is copied by the kernel itself, counted as a ``'copy'`` of the run.
"""
from __future__ import annotations

import threading

import numpy as np

from .. import errors
from ..device import devices
from ..graph.copy_stats import HOST, RunCopyStats, current
from ..graph.dtypes import string
from ..graph.graph import get_default_graph
from ..graph.registry import apply_op, define_op

__all__ = ["IteratorState", "iterator_get_next", "iterator_handle", "iterator_init"]


class IteratorState:
    """One iterator in one session: its elements, what to close on restart, its own copy stats."""

    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()  # one get-next at a time: elements are handed out once
        self.elements = None          # an iterator of flat tuples; None until initialized
        self.closers = []             # called when the iterator restarts or the session closes
        self.copy_stats = RunCopyStats()  # copies made by its prefetch-to-device thread, since (re)start

    def restart(self, make, values):
        self.cancel()
        self.closers = []
        self.copy_stats = RunCopyStats()
        # the captured values as they are now: a variable's value must not change under the iterator
        self.elements = iter(make([np.array(v, copy=True) for v in values], self))

    def cancel(self):
        for close in self.closers:
            close()


def _state_of(ctx, handle=None):
    handle = handle or ctx.op.inputs[0].op
    return ctx.state.resource(handle, lambda: IteratorState(handle.name))


def iterator_copy_stats(session, handle):
    """The copy stats of the iterator named by ``handle`` (an IteratorHandle tensor) in ``session``."""
    op = handle.op
    return session._state.resource(op, lambda: IteratorState(op.name)).copy_stats


def _handle_kernel(ctx):
    name = np.array(ctx.op.name.encode(), dtype=object)
    return lambda: name


def _init_kernel(ctx):
    make = ctx.attrs["factory"]

    def init(_handle, *values):
        state = _state_of(ctx)
        with state.lock:
            state.restart(make, values)
    return init


def _get_next_kernel(ctx):
    one_shot, op, device = ctx.attrs["one_shot"], ctx.op, ctx.device
    dtypes = [t.dtype.np for t in op.outputs]

    def get_next(_handle, *values):
        element = _next_element(_state_of(ctx), one_shot, values, op)
        # a reinitializable iterator's get-next made before its prefetch_to_device initializer: back to the host
        return _checked(tuple(_on_device(value, device) for value in element), dtypes, op)
    return get_next


def _next_element(state, one_shot, values, op):
    with state.lock:
        if state.elements is None:
            if one_shot is None:
                raise errors.FailedPreconditionError(None, op, (
                    "GetNext() failed because the iterator has not been initialized. Ensure that you have run "
                    "the initializer operation for this iterator before getting the next element."))
            state.restart(one_shot, values)
        element = next(state.elements, None)
    if element is None:
        raise errors.OutOfRangeError(None, op, "End of sequence")
    return element


def _start_kernel(ctx):
    """A one-shot iterator's start on first use, for a get-next on a device (which has no inputs)."""
    one_shot = ctx.attrs["one_shot"]

    def start(_handle, *values):
        state = _state_of(ctx)
        with state.lock:
            if state.elements is None:
                state.restart(one_shot, values)
    return start


def _device_get_next_kernel(ctx):
    handle, op, device = ctx.attrs["handle"], ctx.op, ctx.device
    dtypes = [t.dtype.np for t in op.outputs]

    def get_next():
        element = _next_element(_state_of(ctx, handle), None, (), op)
        return _checked(tuple(_on_device(value, device) for value in element), dtypes, op)
    return get_next


def _on_device(value, device):
    """``value`` owned by ``device``: as prefetched (a 'prefetch' transfer of this run), or copied now."""
    stats = current()
    if device.backend.owns(value):
        if stats is not None and device.device_type != "CPU":
            stats.record(HOST, device.name, value.nbytes, "prefetch")
        return value
    src = next(d for d in devices() if d.backend.owns(value))
    out = device.backend.copy_from(value, src.backend)
    if stats is not None:
        stats.record(src.name, device.name, out.nbytes)
    return out


def _checked(element, dtypes, op):
    if len(element) != len(dtypes):
        raise errors.InvalidArgumentError(None, op, f"the dataset produced {len(element)} components, expected "
                                                    f"{len(dtypes)}")
    for value, dtype in zip(element, dtypes):
        if value.dtype != dtype:
            raise errors.InvalidArgumentError(None, op, f"the dataset produced {value.dtype} where the iterator "
                                                        f"expects {np.dtype(dtype)}")
    return element[0] if len(element) == 1 else tuple(element)


_CPU = dict(stateful=True, differentiable=False)
define_op("IteratorHandle", lambda i, a: [(string, ())], {"CPU": _handle_kernel}, **_CPU)
define_op("IteratorInit", lambda i, a: [], {"CPU": _init_kernel}, **_CPU)
define_op("IteratorGetNext", lambda i, a: list(zip(a["dtypes"], a["shapes"])), {"CPU": _get_next_kernel}, **_CPU)
define_op("IteratorStart", lambda i, a: [], {"CPU": _start_kernel}, **_CPU)
define_op("IteratorGetNextOnDevice", lambda i, a: list(zip(a["dtypes"], a["shapes"])),
          {"any": _device_get_next_kernel}, from_host=True, **_CPU)


def iterator_handle(name):
    return apply_op("IteratorHandle", [], {}, name).outputs[0]


def iterator_init(handle, factory, captures, name):
    return apply_op("IteratorInit", [handle] + list(captures), {"factory": factory}, name)


def iterator_get_next(handle, dtypes, shapes, one_shot=None, captures=(), name=None):
    """The outputs of a get-next op; ``one_shot`` a factory that starts the iterator on first use."""
    attrs = {"dtypes": list(dtypes), "shapes": [None if s is None else tuple(s) for s in shapes],
             "one_shot": one_shot}
    return list(apply_op("IteratorGetNext", [handle] + list(captures), attrs, name or "IteratorGetNext").outputs)


def iterator_get_next_on_device(device, handle, dtypes, shapes, one_shot=None, captures=(), name=None):
    """The outputs of a get-next op on ``device``: arrays owned by that device (see above). ``one_shot``:
    a factory that a CPU op (outside the device scope) runs first, on first use."""
    attrs = {"dtypes": list(dtypes), "shapes": [None if s is None else tuple(s) for s in shapes], "handle": handle.op}
    graph = get_default_graph()
    start = [] if one_shot is None else [apply_op("IteratorStart", [handle] + list(captures),
                                                  {"one_shot": one_shot}, "IteratorStart")]
    with graph.control_dependencies(start), graph.device(device):
        return list(apply_op("IteratorGetNextOnDevice", [], attrs, name or "IteratorGetNext").outputs)
