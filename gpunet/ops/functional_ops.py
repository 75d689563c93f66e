"""gn.map_fn, gn.scan, gn.foldl and gn.foldr as TF1's: one gn.while_loop over the first axis of
``elems`` (a nested structure of tensors, unstacked into gn.TensorArrays read in the loop), the
results written to gn.TensorArrays and stacked. Gradients are the loop's and the arrays'."""
from __future__ import annotations

from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import as_dtype
from ..graph.graph import get_default_graph
from . import nest
from .array_ops import shape
from .control_flow_ops import while_loop
from .tensor_array_ops import TensorArray

__all__ = ["foldl", "foldr", "map_fn", "scan"]


class _Elems:
    """``elems`` flattened, converted and unstacked; ``n`` its length (static when known)."""

    def __init__(self, elems, what):
        self.structure = elems
        self.flat = [convert_to_tensor(e, name="elem") for e in nest.flatten(elems)]
        if not self.flat:
            raise ValueError(f"{what}: elems must contain at least one tensor")
        for e in self.flat:
            if e._shape is not None and len(e._shape) == 0:
                raise ValueError(f"Elements in elems must be 1+ dimensional Tensors, not scalars: {e.name}")
        first = self.flat[0]._shape
        self.static_n = first[0] if first is not None else None
        self.n = self.static_n if self.static_n is not None else shape(self.flat[0])[0]
        self.arrays = [TensorArray(e.dtype, self.n, element_shape=_tail(e)).unstack(e) for e in self.flat]

    def at(self, i):
        """The elements at index ``i``, packed as ``elems``."""
        return nest.pack_as(self.structure, [ta.read(i) for ta in self.arrays])


def _tail(tensor):
    return None if tensor._shape is None else tensor._shape[1:]


def _check_callable(fn):
    if not callable(fn):
        raise TypeError("fn must be callable.")


def _options(parallel_iterations, back_prop, swap_memory):
    return {"parallel_iterations": parallel_iterations or 10, "back_prop": back_prop, "swap_memory": swap_memory}


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False, infer_shape=True,
           name=None):
    """``fn`` applied to each slice of ``elems`` along its first axis, the results stacked. ``fn``'s
    results have the structure and dtypes of ``dtype`` (default: those of ``elems``)."""
    _check_callable(fn)
    with get_default_graph().name_scope(name or "map"):
        items = _Elems(elems, "map_fn")
        structure = items.structure if dtype is None else dtype
        dtypes = [e.dtype for e in items.flat] if dtype is None else [as_dtype(d) for d in nest.flatten(dtype)]
        outputs = [TensorArray(d, items.n, infer_shape=infer_shape) for d in dtypes]

        def body(i, outputs):
            flat = _results(fn(items.at(i)), structure, dtypes, "elems" if dtype is None else "dtype")
            return i + 1, [ta.write(i, v) for ta, v in zip(outputs, flat)]
        _, outputs = while_loop(lambda i, _: i < items.n, body, [0, outputs],
                                **_options(parallel_iterations, back_prop, swap_memory))
        return nest.pack_as(structure, [ta.stack() for ta in outputs])


def _results(value, structure, dtypes, what):
    """``fn``'s ``value`` flattened after checking it has ``structure`` and ``dtypes``."""
    nest.assert_same_structure(structure, value, f"fn's output must have the structure of {what}")
    flat = [convert_to_tensor(v, preferred_dtype=d) for v, d in zip(nest.flatten(value), dtypes)]
    for v, d in zip(flat, dtypes):
        if v.dtype != d:
            raise TypeError(f"fn's output {v.name} has dtype {v.dtype.name}, but {what} says {d.name}")
    return flat


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, infer_shape=True,
         reverse=False, name=None):
    """The running values ``a = fn(a, x)`` over the slices ``x`` of ``elems`` (from the end when
    ``reverse``), stacked; ``a`` starts as ``initializer`` or, without one, the first slice."""
    _check_callable(fn)
    with get_default_graph().name_scope(name or "scan"):
        items = _Elems(elems, "scan")
        first = items.n - 1 if reverse else 0
        acc, start, structure = _start(items, initializer, first, reverse)
        flat_acc = [convert_to_tensor(a) for a in nest.flatten(acc)]
        outputs = [TensorArray(a.dtype, items.n, infer_shape=infer_shape) for a in flat_acc]
        if initializer is None:
            outputs = [ta.write(first, a) for ta, a in zip(outputs, flat_acc)]

        def body(i, acc, outputs):
            index = items.n - 1 - i if reverse else i
            flat = _results(fn(nest.pack_as(structure, acc), items.at(index)), structure,
                            [a.dtype for a in flat_acc], _what(initializer))
            return i + 1, flat, [ta.write(index, v) for ta, v in zip(outputs, flat)]
        _, _, outputs = while_loop(lambda i, *_: i < items.n, body, [start, flat_acc, outputs],
                                   **_options(parallel_iterations, back_prop, swap_memory))
        return nest.pack_as(structure, [ta.stack() for ta in outputs])


def _start(items, initializer, first, reverse):
    """(the first ``a``, the first loop count, the structure of ``a``)."""
    if initializer is not None:
        return initializer, 0, initializer
    return items.at(first), 1, items.structure


def _what(initializer):
    return "elems" if initializer is None else "initializer"


def _fold(fn, elems, initializer, reverse, options, name):
    _check_callable(fn)
    with get_default_graph().name_scope(name):
        items = _Elems(elems, name)
        first = items.n - 1 if reverse else 0
        acc, start, structure = _start(items, initializer, first, reverse)
        flat_acc = [convert_to_tensor(a) for a in nest.flatten(acc)]

        def body(i, acc):
            index = items.n - 1 - i if reverse else i
            return i + 1, _results(fn(nest.pack_as(structure, acc), items.at(index)), structure,
                                   [a.dtype for a in flat_acc], _what(initializer))
        _, flat = while_loop(lambda i, _: i < items.n, body, [start, flat_acc], **options)
        return nest.pack_as(structure, flat)


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, name=None):
    """``a = fn(a, x)`` over the slices ``x`` of ``elems`` from the first, returning the last ``a``;
    ``a`` starts as ``initializer`` or, without one, the first slice."""
    return _fold(fn, elems, initializer, False, _options(parallel_iterations, back_prop, swap_memory),
                 name or "foldl")


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, name=None):
    """``a = fn(a, x)`` over the slices ``x`` of ``elems`` from the last, returning the last ``a``;
    ``a`` starts as ``initializer`` or, without one, the last slice."""
    return _fold(fn, elems, initializer, True, _options(parallel_iterations, back_prop, swap_memory),
                 name or "foldr")
