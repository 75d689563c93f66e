"""Model files: ``<path>.json`` (architecture, compile settings, the weights file's SHA-256) and
``<path>.safetensors`` (weights + a digest of every tensor). No pickle; every write goes to a temp
file that is fsynced and renamed; a file that does not match its digest is refused before any
weight is assigned."""
from __future__ import annotations

import hashlib
import json
import os

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load as st_load
from safetensors.numpy import save as st_save

import gpunet as gn
from gpunet import layers as layers_module
from gpunet.layers.base import to_list
from gpunet.layers import keras_config
from gpunet.layers.core import Lambda

from . import by_name_loading, call_kwargs, optimizer_state

__all__ = ["FORMAT", "atomic_write", "deserialize_layer", "functional_config", "functional_from_config", "load_model",
           "load_weights", "model_from_json", "model_to_json", "save_model", "save_weights", "sequential_config",
           "sequential_from_config", "serialize_layer", "weight_keys", "weights_bytes"]

FORMAT = "gpunet-keras-1"


# -- files ------------------------------------------------------------------------------------------
def atomic_write(path, data: bytes):
    """Write ``data`` to ``path`` so a crash leaves either the old file or the new one, never half."""
    directory = os.path.dirname(os.path.abspath(path))
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _paths(filepath):
    base = os.fspath(filepath)
    for ext in (".json", ".safetensors"):
        if base.endswith(ext):
            base = base[:-len(ext)]
    return base + ".json", base + ".safetensors"


# -- weights ----------------------------------------------------------------------------------------
def weight_keys(model):
    """``layer/weight`` names of ``model.weights``, in order (the layer that created each weight)."""
    owner = {}
    for layer in model._all_layers():
        for w in layer._own_trainable + layer._own_non_trainable:
            owner.setdefault(id(w), f"{layer.name}/{layer.weight_name(w)}")
    return [owner.get(id(w), w.name) for w in model.weights]


def _digest(keys, arrays):
    h = hashlib.sha256()
    for key, array in zip(keys, arrays):
        h.update(key.encode())
        h.update(str(array.dtype).encode() + str(array.shape).encode())
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()


def weights_bytes(model, include_optimizer=False):
    """The model's weights as safetensors bytes (order, names and digest in the metadata); with
    ``include_optimizer`` also the optimizer's state (``optimizer/...`` tensors, digested apart)."""
    keys, arrays = weight_keys(model), model.get_weights()
    indexed = {f"{i:05d}:{k}": a for i, (k, a) in enumerate(zip(keys, arrays))}
    meta = {"format": FORMAT, "weights": json.dumps(keys), "sha256": _digest(keys, arrays)}
    if include_optimizer:
        opt_keys, opt_arrays = optimizer_state.optimizer_state(model, keys)
        if opt_keys:
            indexed.update(zip(opt_keys, opt_arrays))
            meta.update({"optimizer": json.dumps(opt_keys), "optimizer_sha256": _digest(opt_keys, opt_arrays)})
    return st_save(indexed, metadata=meta)


def save_weights(model, filepath):
    """Write the weights atomically to ``filepath`` (``.safetensors`` added when it has no extension)."""
    path = os.fspath(filepath)
    if not os.path.splitext(path)[1]:
        path += ".safetensors"
    atomic_write(path, weights_bytes(model))


def _parse(path, data):
    try:
        header_len = int.from_bytes(data[:8], "little")
        meta = json.loads(data[8:8 + header_len]).get("__metadata__") or {}
        tensors = st_load(data)
    except (SafetensorError, ValueError, UnicodeDecodeError) as e:
        raise gn.errors.DataLossError(None, None, f"Weights file {path} is truncated or corrupt: {e}") from e
    if meta.get("format") != FORMAT:
        raise gn.errors.DataLossError(None, None, f"Weights file {path} is not a gpunet weights file "
                                                  f"(format {meta.get('format')!r})")
    return meta, tensors


