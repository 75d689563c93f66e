"""TF1's ``tf.data.experimental`` transformations, each for ``dataset.apply``: ``parallel_interleave``,
``map_and_batch``, ``shuffle_and_repeat``, ``ignore_errors`` and ``unbatch``; and ``get_single_element`` and
``Counter`` (choose_from_datasets and sample_from_datasets: gpunet/data/_choosing.py).

Each checks its arguments as TF 1.15's does (TF's error classes and messages, raised when the dataset is
built rather than when the iterator starts) and is built of the Dataset transformations
(gpunet/data/_combining.py, _mapping.py, _ordering.py) whose elements it gives. Exported by
gpunet/data/experimental.py.
"""
from __future__ import annotations

import itertools
import os

import numpy as np

from .. import errors
from ..graph.dtypes import as_dtype, int64
from ._combining import _Interleave
from ._interleaving import legacy_interleaved
from ._resumable import Failed, caught, raising
from ._threads import Readers
from .dataset import AUTOTUNE, Dataset, _Unary
from .structure import Structure

__all__ = ["Counter", "get_single_element", "ignore_errors", "map_and_batch", "parallel_interleave",
           "shuffle_and_repeat", "unbatch"]


# -- parallel_interleave ------------------------------------------------------------------------
class _ParallelInterleave(_Interleave):
    """TF1's legacy parallel interleave: ``cycle_length`` inner datasets read in turn, ``block_length``
    elements at a time, each read ahead by its own thread (``buffer_output_elements`` ahead), and the next
    ``prefetch_input_elements`` opened and read before their turn; the order is the legacy kernel's."""

    _what = "tf.data.experimental.parallel_interleave()"

    def __init__(self, input_dataset, fn, cycle_length, block_length, buffer_output, prefetch_input):
        super().__init__(input_dataset, fn, cycle_length, block_length)
        self._buffer_output, self._prefetch_input = buffer_output, prefetch_input

    def _elements(self, env):
        # made first, so the readers stop before the sessions they run in close
        readers = Readers(self._cycle + self._prefetch_input, self._buffer_output)
        env.closers.append(readers.close)
        return legacy_interleaved(readers, self._input._elements(env), self._opener(env), self._cycle, self._block,
                                  self._prefetch_input)


def parallel_interleave(map_func, cycle_length, block_length=1, sloppy=False, buffer_output_elements=None,
                        prefetch_input_elements=None):
    """For ``dataset.apply``: ``map_func(element)`` returns a dataset; ``cycle_length`` of them are read in
    turn, ``block_length`` elements at a time, each read ahead on its own thread (``buffer_output_elements``
    elements ahead, default ``2 * block_length``), and the next ``prefetch_input_elements`` (default
    ``2 * cycle_length``) inner datasets are opened and read before their turn.

    The order is TF1's deterministic legacy one, which differs from ``Dataset.interleave``'s when inner datasets
    end once the input is exhausted (the block count then carries on to the next one). ``sloppy=True`` allows
    TF any order; gpunet gives the same deterministic one. An error opening or reading an inner dataset comes
    at its place in the order."""
    cycle = _at_least(cycle_length, 1, "cycle_length", "> 0")
    block = _at_least(block_length, 1, "block_length", "> 0")
    buffer_output = _at_least(2 * block if buffer_output_elements is None else buffer_output_elements, 1,
                              "buffer_output_elements", "> 0")
    prefetch_input = _at_least(2 * cycle if prefetch_input_elements is None else prefetch_input_elements, 0,
                               "prefetch_input_elements", ">= 0")

    def apply(dataset):
        return _ParallelInterleave(dataset, map_func, cycle, block, buffer_output, prefetch_input)
    return apply


def _at_least(value, least, what, rule):
    """``value`` as an int, checked as TF's kernel checks it."""
    if value is None:
        raise ValueError("None values not supported.")
    if isinstance(value, bool) or int(value) != value:
        raise TypeError(f"`{what}` must be an integer, got {value!r}")
    if int(value) < least:
        raise errors.InvalidArgumentError(None, None, f"`{what}` must be {rule}")
    return int(value)


