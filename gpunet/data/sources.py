"""Dataset sources: tensors and their slices, ranges, Python generators, files and their records."""
from __future__ import annotations

import glob
import itertools

import numpy as np

from .. import errors
from ..graph import Tensor, TensorShape
from ..graph.dtypes import as_dtype, int64, string
from ..ops.random_ops import get_seed
from ..ops.record_io import compression_kind, record_chunks, records
from ._combining import interleave_lengths
from ._interleaving import interleave_readers, interleaved
from ._resumable import Failed, caught, raising, resumable
from .dataset import AUTOTUNE, Dataset, check_element
from .structure import Structure, as_array, flatten


class Component:
    """One leaf of a source: a NumPy value fixed at build time, or a graph tensor (a capture).
    ``dtype``: the dtype a Python value must have (converted exactly, never truncated)."""

    def __init__(self, value, dtype=None):
        if isinstance(value, Tensor):
            self.tensor, self.array = value, None
            self.dtype, self.shape = value.dtype, (None if value.shape.ndims is None else
                                                   tuple(value.shape.as_list()))
        else:
            self.tensor, self.array = None, _exactly(value, dtype)
            self.dtype, self.shape = as_dtype(self.array.dtype), self.array.shape

    def value(self, env):
        return self.array if self.tensor is None else env.values[self.tensor]


def _exactly(value, dtype):
    if dtype is None:
        return as_array(value)
    array = as_array(value, dtype)
    if dtype != string and not np.array_equal(array, np.asarray(value), equal_nan=array.dtype.kind == "f"):
        raise TypeError(f"{value!r} cannot be represented exactly as {dtype.name}")
    return array


def _components(tensors):
    leaves = flatten(tensors)
    components = [Component(leaf) for leaf in leaves]
    captures = [c.tensor for c in components if c.tensor is not None]
    return components, captures


class Tensors(Dataset):
    """One element: ``tensors``."""

    _in_memory = True

    def __init__(self, tensors):
        self._components, captures = _components(tensors)
        super().__init__(Structure(tensors, [c.dtype for c in self._components],
                                   [c.shape for c in self._components]), captures)

    def _elements(self, env):
        yield tuple(np.asarray(c.value(env)) for c in self._components)


class TensorSlices(Dataset):
    """One element per row of ``tensors`` (all with the same first dimension)."""

    _in_memory = True

    def __init__(self, tensors):
        self._components, captures = _components(tensors)
        shapes = [c.shape for c in self._components]
        if any(s == () for s in shapes):
            raise ValueError("from_tensor_slices needs tensors of rank >= 1")
        rows = {s[0] for s in shapes if s is not None and s[0] is not None}
        if len(rows) > 1:
            raise ValueError(f"Dimensions {sorted(rows)} in the first axis of the components must be equal")
        super().__init__(Structure(tensors, [c.dtype for c in self._components],
                                   [None if s is None else s[1:] for s in shapes]), captures)

    def _columns(self, env):
        arrays = [np.asarray(c.value(env)) for c in self._components]
        if len({len(a) for a in arrays}) > 1:
            raise errors.InvalidArgumentError(None, None, f"from_tensor_slices: the components have different "
                                                          f"first dimensions {[len(a) for a in arrays]}")
        return arrays

    def _elements(self, env):
        return column_rows(self._columns(env))


def column_rows(columns):
    """The elements of ``columns`` (one array per component): a row of a vector of strings is a bytes object,
    so each becomes a 0-d string array, as the iterator expects."""
    return zip(*[[_scalar(v) for v in a] if a.dtype == object and a.ndim == 1 else a for a in columns])


class Range(Dataset):
    """``range(stop)``, ``range(start, stop[, step])`` of int64."""

    _in_memory = True

    def __init__(self, *args, output_type=None):
        if not 1 <= len(args) <= 3:
            raise ValueError(f"Dataset.range takes 1 to 3 arguments, got {len(args)}")
        self._range = range(*[int(a) for a in args])
        self._dtype = as_dtype(output_type or int64)
        super().__init__(Structure(0, [self._dtype], [()]))

    def _elements(self, env):
        dtype = self._dtype.np
        return ((np.array(i, dtype=dtype),) for i in self._range)


