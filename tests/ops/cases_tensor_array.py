"""Cases for the ops under gn.TensorArray: forward against NumPy on every device and gradients by
finite differences (semantics, errors and loops in tests/ops/test_tensor_array*.py)."""
import numpy as np

import gpunet as gn
from tests.ops.opcases import OpCase, rand


def _written(x):
    return gn.TensorArray(x.dtype, 3).write(1, x).write(0, x * 2.0).stack()


def _written_reference(x):
    return np.stack([x * 2, x, np.zeros_like(x)])


def _unstack_gather(x):
    return gn.TensorArray(x.dtype, 3).unstack(x).gather([2, 0])


def _scatter_read(x):
    return gn.TensorArray(x.dtype, 4).scatter([3, 1], x).read(3)


def _split_concat(x):
    return gn.TensorArray(x.dtype, 2).split(x, [2, 2]).concat()


def _split_stack(x):
    return gn.TensorArray(x.dtype, 2).split(x, [2, 2]).stack()


CASES = [
    OpCase("TensorArrayScatter", _written, [rand(2, 3)], _written_reference),
    OpCase("TensorArrayStack", _written, [rand(4)], _written_reference),
    OpCase("TensorArrayScatterAll", _unstack_gather, [rand(3, 2)], lambda x: x[[2, 0]]),
    OpCase("TensorArrayGather", _scatter_read, [rand(2, 3)], lambda x: x[0]),
    OpCase("TensorArrayConcat", _split_concat, [rand(4, 3)], lambda x: x),
    OpCase("TensorArraySplitRows", _split_stack, [rand(4, 3)], lambda x: x.reshape(2, 2, 3)),
]

_GRADIENT_PART = "a part of a TensorArray op's gradient: checked through the gradients of the cases above"
EXEMPT = {
    "TensorArrayNew": "a TensorArray's empty storage (no input values): tests/ops/test_tensor_array.py",
    "TensorArraySize": "the storage's length: tests/ops/test_tensor_array.py",
    "TensorArrayClearRows": _GRADIENT_PART,
    "TensorArrayClearLeading": _GRADIENT_PART,
    "TensorArrayLeading": _GRADIENT_PART,
}
