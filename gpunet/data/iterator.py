"""Iterators over datasets: ``get_next()`` gives graph tensors; each run takes the next element."""
from __future__ import annotations

from ..graph import device as device_scope
from ..graph import identity
from ..ops.iterator_ops import iterator_get_next, iterator_handle, iterator_init
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
        if dataset._structure.flat_dtypes != self._structure.flat_dtypes:
            raise TypeError(f"Expected output types {self._structure.types} but got dataset with output types "
                            f"{dataset._structure.types}.")
        self._device = getattr(dataset, "_target_device", None) or self._device
        return iterator_init(self._handle, dataset._factory(), dataset._captures, name or "MakeIterator")

    def get_next(self, name=None):
        """The next element as tensors of the dataset's structure (OutOfRangeError at the end)."""
        one_shot = self._one_shot
        device = getattr(one_shot, "_target_device", None) or self._device
        outputs = iterator_get_next(self._handle, self._structure.flat_dtypes, self._structure.flat_shapes,
                                    one_shot._factory() if one_shot is not None else None,
                                    one_shot._captures if one_shot is not None else (), name)
        if device is not None:  # prefetch_to_device: the planned copy to the device is made here
            with device_scope(device):
                outputs = [identity(t) for t in outputs]
        return self._structure.pack(outputs)


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
