"""The keyword arguments of a layer call (``layer(x, training=True, mask=m)``) as functional models trace,
replay and save them, the way tf_keras 2 does: a tensor made by a layer inside the keyword arguments is a
dependency of the call; replaying the model on new inputs substitutes the matching new tensor; a saved config
writes the arguments as the 4th element of each inbound entry, ``["dense", 0, 0, {"training": true}]``, with
each such tensor as a node reference ``[layer_name, node_index, tensor_index]``."""
from __future__ import annotations

import numpy as np

import gpunet as gn

__all__ = ["entry_kwargs", "keras_tensors", "resolve", "serialize", "substitute", "tensor_refs"]

_JSON_SCALARS = (str, int, float, bool, type(None))


def _map(fn, value):
    """``fn`` applied to every leaf of nested lists, tuples and dicts (the containers are rebuilt)."""
    if isinstance(value, (list, tuple)):
        return type(value)(_map(fn, v) for v in value)
    if isinstance(value, dict):
        return {k: _map(fn, v) for k, v in value.items()}
    return fn(value)


def _leaves(value):
    found = []
    _map(found.append, value)
    return found


def keras_tensors(kwargs):
    """The tensors made by layers (they carry ``_keras_history``) inside ``kwargs``, in order."""
    return [v for v in _leaves(kwargs) if isinstance(v, gn.Tensor) and hasattr(v, "_keras_history")]


def substitute(kwargs, values):
    """``kwargs`` with each tensor whose id is a key of ``values`` replaced by its value (the replayed tensor)."""
    return _map(lambda v: values.get(id(v), v) if isinstance(v, gn.Tensor) else v, kwargs)


# -- saving ---------------------------------------------------------------------------------------
def serialize(layer, kwargs, ref):
    """``kwargs`` as JSON data: tensors from layers become ``ref(tensor)``, arrays lists; anything else that JSON
    cannot hold raises a TypeError naming the layer and the argument (rather than writing a broken file)."""
    return {key: _map(lambda v, key=key: _serialize_leaf(layer, key, v, ref), value) for key, value in kwargs.items()}


def _serialize_leaf(layer, key, value, ref):
    if isinstance(value, gn.Tensor):
        if not hasattr(value, "_keras_history"):
            raise TypeError(f"Layer {layer.name} was called with {key}= tensor {value.name}, which was not made by a "
                            f"gpunet layer (a raw graph op): it cannot be saved in the model's config. Make it with "
                            f"gn.layers.Input or a layer.")
        return ref(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, _JSON_SCALARS):
        return value
    raise TypeError(f"Layer {layer.name} was called with {key}={value!r:.60} of type {type(value).__name__}, which "
                    f"cannot be saved in the model's config (JSON). Call arguments can be tensors from layers, "
                    f"numbers, strings, booleans, None, NumPy arrays, or lists and dicts of them.")


# -- loading --------------------------------------------------------------------------------------
def entry_kwargs(entries):
    """The call's keyword arguments of an inbound node entry (``[]`` per input: ``[name, node, tensor]`` in configs
    written before kwargs were saved, ``[name, node, tensor, kwargs]`` since, as tf_keras 2 writes)."""
    for item in entries:
        if len(item) == 4 and item[3]:
            return item[3]
    return {}


def _is_ref(value, layer_names):
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) and value[0] in layer_names
            and all(isinstance(i, int) and not isinstance(i, bool) for i in value[1:]))


def tensor_refs(kwargs, layer_names):
    """The ``(layer_name, node_index, tensor_index)`` references to tensors inside saved ``kwargs``."""
    found = []

    def visit(value):
        if _is_ref(value, layer_names):
            found.append(tuple(value))
        elif isinstance(value, list):
            for v in value:
                visit(v)
        elif isinstance(value, dict):
            for v in value.values():
                visit(v)
    visit(kwargs)
    return found


def resolve(kwargs, layer_names, lookup):
    """Saved ``kwargs`` with each tensor reference replaced by ``lookup(name, node_index, tensor_index)``."""
    def convert(value):
        if _is_ref(value, layer_names):
            return lookup(*value)
        if isinstance(value, list):
            return [convert(v) for v in value]
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        return value
    return convert(kwargs)
