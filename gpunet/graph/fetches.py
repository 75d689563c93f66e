"""Fetch structures (any nesting of list/tuple/namedtuple/dict) and feed normalisation."""
from __future__ import annotations

import collections

import numpy as np

from .. import errors
from .dtypes import as_bytes_array, string
from .graph import Operation, Tensor
from .shape import TensorShape, compatible
from .validation import StructureGuard, bounded, bounded_repr, check_no_overflow

__all__ = ["FetchMapper", "feed_tensor", "feed_value"]


class FetchMapper:
    """Flattens a fetch structure into unique graph elements and rebuilds results in its shape."""

    def __init__(self, graph, fetches):
        self.elements = []
        self._index = {}
        self._guard = StructureGuard("The fetch structure")
        self._template = self._flatten(graph, fetches)

    def _flatten(self, graph, fetch):
        composite = getattr(fetch, "_fetch_parts", None)
        if composite is not None:  # e.g. IndexedSlices: (a namedtuple type, its parts; None for an absent part)
            kind, parts = composite()
            return (kind, [_ABSENT if p is None else self._flatten(graph, p) for p in parts])
        if isinstance(fetch, (list, tuple, dict)):
            self._guard.enter(fetch)
            try:
                return self._flatten_container(graph, fetch)
            finally:
                self._guard.leave()
        element = _as_fetch(graph, fetch)
        if element not in self._index:
            self._index[element] = len(self.elements)
            self.elements.append(element)
        return self._index[element]

    def _flatten_container(self, graph, fetch):
        if isinstance(fetch, dict):
            kind = _defaultdict_of(fetch.default_factory) if isinstance(fetch, collections.defaultdict) else type(fetch)
            return (kind, [(k, self._flatten(graph, v)) for k, v in fetch.items()])
        return (type(fetch), [self._flatten(graph, f) for f in fetch])

    def build(self, values):
        return _rebuild(self._template, values)


def _defaultdict_of(factory):
    """A constructor rebuilding a defaultdict fetch with its default factory, from items."""
    def make(items):
        return collections.defaultdict(factory, items)
    return make


_ABSENT = object()  # a composite's part that is not there (an IndexedSlices without dense_shape): fetched as None


def _rebuild(template, values):
    if isinstance(template, int):
        return values[template]
    if template is _ABSENT:
        return None
    kind, parts = template
    if not isinstance(kind, type) or issubclass(kind, dict):
        return kind((k, _rebuild(v, values)) for k, v in parts)
    items = [_rebuild(p, values) for p in parts]
    if hasattr(kind, "_fields"):  # namedtuple
        return kind(*items)
    return kind(items)


def _as_fetch(graph, fetch):
    if fetch is None:
        raise TypeError('Argument `fetch` = None has invalid type "NoneType". Cannot be None')
    if isinstance(fetch, str):
        try:
            return graph.as_graph_element(fetch)
        except (KeyError, ValueError) as exc:
            raise ValueError(f"Argument `fetch` = {bounded(fetch)} cannot be interpreted as a Tensor. "
                             f"({exc})") from None
    element = getattr(fetch, "_as_graph_element", lambda: fetch)()
    if not isinstance(element, (Tensor, Operation)):
        raise TypeError(f'Argument `fetch` = {bounded_repr(fetch)} has invalid type "{type(fetch).__name__}" must be a '
                        f"string or Tensor. (Can not convert a {type(fetch).__name__} into a Tensor or Operation.)")
    if element.graph is not graph:
        raise ValueError(f"Argument `fetch` = {bounded_repr(fetch)} cannot be interpreted as a Tensor. "
                         f"({bounded_repr(fetch)} is not an element of this graph.)")
    return element


def feed_tensor(graph, key) -> Tensor:
    try:
        element = graph.as_graph_element(key) if isinstance(key, str) else \
            getattr(key, "_as_graph_element", lambda: key)()
    except (KeyError, ValueError) as exc:
        raise TypeError(f"Cannot interpret feed_dict key as Tensor: {exc}") from None
    if not isinstance(element, Tensor):
        raise TypeError(f"Cannot interpret feed_dict key as Tensor: Can not convert a "
                        f"{type(key).__name__} into a Tensor.")
    if element.graph is not graph:
        raise TypeError(f"Cannot interpret feed_dict key as Tensor: Tensor {bounded_repr(element)} is not an element "
                        f"of this graph.")
    return element


def feed_value(tensor: Tensor, value):
    """The fed value as a host array of the tensor's dtype, checked against its static shape."""
    if hasattr(value, "_as_tensor") or isinstance(value, Tensor):
        raise TypeError(f"The value of a feed cannot be a gn.Tensor or Variable (feeding {tensor.name}); "
                        f"feed NumPy arrays, lists or scalars.")
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # lost values are checked below, with a clear error
            array = as_bytes_array(value) if tensor.dtype is string else np.asarray(value, dtype=tensor.dtype.np)
    except (TypeError, ValueError, OverflowError) as exc:
        raise errors.InvalidFeedError(None, tensor.op, f"Cannot feed {bounded_repr(value)} to Tensor {tensor.name} "
                                                       f"of dtype {tensor.dtype.name}: {bounded(str(exc))}") from None
    if array.dtype.kind in "iub":
        _check_exact(value, array, tensor)
    elif array.dtype.kind == "f":
        _check_finite_stays_finite(value, array, tensor)
    if not compatible(tensor._shape, array.shape):
        raise errors.InvalidFeedError(None, tensor.op, (
            f"Cannot feed value of shape {array.shape} for Tensor {tensor.name}, "
            f"which has shape {TensorShape(tensor._shape)}"))
    return array


def _check_finite_stays_finite(value, array, tensor):
    """A float fed to a narrower float tensor may round (as in TF1) but not overflow to inf."""
    source = value if isinstance(value, np.ndarray) else np.asarray(value)
    try:
        check_no_overflow(source, array)
    except ValueError as exc:
        raise errors.InvalidFeedError(None, tensor.op, f"Cannot feed value of dtype {source.dtype} to Tensor "
                                                       f"{tensor.name} of dtype {tensor.dtype.name}: {exc}") from None


def _check_exact(value, array, tensor):
    """Integer and bool feeds must keep their values: 1.5 or 300 fed to int32/uint8 is an error,
    not a silent truncation (floats fed to float tensors may round, as in TF1)."""
    source = np.asarray(value)
    if source.dtype == array.dtype or source.dtype.kind not in "iufcb":
        return
    if not np.array_equal(array, source):
        bad = (source[array != source].ravel()[0] if source.ndim else source[()]).item()
        raise errors.InvalidFeedError(None, tensor.op, (
            f"Cannot feed value of dtype {source.dtype} to Tensor {tensor.name} of dtype "
            f"{tensor.dtype.name}: {bounded_repr(bad)} is not representable as {tensor.dtype.name}"))
