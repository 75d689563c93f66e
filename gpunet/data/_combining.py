"""``zip``, ``interleave`` and ``flat_map``: elements drawn from several datasets.

``_Zip`` reads datasets side by side, one element of each joined into one; ``_Interleave`` opens one
inner dataset per input element (``map_func`` returns it) and reads ``cycle_length`` of them in turn.
Imports the base classes from gpunet/data/dataset.py, whose methods import this lazily.
"""
from __future__ import annotations

from ._trace import TracedFunction
from .dataset import Dataset, _Unary
from .structure import Structure

__all__ = ["_Interleave", "_Zip"]


class _Zip(Dataset):
    def __init__(self, datasets):
        from .structure import flatten
        self._datasets = flatten(datasets) if isinstance(datasets, (tuple, dict)) else None
        if not self._datasets or not all(isinstance(d, Dataset) for d in self._datasets):
            raise TypeError(f"Dataset.zip takes a (nested) tuple of datasets, got {datasets!r}")
        template = _replace(datasets, [d._structure.template for d in self._datasets])
        structure = Structure(template, [t for d in self._datasets for t in d._structure.flat_dtypes],
                              [s for d in self._datasets for s in d._structure.flat_shapes])
        super().__init__(structure, [c for d in self._datasets for c in d._captures])

    @property
    def _in_memory(self) -> bool:
        return all(d._in_memory for d in self._datasets)

    def _elements(self, env):
        for parts in zip(*[d._elements(env) for d in self._datasets]):
            yield tuple(v for part in parts for v in part)


def _replace(template, leaves):
    from .structure import pack
    return pack(template, leaves)


class _Interleave(_Unary):
    """``map_func(element)`` returns a dataset; ``cycle_length`` of them are read in turn,
    ``block_length`` elements at a time."""

    _keeps_memory = False

    def __init__(self, input_dataset, fn, cycle_length, block_length):
        self._fn = TracedFunction(fn, input_dataset._structure, "Dataset.interleave")
        inner = self._fn.output
        if not isinstance(inner, Dataset):
            raise TypeError(f"`map_func` must return a Dataset, got {type(inner).__name__}")
        self._inner = inner
        self._inner_fetches = [self._fn.graph.local(c) for c in inner._captures]  # outer ones: captured
        super().__init__(input_dataset, inner._structure, self._fn.captures)
        self._cycle, self._block = cycle_length, block_length

    def _elements(self, env):
        run = self._fn.runner(env, fetches=self._inner_fetches)
        inner, captures = self._inner, self._inner._captures

        def open_element(element):
            return inner._elements(env.with_values(dict(zip(captures, run(element)))))
        return _interleaved(self._input._elements(env), open_element, self._cycle, self._block)


def _interleaved(sources, open_element, cycle, block):
    """TF's interleave order: slot by slot, ``block`` elements each; an ended slot moves on to the
    next one and is refilled from the input only when the cycle comes back to it."""
    slots, index, taken, open_count, end_of_input = [None] * cycle, 0, 0, 0, False
    while not end_of_input or open_count:
        if slots[index] is not None:
            element = next(slots[index], None)
            if element is not None:
                taken += 1
                if taken == block:
                    index, taken = (index + 1) % cycle, 0
                yield element
                continue
            slots[index], open_count = None, open_count - 1
            index, taken = (index + 1) % cycle, 0
        elif not end_of_input:
            source = next(sources, None)
            end_of_input = source is None
            if source is not None:
                slots[index], open_count = open_element(source), open_count + 1
        else:
            index, taken = (index + 1) % cycle, 0