def _read_weights(path, data):
    meta, tensors = _parse(path, data)
    keys = json.loads(meta["weights"])
    arrays = [tensors[f"{i:05d}:{k}"] for i, k in enumerate(keys)]
    if _digest(keys, arrays) != meta["sha256"]:
        raise gn.errors.DataLossError(None, None, f"Weights file {path} is corrupt: its contents do not match "
                                                  f"the SHA-256 digest recorded when it was saved")
    return keys, arrays


def _read_optimizer_state(path, data):
    meta, tensors = _parse(path, data)
    keys = json.loads(meta.get("optimizer", "[]"))
    arrays = [tensors[k] for k in keys]
    if keys and _digest(keys, arrays) != meta["optimizer_sha256"]:
        raise gn.errors.DataLossError(None, None, f"Weights file {path} is corrupt: its optimizer state does not "
                                                  f"match the SHA-256 digest recorded when it was saved")
    return keys, arrays


def _check_match(model, path, keys, arrays):
    mine = weight_keys(model)
    weights = model.weights
    for i, (key, w) in enumerate(zip(mine, weights)):
        expected = tuple(w.shape.as_list())
        if i >= len(keys):
            raise ValueError(f"Cannot load {path} into model {model.name}: weight #{i} {key} {expected} has no "
                             f"counterpart (the file holds {len(keys)} weights, the model {len(mine)})")
        if arrays[i].shape != expected:
            raise ValueError(f"Cannot load {path} into model {model.name}: weight #{i} {key} has shape {expected}, "
                             f"but the file's weight #{i} {keys[i]} has shape {arrays[i].shape}")
    if len(keys) > len(mine):
        raise ValueError(f"Cannot load {path} into model {model.name}: the file's weight #{len(mine)} "
                         f"{keys[len(mine)]} has no counterpart (the file holds {len(keys)} weights, the model "
                         f"{len(mine)})")


def load_weights(model, filepath, data=None, by_name=False, skip_mismatch=False):
    """Check the whole file (digest, count, shapes), then assign every weight. ``by_name`` (Keras 2):
    load into the layers whose names appear in the file, whatever the architecture; ``skip_mismatch``
    then skips (with a warning) layers whose weight count or shapes differ instead of raising."""
    if skip_mismatch and not by_name:
        raise ValueError("When calling model.load_weights, skip_mismatch can only be set to True when by_name is "
                         "True.")
    path = os.fspath(filepath)
    if data is None:
        if not os.path.splitext(path)[1] and not os.path.exists(path):
            path += ".safetensors"
        with open(path, "rb") as f:
            data = f.read()
    keys, arrays = _read_weights(path, data)
    if by_name:
        by_name_loading.load_by_name(model, path, weight_keys(model), keys, arrays, skip_mismatch)
        return
    keys, arrays = _in_model_order(weight_keys(model), keys, arrays)
    _check_match(model, path, keys, arrays)
    model.set_weights(arrays)


def _in_model_order(mine, keys, arrays):
    """The file's weights in the model's order when both name the same weights in another order (files saved
    before models listed their weights layer by layer, as tf_keras, had every trainable weight first)."""
    if keys == mine or sorted(keys) != sorted(mine) or len(set(keys)) != len(keys):
        return keys, arrays
    by_key = dict(zip(keys, arrays))
    return list(mine), [by_key[k] for k in mine]


