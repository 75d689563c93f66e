"""More Keras 2 optimizers of ``gn.optimizers``: ``Adadelta``, ``Adamax`` and ``Nadam``, with tf_keras 2's update
rules and defaults (their state is their slots and ``iterations``, saved with the model)."""
from __future__ import annotations

import gpunet as gn

from .optimizers import Optimizer

__all__ = ["Adadelta", "Adamax", "Nadam"]


class _KerasUpdate(gn.train.Optimizer):
    """A graph optimizer of named zero slots whose ``_update(grad, var, slots, hyper)`` gives the slots' new values
    and the step to subtract."""

    slots = ()

    def __init__(self, learning_rate, hyper, iterations, name):
        super().__init__(False, name)
        self._learning_rate, self._h, self._iterations = learning_rate, hyper, iterations

    def _create_slots(self, var_list):
        for v in var_list:
            for slot, fill in self.slots:
                self._get_or_make_slot(v, fill, slot, self._name)

    def _apply_dense(self, grad, var):
        hyper = {k: self._hyper(value, var, k) for k, value in self._h.items()}
        hyper["lr"] = self._hyper(self._learning_rate, var, "learning_rate")
        hyper["t"] = gn.cast(self._iterations.value() + 1, var.dtype)
        slots = {name: self.get_slot(var, name) for name, _ in self.slots}
        new_values, step = self._update(grad, {k: s.value() for k, s in slots.items()}, hyper)
        assigns = [slots[k].assign(value, read_value=False) for k, value in new_values.items()]
        with gn.control_dependencies(assigns):
            return var.assign_sub(step, read_value=False)


class _AdadeltaUpdate(_KerasUpdate):
    slots = (("accumulated_grad", 0.0), ("accumulated_delta_var", 0.0))

    @staticmethod
    def _update(grad, s, h):
        rho, epsilon = h["rho"], h["epsilon"]
        grads = rho * s["accumulated_grad"] + (1 - rho) * grad * grad
        delta = gn.sqrt(s["accumulated_delta_var"] + epsilon) * grad / gn.sqrt(grads + epsilon)
        deltas = rho * s["accumulated_delta_var"] + (1 - rho) * delta * delta
        return {"accumulated_grad": grads, "accumulated_delta_var": deltas}, h["lr"] * delta


class _AdamaxUpdate(_KerasUpdate):
    slots = (("m", 0.0), ("u", 0.0))

    @staticmethod
    def _update(grad, s, h):
        m = s["m"] + (grad - s["m"]) * (1 - h["beta_1"])
        u = gn.maximum(h["beta_2"] * s["u"], gn.abs(grad))
        return {"m": m, "u": u}, h["lr"] * m / ((1 - h["beta_1"] ** h["t"]) * (u + h["epsilon"]))


class _NadamUpdate(_KerasUpdate):
    # u_product (the product of the momentum schedule so far) is the same for every entry: tf_keras keeps one
    # scalar, gpunet a slot of the variable's shape so that it is saved and restored with the others
    slots = (("m", 0.0), ("v", 0.0), ("u_product", 1.0))

    @staticmethod
    def _update(grad, s, h):
        beta_1, beta_2, t = h["beta_1"], h["beta_2"], h["t"]
        u_t = beta_1 * (1.0 - 0.5 * 0.96 ** t)
        u_t_1 = beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        u_product = s["u_product"] * u_t
        m = s["m"] + (grad - s["m"]) * (1 - beta_1)
        v = s["v"] + (grad * grad - s["v"]) * (1 - beta_2)
        m_hat = u_t_1 * m / (1 - u_product * u_t_1) + (1 - u_t) * grad / (1 - u_product)
        v_hat = v / (1 - beta_2 ** t)
        return {"m": m, "v": v, "u_product": u_product}, m_hat * h["lr"] / (gn.sqrt(v_hat) + h["epsilon"])


class Adadelta(Optimizer):
    """``acc_g = rho * acc_g + (1 - rho) * grad ** 2``; ``delta = sqrt(acc_d + eps) / sqrt(acc_g + eps) * grad``;
    ``acc_d = rho * acc_d + (1 - rho) * delta ** 2``; ``var -= lr * delta`` (tf_keras 2: lr 0.001, rho 0.95)."""

    _defaults = {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7}

    def _graph_optimizer(self, learning_rate):
        return _AdadeltaUpdate(learning_rate, self.hyper, self.iterations, self.name)


class Adamax(Optimizer):
    """Adam with the infinity norm: ``u = max(beta_2 * u, |grad|)``; ``var -= lr * m / ((1 - beta_1 ** t) *
    (u + epsilon))``."""

    _defaults = {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}

    def _graph_optimizer(self, learning_rate):
        return _AdamaxUpdate(learning_rate, self.hyper, self.iterations, self.name)


class Nadam(Optimizer):
    """Adam with Nesterov momentum and tf_keras 2's momentum schedule ``u_t = beta_1 * (1 - 0.5 * 0.96 ** t)``
    (the step uses the product of all ``u_t`` so far, as tf_keras 2 computes it when run eagerly)."""

    _defaults = {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}

    def _graph_optimizer(self, learning_rate):
        return _NadamUpdate(learning_rate, self.hyper, self.iterations, self.name)
