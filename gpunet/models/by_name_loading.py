"""``load_weights(path, by_name=True)`` as Keras 2: weights go to the layers with the same name, in
each layer's weight order; layers absent from the file keep their values. Every check runs before
any weight is assigned."""
from __future__ import annotations

import warnings

from gpunet import backend as K

__all__ = ["load_by_name"]


def _by_layer(keys, values):
    """``{layer name: [value, ...]}`` in order; a key is ``<layer>/<weight>``."""
    grouped = {}
    for key, value in zip(keys, values):
        grouped.setdefault(key.split("/", 1)[0], []).append((key, value))
    return grouped


def _mismatch(message, skip_mismatch):
    if not skip_mismatch:
        raise ValueError(message)
    warnings.warn(f"Skipping loading weights: {message}", stacklevel=4)


def _layer_assignments(layer, mine, saved, path, skip_mismatch):
    if len(mine) != len(saved):
        _mismatch(f"Layer \"{layer}\" expects {len(mine)} weight(s), but the saved weights in "
                  f"{path} have {len(saved)} element(s).", skip_mismatch)
        return []
    for (key, variable), (saved_key, array) in zip(mine, saved):
        expected = tuple(variable.shape.as_list())
        if array.shape != expected:
            _mismatch(f"Layer \"{layer}\": weight {key} has shape {expected}, but the saved weight {saved_key} in "
                      f"{path} has shape {array.shape}.", skip_mismatch)
            return []
    return [(variable, array) for (_, variable), (_, array) in zip(mine, saved)]


def load_by_name(model, path, model_keys, keys, arrays, skip_mismatch):
    """Assign the file's weights (``keys``/``arrays``) to ``model``'s layers of the same name."""
    saved = _by_layer(keys, arrays)
    assignments = []
    for layer, mine in _by_layer(model_keys, model.weights).items():
        if layer in saved:
            assignments += _layer_assignments(layer, mine, saved[layer], path, skip_mismatch)
    for variable, array in assignments:
        K.set_value(variable, array)
