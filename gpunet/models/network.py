"""The graph of layers behind a functional model: which layer calls (nodes) lead from the inputs to
the outputs, in what order to replay them on new tensors, and the layers ordered by depth."""
from __future__ import annotations

import contextlib

import gpunet as gn
from gpunet.layers.base import takes_argument, tensor_mask, to_list, unpack
from gpunet.layers.input_layer import InputLayer

from . import call_kwargs

__all__ = ["LayerGraph", "forgetting_calls", "history", "input_masks", "node_of", "parents", "single_or_list",
           "with_masks"]


def history(tensor, role):
    """The (layer, node index, tensor index) that produced ``tensor``."""
    found = getattr(tensor, "_keras_history", None)
    if found is None and not hasattr(tensor, "name"):
        raise TypeError(f"{role} tensors to a Model must be tensors from gpunet layers, got {tensor!r} of type "
                        f"{type(tensor).__name__}")
    if found is None:
        raise ValueError(f"{role} tensors to a Model must come from gpunet layers (gn.layers.Input(...) and layer "
                         f"calls); {tensor.name} was made by a raw graph op.")
    return found


def node_of(tensor, role="Output"):
    """The layer call (Node) that produced ``tensor``."""
    layer, node_index, _ = history(tensor, role)
    return layer._inbound_nodes[node_index]


def parents(node):
    """The tensors a layer call depends on: its inputs, then the layer-made tensors in its keyword arguments
    (``mask=``, ...), as tf_keras 2 counts them."""
    return node.input_tensors + call_kwargs.keras_tensors(node.kwargs)


class LayerGraph:
    """The nodes between ``inputs`` and ``outputs`` in execution order, and their layers by depth."""

    def __init__(self, inputs, outputs):
        self.inputs, self.outputs = to_list(inputs), to_list(outputs)
        for t in self.inputs:
            if not isinstance(history(t, "Input")[0], InputLayer):
                raise ValueError(f"Input tensors to a Model must come from gn.layers.Input; {t.name} comes from "
                                 f"layer {history(t, 'Input')[0].name}.")
        self._input_ids = {id(t) for t in self.inputs}
        self.nodes = []
        seen = set()
        for t in self.outputs:
            self._visit(t, seen)
        self.depth = self._depths()
        self.layers = self._layers_by_depth()

    def _visit(self, tensor, seen):
        node = node_of(tensor)
        if id(node) in seen:
            return
        if isinstance(node.layer, InputLayer) and id(tensor) not in self._input_ids:
            raise ValueError(f"Graph disconnected: cannot obtain value for tensor {tensor.name} at layer "
                             f"\"{node.layer.name}\". The following previous layers were accessed without issue: "
                             f"{[n.layer.name for n in self.nodes]}")
        seen.add(id(node))
        for parent in parents(node):
            self._visit(parent, seen)
        self.nodes.append(node)

    def _depths(self):
        depth = {id(node_of(t)): 0 for t in self.outputs}
        for node in reversed(self.nodes):
            mine = depth.setdefault(id(node), 0)
            for parent in parents(node):
                key = id(node_of(parent))
                depth[key] = max(depth.get(key, 0), mine + 1)
        return depth

    def _layers_by_depth(self):
        layer_depth, first_seen = {}, {}
        for position, node in enumerate(self.nodes):
            key = id(node.layer)
            layer_depth[key] = max(layer_depth.get(key, 0), self.depth[id(node)])
            first_seen.setdefault(key, (position, node.layer))
        ordered = sorted(first_seen.values(), key=lambda item: (-layer_depth[id(item[1])], item[0]))
        return [layer for _, layer in ordered]

    def replay(self, new_inputs, training=None, masks=None):
        """Run the recorded layer calls on ``new_inputs`` (same order as ``inputs``); the new outputs. ``training``
        (the model's own call argument) goes to each call that takes one and was not given one (tf_keras).
        ``masks`` (one per input, None for no mask) replace the masks the new inputs carry."""
        new_inputs = to_list(new_inputs)
        if len(new_inputs) != len(self.inputs):
            raise ValueError(f"The model expects {len(self.inputs)} input(s), but it received {len(new_inputs)} "
                             f"input tensor(s).")
        if masks is not None:
            new_inputs = with_masks(new_inputs, masks)
        values = {id(old): new for old, new in zip(self.inputs, new_inputs)}
        for node in self.nodes:
            if isinstance(node.layer, InputLayer):
                continue
            args = [values[id(t)] for t in node.input_tensors]
            kwargs = call_kwargs.substitute(node.kwargs, values)  # a mask= from this graph becomes its replayed tensor
            if training is not None and "training" not in kwargs and takes_argument(node.layer, "training"):
                kwargs["training"] = training
            outs = to_list(node.layer(args if node.several else args[0], **kwargs))
            for old, new in zip(node.output_tensors, outs):
                values[id(old)] = new
        return [values[id(t)] for t in self.outputs]

    def layer_nodes(self, layer):
        """The indices (in ``layer._inbound_nodes``) of this graph's calls of ``layer``, in order."""
        mine = {id(n) for n in self.nodes}
        return [i for i, n in enumerate(layer._inbound_nodes) if id(n) in mine]


def single_or_list(outputs):
    """One tensor, or a list when there are several."""
    return unpack(outputs) if len(outputs) == 1 else outputs


def input_masks(mask, count):
    """``mask`` (a model's ``mask=`` argument: one mask, or a list of one per input) as a list of ``count``."""
    masks = [None] * count if mask is None else to_list(mask)
    if len(masks) != count:
        raise ValueError(f"The model expects {count} input mask(s) (one per input, None for no mask), but it "
                         f"received {len(masks)}.")
    return masks


def with_masks(tensors, masks):
    """``tensors``, each carrying its mask of ``masks`` (None: none) as ``_keras_mask``; a tensor whose own mask
    differs is replaced by an identity of it, so the caller's tensors keep theirs."""
    out = []
    for tensor, mask in zip(tensors, masks):
        if tensor_mask(tensor) is not mask:
            tensor = gn.identity(tensor)
            tensor._keras_mask = mask
        out.append(tensor)
    return out


@contextlib.contextmanager
def forgetting_calls(layers):
    """Layer calls made inside leave no trace on ``layers``: the nodes, losses and updates they add are dropped
    on the way out (a query such as ``Model.compute_mask`` must not add terms to the training objective)."""
    lists = [getattr(layer, name) for layer in layers for name in ("_inbound_nodes", "_own_losses", "_own_updates")]
    sizes = [len(items) for items in lists]
    try:
        yield
    finally:
        for items, size in zip(lists, sizes):
            del items[size:]