class Generator(Dataset):
    """The values ``generator(*args)`` yields, checked against ``output_types``/``output_shapes``."""

    def __init__(self, generator, output_types, output_shapes=None, args=None):
        if not callable(generator):
            raise TypeError("`generator` must be callable.")
        dtypes = [as_dtype(t) for t in flatten(output_types)]
        shapes = ([None] * len(dtypes) if output_shapes is None
                  else [_shape(s) for s in _shapes_like(output_types, output_shapes)])
        if len(shapes) != len(dtypes):
            raise ValueError("output_shapes must have the same structure as output_types")
        self._generator, self._args = generator, tuple(args or ())
        super().__init__(Structure(output_types, dtypes, shapes))

    def _elements(self, env):
        structure = self._structure
        for value in self._generator(*self._args):
            flat = flatten(value) if isinstance(value, (tuple, dict)) else [value]
            if len(flat) != len(structure.flat_dtypes):
                raise errors.InvalidArgumentError(None, None, f"the generator yielded {len(flat)} components, "
                                                              f"expected {len(structure.flat_dtypes)}")
            arrays = tuple(_exact(v, d) for v, d in zip(flat, structure.flat_dtypes))
            check_element(arrays, structure, "the generator")
            yield arrays


def _exact(value, dtype):
    if dtype == string:
        return as_array(value, dtype)
    array = np.asarray(value)
    if array.dtype.kind == "f" and not dtype.is_floating or array.dtype.kind not in "iufb":
        raise errors.InvalidArgumentError(None, None, f"the generator yielded {array.dtype} where "
                                                      f"{dtype.name} is expected")
    return array.astype(dtype.np, copy=False)


def _shapes_like(types, shapes):
    """The leaves of ``shapes``, walked along the structure of ``types`` (a shape is a list)."""
    if isinstance(types, dict):
        return [leaf for key in sorted(types) for leaf in _shapes_like(types[key], shapes[key])]
    if isinstance(types, tuple):
        return [leaf for t, s in zip(types, shapes) for leaf in _shapes_like(t, s)]
    return [shapes]


def _shape(leaf):
    shape = TensorShape(leaf)
    return None if shape.ndims is None else tuple(shape.as_list())


class ListFiles(Dataset):
    """The files matching ``file_pattern`` (one or several globs), shuffled unless ``shuffle=False``."""

    def __init__(self, file_pattern, shuffle=None, seed=None):
        self._patterns = [file_pattern] if isinstance(file_pattern, (str, bytes)) else list(file_pattern)
        self._shuffle = True if shuffle is None else shuffle
        self._seeds = get_seed(seed)
        super().__init__(Structure(0, [string], [()]))

    def _elements(self, env):
        names = sorted({n for p in self._patterns for n in glob.glob(p.decode() if isinstance(p, bytes) else p)})
        if not names:
            patterns = ", ".join(map(str, self._patterns))
            raise errors.InvalidArgumentError(None, None, f"No files matched pattern: {patterns}")
        if self._shuffle:
            seeds = self._seeds
            rng = np.random.default_rng(None if seeds == (None, None) else [seeds[0] or 0, seeds[1] or 0])
            names = [names[i] for i in rng.permutation(len(names))]
        return ((np.array(n.encode(), dtype=object),) for n in names)


class _RecordDataset(Dataset):
    """Records of each file named by ``filenames`` (a string, a list, or a string tensor)."""

    _kind = None

    def __init__(self, filenames, params):
        self._files = Component(filenames if isinstance(filenames, Tensor) else as_array(filenames, string))
        if self._files.dtype != string:
            raise TypeError(f"filenames must be strings, got {self._files.dtype.name}")
        self._params = params
        super().__init__(Structure(0, [string], [()]), [self._files.tensor] if self._files.tensor is not None
                         else [])

    def _elements(self, env):
        # a damaged file's error in its place, then the next file's records (TF's ignore_errors goes on there)
        return itertools.chain.from_iterable(map(_as_elements, self._chunks(env, 256)))

    def _names(self, env):
        return np.asarray(self._files.value(env), dtype=object).reshape(-1)

    def _chunks(self, env, size):
        """Lists of up to ``size`` records, file by file; a file's error as a ``Failed`` item ends that file."""
        for name in self._names(env):
            yield from caught(file_chunks(self._kind, name, self._params, size))

    @resumable
    def _blocks(self, env, size):
        pending = []  # a block may span files, as batch does; an error drops the part assembled, as TF's batch
        for chunk in self._chunks(env, size):
            if chunk.__class__ is Failed:
                pending = []
                yield chunk
                continue
            pending.extend(chunk)
            while len(pending) >= size:
                yield [_string_column(pending[:size])]
                del pending[:size]
        if pending:
            yield [_string_column(pending)]


