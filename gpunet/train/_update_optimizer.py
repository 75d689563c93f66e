"""The base of the optimizers whose update of a variable is one op of gpunet/ops/training_ops.py on a
dense gradient and its ``SparseApply`` form (gpunet/ops/sparse_training_ops.py) on a gradient that is
only ``gather``/``embedding_lookup`` rows of the variable, TF1's IndexedSlices update."""
from __future__ import annotations

from abc import abstractmethod

from ..ops.sparse_training_ops import apply_sparse_update
from ..ops.training_ops import apply_update
from .optimizer import Optimizer

__all__ = ["UpdateOpOptimizer"]


class UpdateOpOptimizer(Optimizer):
    """An optimizer whose ``_update(var)`` gives ``(op name, refs, scalars)`` of its update, run as
    ``Apply<name>`` on a dense gradient and ``SparseApply<name>`` on gathered rows, both with the
    attrs of ``_update_attrs()`` and ``use_locking``."""

    _sparse_updates = True

    @abstractmethod
    def _update(self, var):
        """``(op name, refs, scalars)``: the update of ``var`` (refs: var, then its slots)."""

    def _update_attrs(self):
        return {}

    def _attrs(self):
        return {**self._update_attrs(), "use_locking": self._use_locking}

    def _apply_dense(self, grad, var):
        op_name, refs, scalars = self._update(var)
        return apply_update(f"Apply{op_name}", refs, scalars, grad, self._attrs())

    def _apply_sparse(self, values, indices, var):
        op_name, refs, scalars = self._update(var)
        return apply_sparse_update(f"SparseApply{op_name}", refs, scalars, values, indices, self._attrs())
