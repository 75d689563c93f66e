"""Run-time checks of values that would otherwise give silent wrong results: indices out of range
(CuPy's take and scatter wrap them, NumPy's take accepts negatives) and integer division by zero
(NumPy gives 0 with a warning, CUDA an undefined value). Each computes a 0-d flag on the kernel's
device and hands it to the op's :class:`~gpunet.graph.checks.ValueCheck`: an immediate error on
the CPU, one deferred read per device at the end of the run on GPUs.
"""
from __future__ import annotations

import numpy as np


def check_indices(check, xp, indices, limit, what="indices"):
    """Fail unless every entry of ``indices`` is in ``[0, limit)``; the message names the first bad
    one as TF1 does (``indices[1,0] = 5 is not in [0, 3)``)."""
    if indices.size == 0:
        return
    describe = lambda host: _index_message(host, limit, what)  # noqa: E731
    if limit == 0:  # known on the host: nothing to index, and a GPU must not read an empty axis
        raise check.error(describe, (indices,))
    flag = xp.logical_or(indices.min() < 0, indices.max() >= limit)
    check(flag, describe, indices)


def _index_message(host, limit, what):
    bad = (host < 0) | (host >= limit)
    at = np.unravel_index(int(np.argmax(bad)), host.shape)
    where = f"[{','.join(map(str, at))}]" if host.ndim else ""
    return f"{what}{where} = {host[at]} is not in [0, {limit})"


def check_nonzero_divisor(check, divisor):
    """Fail when an integer ``divisor`` holds a zero, as TF1's ``Integer division by zero``."""
    if divisor.size:
        check((divisor == 0).any(), lambda: "Integer division by zero")
