"""``choose_from_datasets`` and ``sample_from_datasets`` (tf.data.experimental): elements drawn from several
datasets, each time from the one a choice dataset (or a seeded random draw) names.

As TF1's ``tf.compat.v1`` versions: a chosen dataset that has ended is passed over; the result ends when the
choices end or every dataset has. Imports the base classes from gpunet/data/dataset.py; exported by
gpunet/data/experimental.py.
"""
from __future__ import annotations

import numpy as np

from .. import errors
from ..graph.dtypes import int64
from ..ops.random_ops import get_seed
from ._resumable import Failed, caught, pull, resumable
from .dataset import Dataset
from .structure import Structure, most_specific_shape, nesting

__all__ = ["choose_from_datasets", "sample_from_datasets"]


class _Choose(Dataset):
    """The elements of ``datasets``, each from the one the next element of ``choice_dataset`` names."""

    def __init__(self, datasets, choice_dataset=None):
        self._datasets, self._choice = datasets, choice_dataset
        super().__init__(_common_structure(datasets), [c for d in datasets for c in d._captures] +
                         ([] if choice_dataset is None else choice_dataset._captures))

    def _inputs(self):
        return list(self._datasets) + ([] if self._choice is None else [self._choice])

    def _indices(self, env):
        """The indices the choice dataset names (its error as a ``Failed`` item, in its place)."""
        return (item if item.__class__ is Failed else int(item[0]) for item in caught(self._choice._elements(env)))

    @resumable
    def _elements(self, env):
        """An error, the choice dataset's or the chosen one's, is handed on in the element's place (the choice
        used up, as in TF) and the next choice follows."""
        sources = [d._elements(env) for d in self._datasets]
        ended = set()
        for index in self._indices(env):
            if index.__class__ is Failed or not 0 <= index < len(sources):
                yield index if index.__class__ is Failed else Failed(errors.InvalidArgumentError(
                    None, None, f"Selector index out of range: {index} >= {len(sources)}"))
                continue
            if index in ended:
                continue
            element = pull(sources[index])
            if element is None:
                ended.add(index)
                if len(ended) == len(sources):
                    return
                continue
            yield element


def _common_structure(datasets):
    """The datasets' common structure: the same nesting and dtypes (else TypeError, as TF); each dimension kept
    where all agree, else unknown."""
    first = datasets[0]._structure
    for index, dataset in enumerate(datasets[1:], 1):
        other = dataset._structure
        if other.flat_dtypes != first.flat_dtypes or nesting(other) != nesting(first):
            raise TypeError(f"Invalid `datasets`. `datasets` must have compatible element specs. Dataset 0 has "
                            f"types {first.types}; dataset {index} has types {other.types}.")
    shapes = [most_specific_shape(list(shapes)) for shapes in zip(*(d._structure.flat_shapes for d in datasets))]
    return Structure(first.template, first.flat_dtypes, shapes)


def _checked_datasets(datasets):
    datasets = list(datasets)
    if not datasets:
        raise ValueError("Invalid `datasets`. `datasets` should not be empty.")
    for dataset in datasets:
        if not isinstance(dataset, Dataset):
            raise TypeError(f"Invalid `datasets`. Expected a list of datasets, got an element of type "
                            f"{type(dataset).__name__}")
    return datasets


def choose_from_datasets(datasets, choice_dataset):
    """The elements of ``datasets``, each from the one the next element of ``choice_dataset`` (scalar int64
    indices) names; a named dataset that has ended is passed over (TF1's), an index out of range is an
    InvalidArgumentError when it is met."""
    datasets = _checked_datasets(datasets)
    structure = choice_dataset._structure if isinstance(choice_dataset, Dataset) else None
    if structure is None or structure.flat_dtypes != [int64] or structure.flat_shapes != [()] or \
            isinstance(structure.template, (tuple, dict)):
        spec = "not a dataset" if structure is None else f"of types {structure.types} and shapes {structure.shapes}"
        raise TypeError(f"Invalid `choice_dataset`. Elements of `choice_dataset` must be scalar `tf.int64` tensors "
                        f"but are {spec}.")
    return _Choose(datasets, choice_dataset)


def sample_from_datasets(datasets, weights=None, seed=None):
    """The elements of ``datasets``, each from one drawn at random with probabilities ``weights`` (default
    uniform) among those not ended, until all have ended. With a ``seed`` the same order each time the iterator
    starts. Datasets of weight 0 are left out (TF's); ``weights`` is a sequence of Python or NumPy floats."""
    datasets = _checked_datasets(datasets)
    probabilities = _probabilities(weights, len(datasets))
    kept = [i for i, p in enumerate(probabilities) if p > 0]
    if not kept:
        return datasets[0].take(0)
    if len(kept) == 1:
        return datasets[kept[0]]
    datasets, probabilities = [datasets[i] for i in kept], probabilities[kept]
    return _Sample(datasets, probabilities / probabilities.sum(), get_seed(seed))


class _Sample(_Choose):
    def __init__(self, datasets, probabilities, seeds):
        self._probabilities, self._seeds = probabilities, seeds
        super().__init__(datasets)

    def _indices(self, env):
        """Endless indices drawn with the probabilities: ``_Choose`` passes over the ended datasets and ends
        when all have, so the draws among those left keep their relative weights."""
        seeds = self._seeds
        rng = np.random.default_rng(None if seeds == (None, None) else [seeds[0] or 0, seeds[1] or 0])
        while True:
            yield from rng.choice(len(self._probabilities), size=256, p=self._probabilities).tolist()


def _probabilities(weights, count):
    if weights is None:
        return np.ones(count)
    if isinstance(weights, Dataset) or hasattr(weights, "op"):
        raise TypeError("sample_from_datasets: `weights` must be a sequence of floats (a tensor or a dataset of "
                        "weights is not supported)")
    array = np.asarray(weights)
    if array.ndim != 1 or len(array) != count:
        raise ValueError(f"Invalid `weights`. `weights` should have the same length as `datasets` but got "
                         f"`len(weights)={len(array) if array.ndim == 1 else array.shape}` vs. "
                         f"`len(datasets)={count}`.")
    if array.dtype.kind != "f":
        raise TypeError(f"Invalid `weights`. `weights` type must be either `tf.float32` or `tf.float64` but is "
                        f"{array.dtype}.")
    if np.any(array < 0) or not np.all(np.isfinite(array)):
        raise errors.InvalidArgumentError(None, None, f"sample_from_datasets: weights must be finite and "
                                                      f"non-negative, got {array.tolist()}")
    return array.astype(np.float64)