def file_chunks(kind, name, params, size):
    """``record_chunks`` of one file. A damaged one gives the records before the damage (TF reads them one
    by one, where a chunk is checked whole), then its DataLossError."""
    given = 0
    try:
        for chunk in record_chunks(kind, name, params, size):
            given += len(chunk)
            yield chunk
    except errors.DataLossError as exc:
        intact, error = _intact_records(kind, name, params, given)
        if intact:
            yield intact
        raise (error or exc) from None


def _intact_records(kind, name, params, start):
    """The records of the file from the ``start``-th up to its damage, and the DataLossError there (or None)."""
    intact = []
    try:
        for _, value in itertools.islice(records(kind, name, params), start, None):
            intact.append(value)
    except errors.DataLossError as exc:
        return intact, exc
    return intact, None


def _record_element(record):
    return (_scalar(record),)


def _as_elements(chunk):
    return raising(chunk.error) if chunk.__class__ is Failed else [(_scalar(value),) for value in chunk]


def _string_column(values):
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


def _scalar(value):
    out = np.empty((), dtype=object)
    out[()] = value
    return out


class TextLineDataset(_RecordDataset):
    """The lines of text files, without their newlines (files compressed when ``compression_type`` is
    'ZLIB' or 'GZIP')."""

    _kind = "text"

    def __init__(self, filenames, compression_type=None, buffer_size=None):
        compression_kind(compression_type)  # a ValueError naming an unknown type, at build time
        super().__init__(filenames, {"compression_type": compression_type})


class FixedLengthRecordDataset(_RecordDataset):
    """Records of ``record_bytes`` between ``header_bytes`` and ``footer_bytes`` of each file."""

    _kind = "fixed"

    def __init__(self, filenames, record_bytes, header_bytes=None, footer_bytes=None, buffer_size=None):
        super().__init__(filenames, {"record_bytes": int(record_bytes), "header_bytes": header_bytes or 0,
                                     "footer_bytes": footer_bytes or 0})


class TFRecordDataset(_RecordDataset):
    """The records of TFRecord files (CRC-32C checked; DataLossError names file and offset), compressed
    when ``compression_type`` is 'ZLIB' or 'GZIP'. With ``num_parallel_reads`` (a count or AUTOTUNE)
    that many files are read at once, on threads, and their records interleaved one at a time in TF's
    order (``interleave`` of the files with that cycle length)."""

    _kind = "tfrecord"

    def __init__(self, filenames, compression_type=None, buffer_size=None, num_parallel_reads=None):
        compression_kind(compression_type)  # a ValueError naming an unknown type, at build time
        super().__init__(filenames, {"compression_type": compression_type})
        self._reads = None if num_parallel_reads is None else interleave_lengths(
            _parallel_reads(num_parallel_reads), 1, num_parallel_reads)

    def _elements(self, env):
        if self._reads is None:
            return super()._elements(env)
        return map(_record_element, self._interleaved(env))  # map: an error leaves it usable

    def _blocks(self, env, size):
        if self._reads is None:
            return super()._blocks(env, size)
        return self._interleaved_blocks(env, size)

    def _interleaved(self, env):
        """The records of the files read in parallel, in order (each file's records handed over 256 at a time)."""
        cycle, _, calls = self._reads
        readers = interleave_readers(env, calls, 1, _CHUNKS_AHEAD)
        return interleaved(readers, iter(self._names(env)), self._file_chunks, cycle, 1, chunked=True)

    def _interleaved_blocks(self, env, size):
        # map and iter(callable), not a generator: an error drops the part assembled and leaves them usable
        records = self._interleaved(env)
        return map(lambda block: [_string_column(block)], iter(lambda: list(itertools.islice(records, size)), []))

    def _file_chunks(self, name):
        return file_chunks(self._kind, name, self._params, 256)


_CHUNKS_AHEAD = 16  # chunks of 256 records a file's reader reads ahead: refilled at half


def _parallel_reads(value):
    """``num_parallel_reads`` checked at build time (TF fails at run time, naming the cycle length)."""
    if value != AUTOTUNE and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0):
        raise ValueError(f"num_parallel_reads must be a positive int or AUTOTUNE ({AUTOTUNE}), got {value!r}")
    return value


__all__ = ["FixedLengthRecordDataset", "TFRecordDataset", "TextLineDataset"]
