"""Cases for gn.cond (If) and gn.while_loop (While): forward against NumPy on every device and
gradients by finite differences (semantics in tests/ops/test_control_flow*.py)."""

import gpunet as gn
from tests.ops.opcases import OpCase, rand


def _cond(x, y):
    return gn.cond(gn.reduce_sum(x) > 0.0, lambda: x * y + 1.0, lambda: x - y)


def _cond_reference(x, y):
    return x * y + 1.0 if x.sum() > 0 else x - y


def _cube(x):
    return gn.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * x), [0, gn.ones_like(x)])[1]


CASES = [
    OpCase("If", _cond, [rand(2, 3, low=0.1), rand(2, 3, seed=1)], _cond_reference, id="If-true"),
    OpCase("If", _cond, [rand(2, 3, high=-0.1), rand(2, 3, seed=1)], _cond_reference, id="If-false"),
    OpCase("While", _cube, [rand(2, 3)], lambda x: x ** 3),
]

EXEMPT = {"LoopVar": "a while loop's variable inside its body: fed by the While op, never run on its own"}
