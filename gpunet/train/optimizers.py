"""TF1's optimizers. Each variable's update is one fused op (gpunet/ops/training_ops.py). A gradient that
is only ``gather``/``embedding_lookup`` rows of a variable takes TF1's sparse update
(gpunet/ops/sparse_training_ops.py): Momentum, RMSProp and Adagrad change only those rows (and their
slots); Adam decays m and v on every row and moves every row, as TF1's ``_apply_sparse``."""
from __future__ import annotations

from ..graph.graph import Tensor
from ..graph.variables import Variable
from ..ops.training_ops import apply_update
from ._update_optimizer import UpdateOpOptimizer
from .optimizer import Optimizer

__all__ = ["AdagradOptimizer", "AdamOptimizer", "GradientDescentOptimizer", "MomentumOptimizer", "RMSPropOptimizer"]


class GradientDescentOptimizer(Optimizer):
    """``var -= learning_rate * grad``"""

    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate

    def _apply_dense(self, grad, var):
        lr = self._hyper(self._learning_rate, var, "learning_rate")
        return apply_update("ApplyGradientDescent", [var], [lr], grad, {"use_locking": self._use_locking})


class MomentumOptimizer(UpdateOpOptimizer):
    """``accum = momentum * accum + grad; var -= lr * accum`` (Nesterov: ``var -= lr * (grad +
    momentum * accum)``). Slot ``<var>/Momentum``."""

    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum", use_nesterov=False):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = bool(use_nesterov)

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "momentum", self._name)

    def _update(self, var):
        scalars = [self._hyper(self._learning_rate, var, "learning_rate"),
                   self._hyper(self._momentum, var, "momentum")]
        return "Momentum", [var, self.get_slot(var, "momentum")], scalars

    def _update_attrs(self):
        return {"use_nesterov": self._use_nesterov}


class AdagradOptimizer(UpdateOpOptimizer):
    """``accum += grad ** 2; var -= lr * grad / sqrt(accum)``. Slot ``<var>/Adagrad``."""

    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False, name="Adagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError(f"initial_accumulator_value must be positive: {initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value

    def _create_slots(self, var_list):
        for v in var_list:
            self._get_or_make_slot(v, self._initial_accumulator_value, "accumulator", self._name)

    def _update(self, var):
        lr = self._hyper(self._learning_rate, var, "learning_rate")
        return "Adagrad", [var, self.get_slot(var, "accumulator")], [lr]


class RMSPropOptimizer(UpdateOpOptimizer):
    """``ms = decay * ms + (1 - decay) * grad ** 2; mom = momentum * mom + lr * grad / sqrt(ms +
    epsilon); var -= mom``; centered subtracts ``mg ** 2`` (``mg``: mean gradient) under the root.
    Slots ``<var>/RMSProp`` (ms, starts at 1.0), then ``mg`` when centered, then mom (only when momentum
    is not the number 0; without it ``var -= lr * grad / sqrt(ms + epsilon)``), numbered ``RMSProp_1``,
    ``RMSProp_2`` in that order as TF1's."""

    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10, use_locking=False, centered=False,
                 name="RMSProp"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._decay = decay
        self._momentum = momentum
        self._epsilon = epsilon
        self._centered = bool(centered)
        # a tensor momentum may be non-zero at run time, so only the number 0 drops the slot
        self._momentum_slot = isinstance(momentum, (Tensor, Variable)) or callable(momentum) or momentum != 0

    def _create_slots(self, var_list):
        for v in var_list:
            self._get_or_make_slot(v, 1.0, "rms", self._name)
            if self._centered:  # TF1's order, so the slots get TF1's names
                self._zeros_slot(v, "mg", self._name)
            if self._momentum_slot:
                self._zeros_slot(v, "momentum", self._name)

    def _update(self, var):
        refs = [var] + ([self.get_slot(var, "mg")] if self._centered else []) + [self.get_slot(var, "rms")]
        scalars = [self._hyper(self._learning_rate, var, "learning_rate"), self._hyper(self._decay, var, "decay")]
        if self._momentum_slot:
            refs.append(self.get_slot(var, "momentum"))
            scalars.append(self._hyper(self._momentum, var, "momentum"))
        scalars.append(self._hyper(self._epsilon, var, "epsilon"))
        return ("CenteredRMSProp" if self._centered else "RMSProp"), refs, scalars

    def _update_attrs(self):
        return {"momentum_slot": self._momentum_slot}


class AdamOptimizer(UpdateOpOptimizer):
    """``lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); m = beta1 * m + (1 - beta1) * grad;
    v = beta2 * v + (1 - beta2) * grad ** 2; var -= lr_t * m / (sqrt(v) + epsilon)``.
    Slots ``<var>/Adam`` (m), ``<var>/Adam_1`` (v); non-slot ``beta1_power``, ``beta2_power``
    (``beta^t``), colocated with the first variable by name and advanced after the updates."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-08, use_locking=False, name="Adam"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._beta1 = beta1
        self._beta2 = beta2
        self._epsilon = epsilon

    def _create_slots(self, var_list):
        first_var = min(var_list, key=lambda v: v.name)
        self._create_non_slot_variable(self._beta1, "beta1_power", first_var)
        self._create_non_slot_variable(self._beta2, "beta2_power", first_var)
        for v in var_list:
            self._zeros_slot(v, "m", self._name)
            self._zeros_slot(v, "v", self._name)

    def _get_beta_accumulators(self):
        return self._get_non_slot_variable("beta1_power"), self._get_non_slot_variable("beta2_power")

    def _update(self, var):
        beta1_power, beta2_power = self._get_beta_accumulators()
        scalars = [self._hyper(beta1_power, var, "beta1_power"), self._hyper(beta2_power, var, "beta2_power"),
                   self._hyper(self._learning_rate, var, "learning_rate"), self._hyper(self._beta1, var, "beta1"),
                   self._hyper(self._beta2, var, "beta2"), self._hyper(self._epsilon, var, "epsilon")]
        return "Adam", [var, self.get_slot(var, "m"), self.get_slot(var, "v")], scalars

    def _finish(self, update_ops, name_scope):
        beta1_power, beta2_power = self._get_beta_accumulators()
        graph = beta1_power.graph
        with graph.control_dependencies(update_ops), graph.colocate_with(beta1_power.op):
            advance = [power.assign(power * self._hyper(beta, power, name), use_locking=self._use_locking,
                                    read_value=False)
                       for power, beta, name in ((beta1_power, self._beta1, "beta1"),
                                                 (beta2_power, self._beta2, "beta2"))]
        return super()._finish(update_ops + advance, name_scope)
