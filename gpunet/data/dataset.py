"""``gn.data.Dataset``: input pipelines as chains of Python iterators of NumPy elements.

A dataset describes its elements (``output_types``/``output_shapes``) and how to produce them;
an iterator (gpunet/data/iterator.py) runs the chain inside the session, one element per
``get_next`` run. Graph tensors a dataset depends on (a placeholder of filenames, say) are its
*captures*: the iterator's initializer takes them as inputs, so their values are fed or computed
by the run that initializes it. Elements are flat tuples of NumPy arrays inside the chain.

This module holds ``Env``, the ``Dataset`` base and ``_Unary`` (one input); the transformations live in
private modules by concept (_batching, _ordering, _mapping, _threads, _combining, _sequencing, _folding,
_windowing, _options) that subclass these, and ``Dataset``'s methods import them lazily, as they do the sources:
imports point one way, into here. An element's error passes through every transformation and leaves it usable,
so the iterator, or ``ignore_errors``, goes on after it, as in TF (gpunet/data/_resumable.py); the interleave
orders live in gpunet/data/_interleaving.py.
"""
from __future__ import annotations

import numpy as np

from .. import errors
from .structure import Structure, compatible

__all__ = ["Dataset", "Env", "check_element", "refuse_windows"]


AUTOTUNE = -1  # num_parallel_calls / buffer_size: let gpunet choose (tf.data.experimental.AUTOTUNE)


