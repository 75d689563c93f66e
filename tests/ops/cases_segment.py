"""Cases for unsorted_segment_sum and segment_sum (gpunet/ops/segment_ops.py)."""
import numpy as np

import gpunet as gn
from tests.ops.opcases import OpCase, rand


def _segment_sums(data, ids, rows):
    result = np.zeros((rows,) + data.shape[ids.ndim:], data.dtype)
    for index in np.ndindex(ids.shape):
        if ids[index] >= 0:
            result[ids[index]] += data[index]
    return result


IDS = np.array([[0, 3], [-1, 0], [2, 2]], np.int32)

CASES = [
    OpCase("UnsortedSegmentSum", lambda d, i: gn.unsorted_segment_sum(d, i, 4), [rand(3, 2, 5), IDS],
           lambda d, i: _segment_sums(d, i, 4), grad_inputs=[0]),
    OpCase("SegmentSum", gn.segment_sum, [rand(5, 3), np.array([0, 0, 1, 3, 3], np.int32)],
           lambda d, i: _segment_sums(d, i, 4), grad_inputs=[0]),
]

EXEMPT = {}
