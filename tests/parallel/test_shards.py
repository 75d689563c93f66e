"""``fusion.shards``: the variables of a fused buffer cut into contiguous runs of about equal size, one
per replica, so the host sums and applies each run on its own thread (graph/host_tail.py)."""
import itertools

import numpy as np
import pytest

import gpunet as gn
from gpunet.parallel.fusion import shards

SIZES = [[401408, 512, 262144, 512, 5120, 10], [10], [5, 5, 5, 5], [1, 100], [100, 1], [3] * 6, [7, 1, 1, 1, 7],
         [0, 4, 0, 4]]


def _variables(sizes):
    with gn.Graph().as_default():
        return [gn.Variable(np.zeros(n, np.float32), name=f"v{k}") for k, n in enumerate(sizes)]


def _best_largest(sizes, count):
    """The smallest possible largest run, by trying every way to cut (small cases only)."""
    best = sum(sizes)
    for cuts in itertools.combinations(range(1, len(sizes)), min(count, len(sizes)) - 1):
        bounds = (0,) + cuts + (len(sizes),)
        best = min(best, max(sum(sizes[a:b]) for a, b in zip(bounds, bounds[1:])))
    return best


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("count", [1, 2, 3, 4, 8])
def test_runs_are_contiguous_cover_every_variable_and_stay_near_the_best_cut(sizes, count):
    variables = _variables(sizes)
    runs = shards(variables, count)
    assert 1 <= len(runs) <= count
    assert [v for _, _, run in runs for v in run] == variables
    assert all(run for _, _, run in runs)
    offset = 0
    for start, stop, run in runs:
        assert (start, stop) == (offset, offset + sum(sizes[variables.index(v)] for v in run))
        offset = stop
    largest = max(stop - start for start, stop, _ in runs)
    assert largest <= _best_largest(sizes, count) + max(sizes)  # each cut within one variable of its share


def test_the_benchmark_mlp_splits_its_first_weight_from_the_rest():
    runs = shards(_variables(SIZES[0]), 2)
    assert [(a, b, len(run)) for a, b, run in runs] == [(0, 401408, 1), (401408, 669706, 5)]
