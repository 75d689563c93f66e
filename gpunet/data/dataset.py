"""``gn.data.Dataset``: input pipelines as chains of Python iterators of NumPy elements.

A dataset describes its elements (``output_types``/``output_shapes``) and how to produce them;
an iterator (gpunet/data/iterator.py) runs the chain inside the session, one element per
``get_next`` run. Graph tensors a dataset depends on (a placeholder of filenames, say) are its
*captures*: the iterator's initializer takes them as inputs, so their values are fed or computed
by the run that initializes it. Elements are flat tuples of NumPy arrays inside the chain.
"""
from __future__ import annotations

import collections
import itertools
import os
import queue as _queue
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import errors
from ..ops.random_ops import get_seed
from ._trace import TracedFunction
from .structure import Structure, compatible

__all__ = ["Dataset", "Env", "check_element"]


AUTOTUNE = -1  # num_parallel_calls / buffer_size: let gpunet choose (tf.data.experimental.AUTOTUNE)


class Env:
    """One initialization of an iterator: capture values, per-dataset state, what to close, and the
    iterator's own copy stats (copies made outside any run, by a prefetch-to-device thread)."""

    def __init__(self, values, closers, copy_stats=None):
        self.values = values
        self.closers = closers
        self.copy_stats = copy_stats
        self._state = {}

    def with_values(self, values):
        """An Env for an inner dataset (interleave): other capture values, the same closers and stats."""
        return Env(values, self.closers, self.copy_stats)

    def state(self, dataset, make):
        if dataset not in self._state:
            self._state[dataset] = make()
        return self._state[dataset]


class Dataset:
    """Base of all datasets; subclasses give ``_elements(env)``, an iterator of flat tuples."""

    def __init__(self, structure: Structure, captures=()):
        self._structure = structure
        self._captures = list(dict.fromkeys(captures))

    # -- description ----------------------------------------------------------------------
    @property
    def output_types(self):
        return self._structure.types

    @property
    def output_shapes(self):
        return self._structure.shapes

    @property
    def output_classes(self):
        from ..graph import Tensor
        return self._structure.pack([Tensor] * len(self._structure.flat_dtypes))

    def _elements(self, env):
        raise NotImplementedError

    @property
    def _in_memory(self) -> bool:
        """Whether elements come from arrays in memory (slicing them costs less than handing them
        over from another thread, so prefetch does not start one)."""
        return False

    def _columns(self, env):
        """All elements at once as one array per component, when the dataset can (else None)."""
        return None

    def _blocks(self, env, size):
        """Consecutive elements, ``size`` at a time (fewer at the end), as one array per component:
        what ``batch`` takes. Sources override it to skip the per-element path."""
        columns = self._columns(env)
        if columns is not None:
            yield from _slices(columns, size)
            return
        source = self._elements(env)
        while True:
            rows = list(itertools.islice(source, size))
            if not rows:
                return
            yield [_stack([row[i] for row in rows], i) for i in range(len(rows[0]))]

    def _factory(self):
        captures = self._captures

        def make(values, iterator_state):
            env = Env(dict(zip(captures, values)), iterator_state.closers, iterator_state.copy_stats)
            return self._elements(env)
        return make

    # -- iterators (gpunet/data/iterator.py) ----------------------------------------------
    def make_one_shot_iterator(self):
        from .iterator import Iterator
        return Iterator.one_shot(self)

    def make_initializable_iterator(self, shared_name=None):
        from .iterator import Iterator
        return Iterator.initializable(self)

    # -- sources --------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors):
        from .sources import TensorSlices
        return TensorSlices(tensors)

    @staticmethod
    def from_tensors(tensors):
        from .sources import Tensors
        return Tensors(tensors)

    @staticmethod
    def from_generator(generator, output_types, output_shapes=None, args=None):
        from .sources import Generator
        return Generator(generator, output_types, output_shapes, args)

    @staticmethod
    def range(*args, output_type=None):  # noqa: A003 — TF1's name
        from .sources import Range
        return Range(*args, output_type=output_type)

    @staticmethod
    def zip(datasets):  # noqa: A003 — TF1's name
        return _Zip(datasets)

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None):
        from .sources import ListFiles
        return ListFiles(file_pattern, shuffle, seed)

    # -- transformations ------------------------------------------------------------------
    def batch(self, batch_size, drop_remainder=False):
        return _Batch(self, _positive(batch_size, "batch_size"), drop_remainder)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None, drop_remainder=False):
        return _Batch(self, _positive(batch_size, "batch_size"), drop_remainder, padded=padded_shapes or True,
                      padding_values=padding_values)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True):
        return _Shuffle(self, _positive(buffer_size, "buffer_size"), seed, reshuffle_each_iteration)

    def repeat(self, count=None):
        return _Repeat(self, None if count is None or count < 0 else int(count))

    def map(self, map_func, num_parallel_calls=None):  # noqa: A003 — TF1's name
        return _Map(self, map_func, _parallel_calls(num_parallel_calls))

    def filter(self, predicate):  # noqa: A003 — TF1's name
        return _Filter(self, predicate)

    def take(self, count):
        return _Slice(self, 0, None if count < 0 else int(count), 1)

    def skip(self, count):
        return _Slice(self, int(count) if count >= 0 else None, None, 1)

    def shard(self, num_shards, index):
        """Every ``num_shards``-th element from ``index`` on: one disjoint part per replica or rank."""
        num_shards = _positive(num_shards, "num_shards")
        if not 0 <= index < num_shards:
            raise errors.InvalidArgumentError(None, None, f"Index {index} must be in [0, num_shards={num_shards})")
        return _Slice(self, index, None, num_shards)

    def prefetch(self, buffer_size):
        return _Prefetch(self, max(int(buffer_size), 1) if buffer_size is not None and buffer_size > 0 else 1)

    def interleave(self, map_func, cycle_length=None, block_length=1, num_parallel_calls=None):
        return _Interleave(self, map_func, cycle_length or 1, block_length)

    def flat_map(self, map_func):
        return _Interleave(self, map_func, 1, 1)

    def apply(self, transformation_func):
        return transformation_func(self)

    def cache(self, filename=""):
        """Elements kept in memory by the first complete pass and replayed by later ones (``repeat``),
        until the iterator is initialized again. A ``filename`` (a cache on disk) is not supported."""
        if filename:
            raise NotImplementedError(f"Dataset.cache(filename) is not supported (got {filename!r}): gpunet caches "
                                      "in memory only; call cache() without a filename")
        return _Cache(self)


