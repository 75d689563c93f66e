"""Cases for segment_max/min/prod and their unsorted forms (gpunet/ops/segment_reduce_ops.py), and the reason
the scatter updates of variables (gpunet/ops/scatter_ops.py) are exempt from the stateless walk."""
import numpy as np

import gpunet as gn
from tests.ops.opcases import OpCase, rand

_REDUCE = {"max": np.maximum, "min": np.minimum, "prod": np.multiply}


def segment_reference(reduction, data, ids, rows, empty):
    """Each segment's rows reduced in order (ids < 0 dropped); ``empty`` fills the segments with no rows."""
    result = np.full((rows,) + data.shape[ids.ndim:], empty, data.dtype)
    seen = np.zeros(rows, bool)
    for index in np.ndindex(ids.shape):
        i = ids[index]
        if i >= 0:
            result[i] = data[index] if not seen[i] else _REDUCE[reduction](result[i], data[index])
            seen[i] = True
    return result


# no empty segment here: an empty unsorted max/min is the dtype's lowest/highest value, which the float16/float64
# sweep and the finite differences cannot take (tests/ops/test_segment_reduce_ops.py checks empty segments)
UNSORTED_IDS = np.array([[0, 2], [-1, 0], [1, 1]], np.int32)
SORTED_IDS = np.array([0, 0, 1, 3, 3], np.int32)  # segment 2 empty

CASES = [
    OpCase("UnsortedSegmentMax", lambda d, i: gn.unsorted_segment_max(d, i, 3), [rand(3, 2, 5), UNSORTED_IDS],
           lambda d, i: segment_reference("max", d, i, 3, np.nan), grad_inputs=[0]),
    OpCase("UnsortedSegmentMin", lambda d, i: gn.unsorted_segment_min(d, i, 3), [rand(3, 2, 5), UNSORTED_IDS],
           lambda d, i: segment_reference("min", d, i, 3, np.nan), grad_inputs=[0]),
    OpCase("UnsortedSegmentProd", lambda d, i: gn.unsorted_segment_prod(d, i, 4), [rand(3, 2, 5), UNSORTED_IDS],
           lambda d, i: segment_reference("prod", d, i, 4, 1), grad_inputs=[0]),
    OpCase("SegmentMax", gn.segment_max, [rand(5, 3), SORTED_IDS],
           lambda d, i: segment_reference("max", d, i, 4, 0), grad_inputs=[0]),
    OpCase("SegmentMin", gn.segment_min, [rand(5, 3), SORTED_IDS],
           lambda d, i: segment_reference("min", d, i, 4, 0), grad_inputs=[0]),
    OpCase("SegmentProd", gn.segment_prod, [rand(5, 3), SORTED_IDS],
           lambda d, i: segment_reference("prod", d, i, 4, 1), grad_inputs=[0]),
]

_STATEFUL = ("stateful update of a variable; checked against TF 2.21's values over dtypes and devices, with its "
             "errors, in tests/ops/test_scatter_ops.py")
EXEMPT = {op_type: _STATEFUL for op_type in (
    "ScatterUpdate", "ScatterAdd", "ScatterSub", "ScatterMul", "ScatterDiv", "ScatterMax", "ScatterMin",
    "ScatterNdUpdate", "ScatterNdAdd", "ScatterNdSub")}
