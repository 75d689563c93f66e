"""Iterators over datasets: ``get_next()`` gives graph tensors; each run takes the next element."""
from __future__ import annotations

from ..ops.iterator_ops import iterator_copy_stats, iterator_get_next, iterator_get_next_on_device, iterator_handle
from ..ops.iterator_ops import iterator_init
from .dataset import refuse_windows
from .structure import Structure

__all__ = ["Iterator", "make_initializable_iterator", "make_one_shot_iterator"]


class Iterator:
    """An iterator of elements of ``structure``: one-shot (starts on first use, no re-start) or
    initializable (``initializer`` starts or restarts it, from the captured tensors' values)."""

    def __init__(self, structure: Structure, one_shot_dataset=None, name="Iterator"):
        self._structure = structure
        self._handle = iterator_handle(name)
        self._one_shot = one_shot_dataset
        self._initializer = None
        self._device = None

    @classmethod
    def one_shot(cls, dataset):
        refuse_windows(dataset, "An iterator")
        for tensor in dataset._captures:
            _check_capturable_by_value(tensor)
        return cls(dataset._structure, dataset, "OneShotIterator")

    @classmethod
    def initializable(cls, dataset):
        iterator = cls(dataset._structure)
        iterator._initializer = iterator.make_initializer(dataset)
        return iterator

    @classmethod
    def from_structure(cls, output_types, output_shapes=None, shared_name=None, output_classes=None):
        """A reinitializable iterator: ``make_initializer(dataset)`` for each dataset of this structure."""
        from ..graph import TensorShape
        from ..graph.dtypes import as_dtype
        from .structure import flatten
        dtypes = [as_dtype(t) for t in flatten(output_types)]
        shapes = [None] * len(dtypes) if output_shapes is None else [
            None if TensorShape(s).ndims is None else tuple(TensorShape(s).as_list())
            for s in (flatten(output_shapes) if isinstance(output_shapes, dict) else _shape_leaves(output_shapes))]
        return cls(Structure(output_types, dtypes, shapes))

    @property
    def initializer(self):
        if self._initializer is None:
            raise ValueError("Iterator does not have an initializer (a one-shot iterator starts on first use)")
        return self._initializer

    @property
    def output_types(self):
        return self._structure.types

    @property
    def output_shapes(self):
        return self._structure.shapes

    def make_initializer(self, dataset, name=None):
        refuse_windows(dataset, "An iterator")
        if dataset._structure.flat_dtypes != self._structure.flat_dtypes:
            raise TypeError(f"Expected output types {self._structure.types} but got dataset with output types "
                            f"{dataset._structure.types}.")
        self._device = getattr(dataset, "target_device", None) or self._device
        return iterator_init(self._handle, dataset._factory(), dataset._captures, name or "MakeIterator")

    def get_next(self, name=None):
        """The next element as tensors of the dataset's structure (OutOfRangeError at the end); on the
        dataset's device for ``prefetch_to_device`` / ``copy_to_device``."""
        one_shot = self._one_shot
        device = getattr(one_shot, "target_device", None) or self._device
        args = (self._handle, self._structure.flat_dtypes, self._structure.flat_shapes,
                one_shot._factory() if one_shot is not None else None,
                one_shot._captures if one_shot is not None else (), name)
        if device is None:
            return self._structure.pack(iterator_get_next(*args))
        return self._structure.pack(iterator_get_next_on_device(device, *args))

    def copy_stats(self, session):
        """The copies this iterator made outside any run in ``session`` since it was last (re)started
        (a ``RunCopyStats`` of kind 'prefetch' transfers: ``prefetch_to_device``'s thread)."""
        return iterator_copy_stats(session, self._handle)


def _check_capturable_by_value(tensor):
    """TF1's one-shot rule: a dataset may capture only values computable once, without feeds or state."""
    seen, stack = set(), [tensor.op]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        if op.type in ("Placeholder", "PlaceholderWithDefault"):
            raise ValueError(f"Cannot capture a placeholder (name:{op.name}, type:{op.type}) by value (the dataset "
                             f"uses {tensor.name}); use make_initializable_iterator() and feed it to the initializer")
        if op.op_def.stateful:
            raise ValueError(f"Cannot capture a stateful node (name:{op.name}, type:{op.type}) by value (the dataset "
                             f"uses {tensor.name}): make_one_shot_iterator() does not support datasets that capture "
                             f"stateful objects, such as a Variable; use make_initializable_iterator()")
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)


def _shape_leaves(shapes):
    from ..graph import TensorShape
    if isinstance(shapes, TensorShape) or (isinstance(shapes, list)) or shapes is None:
        return [shapes]
    return [leaf for s in shapes for leaf in _shape_leaves(s)]


def make_one_shot_iterator(dataset):
    """``dataset.make_one_shot_iterator()``: an iterator that needs no initialization and runs through once."""
    return dataset.make_one_shot_iterator()


def make_initializable_iterator(dataset, shared_name=None):
    """``dataset.make_initializable_iterator()``: run its ``initializer`` before ``get_next()`` (again to restart)."""
    return dataset.make_initializable_iterator(shared_name)
