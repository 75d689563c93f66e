"""``model.summary()`` in Keras 2's layout: layer name (type), output shape, parameter count (and
"Connected to" for functional graphs, "Device" when the layers sit on more than one device)."""
from __future__ import annotations

import numpy as np

from gpunet.layers.base import shape_tuple
from gpunet.layers.input_layer import InputLayer

from .network import parents

__all__ = ["print_summary"]


def _memory(count):
    size, units = count * 4.0, ["Byte", "KB", "MB", "GB", "TB"]
    while size >= 1024 and len(units) > 1:
        size /= 1024
        units.pop(0)
    return f"{size:.2f} {units[0]}"


def _row(fields, positions):
    line = ""
    for i, (field, stop) in enumerate(zip(fields, positions)):
        text = (" " if i == 0 else "") + str(field)
        line = (line + text)[:stop]
        line += " " * (stop - len(line))
    return line


def _output_shape(layer):
    nodes = layer._inbound_nodes
    if not nodes:
        return "?"
    shapes = {str([shape_tuple(t) for t in n.output_tensors]) for n in nodes}
    if len(shapes) > 1:
        return "multiple"
    shapes = [shape_tuple(t) for t in nodes[0].output_tensors]
    if isinstance(layer, InputLayer):
        return str(shapes)
    return str(shapes[0]) if len(shapes) == 1 else str(shapes)


def _device(layer):
    nodes = [n for n in layer._inbound_nodes if n.output_tensors]
    device = nodes[0].output_tensors[0].device if nodes else ""
    return (device or "").split("device:")[-1]


def _connections(model, layer):
    found = []
    for index in model._graph.layer_nodes(layer):
        for t in parents(layer._inbound_nodes[index]):  # tensors in its kwargs (mask=) too, as tf_keras
            parent, node_index, tensor_index = t._keras_history
            found.append(f"{parent.name}[{node_index}][{tensor_index}]")
    return found


def print_summary(model, line_length, positions, print_fn):
    """Print ``model``'s summary table with ``print_fn`` (Keras 2's layout)."""
    layers = model.layers
    graph_style = model._graph is not None and type(model).__name__ != "Sequential"
    devices = {_device(layer) for layer in layers} - {""}
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if graph_style else [])
    line_length = line_length or (98 if graph_style else 65)
    fractions = positions or ([.3, .6, .7, 1.0] if graph_style else [.45, .85, 1.0])
    if len(devices) > 1:
        headers.append("Device")
        line_length += 40
        fractions = [f * (line_length - 40) / line_length for f in fractions] + [1.0]
    stops = [int(line_length * f) if f <= 1 else int(f) for f in fractions]
    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    print_fn(_row(headers, stops))
    print_fn("=" * line_length)
    for layer in layers:
        params = layer.count_params() if layer.built else 0
        connected = _connections(model, layer) if graph_style else []
        first = [f"{layer.name} ({type(layer).__name__})", _output_shape(layer), params]
        first += [str(connected[:1]).rstrip("]") + ("," if len(connected) > 1 else "]")] if graph_style else []
        first += [_device(layer)] if len(devices) > 1 else []
        print_fn(_row(first, stops))
        for j, extra in enumerate(connected[1:], start=1):
            tail = "]" if j == len(connected) - 1 else ","
            print_fn(_row(["", "", "", f" '{extra}'{tail}"][:len(stops)], stops))
        print_fn(_row([""], [line_length]))
    print_fn("=" * line_length)
    trainable = int(sum(np.prod(w.shape.as_list()) for w in model.trainable_weights))
    total = int(sum(np.prod(w.shape.as_list()) for w in model.weights))
    print_fn(f"Total params: {total} ({_memory(total)})")
    print_fn(f"Trainable params: {trainable} ({_memory(trainable)})")
    print_fn(f"Non-trainable params: {total - trainable} ({_memory(total - trainable)})")
    print_fn("_" * line_length)