# -- map_and_batch ------------------------------------------------------------------------------
def map_and_batch(map_func, batch_size, num_parallel_batches=None, drop_remainder=False, num_parallel_calls=None):
    """For ``dataset.apply``: ``dataset.map(map_func).batch(batch_size, drop_remainder)`` fused, as TF1's: the
    same elements and static shapes (the batch dimension is ``batch_size`` with ``drop_remainder``, else
    unknown). ``num_parallel_calls`` (default ``batch_size * num_parallel_batches``, or ``batch_size``) calls
    run at once, on at most one thread per core; give at most one of the two."""
    if num_parallel_batches is not None and num_parallel_calls is not None:
        raise ValueError(
            "`map_and_batch` allows only one of `num_parallel_batches` and `num_parallel_calls` to be set, but "
            f"`num_parallel_batches` was set to {num_parallel_batches} and `num_parallel_calls` as set to "
            f"{num_parallel_calls}.")
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size <= 0:
        raise errors.InvalidArgumentError(None, None, "batch_size must be greater than zero.")
    if num_parallel_calls is None:
        num_parallel_calls = batch_size * (1 if num_parallel_batches is None else num_parallel_batches)
    if num_parallel_calls != AUTOTUNE and num_parallel_calls <= 0:
        raise errors.InvalidArgumentError(None, None, "num_parallel_calls must be greater than zero.")
    threads = num_parallel_calls if num_parallel_calls == AUTOTUNE else min(num_parallel_calls, os.cpu_count() or 1)

    def apply(dataset):
        return dataset.map(map_func, num_parallel_calls=threads).batch(int(batch_size), drop_remainder)
    return apply


# -- shuffle_and_repeat -------------------------------------------------------------------------
def shuffle_and_repeat(buffer_size, count=None, seed=None):
    """For ``dataset.apply``: ``dataset.shuffle(buffer_size, seed).repeat(count)``, as TF's (whose fused kernel
    gives the same order as those two): each epoch shuffled anew; with a ``seed`` the same sequence of epochs
    each time the iterator starts. ``count`` None or -1: repeated forever."""
    if isinstance(buffer_size, bool) or int(buffer_size) != buffer_size or buffer_size <= 0:
        raise errors.InvalidArgumentError(None, None, "buffer_size must be greater than zero or UNKNOWN_CARDINALITY")
    if count is not None and (isinstance(count, bool) or int(count) != count or (count <= 0 and count != -1)):
        raise errors.InvalidArgumentError(None, None, "count must be greater than zero or equal to -1.")

    def apply(dataset):
        return dataset.shuffle(int(buffer_size), seed, reshuffle_each_iteration=True).repeat(count)
    return apply


# -- ignore_errors ------------------------------------------------------------------------------
class _IgnoreErrors(_Unary):
    """The input's elements, less those whose production raised an error (a failing op of a ``map`` function, a
    ``py_func`` raising, a check failing, a damaged record); OutOfRangeError still ends the input and
    CancelledError still stops it, as in TF. Every transformation hands an error on at its place and goes on
    after it (gpunet/data/_resumable.py), in TF's order: shuffle, repeat (each epoch), cache in memory or in a file
    (which records the rest), prefetch, interleave (parallel too), map (parallel too), filter, batch (a batch
    right after a map read whole and dropped, TF's fused map and batch; else the part assembled dropped),
    padded_batch, zip (one element of each input dropped), concatenate, take, skip, shard, enumerate, unbatch,
    window (each window holding the error), choose_from_datasets and sample_from_datasets. A damaged record file
    gives the records before the damage, then its error, and ends; the next file follows. A generator's error
    ends it (a Python generator cannot go on), as in TF."""

    _keeps_memory = False

    def _elements(self, env):
        source = self._input._elements(env)
        while True:
            try:
                element = next(source)
            except (StopIteration, errors.OutOfRangeError):
                return
            except errors.CancelledError:
                raise
            except Exception:  # noqa: BLE001 — TF drops every error (get-next would raise it as an OpError)
                continue
            yield element


def ignore_errors():
    """For ``dataset.apply``: the dataset less the elements whose production raised an error (TF1's
    ``ignore_errors``; OutOfRangeError still ends it)."""
    return _IgnoreErrors