# -- configs ----------------------------------------------------------------------------------------
def serialize_layer(layer):
    """``{'class_name', 'config'}`` of a layer."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize_layer(spec, custom_objects=None, safe_mode=True):
    """A layer (or model) from ``{'class_name', 'config'}``; Lambda layers only with safe_mode=False."""
    from . import Model, Sequential
    classes = {"Sequential": Sequential, "Functional": Model, "Model": Model}
    classes.update({name: getattr(layers_module, name) for name in layers_module.__all__
                    if isinstance(getattr(layers_module, name), type)})
    classes.update(custom_objects or {})
    name = spec["class_name"]
    if name not in classes:
        raise ValueError(f"Unknown layer: {name}. Please ensure this object is passed to the `custom_objects` "
                         f"argument.")
    cls = classes[name]
    spec = keras_config.from_keras(cls, spec)  # as tf_keras 2 writes it: bookkeeping keys, dtype policies
    if cls is Lambda:
        return cls.from_config(spec["config"], safe_mode=safe_mode)
    if issubclass(cls, Model):
        return cls.from_config(spec["config"], custom_objects, safe_mode)
    return cls.from_config(spec["config"])


def functional_config(model):
    """Layers, each with the (layer, node, tensor) triples its calls in this model consumed."""
    graph = model._graph
    node_ids = {}
    for layer in graph.layers:
        first = 1 if _owns_first_node(layer) else 0
        for new_index, old_index in enumerate(graph.layer_nodes(layer), start=first):
            node_ids[(id(layer), old_index)] = new_index

    def ref(t):
        layer, node_index, tensor_index = t._keras_history
        return [layer.name, node_ids[(id(layer), node_index)], tensor_index]

    def entry(node):
        # as tf_keras 2: the call's keyword arguments ride along with each input reference
        kwargs = call_kwargs.serialize(node.layer, node.kwargs, ref)
        return [ref(t) + [kwargs] for t in node.input_tensors]

    layers = []
    for layer in graph.layers:
        inbound = [entry(layer._inbound_nodes[i]) for i in graph.layer_nodes(layer)]
        layers.append({**serialize_layer(layer), "name": layer.name, "inbound_nodes": [n for n in inbound if n]})
    return {"name": model.name, "layers": layers, "input_layers": [ref(t) for t in model.inputs],
            "output_layers": [ref(t) for t in model.outputs]}


def _owns_first_node(layer):
    """Whether ``layer`` is a model whose node 0 is its own construction (as tf_keras 2, configs then number its
    calls in an outer model from 1)."""
    from . import Model
    return isinstance(layer, Model) and layer._graph is not None


def _first_node_index(spec, layer, config):
    """The index that references in ``config`` give the first call of ``layer`` in this model: 1 for a nested
    model (tf_keras 2), 0 for other layers and in configs older gpunet versions wrote (those use 0 for it)."""
    if not _owns_first_node(layer):
        return 0
    refs = [tuple(item[:3]) for other in config["layers"] for node in other["inbound_nodes"] for item in node]
    refs += [tuple(ref) for ref in config["output_layers"]]
    return 0 if (spec["name"], 0) in {ref[:2] for ref in refs} else 1


def functional_from_config(config, custom_objects=None, safe_mode=True):
    """Rebuild the layers, then replay their calls (with their keyword arguments) in dependency order."""
    from . import Model
    made, outputs = {}, {}
    pending = []
    for spec in config["layers"]:
        layer = deserialize_layer(spec, custom_objects, safe_mode)
        made[spec["name"]] = layer
        if spec["class_name"] == "InputLayer":
            outputs[(spec["name"], 0)] = [layer.output]
        first = _first_node_index(spec, layer, config)
        pending += [(layer, i, node) for i, node in enumerate(spec["inbound_nodes"], start=first)]

    def lookup(name, n, t):
        return outputs[(name, n)][t]

    def ready(node):
        needed = [tuple(item[:3]) for item in node] + call_kwargs.tensor_refs(call_kwargs.entry_kwargs(node), made)
        return all((name, n) in outputs for name, n, _ in needed)

    while pending:
        now = [p for p in pending if ready(p[2])]
        if not now:
            raise ValueError(f"Model config is inconsistent: cannot connect layers {[p[0].name for p in pending]}")
        for item in now:
            layer, index, node = item
            args = [lookup(*entry[:3]) for entry in node]
            kwargs = call_kwargs.resolve(call_kwargs.entry_kwargs(node), made, lookup)
            outputs[(layer.name, index)] = to_list(layer(args if len(args) > 1 else args[0], **kwargs))
            pending.remove(item)

    def tensors(refs):
        found = [lookup(*ref) for ref in refs]
        return found if len(found) > 1 else found[0]
    return Model(tensors(config["input_layers"]), tensors(config["output_layers"]), name=config["name"])


def sequential_config(model):
    """The layers of a Sequential model (its InputLayer first when built)."""
    layers = [serialize_layer(layer) for layer in model.layers]
    if model._input_layer is not None:
        layers.insert(0, serialize_layer(model._input_layer))
    return {"name": model.name, "layers": layers}


def sequential_from_config(config, custom_objects=None, safe_mode=True):
    """A Sequential model from ``sequential_config``."""
    from . import Sequential
    model = Sequential(name=config["name"])
    for spec in config["layers"]:
        model.add(deserialize_layer(spec, custom_objects, safe_mode))
    return model


# -- whole models -----------------------------------------------------------------------------------
def _training_config(model):
    args = model._compile_args
    if args is None:
        return None
    if not all(isinstance(v, str) for v in to_list(args["loss"]) if not isinstance(args["loss"], dict)):
        return None  # custom loss callables are not saved; load_model returns an uncompiled model
    optimizer = {"class_name": type(model.optimizer).__name__, "config": model.optimizer.get_config()}
    metrics, weighted = (args[key] if isinstance(args[key], dict) else [m for m in args[key] if isinstance(m, str)]
                         for key in ("metrics", "weighted_metrics"))
    return {"loss": args["loss"], "metrics": metrics, "weighted_metrics": weighted,
            "loss_weights": args["loss_weights"], "optimizer": optimizer}


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Write ``<path>.safetensors`` then ``<path>.json`` (which records the weights file's SHA-256).
    ``include_optimizer`` saves the compile settings and the optimizer's state with the weights."""
    json_path, weights_path = _paths(filepath)
    if not overwrite and os.path.exists(json_path):
        raise FileExistsError(f"{json_path} exists and overwrite=False")
    config = serialize_layer(model) | {"class_name": _class_name(model)}  # refused configs fail before any write
    training = _training_config(model) if include_optimizer else None
    data = weights_bytes(model, include_optimizer=training is not None)
    atomic_write(weights_path, data)
    document = {"format": FORMAT, "model_config": config, "training_config": training,
                "weights_file": os.path.basename(weights_path), "weights_sha256": hashlib.sha256(data).hexdigest()}
    atomic_write(json_path, json.dumps(document, indent=1).encode())


