"""``map`` and ``filter``: a traced function run on each element, ``map`` optionally on a thread pool.

``_parallel_calls`` reads ``num_parallel_calls`` (None, a count or AUTOTUNE) and ``_InOrder`` keeps up
to that many calls running while handing results on in input order, as TF1's deterministic map does.
Imports the base classes from gpunet/data/dataset.py, whose methods import this lazily.
"""
from __future__ import annotations

import collections
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..graph.dtypes import as_bytes_array, string
from ._trace import TracedFunction
from .dataset import AUTOTUNE, _Unary

__all__ = ["_Filter", "_Map", "_parallel_calls"]


class _Map(_Unary):
    """``fn`` on each element; ``parallel_calls`` of them at once on a thread pool (traced ops and
    NumPy release the GIL), results in input order as TF1's deterministic map."""

    _keeps_memory = False

    def __init__(self, input_dataset, fn, parallel_calls):
        self._fn = TracedFunction(fn, input_dataset._structure, "Dataset.map")
        structure = self._fn.output_structure()
        super().__init__(input_dataset, structure, self._fn.captures)
        self._parallel_calls = parallel_calls

    def _elements(self, env):
        pool = None
        if self._parallel_calls > 1:  # made first, so it is shut down before the session its calls use
            pool = ThreadPoolExecutor(self._parallel_calls, thread_name_prefix="gn.data.map")
            env.closers.append(lambda: pool.shutdown(wait=True, cancel_futures=True))
        run = self._fn.runner(env)
        strings = [dtype == string for dtype in self._structure.flat_dtypes]

        def call(element):  # a scalar string result comes back as bytes: an object array, as the iterator expects
            return tuple(as_bytes_array(v) if text else np.asarray(v) for v, text in zip(run(element), strings))
        source = self._input._elements(env)
        return map(call, source) if pool is None else _InOrder(pool, call, source, self._parallel_calls)


class _InOrder:
    """``call`` on each element of ``source`` with up to ``calls`` running at once, results in order. An
    iterator rather than a generator: a call's error leaves it usable, so the next result follows
    (``ignore_errors`` drops the error); an error reading ``source`` comes after the results before it."""

    def __init__(self, pool, call, source, calls):
        self._pool, self._call, self._source, self._calls = pool, call, source, calls
        self._pending, self._ended, self._error = collections.deque(), False, None

    def __iter__(self):
        return self

    def __next__(self):
        while not self._ended and self._error is None and len(self._pending) < self._calls:
            self._submit_next()
        if self._pending:
            return self._pending.popleft().result()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        raise StopIteration

    def _submit_next(self):
        try:
            element = next(self._source, None)
        except Exception as exc:  # noqa: BLE001 — raised in order, after the results before it
            self._error = exc
            return
        if element is None:
            self._ended = True
        else:
            self._pending.append(self._pool.submit(self._call, element))


def _parallel_calls(value):
    """``num_parallel_calls``: None (one at a time), a positive count, or AUTOTUNE (-1: one per core)."""
    if value is None:
        return 1
    if value == AUTOTUNE:
        return os.cpu_count() or 1
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"num_parallel_calls must be a positive int or AUTOTUNE ({AUTOTUNE}), got {value!r}")
    return int(value)


class _Filter(_Unary):
    _keeps_memory = False

    def __init__(self, input_dataset, predicate):
        self._fn = TracedFunction(predicate, input_dataset._structure, "Dataset.filter")
        out = self._fn.output_structure()
        if out.flat_dtypes != [out.flat_dtypes[0]] or out.flat_dtypes[0].name != "bool" or out.flat_shapes[0] != ():
            raise ValueError(f"`predicate` return type must be convertible to a scalar boolean tensor, "
                             f"was {out.types} of shape {out.shapes}")
        super().__init__(input_dataset, captures=self._fn.captures)

    def _elements(self, env):
        run = self._fn.runner(env)
        # builtin filter, not a generator: a predicate's error leaves it usable (ignore_errors goes on)
        return filter(lambda element: bool(run(element)[0]), self._input._elements(env))