# -- unbatch ------------------------------------------------------------------------------------
class _Unbatch(_Unary):
    """Each element split along its first dimension into that many elements."""

    def __init__(self, input_dataset):
        shapes = input_dataset._structure.flat_shapes
        if any(shape == () for shape in shapes):
            raise ValueError("Cannot unbatch an input with scalar components.")
        known = sorted({shape[0] for shape in shapes if shape and shape[0] is not None})
        if len(known) > 1:
            raise ValueError("`unbatch()` is only supported for datasets of elements whose components have a "
                             f"matching leading dimension. Encountered both {known[0]} and {known[1]}.")
        super().__init__(input_dataset, input_dataset._structure.unbatched())

    def _elements(self, env):
        # an error (the input's, or splitting an element) is handed on in the element's place
        return itertools.chain.from_iterable(map(_rows, caught(self._input._elements(env))))


def _rows(element):
    """``element`` split into its rows (0-d arrays, strings included); a failed one, or one that cannot be
    split, raises its error (in chain, which goes on after it)."""
    if element.__class__ is Failed:
        return raising(element.error)
    try:
        return [tuple(value[row, ...] for value in element) for row in range(len(_rows_checked(element)[0]))]
    except errors.InvalidArgumentError as exc:
        return raising(exc)


def _rows_checked(element):
    """``element``'s components, checked to split into the same number of rows, as TF's kernel checks them."""
    if any(np.ndim(value) == 0 for value in element):
        raise errors.InvalidArgumentError(None, None, "Input element must have a non-scalar value in each component.")
    for index, value in enumerate(element[1:], 1):
        if len(value) != len(element[0]):
            raise errors.InvalidArgumentError(None, None, (
                "Input element must have the same batch size in each component. Component 0 had size "
                f"{len(element[0])} but component {index} had size, {len(value)}."))
    return element


def unbatch():
    """For ``dataset.apply``: each element (components of rank >= 1 with the same first dimension) split along
    that dimension into that many elements; the static shapes lose their first dimension."""
    return _Unbatch


# -- get_single_element -------------------------------------------------------------------------
class _Single(_Unary):
    """The input's only element: InvalidArgumentError when it has none or more than one (TF's messages)."""

    _keeps_memory = False

    def _elements(self, env):
        source = self._input._elements(env)
        element = next(source, None)
        if element is None:
            raise errors.InvalidArgumentError(None, None, "Dataset was empty.")
        if next(source, None) is not None:
            raise errors.InvalidArgumentError(None, None, "Dataset had more than one element.")
        yield element


def get_single_element(dataset):
    """The only element of ``dataset`` as tensors of its structure, computed anew by each run that fetches
    them (a dataset with none or more than one element: InvalidArgumentError in that run)."""
    from ..graph import control_dependencies
    if not isinstance(dataset, Dataset):
        raise TypeError(f"Invalid `dataset`. Expected a `tf.data.Dataset` object but got {type(dataset)}.")
    iterator = _Single(dataset).make_initializable_iterator()
    with control_dependencies([iterator.initializer]):  # each run starts the dataset again
        return iterator.get_next(name="DatasetToSingleElement")


# -- Counter ------------------------------------------------------------------------------------
class _Counter(Dataset):
    """``start``, ``start + step``, ... for ever, as scalars of ``dtype``."""

    _in_memory = True

    def __init__(self, start, step, dtype):
        self._start, self._step, self._dtype = start, step, as_dtype(dtype)
        super().__init__(Structure(0, [self._dtype], [()]))

    def _elements(self, env):
        dtype = self._dtype.np
        return ((np.array(value, dtype=dtype),) for value in itertools.count(self._start, self._step))


def Counter(start=0, step=1, dtype=int64):  # noqa: N802 — TF's name
    """A dataset of ``start``, ``start + step``, ``start + 2 * step``, ... for ever (scalars of ``dtype``,
    int64 by default); ``start`` and ``step`` must be exactly representable in it."""
    dtype = as_dtype(dtype)
    for what, value in (("start", start), ("step", step)):
        if isinstance(value, bool) or np.asarray(value, dtype=dtype.np) != value:
            raise TypeError(f"Counter: `{what}` {value!r} cannot be represented exactly as {dtype.name}")
    return _Counter(start, step, dtype)
