"""Layer losses (weight regularizers, ``add_loss``) of a template model, for each replica of
``multi_gpu_model``: the template's own loss tensors where the replicas share its weights, a copy of
each loss's graph on the replica's weights where a replica holds its own (``variables_on='gpu'``)."""
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


def copy_onto(losses, source_weights, target_weights):
    """``losses`` rebuilt on ``target_weights`` (op by op, in the current device and name scope): each
    read of a variable of ``source_weights`` becomes a read of the target variable at the same position."""
    mapping = {}
    for source, target in zip(source_weights, target_weights):
        mapping[source._ref] = target._ref
        mapping[source.value()] = target.value()
    return [_copy(loss, mapping) for loss in losses]


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


def replica_losses(template, replicas, devices):
    """One list of layer loss tensors per replica: the template's where the replica is the template,
    else its losses copied onto the replica's weights on the replica's device."""
    check_weights_only(template)
    out = []
    for i, replica in enumerate(replicas):
        if replica is template:
            out.append(list(template.losses))
            continue
        with gn.device(devices[i]), gn.name_scope(f"replica_{i}_losses"):
            out.append(copy_onto(template.losses, template.weights, replica.weights))
    return out


def tower_share(losses, dtype, replicas):
    """``(sum of this replica's layer losses in dtype, 1/replicas)``: the loss a tower adds and the seed
    of its gradient, so that the towers' shares add up to the losses once; ``(None, None)`` without losses."""
    if not losses:
        return None, None
    total = gn.add_n([gn.cast(item, dtype) for item in losses]) if len(losses) > 1 else gn.cast(losses[0], dtype)
    return total, 1.0 / replicas
