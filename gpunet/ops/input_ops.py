"""Ops the input producers build on: count_up_to (epoch counters) and random_shuffle. CPU ops."""
from __future__ import annotations

import numpy as np

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.registry import apply_op, define_op
from .random_ops import get_seed


def _count_up_to_kernel(ctx):
    limit, op = ctx.attrs["limit"], ctx.op

    def count(slot):
        with slot.lock:  # several runner threads count one variable: each value is handed out once
            value = slot.get()
            if value >= limit:
                raise errors.OutOfRangeError(None, op, f"Reached limit of {limit}")
            slot.value = value + 1
            return np.array(value, copy=True)
    return count


define_op("CountUpTo", lambda inputs, attrs: [(inputs[0].dtype, ())], {"CPU": _count_up_to_kernel},
          stateful=True, differentiable=False, takes_refs=True)


def count_up_to(ref, limit, name=None):
    """Increments the integer variable ``ref`` and returns its old value; OutOfRangeError once it
    reached ``limit``."""
    with ref.graph.colocate_with(ref.op):
        return apply_op("CountUpTo", [ref._ref], {"limit": int(limit)}, name or "CountUpTo").outputs[0]


def _shuffle_kernel(ctx):
    rng = ctx.state.rng(ctx.op)
    return lambda value: value[rng.permutation(len(value))] if value.ndim else value


define_op("RandomShuffle", lambda inputs, attrs: [(inputs[0].dtype, inputs[0]._shape)], {"CPU": _shuffle_kernel},
          stateful=True, differentiable=False)


def random_shuffle(value, seed=None, name=None):
    """``value`` with its first dimension randomly permuted (a new permutation each run)."""
    graph_seed, op_seed = get_seed(seed)
    return apply_op("RandomShuffle", [convert_to_tensor(value)], {"seed": graph_seed, "seed2": op_seed},
                    name or "RandomShuffle").outputs[0]


__all__ = ["count_up_to", "random_shuffle"]
