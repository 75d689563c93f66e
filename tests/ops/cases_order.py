"""Cases for reverse, sort/argsort, diag/diag_part and linspace (gpunet/ops/order_ops.py, diag_ops.py)."""
import numpy as np

import gpunet as gn
from gpunet.ops._helpers import out
from tests.ops.opcases import OpCase, rand


def _unsort(g, x, axis=1):
    """The adjoint of sorting ``x`` along ``axis``: each entry of ``g`` back where its value came from."""
    result = np.zeros_like(g)
    np.put_along_axis(result, np.argsort(x, axis=axis, kind="stable"), g, axis)
    return result


def _diag(d):
    return np.diag(d.ravel()).reshape(d.shape + d.shape)


CASES = [
    OpCase("ReverseV2", lambda x: gn.reverse(x, [0, -1]), [rand(2, 3, 4)], lambda x: x[::-1, :, ::-1]),
    OpCase("ReverseV2", lambda x: gn.reverse_v2(x, []), [rand(2, 3)], lambda x: x, id="ReverseV2-no-axis"),
    OpCase("Sort", gn.sort, [rand(3, 5)], lambda x: np.sort(x, axis=-1)),
    OpCase("Sort", lambda x: gn.sort(x, axis=0, direction="DESCENDING"), [rand(4, 3)], lambda x: -np.sort(-x, axis=0),
           id="Sort-descending-axis0"),
    OpCase("SortGrad", lambda g, x: out("SortGrad", [g, x], {"axis": 1, "descending": False, "inverse": True}),
           [rand(2, 5), rand(2, 5, seed=1)], _unsort, grad_inputs=[0]),
    OpCase("SortGrad", lambda g, x: out("SortGrad", [g, x], {"axis": 1, "descending": False, "inverse": False}),
           [rand(2, 5), rand(2, 5, seed=1)], lambda g, x: np.take_along_axis(g, np.argsort(x, axis=1), 1),
           grad_inputs=[0], id="SortGrad-forward"),
    OpCase("ArgSort", gn.argsort, [np.array([[3, 1, 1, 0], [2, 2, 2, 2]], np.float32)],
           lambda x: np.argsort(x, axis=-1, kind="stable"), grad=False),
    OpCase("ArgSort", lambda x: gn.argsort(x, direction="DESCENDING"), [np.array([[3, 1, 1, 0]], np.int32)],
           lambda x: np.array([[0, 1, 2, 3]]), grad=False, id="ArgSort-descending-ties-by-index"),
    OpCase("Unique", lambda x: list(gn.unique(x)), [np.array([5, 3, 5, 1, 3, 3], np.int32)],
           lambda x: [np.array([5, 3, 1]), np.array([0, 1, 0, 2, 1, 1])], grad=False),
    OpCase("Diag", gn.diag, [rand(2, 3)], _diag),
    OpCase("DiagPart", gn.diag_part, [rand(2, 3, 2, 3)],
           lambda x: np.diagonal(x.reshape(6, 6)).reshape(2, 3)),
    OpCase("LinSpace", lambda a, b: gn.linspace(a, b, 5), [np.float32(-1.0), np.float32(2.0)],
           lambda a, b: np.linspace(a, b, 5), grad=False),
]

EXEMPT = {}
