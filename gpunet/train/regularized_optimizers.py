"""TF1's Adadelta, FTRL-proximal, proximal gradient descent, proximal Adagrad and Adagrad dual
averaging optimizers. Each variable's update is one op (gpunet/ops/training_ops.py). A gradient that
is only ``gather``/``embedding_lookup`` rows of a variable updates only those rows (and their slots),
TF1's sparse update (gpunet/ops/sparse_training_ops.py); any other gradient updates every row."""
from __future__ import annotations

from ..graph.graph import Tensor
from ..graph.variables import Variable
from ..ops.math_ops import add, cast, maximum
from ._update_optimizer import UpdateOpOptimizer

__all__ = ["AdadeltaOptimizer", "AdagradDAOptimizer", "FtrlOptimizer", "ProximalAdagradOptimizer",
           "ProximalGradientDescentOptimizer"]


class AdadeltaOptimizer(UpdateOpOptimizer):
    """``accum = rho * accum + (1 - rho) * grad ** 2; update = sqrt(accum_update + epsilon) /
    sqrt(accum + epsilon) * grad; var -= lr * update; accum_update = rho * accum_update + (1 - rho) *
    update ** 2``. Slots ``<var>/Adadelta`` (accum), ``<var>/Adadelta_1`` (accum_update)."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-8, use_locking=False, name="Adadelta"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._rho = rho
        self._epsilon = epsilon

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "accum", self._name)
            self._zeros_slot(v, "accum_update", self._name)

    def _update(self, var):
        refs = [var, self.get_slot(var, "accum"), self.get_slot(var, "accum_update")]
        scalars = [self._hyper(self._learning_rate, var, "lr"), self._hyper(self._rho, var, "rho"),
                   self._hyper(self._epsilon, var, "epsilon")]
        return "Adadelta", refs, scalars


def _check_at_least_zero(value, name):
    if value < 0.0:
        raise ValueError(f"{name} {value:f} needs to be positive or zero")


class FtrlOptimizer(UpdateOpOptimizer):
    """FTRL-proximal (McMahan et al., 2013), as TF1's: ``new_accum = accum + grad ** 2; linear +=
    grad - (new_accum ** -p - accum ** -p) / lr * var; var = (clip(linear, -l1, l1) - linear) /
    (new_accum ** -p / lr + 2 * l2); accum = new_accum`` with ``p = learning_rate_power``; with
    ``l2_shrinkage_regularization_strength`` s > 0, linear gathers ``grad + 2 * s * var`` instead of
    grad. ``beta`` adds ``beta / (2 * lr)`` to l2. Slots ``<var>/Ftrl`` (accum, starts at
    ``initial_accumulator_value``; ``accum_name``) and ``<var>/Ftrl_1`` (linear; ``linear_name``)."""

    def __init__(self, learning_rate, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0, use_locking=False, name="Ftrl",
                 accum_name=None, linear_name=None, l2_shrinkage_regularization_strength=0.0, beta=None):
        super().__init__(use_locking, name)
        _check_at_least_zero(initial_accumulator_value, "initial_accumulator_value")
        if learning_rate_power > 0.0:
            raise ValueError(f"learning_rate_power {learning_rate_power:f} needs to be negative or zero")
        _check_at_least_zero(l1_regularization_strength, "l1_regularization_strength")
        _check_at_least_zero(l2_regularization_strength, "l2_regularization_strength")
        _check_at_least_zero(l2_shrinkage_regularization_strength, "l2_shrinkage_regularization_strength")
        self._learning_rate = learning_rate
        self._learning_rate_power = learning_rate_power
        self._initial_accumulator_value = initial_accumulator_value
        self._l1 = l1_regularization_strength
        self._l2 = l2_regularization_strength
        self._l2_shrinkage = l2_shrinkage_regularization_strength
        self._beta = 0.0 if beta is None else beta
        self._accum_name = accum_name
        self._linear_name = linear_name

    def _create_slots(self, var_list):
        for v in var_list:
            self._get_or_make_slot(v, self._initial_accumulator_value, "accum", self._accum_name or self._name)
            self._zeros_slot(v, "linear", self._linear_name or self._name)

    def _adjusted_l2(self, var, lr):
        l2 = self._hyper(self._l2, var, "l2_regularization_strength")
        if not self._beta:
            return l2
        # TF1: l2 + beta / (2 * max(lr, 1e-36)), the beta of the per-coordinate rate's denominator
        return add(l2, self._hyper(self._beta, var, "beta") / (maximum(lr, 1e-36) * 2.0),
                   name="adjusted_l2_regularization_strength")

    def _update(self, var):
        refs = [var, self.get_slot(var, "accum"), self.get_slot(var, "linear")]
        lr = self._hyper(self._learning_rate, var, "learning_rate")
        scalars = [lr, self._hyper(self._l1, var, "l1_regularization_strength"), self._adjusted_l2(var, lr)]
        # TF1 takes the V2 update (with shrinkage) only for a positive shrinkage strength
        shrinks = self._l2_shrinkage > 0.0
        if shrinks:
            scalars.append(self._hyper(self._l2_shrinkage, var, "l2_shrinkage_regularization_strength"))
        scalars.append(self._hyper(self._learning_rate_power, var, "learning_rate_power"))
        return ("FtrlV2" if shrinks else "Ftrl"), refs, scalars


class ProximalGradientDescentOptimizer(UpdateOpOptimizer):
    """``prox = var - lr * grad; var = sign(prox) * max(|prox| - lr * l1, 0) / (1 + lr * l2)``
    (FOBOS with L1 and L2 regularization); no slots."""

    def __init__(self, learning_rate, l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 use_locking=False, name="ProximalGradientDescent"):
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._l1 = l1_regularization_strength
        self._l2 = l2_regularization_strength

    def _update(self, var):
        scalars = [self._hyper(self._learning_rate, var, "learning_rate"),
                   self._hyper(self._l1, var, "l1_regularization_strength"),
                   self._hyper(self._l2, var, "l2_regularization_strength")]
        return "ProximalGradientDescent", [var], scalars


class ProximalAdagradOptimizer(UpdateOpOptimizer):
    """``accum += grad ** 2; rate = lr / sqrt(accum); prox = var - rate * grad; var = sign(prox) *
    max(|prox| - rate * l1, 0) / (1 + rate * l2)``. Slot ``<var>/ProximalAdagrad`` (starts at
    ``initial_accumulator_value``). As TF1, a run fails (InvalidArgumentError) for a learning rate
    that is not positive or a negative l1 or l2."""

    def __init__(self, learning_rate, initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, use_locking=False, name="ProximalAdagrad"):
        if initial_accumulator_value <= 0.0:
            raise ValueError(f"initial_accumulator_value must be positive: {initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._initial_accumulator_value = initial_accumulator_value
        self._l1 = l1_regularization_strength
        self._l2 = l2_regularization_strength

    def _create_slots(self, var_list):
        for v in var_list:
            self._get_or_make_slot(v, self._initial_accumulator_value, "accumulator", self._name)

    def _update(self, var):
        scalars = [self._hyper(self._learning_rate, var, "learning_rate"),
                   self._hyper(self._l1, var, "l1_regularization_strength"),
                   self._hyper(self._l2, var, "l2_regularization_strength")]
        return "ProximalAdagrad", [var, self.get_slot(var, "accumulator")], scalars


class AdagradDAOptimizer(UpdateOpOptimizer):
    """Adagrad dual averaging (Duchi et al., 2011), as TF1's: ``g += grad; gg += grad ** 2; var =
    -lr * sign(g) * max(|g| - l1 * t, 0) / (l2 * t * lr + sqrt(gg))`` where ``t`` is
    ``global_step + 1`` read before this step's increment. Slots ``<var>/AdagradDA`` (g) and
    ``<var>/AdagradDA_1`` (gg, starts at ``initial_gradient_squared_accumulator_value``). Pass the
    same ``global_step`` to ``minimize``/``apply_gradients`` to advance it."""

    def __init__(self, learning_rate, global_step, initial_gradient_squared_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0, use_locking=False,
                 name="AdagradDA"):
        if initial_gradient_squared_accumulator_value <= 0.0:
            raise ValueError(f"initial_gradient_squared_accumulator_value must be positive: "
                             f"{initial_gradient_squared_accumulator_value}")
        if not isinstance(global_step, (Tensor, Variable)) or not global_step.dtype.is_integer:
            raise TypeError(f"AdagradDA: global_step must be an integer tensor or variable "
                            f"(gn.train.get_or_create_global_step()), got {global_step!r}")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._global_step = global_step
        self._initial_gradient_squared_accumulator_value = initial_gradient_squared_accumulator_value
        self._l1 = l1_regularization_strength
        self._l2 = l2_regularization_strength

    def _create_slots(self, var_list):
        for v in var_list:
            self._zeros_slot(v, "gradient_accumulator", self._name)
            self._get_or_make_slot(v, self._initial_gradient_squared_accumulator_value,
                                   "gradient_squared_accumulator", self._name)

    def _update(self, var):
        step = self._global_step.value() if isinstance(self._global_step, Variable) else self._global_step
        refs = [var, self.get_slot(var, "gradient_accumulator"), self.get_slot(var, "gradient_squared_accumulator")]
        scalars = [self._hyper(self._learning_rate, var, "learning_rate"),
                   self._hyper(self._l1, var, "l1_regularization_strength"),
                   self._hyper(self._l2, var, "l2_regularization_strength"),
                   cast(add(step, 1), var.dtype, name="global_step")]
        return "AdagradDA", refs, scalars
