"""``map`` and ``filter``: a traced function run on each element, ``map`` optionally on a thread pool.

``_parallel_calls`` reads ``num_parallel_calls`` (None, a count or AUTOTUNE) and ``_InOrder`` keeps up
to that many calls running while handing results on in input order, as TF's deterministic map does;
``_AsCompleted`` hands each on as its call completes (``deterministic=False``, or the option, as TF's).
Imports the base classes from gpunet/data/dataset.py, whose methods import this lazily.
"""
from __future__ import annotations

import collections
import os
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

import numpy as np

from ..graph.dtypes import as_bytes_array, string
from ._trace import TracedFunction
from .dataset import AUTOTUNE, _Unary

__all__ = ["_Filter", "_Map", "_parallel_calls", "checked_deterministic", "deterministic"]


class _Map(_Unary):
    """``fn`` on each element; ``parallel_calls`` of them at once on a thread pool (traced ops and
    NumPy release the GIL), results in input order as TF's deterministic map, or as they complete when
    ``deterministic`` (None: the options decide) is False."""

    _keeps_memory = False

    def __init__(self, input_dataset, fn, parallel_calls, deterministic=None):
        self._fn = TracedFunction(fn, input_dataset._structure, "Dataset.map")
        structure = self._fn.output_structure()
        super().__init__(input_dataset, structure, self._fn.captures)
        self._parallel_calls, self._deterministic = parallel_calls, deterministic

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
        if pool is None:
            return map(call, source)
        ordered = _InOrder if deterministic(self._deterministic, env) else _AsCompleted
        return ordered(pool, call, source, self._parallel_calls)


def checked_deterministic(value):
    """The ``deterministic`` argument of map and interleave: None, True or False (else TF's TypeError)."""
    if value is not None and not isinstance(value, bool):
        raise TypeError(f"deterministic must be None or a bool, got {value!r}")
    return value


def deterministic(argument, env) -> bool:
    """Whether a parallel transformation keeps the input order: its ``deterministic`` argument when given, else
    the iterated dataset's ``Options.deterministic`` when set, else True (TF's precedence)."""
    if argument is not None:
        return argument
    option = env.options.deterministic if env.options is not None else None
    return option is not False


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
            return self._take().result()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        raise StopIteration

    def _take(self):
        """The next call to hand on: the first one submitted."""
        return self._pending.popleft()

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


class _AsCompleted(_InOrder):
    """As ``_InOrder``, each result handed on as soon as its call completes (of those completed, the first
    submitted): the same elements, in an order that depends on the calls' durations."""

    def _take(self):
        done = next((future for future in self._pending if future.done()), None)
        if done is None:
            wait(self._pending, return_when=FIRST_COMPLETED)
            done = next(future for future in self._pending if future.done())
        self._pending.remove(done)
        return done


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
