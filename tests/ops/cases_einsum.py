"""Cases for einsum (gpunet/ops/einsum_ops.py): values against np.einsum, gradients by finite differences."""
import numpy as np

import gpunet as gn
from tests.ops.opcases import OpCase, rand


def _case(equation, *shapes, grad=True):
    inputs = [rand(*shape, seed=i) for i, shape in enumerate(shapes)]
    return OpCase("Einsum", lambda *ts: gn.einsum(equation, *ts), inputs,
                  lambda *arrays: np.einsum(equation, *arrays), grad=grad, id=f"Einsum-{equation}")


CASES = [
    _case("ij,jk->ik", (2, 3), (3, 4)),
    _case("ij,jk", (2, 3), (3, 4)),                    # implicit output: the letters used once, sorted
    _case("ij->j", (2, 3)),                            # i only in the operand: its gradient is broadcast back
    _case("bij,bjk->bik", (2, 2, 3), (2, 3, 2)),
    _case("i,j->ij", (3,), (4,)),
    _case("ij,jk,kl->li", (2, 3), (3, 2), (2, 2)),
    _case("ijk,k->", (2, 3, 2), (2,)),
    _case("ii->i", (3, 3), grad=False),                # a diagonal: forward only (no gradient, said at build)
]

EXEMPT = {}
