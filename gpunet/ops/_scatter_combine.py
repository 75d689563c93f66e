"""Scatter with an update that has no atomic form on a GPU (multiply, divide, maximum, minimum, a product, the
adds of dtypes CuPy cannot add atomically), written once against ``xp``.

The updates are sorted by row (a stable argsort) and each row's updates are merged by a segmented inclusive
scan that doubles its stride each step (Hillis-Steele): ``ceil(log2(n))`` elementwise steps for ``n`` updates,
however many repeat a row. The last update of each row then holds the merge of all of them, and one
fancy-indexed read-modify-write applies it to the distinct rows. Selecting those last updates reads a mask's
count back to the host (a boolean index), once per call.

Repeated rows merge in a tree order rather than one after another: exact for maxima and minima, and within
rounding of the sequential result for products and sums (TF1's GPU kernels, atomic, have no order either).
"""
from __future__ import annotations

__all__: list = []  # internal: the scatter-adds of the ops (indexing, segment, scatter, sparse training)

# CuPy's scatter-add (``cupy.add.at``, ``cupyx.scatter_add``) is an atomic add of these dtypes only: it refuses
# int64, int8, int16, uint8, uint16 and bool with a TypeError
ATOMIC_ADD_DTYPES = frozenset({"int32", "uint32", "uint64", "float16", "float32", "float64"})


def scatter_combine(xp, target, rows, updates, merge, apply=None):
    """``target[r] = apply(target[r], merge of the updates[i] with rows[i] == r)`` for each distinct row ``r``
    of the 1-D ``rows``; ``apply`` defaults to ``merge`` (a divide applies the product of its divisors)."""
    n = rows.shape[0]
    if n == 0:
        return
    order = xp.argsort(rows, kind="stable")
    rows, merged = rows[order], updates[order]
    step = 1
    while step < n:
        same_row = (rows[step:] == rows[:-step]).reshape((n - step,) + (1,) * (merged.ndim - 1))
        merged[step:] = xp.where(same_row, merge(merged[:-step], merged[step:]), merged[step:])
        step *= 2
    last = xp.ones(n, dtype=bool)
    last[:-1] = rows[1:] != rows[:-1]
    at = rows[last]
    target[at] = (apply or merge)(target[at], merged[last])


def scatter_add_at(xp):
    """``xp.add.at``; CuPy releases before ``ufunc.at`` offer the same as ``cupyx.scatter_add``."""
    if hasattr(xp.add, "at"):
        return xp.add.at
    import cupyx
    return cupyx.scatter_add


def scatter_add_rows(xp, target, rows, updates):
    """``target[rows] += updates`` with repeated rows adding up (``rows``: 1-D, along axis 0), on every device:
    the array module's scatter-add where CuPy's has an atomic add of the dtype, else merged by
    ``scatter_combine``."""
    if target.dtype.name in ATOMIC_ADD_DTYPES:
        scatter_add_at(xp)(target, rows, updates)
    else:
        scatter_combine(xp, target, rows, updates, xp.add)
