"""``Dataset.window``: windows of consecutive elements, each opened as datasets by the ``flat_map`` or
``interleave`` that follows (TF's idiom ``ds.window(n, shift).flat_map(lambda w: w.batch(n))``).

In TF a window is an element whose components are datasets. Here ``_Window`` produces each window's rows
stacked, one array per component (elements of other shapes in one window: InvalidArgumentError, as batch), and
the ``flat_map``/``interleave`` reading it hands its function one ``from_tensor_slices`` dataset per component
(``window_function``), fed those rows. Nothing else can read a window: a transformation, zip, concatenate or
an iterator of one is a TypeError when it is built.
"""
from __future__ import annotations

from .. import errors
from ._batching import _stack
from ._resumable import Failed, caught, resumable
from ._trace import call_with_element
from .dataset import _Unary
from .structure import flatten

__all__ = ["_Window", "window_function"]


class _Window(_Unary):
    """Windows of ``size`` elements ``stride`` apart, one starting every ``shift`` elements; the shorter ones
    at the end kept unless ``drop_remainder``."""

    _opens_windows = True

    def __init__(self, input_dataset, size, shift, stride, drop_remainder):
        self._size = _positive(size, "size")
        self._shift = self._size if shift is None else _positive(shift, "shift")
        self._stride = _positive(stride, "stride")
        self._drop = bool(drop_remainder)
        super().__init__(input_dataset, input_dataset._structure.batched(self._size if self._drop else None))

    @resumable
    def _elements(self, env):
        """As TF's, an element's error stays in the buffer in its place: each window holding it gives its error
        (the first) instead; an element skipped between windows is skipped, failed or not."""
        for rows in _windows(caught(self._input._elements(env)), self._size, self._shift, self._stride):
            if len(rows) < self._size and self._drop:
                return
            failed = next((row for row in rows if row.__class__ is Failed), None)
            yield failed or tuple(_stack([row[i] for row in rows], i) for i in range(len(rows[0])))


def _windows(source, size, shift, stride):
    """Lists of the elements of each window (TF's order: one starting at every ``shift``-th element)."""
    span = (size - 1) * stride + 1
    buffer, ended = [], False  # the elements from the current window's start on
    while True:
        while not ended and len(buffer) < span:
            element = next(source, None)
            ended = element is None
            if element is not None:
                buffer.append(element)
        if not buffer:
            return
        yield buffer[:span:stride]
        skip, buffer = max(shift - len(buffer), 0), buffer[shift:]
        for _ in range(skip):  # a shift past the buffer: the elements between start no window
            if next(source, None) is None:
                return


def _positive(value, what):
    if isinstance(value, bool) or int(value) != value or value <= 0:
        raise errors.InvalidArgumentError(None, None, f"Window {what} must be greater than zero.")
    return int(value)


def window_function(fn, structure):
    """``fn`` of a window's datasets as a function of its stacked rows (placeholders of ``structure``, passed
    as ``call_with_element`` passes them): each component's rows become a ``from_tensor_slices`` dataset."""
    from .sources import TensorSlices
    plain_tuple = isinstance(structure.template, tuple) and not hasattr(structure.template, "_fields")

    def opened(*components):
        element = components if plain_tuple else components[0]
        return call_with_element(fn, structure.pack([TensorSlices(rows) for rows in flatten(element)]))
    return opened