class Env:
    """One initialization of an iterator: capture values, per-dataset state, what to close, the
    iterator's own copy stats (copies made outside any run, by a prefetch-to-device thread) and the
    ``gn.data.Options`` of the dataset iterated (None: the defaults), which, as in TF, hold for all of it."""

    def __init__(self, values, closers, copy_stats=None, options=None):
        self.values = values
        self.closers = closers
        self.copy_stats = copy_stats
        self.options = options
        self._state = {}

    def with_values(self, values):
        """An Env for an inner dataset (interleave): other capture values, the same closers, stats and options."""
        return Env(values, self.closers, self.copy_stats, self.options)

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

    def _inputs(self):
        """The datasets this one reads (whose options it inherits)."""
        return []

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
        from ._batching import stacked_blocks
        return stacked_blocks(self, env, size)

    def _factory(self):
        captures, options = self._captures, self.options()

        def make(values, iterator_state):
            env = Env(dict(zip(captures, values)), iterator_state.closers, iterator_state.copy_stats, options)
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
        from ._combining import _Zip
        return _Zip(datasets)

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None):
        from .sources import ListFiles
        return ListFiles(file_pattern, shuffle, seed)

    # -- transformations ------------------------------------------------------------------
    def batch(self, batch_size, drop_remainder=False):
        from ._batching import _Batch
        return _Batch(self, _positive(batch_size, "batch_size"), drop_remainder)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None, drop_remainder=False):
        from ._batching import _Batch
        return _Batch(self, _positive(batch_size, "batch_size"), drop_remainder, padded=padded_shapes or True,
                      padding_values=padding_values)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True):
        from ._ordering import _Shuffle
        return _Shuffle(self, _positive(buffer_size, "buffer_size"), seed, reshuffle_each_iteration)

    def repeat(self, count=None):
        from ._ordering import _Repeat
        return _Repeat(self, None if count is None or _whole(count, "count") < 0 else int(count))

    def map(self, map_func, num_parallel_calls=None, deterministic=None):  # noqa: A003 — TF1's name
        """``map_func`` on each element; with ``num_parallel_calls`` (a count or AUTOTUNE) that many calls at once,
        results in input order unless ``deterministic`` is False (None: the dataset's ``Options.deterministic``,
        else True), when each comes as its call completes."""
        from ._mapping import _Map, _parallel_calls, checked_deterministic
        return _Map(self, map_func, _parallel_calls(num_parallel_calls), checked_deterministic(deterministic))

    def filter(self, predicate):  # noqa: A003 — TF1's name
        from ._mapping import _Filter
        return _Filter(self, predicate)

    def map_with_legacy_function(self, map_func, num_parallel_calls=None):
        """TF1's ``map`` traced the old way (``tf.compat.v1``): gpunet traces every function one way, so
        it is ``map``."""
        return self.map(map_func, num_parallel_calls)

    def filter_with_legacy_function(self, predicate):
        """TF1's ``filter`` traced the old way: ``filter`` here."""
        return self.filter(predicate)

    def take(self, count):
        from ._ordering import _Slice
        return _Slice(self, 0, None if _whole(count, "count") < 0 else int(count), 1)

    def skip(self, count):
        from ._ordering import _Slice
        return _Slice(self, int(count) if _whole(count, "count") >= 0 else None, None, 1)

    def shard(self, num_shards, index):
        """Every ``num_shards``-th element from ``index`` on: one disjoint part per replica or rank."""
        num_shards = _positive(num_shards, "num_shards")
        if not 0 <= index < num_shards:
            raise errors.InvalidArgumentError(None, None, f"Index {index} must be in [0, num_shards={num_shards})")
        from ._ordering import _Slice
        return _Slice(self, index, None, num_shards)

    def prefetch(self, buffer_size):
        from ._threads import _Prefetch
        return _Prefetch(self, max(int(buffer_size), 1) if buffer_size is not None and buffer_size > 0 else 1)

    def interleave(self, map_func, cycle_length=None, block_length=1, num_parallel_calls=None, deterministic=None):
        """``map_func(element)`` returns a dataset; ``cycle_length`` of them (None or AUTOTUNE: the core
        count) are read in turn, ``block_length`` elements at a time, each ended one replaced by the next.
        With ``num_parallel_calls`` (a count up to ``cycle_length``, or AUTOTUNE) threads read the open
        inner datasets, and the next ones, ahead, that many at once; the order stays the sequential one unless
        ``deterministic`` is False (None: the dataset's ``Options.deterministic``, else True), when a turn whose
        inner dataset has no element ready takes one from the next that has."""
        from ._combining import _Interleave, interleave_lengths
        from ._mapping import checked_deterministic
        return _Interleave(self, map_func, *interleave_lengths(cycle_length, block_length, num_parallel_calls),
                           deterministic=checked_deterministic(deterministic))

    def flat_map(self, map_func):
        from ._combining import _Interleave
        return _Interleave(self, map_func, 1, 1)

    def concatenate(self, dataset):
        """The elements of this dataset, then those of ``dataset``: the same nesting and dtypes (else TypeError,
        naming both element specs as TF does); each static shape the most specific one both are compatible with."""
        from ._sequencing import _Concatenate
        return _Concatenate(self, dataset)

    def enumerate(self, start=0):  # noqa: A003 — TF's name
        """``(index, element)`` pairs, ``index`` an int64 scalar counting from ``start`` (an int or a scalar int64
        tensor, read when the iterator is initialized)."""
        from ._sequencing import _Enumerate
        return _Enumerate(self, start)

    def reduce(self, initial_state, reduce_func):
        """Tensors of ``initial_state``'s structure whose value, in each run that fetches them, is the dataset folded
        by ``reduce_func(state, element) -> state`` (the initial state for an empty dataset). The new state must have
        the initial state's structure and dtypes (else TypeError); its static shapes are relaxed to fit both."""
        from ._folding import reduce_dataset
        return reduce_dataset(self, initial_state, reduce_func)

    def unbatch(self):
        """Each element split along its first dimension into that many elements (``gn.data.experimental.unbatch``'s
        transformation: components of rank >= 1 with the same first dimension)."""
        from ._experimental import _Unbatch
        return _Unbatch(self)

    def window(self, size, shift=None, stride=1, drop_remainder=False):
        """Windows of ``size`` elements ``stride`` apart, one starting every ``shift`` (default ``size``) elements;
        the shorter ones at the end dropped with ``drop_remainder``. As in TF each window is a structure of datasets
        (one per component), which only a ``flat_map`` or ``interleave`` right after it can open
        (``ds.window(3, 1).flat_map(lambda w: w.batch(3))``); the elements of one window must have one shape."""
        from ._windowing import _Window
        return _Window(self, size, shift, stride, drop_remainder)

    def options(self):
        """The ``gn.data.Options`` of this dataset: its inputs' merged with those ``with_options`` added."""
        from ._options import options_of
        return options_of(self)

    def with_options(self, options):
        """This dataset with ``options`` (a ``gn.data.Options``) merged into its options as TF 1.15 does (two
        different values of one option: ValueError). As in TF, the options of the dataset an iterator reads hold for all
        of it; gpunet acts on ``deterministic`` and ``map_and_batch_fusion`` and stores the rest
        (gpunet/data/_options.py)."""
        from ._options import _WithOptions
        return _WithOptions(self, options)

    def apply(self, transformation_func):
        return transformation_func(self)

    def cache(self, filename=""):
        """The input's elements, recorded by the first pass that reaches their end and replayed by later ones.

        Without a ``filename`` they are kept in memory, until the iterator is initialized again. With one (a
        str, os.PathLike or scalar string tensor: a prefix, as in TF1) they are written to the file
        ``<filename>.gncache`` (no pickle; CRC-checked) and later passes read them from it without running the
        input: the next epoch, a new iterator, session or process over a dataset built the same way. A pass
        that stops before the end leaves no cache; two passes writing the same cache at once:
        AlreadyExistsError; a damaged file: DataLossError; one written for other elements: InvalidArgumentError.
        The directory must exist. Files, locking, format: gpunet/data/_file_cache.py, _cache_format.py."""
        if filename is None or (isinstance(filename, (str, bytes)) and not filename):
            from ._ordering import _Cache
            return _Cache(self)
        from ._file_cache import _FileCache
        return _FileCache(self, filename)