def _positive(value, what):
    if int(value) <= 0:
        raise ValueError(f"{what} must be positive, got {value}")
    return int(value)


class _Unary(Dataset):
    _keeps_memory = True  # False: the transformation runs code per element (map, filter, interleave)

    def __init__(self, input_dataset, structure=None, captures=()):
        super().__init__(structure or input_dataset._structure, input_dataset._captures + list(captures))
        self._input = input_dataset

    @property
    def _in_memory(self) -> bool:
        return self._keeps_memory and self._input._in_memory


class _Batch(_Unary):
    """``size`` consecutive elements stacked; ``padded``: each component padded first (to
    ``padded_shapes``, else to the largest element) with its padding value (0, b'', or ``padding_values``)."""

    def __init__(self, input_dataset, size, drop_remainder, padded=None, padding_values=None):
        structure = input_dataset._structure
        if padded not in (None, True):
            shapes = [tuple(s.as_list()) for s in _flat_shapes(padded, structure)]
            structure = structure.with_shapes(shapes)
        fills = [] if padded is None else _padding_values(padding_values, input_dataset._structure)
        super().__init__(input_dataset, structure.batched(size if drop_remainder else None),
                         [f.tensor for f in fills if f.tensor is not None])
        self._size, self._drop, self._padded, self._fills = size, drop_remainder, padded, fills
        self._pad_to = None if padded in (None, True) else shapes

    def _elements(self, env):
        if self._padded is None:
            blocks = self._input._blocks(env, self._size)
        else:
            fills = [f.value(env) for f in self._fills]
            rows_of = _row_blocks(self._input._elements(env), self._size)
            blocks = ([self._pad([row[i] for row in rows], i, fills[i]) for i in range(len(rows[0]))]
                      for rows in rows_of)
        for columns in blocks:
            if self._drop and len(columns[0]) < self._size:
                return
            yield tuple(columns)

    def _pad(self, arrays, index, fill):
        if len({a.ndim for a in arrays}) > 1:
            raise errors.InvalidArgumentError(None, None, f"padded_batch: component {index} has elements of ranks "
                                                          f"{sorted({a.ndim for a in arrays})}")
        largest = tuple(max(sizes) for sizes in zip(*(a.shape for a in arrays)))
        target = self._pad_to[index] if self._pad_to else None
        full = largest if not target else tuple(largest[i] if t is None else t for i, t in enumerate(target))
        if any(f < d for f, d in zip(full, largest)):
            raise errors.InvalidArgumentError(None, None, f"padded_shapes {list(target)} of component {index} is "
                                                          f"smaller than an element of shape {list(largest)}")
        out = np.full((len(arrays),) + full, fill, dtype=arrays[0].dtype)
        for i, a in enumerate(arrays):
            out[(i,) + tuple(slice(0, d) for d in a.shape)] = a
        return out


