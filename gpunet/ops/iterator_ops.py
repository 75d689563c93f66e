"""Iterator ops: the graph side of ``gn.data`` iterators (CPU ops).

An ``IteratorHandle`` op names an iterator; its state (a Python iterator of flat tuples of NumPy
arrays, made by a dataset's ``factory(capture_values)``) lives in the session. ``IteratorInit``
(re)starts it from the values of the dataset's captured tensors; ``IteratorGetNext`` takes the next
element, OutOfRangeError at the end. A one-shot get-next starts the iterator itself on first use.
"""
from __future__ import annotations

import threading

import numpy as np

from .. import errors
from ..graph.dtypes import string
from ..graph.registry import apply_op, define_op

__all__ = ["IteratorState", "iterator_get_next", "iterator_handle", "iterator_init"]


class IteratorState:
    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()  # one get-next at a time: elements are handed out once
        self.elements = None          # an iterator of flat tuples; None until initialized
        self.closers = []             # called when the iterator restarts or the session closes

    def restart(self, make, values):
        self.cancel()
        self.closers = []
        self.elements = iter(make(values, self.closers))

    def cancel(self):
        for close in self.closers:
            close()


def _state_of(ctx):
    handle = ctx.op.inputs[0].op
    return ctx.state.resource(handle, lambda: IteratorState(handle.name))


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
    one_shot, op = ctx.attrs["one_shot"], ctx.op
    dtypes = [t.dtype.np for t in op.outputs]

    def get_next(_handle, *values):
        state = _state_of(ctx)
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
        return _checked(element, dtypes, op)
    return get_next


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


def iterator_handle(name):
    return apply_op("IteratorHandle", [], {}, name).outputs[0]


def iterator_init(handle, factory, captures, name):
    return apply_op("IteratorInit", [handle] + list(captures), {"factory": factory}, name)


def iterator_get_next(handle, dtypes, shapes, one_shot=None, captures=(), name=None):
    """The outputs of a get-next op; ``one_shot`` a factory that starts the iterator on first use."""
    attrs = {"dtypes": list(dtypes), "shapes": [None if s is None else tuple(s) for s in shapes],
             "one_shot": one_shot}
    return list(apply_op("IteratorGetNext", [handle] + list(captures), attrs, name or "IteratorGetNext").outputs)
