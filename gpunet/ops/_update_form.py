"""The shape of one optimizer update rule (training_ops.py): a generic body against ``xp`` and a
CUDA body for a fused ``cupy.ElementwiseKernel`` that mirrors it, plus run-time checks of its
scalar hyperparameters."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

__all__ = ["ScalarCheck", "UpdateForm"]


@dataclass(frozen=True)
class ScalarCheck:
    """TF1's run-time check of one hyperparameter: ``is_bad(value)`` (a 0-d flag) fails the update
    with ``InvalidArgumentError("<message>: <value>")``."""
    scalar: str
    is_bad: Callable
    message: str


@dataclass(frozen=True)
class UpdateForm:
    """One update rule, in place on the variable and its slots."""
    name: str
    refs: tuple          # the variable, then its slots: updated in place
    scalars: tuple       # hyperparameters, 0-d
    xp_update: Callable  # (xp, one (0-d), *ref arrays, *scalars, grad) -> None, in place
    cuda_body: str       # the same update for one element, CUDA C++ on type T
    checks: tuple = ()   # ScalarChecks run before the update

    @property
    def in_params(self) -> str:
        return ", ".join(f"T {n}" for n in ("grad", *self.scalars))

    @property
    def out_params(self) -> str:
        return ", ".join(f"T {n}" for n in self.refs)
