"""Arrays for fit/evaluate/predict: matched to the model's inputs/targets (list, dict by name or a
single array), checked against their shapes, cut into batches."""
from __future__ import annotations

import numpy as np

__all__ = ["batches", "split_validation", "standardize"]


def _as_list(data, names, role):
    if isinstance(data, dict):
        missing = [n for n in names or [] if n not in data]
        if missing:
            raise ValueError(f"No data provided for {role} {missing}. Need data for each key in: {names}")
        return [data[n] for n in names]
    if isinstance(data, (list, tuple)):
        return list(data)
    if data is None:
        raise ValueError(f"No {role} data given")
    return [data]


def _check(array, tensor, name, role):
    expected = tensor.shape.as_list() if tensor.shape.ndims is not None else None
    if expected is None:
        return
    if array.ndim != len(expected) or any(e is not None and e != g for e, g in zip(expected[1:], array.shape[1:])):
        raise ValueError(f"Error when checking {role}: expected {name} to have shape {tuple(expected[1:])} but got "
                         f"array with shape {array.shape[1:]}")


def standardize(data, tensors, role, names=None, check_shape=True):
    """The arrays of ``data`` in the order of ``tensors``; floats cast to the tensors' dtype."""
    arrays = [np.asarray(a) for a in _as_list(data, names, role)]
    if tensors is None:
        return arrays
    if len(arrays) != len(tensors):
        raise ValueError(f"Error when checking model {role}: the model expects {len(tensors)} array(s), "
                         f"but received {len(arrays)}: {[a.shape for a in arrays]}")
    out = []
    for array, tensor, name in zip(arrays, tensors, names or [t.name for t in tensors]):
        if array.ndim == 0:
            raise ValueError(f"Error when checking {role} {name}: got a scalar, expected an array of samples")
        if check_shape:
            _check(array, tensor, name, role)
        if array.dtype.kind in "fb" or (array.dtype.kind in "iu" and tensor.dtype.is_floating and check_shape):
            array = array.astype(tensor.dtype.name, copy=False)
        out.append(array)
    return out


def batches(arrays, batch_size, shuffle):
    """Lists of batch arrays covering every sample once (in a random order when ``shuffle``)."""
    n = len(arrays[0])
    order = np.random.permutation(n) if shuffle else None
    for start in range(0, n, batch_size):
        if order is None:
            yield [a[start:start + batch_size] for a in arrays]
        else:
            picked = order[start:start + batch_size]
            yield [a[picked] for a in arrays]


def split_validation(xs, ys, fraction):
    """The last ``fraction`` of the samples (before any shuffling) as validation data, as Keras 2."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation_split must be in (0, 1), got {fraction}")
    at = int(len(xs[0]) * (1.0 - fraction))
    return ([a[:at] for a in xs], [a[:at] for a in ys]), ([a[at:] for a in xs], [a[at:] for a in ys])