def _padding_values(padding_values, structure):
    """One padding value per component: a scalar of its dtype (a Python value or a scalar tensor)."""
    from .sources import Component
    from .structure import flatten
    dtypes = structure.flat_dtypes
    if padding_values is None:
        return [Component(b"" if d.name == "string" else 0, d) for d in dtypes]
    leaves = flatten(padding_values) if isinstance(padding_values, (tuple, dict)) else [padding_values]
    if len(leaves) != len(dtypes):
        raise ValueError(f"padding_values has {len(leaves)} components, the dataset {len(dtypes)}")
    fills = [Component(v, d) for v, d in zip(leaves, dtypes)]
    for i, (fill, dtype) in enumerate(zip(fills, dtypes)):
        if fill.dtype != dtype:
            raise TypeError(f"padding_values component {i} has dtype {fill.dtype.name}; the dataset's is {dtype.name}")
        if fill.shape != ():
            raise ValueError(f"padding_values component {i} must be a scalar, got shape {list(fill.shape or [])}")
    return fills


def _row_blocks(source, size):
    while True:
        rows = list(itertools.islice(source, size))
        if not rows:
            return
        yield rows


def _slices(columns, size):
    for start in range(0, len(columns[0]), size):
        yield [np.array(c[start:start + size]) for c in columns]


def _stack(arrays, index):
    try:
        return np.stack(arrays)
    except ValueError:
        raise errors.InvalidArgumentError(None, None, (
            f"Cannot batch tensors with different shapes in component {index}. First element had shape "
            f"{list(arrays[0].shape)} and element {next(i for i, a in enumerate(arrays) if a.shape != arrays[0].shape)}"
            f" had shape {list(next(a.shape for a in arrays if a.shape != arrays[0].shape))}.")) from None


def _flat_shapes(padded, structure):
    from ..graph import TensorShape
    from .structure import flatten
    shapes = flatten(padded) if isinstance(padded, (tuple, dict)) else [padded]
    if len(shapes) != len(structure.flat_dtypes):
        raise ValueError(f"padded_shapes has {len(shapes)} components, the dataset {len(structure.flat_dtypes)}")
    return [TensorShape(s) for s in shapes]


class _Shuffle(_Unary):
    def __init__(self, input_dataset, buffer_size, seed, reshuffle):
        super().__init__(input_dataset)
        self._buffer_size, self._reshuffle = buffer_size, reshuffle
        self._seeds = get_seed(seed)

    def _rng(self, env):
        seeds = self._seeds
        if seeds == (None, None):
            return np.random.default_rng()
        if not self._reshuffle:  # the same order every epoch
            return np.random.default_rng([seeds[0] or 0, seeds[1] or 0])
        # one generator per initialization: each epoch continues it (a new order), and a new
        # initialization starts from the seed again (the same sequence of orders)
        return env.state(self, lambda: np.random.default_rng([seeds[0] or 0, seeds[1] or 0]))

    def _columns(self, env):
        """A buffer as large as the input shuffles it whole: one permutation of its columns."""
        columns = self._input._columns(env)
        if columns is None or len(columns[0]) > self._buffer_size:
            return None
        order = self._rng(env).permutation(len(columns[0]))
        return [c[order] for c in columns]

    def _elements(self, env):
        columns = self._columns(env)
        if columns is not None:
            return zip(*columns)
        return self._buffered(env)

    def _buffered(self, env):
        rng, size = self._rng(env), self._buffer_size
        buffer = []
        for element in self._input._elements(env):
            if len(buffer) < size:
                buffer.append(element)
                continue
            index = int(rng.integers(size))
            yield buffer[index]
            buffer[index] = element
        order = rng.permutation(len(buffer))
        for index in order:
            yield buffer[index]


