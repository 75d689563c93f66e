"""Cases for check_in_range (gpunet/ops/range_check_ops.py): in-range values pass through unchanged, with the
gradient of an identity. Out-of-range values: tests/tf1_sweep/test_additions.py."""
import numpy as np

from gpunet.ops.range_check_ops import check_in_range
from tests.ops.opcases import OpCase, rand

CASES = [
    OpCase("CheckInRange", lambda x: check_in_range(x, -1.0, 1.0, "x"), [rand(3, 4)], lambda x: x),
    OpCase("CheckInRange", lambda i: check_in_range(i, 0, 5, "ids"), [np.array([[0, 5], [2, 3]], np.int64)],
           lambda i: i, id="CheckInRange-int64"),
    OpCase("CheckInRange", lambda x: check_in_range(x, 0.0, 1.0, "empty"), [np.zeros((0, 3), np.float32)],
           lambda x: x, grad=False, id="CheckInRange-empty"),
]

EXEMPT = {}
