"""Scatter with an update that has no atomic form on a GPU (multiply, divide, maximum, minimum, a product):
the positions are applied in *rounds*, each round a plain fancy-indexed read-modify-write of distinct rows.

Round ``r`` takes the ``r``-th occurrence of every row (in the order of the positions), so repeated rows
combine one after another, in order, as TF1's CPU kernels do. Written once against ``xp``: the rounds need
a stable argsort, a scatter-add of counts and a cumulative sum, which NumPy and CuPy both have. Finding the
number of rounds (the largest multiplicity) reads one number back to the host.
"""
from __future__ import annotations

from .indexing_ops import _scatter_add

__all__: list = []  # internal: used by scatter_ops and segment_reduce_ops


def occurrence_rounds(xp, rows, n_rows):
    """The positions of the 1-D ``rows`` (each in ``[0, n_rows)``) in rounds: lists of positions whose rows
    are distinct, round ``r`` holding each row's ``r``-th occurrence."""
    if rows.shape[0] == 0:
        return []
    order = xp.argsort(rows, kind="stable")
    counts = xp.zeros(n_rows, dtype=xp.int32)
    _scatter_add(xp)(counts, rows, xp.ones(rows.shape[0], dtype=xp.int32))
    first = xp.cumsum(counts) - counts  # where each row's run starts in the sorted order
    rank = xp.arange(rows.shape[0]) - first[rows[order]]
    return [order[rank == r] for r in range(int(counts.max()))]


def scatter_combine(xp, target, rows, updates, combine):
    """``target[rows[i]] = combine(target[rows[i]], updates[i])`` for every ``i``, repeated rows in turn."""
    for positions in occurrence_rounds(xp, rows, target.shape[0]):
        at = rows[positions]
        target[at] = combine(target[at], updates[positions])
