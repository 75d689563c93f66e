"""The table every op family adds to: how to build an op, sample inputs, a NumPy reference.

Each ``tests/ops/cases_<family>.py`` defines ``CASES`` (a list of OpCase) and ``EXEMPT`` (a dict
op type -> reason, for ops with nothing to compare, e.g. placeholders). ``test_registry_walk``
fails for any registered op type that is in neither, so a new op needs a kernel check and, when
differentiable, a gradient check before CI passes.
"""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass
class OpCase:
    op_type: str                        # the registered type the builder must create
    build: Callable                     # (*input tensors) -> output tensor (or list of tensors)
    inputs: list                        # NumPy arrays fed through placeholders (float32 where float)
    reference: Callable | None = None   # (*arrays) -> expected array(s); None: only shape/finite checks
    grad: bool = True                   # check gradients wrt float inputs by finite differences
    grad_inputs: list | None = None     # indices of inputs to differentiate (default: all float ones)
    rtol: float = 1e-5
    atol: float = 1e-6
    grad_tol: float = 1e-4
    grad_eps: float = 1e-6              # finite-difference step (larger for float32-internal ops)
    id: str = ""
    extra: dict = field(default_factory=dict)

    def __str__(self):
        return self.id or self.op_type


def numeric_gradient(f, value, eps=1e-6):
    """Central differences of the scalar function ``f`` at the array ``value``."""
    grad = np.zeros_like(value)
    for index in np.ndindex(value.shape):
        up, down = value.copy(), value.copy()
        up[index] += eps
        down[index] -= eps
        grad[index] = (f(up) - f(down)) / (2 * eps)
    return grad


def rand(*shape, low=-1.0, high=1.0, seed=0, dtype=np.float32):
    return np.random.default_rng(seed + sum(shape)).uniform(low, high, shape).astype(dtype)


def positive(*shape, seed=0):
    return rand(*shape, low=0.5, high=2.0, seed=seed)
