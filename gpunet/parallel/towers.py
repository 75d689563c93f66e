"""TF1's multi-GPU tower helpers: averaging the towers' gradients, choosing the GPUs, splitting a
batch Keras-2 style (equal parts, the remainder to the last replica, so a replica may get 0 rows)."""
from __future__ import annotations

import gpunet as gn

__all__ = ["average_gradients", "gpu_devices", "split_batch"]


def average_gradients(tower_grads):
    """``[(mean gradient, variable)]`` over towers, from one ``[(gradient, variable)]`` list per tower.

    Averages (not sums), keeps the order and the variable objects of the first tower's list. A
    variable whose gradient is None in every tower keeps None (apply_gradients skips it, as TF1
    does); a None in only some towers counts as zero there (that tower's loss does not depend on
    the variable), so the result is the gradient of the towers' mean loss."""
    tower_grads = [list(grads) for grads in tower_grads]
    if not tower_grads:
        raise ValueError("average_gradients: tower_grads is empty (one list of (gradient, variable) per tower)")
    lengths = {len(grads) for grads in tower_grads}
    if len(lengths) > 1:
        raise ValueError(f"average_gradients: every tower must list the same variables; got lists of lengths "
                         f"{[len(g) for g in tower_grads]}")
    averaged = []
    for pairs in zip(*tower_grads):
        variable = pairs[0][1]
        if any(v is not variable for _, v in pairs):
            raise ValueError(f"average_gradients: tower lists disagree on variable {variable.name} at the same "
                             f"position: {[v.name for _, v in pairs]}")
        grads = [g for g, _ in pairs if g is not None]
        averaged.append((_mean(grads, len(pairs)), variable))
    return averaged


def _mean(grads, towers):
    if not grads:
        return None
    total = grads[0] if len(grads) == 1 else gn.add_n(grads)
    return gn.multiply(total, 1.0 / towers)


def gpu_devices(gpus):
    """``['/gpu:i', ...]`` for ``gpus`` (a count or a list of ids), checked against the GPUs present."""
    present = [d.index for d in gn.config.list_logical_devices("GPU")]
    if isinstance(gpus, bool) or gpus is None:
        raise TypeError(f"gpus must be a count or a list of GPU ids, got {gpus!r}")
    ids = list(range(gpus)) if isinstance(gpus, int) else [int(i) for i in gpus]
    if not ids:
        raise ValueError("gpus: asked for no GPU at all; pass a count >= 1 or a list of ids")
    if len(set(ids)) != len(ids):
        raise ValueError(f"gpus: GPU ids repeat in {ids}")
    missing = [i for i in ids if i not in present]
    if missing:
        listed = ", ".join(f"/gpu:{i}" for i in present) or "none"
        raise ValueError(f"Asked for GPUs {[f'/gpu:{i}' for i in ids]} ({len(ids)}), but this machine has "
                         f"{len(present)} GPU(s): {listed}.")
    return [f"/gpu:{i}" for i in ids]


def split_batch(tensor, parts, index):
    """Rows of replica ``index`` of ``parts``: Keras 2's get_slice (``n // parts`` rows each, the last
    replica takes the rest). Built on the current device (the CPU, so each GPU receives only its rows)."""
    n = static_batch([tensor])
    return batch_rows(tensor, row_bounds(gn.shape(tensor)[0] if n is None else n, parts, index),
                      name=f"replica_{index}_rows")


def static_batch(tensors):
    """The batch size (leading dimension) all ``tensors`` share when their static shapes fix it, else None."""
    sizes = {t.shape[0].value if t.shape.ndims else None for t in tensors}
    return sizes.pop() if len(sizes) == 1 else None


def row_bounds(n, parts, index):
    """``(start, stop)`` of replica ``index``'s rows in a batch of ``n`` (an int or a scalar tensor)."""
    step = n // parts
    start = step * index
    return start, n if index == parts - 1 else start + step


def batch_rows(tensor, bounds, name=None):
    """Rows ``start:stop`` of ``tensor`` (``bounds``: ints, or scalar tensors read when the graph runs):
    a slice, so on the host the rows are a view of the batch and their copy to a GPU is their only copy."""
    start, stop = bounds
    rest = tensor.shape.ndims - 1 if tensor.shape.ndims is not None else None
    if rest is None:  # unknown rank: no slice spec to write, so gather the rows instead
        return gn.gather(tensor, gn.range(start, stop), name=name)
    return gn.slice(tensor, [start] + [0] * rest, [stop - start] + [-1] * rest, name=name)
