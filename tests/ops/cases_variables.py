"""Cases for variable ops that produce values without a session-side initializer run."""
import numpy as np

import gpunet as gn
from tests.ops.opcases import OpCase, rand

CASES = [
    # uninitialized: initialized_value() is the initial value (nothing is assigned)
    OpCase("InitializedValue", lambda x: gn.Variable(x, name="v").initialized_value() * 2.0, [rand(2, 3)],
           lambda x: x * 2, grad=False),
]

EXEMPT = {}


def _initialized(x):
    v = gn.Variable(x, name="v")
    return v, gn.control_dependencies([v.initializer])


def _rank_after_init(x):
    v, deps = _initialized(x)
    with deps:
        return gn.assert_variables_initialized([v])


def _ranks_after_init(x, y):
    v, w = gn.Variable(x, name="v"), gn.Variable(y, name="w")
    with gn.control_dependencies([v.initializer, w.initializer]):
        return gn.assert_variables_initialized([v, w])


CASES += [
    OpCase("VariableRank", _rank_after_init, [rand(2, 3)], lambda x: np.int32(2), grad=False),
    OpCase("AssertVariablesInitialized", _ranks_after_init, [rand(2, 3), rand(4)],
           lambda x, y: np.array([2, 1], np.int32), grad=False),
]