def model_to_json(model, **kwargs):
    """The architecture as a JSON string (Keras 2's ``to_json``: ``class_name`` and ``config``, no weights);
    ``kwargs`` go to ``json.dumps`` (``indent=...``)."""
    config = serialize_layer(model) | {"class_name": _class_name(model)}
    return json.dumps(config | {"backend": "gpunet"}, **kwargs)


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """A new model (fresh weights) from ``model.to_json()`` (Keras 2's ``model_from_json``)."""
    return deserialize_layer(json.loads(json_string), custom_objects, safe_mode)


def _class_name(model):
    return "Sequential" if type(model).__name__ == "Sequential" else "Functional"


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):  # noqa: A002 (Keras's name)
    """A model saved by ``model.save(filepath)``: architecture, weights and (if saved) compile settings.
    ``safe_mode=False`` is needed to load Lambda layers (their code comes from the file)."""
    json_path, weights_path = _paths(filepath)
    for path in (json_path, weights_path):
        if not os.path.exists(path):
            raise FileNotFoundError(f"No model file at {path} (load_model expects the path given to model.save)")
    with open(json_path, "rb") as f:
        try:
            document = json.loads(f.read())
        except ValueError as e:
            raise gn.errors.DataLossError(None, None, f"Model file {json_path} is corrupt: {e}") from e
    with open(weights_path, "rb") as f:
        data = f.read()
    if hashlib.sha256(data).hexdigest() != document.get("weights_sha256"):
        raise gn.errors.DataLossError(None, None, f"Weights file {weights_path} does not match {json_path} "
                                                  f"(truncated, altered, or from another save)")
    model = deserialize_layer(document["model_config"], custom_objects, safe_mode)
    load_weights(model, weights_path, data)
    training = document.get("training_config")
    if compile and training:
        from gpunet import optimizers
        model.compile(optimizers.get(training["optimizer"]), training["loss"], training["metrics"],
                      training["loss_weights"], training.get("weighted_metrics"))
        keys, arrays = _read_optimizer_state(weights_path, data)
        if keys:
            optimizer_state.restore_when_built(model, keys, arrays, weights_path)
    return model
