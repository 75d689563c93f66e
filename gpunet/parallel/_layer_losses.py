"""Layer losses (weight regularizers, ``add_loss``) of a template model, for each replica of
``multi_gpu_model``: the template's own loss tensors where the replicas share its weights, a copy of
each loss's graph on the copy's weights where a model is rebuilt from its config (a mirrored replica,
``cpu_relocation``), and each tower's share of them."""
from __future__ import annotations

import gpunet as gn
from gpunet.graph.registry import apply_op

__all__ = []

_INPUT_OPS = ("Placeholder",)


def check_weights_only(model):
    """Raises ``ValueError`` naming the first layer loss of ``model`` computed from a fed input: only
    losses of the weights alone are the same on every replica (the template's inputs are never fed)."""
    for loss in model.losses:
        source = _input_reached(loss)
        if source is not None:
            raise ValueError(f"multi_gpu_model: the layer loss {loss.name} of model {model.name} depends on the "
                             f"input {source.name} ({source.op.type}); only losses computed from weights alone "
                             f"(regularizers, add_loss of weights) can be replicated")


def _input_reached(tensor):
    """The first Placeholder output ``tensor``'s graph reaches through op inputs, or None."""
    seen, todo = set(), [tensor.op]
    while todo:
        op = todo.pop()
        if op in seen:
            continue
        seen.add(op)
        if op.type in _INPUT_OPS:
            return op.outputs[0]
        todo.extend(t.op for t in op.inputs)
    return None


def _weight_map(source_weights, target_weights):
    """Each source variable's tensor and value read -> the target variable's at the same position."""
    mapping = {}
    for source, target in zip(source_weights, target_weights):
        mapping.update({source._ref: target._ref, source.value(): target.value()})
    return mapping


def _copy(tensor, mapping):
    """``tensor`` recomputed with the tensors ``mapping`` replaces (memoised in ``mapping``)."""
    if tensor in mapping:
        return mapping[tensor]
    op = tensor.op
    if not op.inputs and op.type != "Const":  # a variable not mapped, a stateful source: shared, not copied
        return tensor
    inputs = [_copy(t, mapping) for t in op.inputs]
    copied = apply_op(op.type, inputs, dict(op.attrs), name=op.name.rsplit("/", 1)[-1])
    mapping.update(zip(op.outputs, copied.outputs))
    return mapping[tensor]


def tower_share(losses, dtype, replicas):
    """``(sum of this replica's layer losses in dtype, 1/replicas)``: the loss a tower adds and the seed
    of its gradient, so that the towers' shares add up to the losses once; ``(None, None)`` without losses."""
    if not losses:
        return None, None
    total = gn.add_n([gn.cast(item, dtype) for item in losses]) if len(losses) > 1 else gn.cast(losses[0], dtype)
    return total, 1.0 / replicas


def carry_losses(source, copy):
    """Gives every layer of ``copy`` (a model rebuilt from ``source``'s config) copies of the layer losses
    of its counterpart in ``source``, on ``copy``'s weights: the config recreates regularizers but not
    ``add_loss`` losses, which would otherwise be dropped silently."""
    pairs = list(zip(source._all_layers(), copy._all_layers()))
    if len(source._all_layers()) != len(copy._all_layers()) or any(type(a) is not type(b) for a, b in pairs):
        raise ValueError(f"model {copy.name} rebuilt from the config of {source.name} has other layers")
    mapping = _weight_map(source.weights, copy.weights)
    for old, new in pairs:
        new._own_losses = [_copy(loss, mapping) for loss in old._own_losses]