def _positive(value, what):
    if _whole(value, what) <= 0:
        raise ValueError(f"{what} must be positive, got {value}")
    return int(value)


def _whole(value, what):
    """``value`` as an int, refusing a float or a string as TF1 does (``batch(2.5)`` is no batch of 2)."""
    not_whole = isinstance(value, np.ndarray) and value.dtype.kind not in "iub"
    if value is None or isinstance(value, (float, str, bytes)) or not_whole:
        raise TypeError(f"{what} must be an integer, got {value!r} of type {type(value).__name__}")
    return int(value)


class _Unary(Dataset):
    _keeps_memory = True  # False: the transformation runs code per element (map, filter, interleave)
    _takes_windows = False  # True: the transformation opens the windows of Dataset.window (flat_map, interleave)

    def __init__(self, input_dataset, structure=None, captures=()):
        if not self._takes_windows:
            refuse_windows(input_dataset, type(self).__name__.lstrip("_"))
        super().__init__(structure or input_dataset._structure, input_dataset._captures + list(captures))
        self._input = input_dataset

    def _inputs(self):
        return [self._input]

    @property
    def _in_memory(self) -> bool:
        return self._keeps_memory and self._input._in_memory


def refuse_windows(dataset, what):
    """A TypeError when ``dataset`` gives the windows of ``Dataset.window``, which only flat_map and interleave
    open (gpunet/data/_windowing.py)."""
    if getattr(dataset, "_opens_windows", False):
        raise TypeError(f"{what} cannot read the windows of Dataset.window(): open them with flat_map or interleave "
                        "right after it (`ds.window(n).flat_map(lambda w: w.batch(n))`)")


def check_element(values, structure, where):
    """Raise InvalidArgumentError when a produced element does not fit the declared shapes."""
    for value, shape in zip(values, structure.flat_shapes):
        if not compatible(shape, value.shape):
            raise errors.InvalidArgumentError(None, None, f"{where} produced an element of shape "
                                                          f"{list(value.shape)}, expected {shape}")
