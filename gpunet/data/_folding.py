"""``Dataset.reduce``: the dataset folded into one state by ``reduce_func(state, element)``, as graph tensors.

``_Fold`` is a dataset of one element, the final state; ``reduce`` reads it as ``get_single_element`` does (an
initializable iterator whose get-next depends on its initializer), so each run that fetches the tensors
folds the dataset anew, from the captured tensors' values of that run. The function is traced on the state's
static shapes, and again on shapes relaxed to fit what it returns, until they stop changing (as TF does).
Imports the base classes from gpunet/data/dataset.py, whose ``reduce`` method imports this lazily.
"""
from __future__ import annotations

import numpy as np

from ..graph.dtypes import as_bytes_array, string
from ._sequencing import spec_repr
from ._trace import TracedFunction
from .dataset import _Unary
from .sources import Component
from .structure import Structure, flatten, most_specific_shape, nesting

__all__ = ["reduce_dataset"]


class _Fold(_Unary):
    """One element: ``initial_state`` folded with ``reduce_func`` over the input's elements."""

    _keeps_memory = False

    def __init__(self, input_dataset, initial_state, reduce_func):
        if not callable(reduce_func):
            raise ValueError(f"Argument `func` must be a callable. Received func={reduce_func!r} "
                             f"(of type {type(reduce_func)})")
        self._initial = [Component(leaf) for leaf in flatten(initial_state)]
        state = Structure(initial_state, [c.dtype for c in self._initial], [c.shape for c in self._initial])
        self._fn, state = _traced(reduce_func, state, input_dataset._structure)
        super().__init__(input_dataset, state, [c.tensor for c in self._initial if c.tensor is not None] +
                         self._fn.captures)

    def _elements(self, env):
        state = tuple(np.asarray(c.value(env)) for c in self._initial)
        run = self._fn.runner(env)
        strings = [dtype == string for dtype in self._structure.flat_dtypes]
        for element in self._input._elements(env):
            new_state = run(state + element)
            # a scalar string comes back as bytes: an object array, as the iterator expects
            state = tuple(as_bytes_array(v) if text else np.asarray(v) for v, text in zip(new_state, strings))
        yield state


def _traced(reduce_func, state, element):
    """``reduce_func`` traced on ``(state, element)`` until the state's shapes fit what it returns: (the traced
    function, the state's structure with those shapes)."""
    while True:
        joined = Structure((state.template, element.template), state.flat_dtypes + element.flat_dtypes,
                           state.flat_shapes + element.flat_shapes)
        traced = TracedFunction(reduce_func, joined, "Dataset.reduce")
        if traced.output is None:
            raise TypeError("`reduce_func` must return the new state, a structure like the initial state; it "
                            "returned None")
        new = traced.output_structure()
        _check_new_state(state, new)
        shapes = [most_specific_shape([old, fresh]) for old, fresh in zip(state.flat_shapes, new.flat_shapes)]
        if shapes == state.flat_shapes:
            return traced, state
        state = state.with_shapes(shapes)


def _check_new_state(state, new):
    if nesting(new) != nesting(state):
        raise TypeError(f"The structure of the new state must match the initial state. Expected {spec_repr(state)} "
                        f"but got {spec_repr(new)}.")
    for expected, got in zip(state.flat_dtypes, new.flat_dtypes):
        if expected != got:
            raise TypeError(f"The element types for the new state must match the initial state. Expected "
                            f"<dtype: '{expected.name}'> but got <dtype: '{got.name}'>.")


def reduce_dataset(dataset, initial_state, reduce_func):
    """``dataset.reduce``: tensors of the initial state's structure whose value, in each run that fetches them,
    is ``reduce_func(... reduce_func(initial_state, e0) ..., eN)`` (the initial state for an empty dataset)."""
    from ..graph import control_dependencies
    iterator = _Fold(dataset, initial_state, reduce_func).make_initializable_iterator()
    with control_dependencies([iterator.initializer]):  # each run folds the dataset again
        return iterator.get_next(name="ReduceDataset")
