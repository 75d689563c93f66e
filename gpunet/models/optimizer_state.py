"""The optimizer's state in model files (``include_optimizer=True``, as tf_keras): ``iterations`` and
every slot, keyed by the weight they belong to, so training continues after ``load_model`` exactly as
if it had not stopped. Restored when the loaded model builds its first training step."""
from __future__ import annotations

import numpy as np

from gpunet import backend as K

__all__ = ["apply_pending", "optimizer_state", "restore_when_built"]


def _named_state(model, weight_keys):
    """``[(key, variable)]``: ``optimizer/iterations`` and ``optimizer/<layer>/<weight>/<slot>``."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return []
    weights = model.trainable_weights
    keys = {id(w): key for w, key in zip(model.weights, weight_keys)}
    named = []
    for name, variable in optimizer.state_variables(weights):
        if name != "iterations":
            index, slot = name.split("/", 1)
            name = f"{keys[id(weights[int(index)])]}/{slot}"
        named.append((f"optimizer/{name}", variable))
    return named


def optimizer_state(model, weight_keys):
    """``(keys, arrays)`` of the optimizer's state (empty when the model never built a training step)."""
    named = _named_state(model, weight_keys)
    if not named:
        return [], []
    values = K.get_session().run([v for _, v in named])
    return [key for key, _ in named], [np.asarray(v) for v in values]


def restore_when_built(model, keys, arrays, path):
    """Have ``model`` assign these values to its optimizer state once its training step exists."""
    model._pending_optimizer_state = (dict(zip(keys, arrays)), path)


def apply_pending(model, weight_keys):
    """Assign the state left by ``restore_when_built`` (called right after the training step is built).
    Every key and shape is checked before anything is assigned."""
    pending = getattr(model, "_pending_optimizer_state", None)
    if not pending:
        return
    saved, path = pending
    named = _named_state(model, weight_keys)
    mine = {key for key, _ in named}
    if mine != set(saved):
        missing, extra = sorted(mine - set(saved)), sorted(set(saved) - mine)
        raise ValueError(f"Cannot restore the optimizer state saved in {path}: the model's optimizer has state "
                         f"{missing[:3]} the file lacks, and the file has {extra[:3]} the model lacks. Load with "
                         f"compile=False (or save with include_optimizer=False) to train with a fresh optimizer.")
    for key, variable in named:
        if tuple(variable.shape.as_list()) != saved[key].shape:
            raise ValueError(f"Cannot restore the optimizer state saved in {path}: {key} has shape "
                             f"{saved[key].shape} in the file but {tuple(variable.shape.as_list())} in the model")
    session = K.get_session()
    K.initialize_variables([v for _, v in named], session)
    for key, variable in named:
        variable.load(saved[key].astype(variable.dtype.name, copy=False), session)
    model._pending_optimizer_state = None