class _Cache(_Unary):
    """The input's elements, recorded by the first pass that reaches its end and replayed after."""

    def _elements(self, env):
        cache = env.state(self, dict)
        if "elements" in cache:
            return iter(cache["elements"])
        return self._filling(env, cache)

    def _filling(self, env, cache):
        seen = []
        for element in self._input._elements(env):
            for array in element:
                array.flags.writeable = False  # replayed later: a fetch copies it rather than hand it out
            seen.append(element)
            yield element
        cache["elements"] = seen


class _Repeat(_Unary):
    def __init__(self, input_dataset, count):
        super().__init__(input_dataset)
        self._count = count

    def _elements(self, env):
        for _ in itertools.count() if self._count is None else range(self._count):
            produced = False
            for element in self._input._elements(env):
                produced = True
                yield element
            if not produced:
                return


class _Slice(_Unary):
    def __init__(self, input_dataset, start, stop, step):
        super().__init__(input_dataset)
        self._start, self._stop, self._step = start, stop, step

    def _elements(self, env):
        if self._start is None:  # skip(-1): skips everything
            return iter(())
        stop = None if self._stop is None else self._start + self._stop
        return itertools.islice(self._input._elements(env), self._start, stop, self._step)


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

        def call(element):
            return tuple(np.asarray(v) for v in run(element))
        source = self._input._elements(env)
        return map(call, source) if pool is None else _in_order(pool, call, source, self._parallel_calls)


def _in_order(pool, call, source, calls):
    """``call`` on each element of ``source`` with up to ``calls`` running at once, results in order."""
    pending = collections.deque()
    for element in source:
        pending.append(pool.submit(call, element))
        if len(pending) >= calls:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


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
        return (element for element in self._input._elements(env) if bool(run(element)[0]))


class _Prefetch(_Unary):
    """Elements produced ahead by a background thread, at most ``buffer_size`` waiting; the thread
    ends when the iterator restarts or its session closes."""

    def __init__(self, input_dataset, buffer_size):
        super().__init__(input_dataset)
        self._buffer_size = buffer_size

    def _elements(self, env):
        if self._input._in_memory:
            return self._input._elements(env)
        return threaded(self._input._elements(env), self._buffer_size, env)


def threaded(source, buffer_size, env):
    """The elements of ``source``, produced ahead by a background thread (at most ``buffer_size``
    waiting) that ``env``'s closers stop."""
    buffer, stop = _queue.Queue(buffer_size), threading.Event()
    thread = threading.Thread(target=_produce, args=(source, buffer, stop), daemon=True, name="gn.data.prefetch")
    env.closers.append(lambda: _stop(stop, thread))
    thread.start()
    while True:
        kind, value = buffer.get()
        if kind == "end":
            return
        if kind == "error":
            raise value
        yield value


_END = ("end", None)


def _produce(source, buffer, stop):
    try:
        for element in source:
            if not _put(buffer, ("element", element), stop):
                return
        _put(buffer, _END, stop)
    except Exception as exc:  # noqa: BLE001 — raised again by the consumer, in its run
        _put(buffer, ("error", exc), stop)


def _put(buffer, item, stop) -> bool:
    while not stop.is_set():
        try:
            buffer.put(item, timeout=0.05)
            return True
        except _queue.Full:
            continue
    return False


def _stop(stop, thread):
    stop.set()
    if thread is not threading.current_thread():
        thread.join()


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


def check_element(values, structure, where):
    """Raise InvalidArgumentError when a produced element does not fit the declared shapes."""
    for value, shape in zip(values, structure.flat_shapes):
        if not compatible(shape, value.shape):
            raise errors.InvalidArgumentError(None, None, f"{where} produced an element of shape "
                                                          f"{list(value.shape)}, expected {shape}")
