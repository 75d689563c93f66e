"""Arrays for fit/evaluate/predict: matched to the model's inputs/targets (list, dict by name or a
single array), checked against their shapes, cut into batches."""
from __future__ import annotations

import numbers

import numpy as np

from gpunet import keras_losses

__all__ = ["batch_size_arg", "batches", "check_targets", "split_validation", "standardize"]

# Losses that need targets of the output's shape (Keras 2 checks the same three)
_SAME_SHAPE_LOSSES = {keras_losses.mean_squared_error: "mean_squared_error",
                      keras_losses.binary_crossentropy: "binary_crossentropy",
                      keras_losses.categorical_crossentropy: "categorical_crossentropy"}


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
    expected = tensor._shape  # the static shape as a tuple (None: unknown rank): no TensorShape per batch
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


def batch_size_arg(batch_size):
    """``batch_size`` as a positive int (None: Keras's 32): 0 or -1 would train on nothing, silently."""
    if batch_size is None:
        return 32
    if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool):
        raise TypeError(f"batch_size must be a positive integer, got {batch_size!r} of type "
                        f"{type(batch_size).__name__}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
    return int(batch_size)


def check_targets(ys, outputs, losses):
    """Targets as Keras 2 takes them: a 1-D target of a 2-D output becomes one column (a (n,) target of a
    (None, 1) output would broadcast to (n, n) in the loss), then checked against the output for the losses
    that need the output's shape."""
    checked = []
    for y, output, loss in zip(ys, outputs, losses):
        shape = output.shape.as_list() if output.shape.ndims is not None else None
        if y.ndim == 1 and shape is not None and len(shape) == 2:
            y = y[:, None]
        name = _SAME_SHAPE_LOSSES.get(_loss_function(loss))
        if name == "categorical_crossentropy" and y.shape[-1] == 1 and shape is not None and shape[-1] != 1:
            raise ValueError(f"You are passing a target array of shape {y.shape} while using as loss "
                             f"`categorical_crossentropy`. `categorical_crossentropy` expects targets to be binary "
                             f"matrices (1s and 0s) of shape (samples, classes). If your targets are integer "
                             f"classes, use `sparse_categorical_crossentropy` instead.")
        if name is not None and shape is not None and (
                y.ndim != len(shape) or any(o is not None and o != t for t, o in zip(y.shape[1:], shape[1:]))):
            raise ValueError(f"A target array with shape {y.shape} was passed for an output of shape "
                             f"{tuple(shape)} while using as loss `{name}`. This loss expects targets to have the "
                             f"same shape as the output.")
        checked.append(y)
    return checked


def _loss_function(loss):
    try:
        return keras_losses.get(loss) if isinstance(loss, str) else loss
    except ValueError:
        return None  # an unknown name fails where the loss graph is built, with its own message
