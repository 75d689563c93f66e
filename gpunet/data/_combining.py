"""``zip``, ``interleave`` and ``flat_map``: elements drawn from several datasets.

``_Zip`` reads datasets side by side, one element of each joined into one; ``_Interleave`` opens one
inner dataset per input element (``map_func`` returns it) and reads ``cycle_length`` of them in turn.
An error passes through both at its place, as TF returns it, and leaves them usable (gpunet/data/_resumable.py).
Imports the base classes from gpunet/data/dataset.py, whose methods import this lazily.
"""
from __future__ import annotations

import os

from .. import errors
from ._interleaving import interleave_readers, interleaved
from ._mapping import _parallel_calls, deterministic
from ._resumable import Failed, pull, resumable
from ._trace import TracedFunction
from .dataset import AUTOTUNE, Dataset, _Unary, refuse_windows
from .structure import Structure

__all__ = ["_Interleave", "_Zip", "interleave_lengths"]


class _Zip(Dataset):
    def __init__(self, datasets):
        from .structure import flatten
        self._datasets = flatten(datasets) if isinstance(datasets, (tuple, dict)) else None
        if not self._datasets or not all(isinstance(d, Dataset) for d in self._datasets):
            raise TypeError(f"Dataset.zip takes a (nested) tuple of datasets, got {datasets!r}")
        for dataset in self._datasets:
            refuse_windows(dataset, "Dataset.zip")
        template = _replace(datasets, [d._structure.template for d in self._datasets])
        structure = Structure(template, [t for d in self._datasets for t in d._structure.flat_dtypes],
                              [s for d in self._datasets for s in d._structure.flat_shapes])
        super().__init__(structure, [c for d in self._datasets for c in d._captures])

    def _inputs(self):
        return list(self._datasets)

    @property
    def _in_memory(self) -> bool:
        return all(d._in_memory for d in self._datasets)

    def _elements(self, env):
        return _zipped([d._elements(env) for d in self._datasets])


@resumable
def _zipped(sources):
    """One element of each source joined, up to the first source's end; as TF's, an element of each is read
    even when one fails, and the first error is handed on in the joined element's place."""
    while True:
        parts = [pull(source) for source in sources]
        if any(part is None for part in parts):
            return
        failed = [part for part in parts if part.__class__ is Failed]
        yield failed[0] if failed else tuple(v for part in parts for v in part)


def _replace(template, leaves):
    from .structure import pack
    return pack(template, leaves)


class _Interleave(_Unary):
    """``map_func(element)`` returns a dataset; ``cycle_length`` of them are read in turn,
    ``block_length`` elements at a time; with ``parallel_calls`` (not None) the open ones, and the
    next ``cycle_length`` to open, are read ahead by threads, at most that many at once, and the
    elements still come in the sequential order (TF's deterministic parallel interleave)."""

    _keeps_memory = False
    _takes_windows = True
    _what = "Dataset.interleave"  # names the transformation in tracing errors

    def __init__(self, input_dataset, fn, cycle_length, block_length, parallel_calls=None, deterministic=None):
        if getattr(input_dataset, "_opens_windows", False):
            from ._windowing import window_function
            fn = window_function(fn, input_dataset._structure)
        self._fn = TracedFunction(fn, input_dataset._structure, self._what)
        inner = self._fn.output
        if not isinstance(inner, Dataset):
            raise TypeError(f"`map_func` must return a Dataset, got {type(inner).__name__}")
        self._inner = inner
        self._inner_fetches = [self._fn.graph.local(c) for c in inner._captures]  # outer ones: captured
        super().__init__(input_dataset, inner._structure, self._fn.captures)
        self._cycle, self._block, self._calls = cycle_length, block_length, parallel_calls
        self._deterministic = deterministic

    def _elements(self, env):
        readers = interleave_readers(env, self._calls, self._block)  # first: they stop before the sessions close
        in_order = deterministic(self._deterministic, env)
        return interleaved(readers, self._input._elements(env), self._opener(env), self._cycle, self._block,
                           in_order=in_order)

    def _opener(self, env):
        """``open_element(element)``: the elements of the inner dataset ``map_func`` makes of ``element``."""
        run = self._fn.runner(env, fetches=self._inner_fetches)
        inner, captures = self._inner, self._inner._captures

        def open_element(element):
            return inner._elements(env.with_values(dict(zip(captures, run(element)))))
        return open_element


def interleave_lengths(cycle_length, block_length, num_parallel_calls):
    """``(cycle_length, block_length, parallel_calls)`` as TF's kernels read them, checked as TF does;
    AUTOTUNE calls are one per cycle element; parallel_calls is None for a sequential read."""
    calls = None if num_parallel_calls is None else _parallel_calls(num_parallel_calls)
    if cycle_length is None or cycle_length == AUTOTUNE:
        cycle_length = _automatic_cycle(num_parallel_calls, calls)
    cycle, block = _positive(cycle_length, "cycle_length"), _positive(block_length, "block_length")
    if num_parallel_calls == AUTOTUNE:
        return cycle, block, cycle
    if calls is not None and calls > cycle:
        raise errors.InvalidArgumentError(None, None, (
            "If `cycle_length` is set to a fixed value, `num_parallel_calls` must be either AUTOTUNE or a value "
            f"less than or equal to `cycle_length`. However, `num_parallel_calls` is {calls} and `cycle_length` "
            f"is {cycle}"))
    return cycle, block, calls


def _automatic_cycle(num_parallel_calls, calls):
    """TF's cycle_length for None or AUTOTUNE: the core count; with N parallel calls, N (where TF takes
    the smaller of N and the cores, then refuses N above it); with AUTOTUNE calls, one per three cores
    (TF's reader threads: one for the current element and two for the ones to come)."""
    cores = os.cpu_count() or 1
    if num_parallel_calls is None:
        return cores
    return -(-cores // 3) if num_parallel_calls == AUTOTUNE else calls


def _positive(length, what):
    if int(length) <= 0:
        raise errors.InvalidArgumentError(None, None, f"{what} must be greater than zero.")
    return int(length)
