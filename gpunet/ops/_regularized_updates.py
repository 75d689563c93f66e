"""The update rules of TF1's Adadelta, FTRL, proximal and dual-averaging optimizers, as in TF1's CPU
kernels (training_ops.cc), each written twice: against ``xp`` (the reference, NumPy or CuPy) and
as a CUDA body for one element that mirrors it operation for operation.

TF1's ``if (l1 > 0) shrink else plain`` branches are one formula here: ``sign(x) * max(|x| - t, 0)``
equals ``x`` exactly when ``t`` is 0, and a negative l1 (which TF1's proximal gradient descent and
AdagradDA accept) is clamped to 0, TF1's ``else`` branch."""
from __future__ import annotations

from ._update_form import ScalarCheck, UpdateForm

__all__ = ["REGULARIZED_FORMS"]


def _shrink(xp, x, threshold):
    """sign(x) * max(|x| - threshold, 0): the soft threshold of the L1 proximal step"""
    return xp.sign(x) * xp.maximum(xp.abs(x) - threshold, 0)


# x * 0 keeps a NaN as NumPy's sign does
_SHRINK_CUDA = ("T shrunk = max(fabs({x}) - {t}, T(0));\n"
                "shrunk = {x} > T(0) ? shrunk : ({x} < T(0) ? -shrunk : {x} * T(0));\n")


def _adadelta(xp, one, var, accum, accum_update, lr, rho, epsilon, grad):
    accum *= rho
    accum += grad * grad * (one - rho)
    update = xp.sqrt(accum_update + epsilon) / xp.sqrt(accum + epsilon) * grad
    var -= update * lr
    accum_update *= rho
    accum_update += update * update * (one - rho)


def _ftrl_step(xp, var, accum, linear, lr, l1, l2, lr_power, grad, linear_grad):
    """FTRL-proximal: ``linear`` gathers ``linear_grad`` minus the change of the per-coordinate
    rate times var; var is the closed-form minimiser; accum gathers grad ** 2."""
    new_accum = accum + grad * grad
    new_power = xp.power(new_accum, -lr_power)
    linear += linear_grad - (new_power - xp.power(accum, -lr_power)) / lr * var
    clipped = xp.maximum(xp.minimum(linear, l1), -l1)
    var[...] = (clipped - linear) / (new_power / lr + (l2 + l2))
    accum[...] = new_accum


def _ftrl(xp, one, var, accum, linear, lr, l1, l2, lr_power, grad):
    _ftrl_step(xp, var, accum, linear, lr, l1, l2, lr_power, grad, grad)


def _ftrl_v2(xp, one, var, accum, linear, lr, l1, l2, l2_shrinkage, lr_power, grad):
    _ftrl_step(xp, var, accum, linear, lr, l1, l2, lr_power, grad, grad + (l2_shrinkage + l2_shrinkage) * var)


_FTRL_CUDA = ("T new_accum = accum + grad * grad;\n"
              "T new_power = pow(new_accum, -lr_power);\n"
              "linear += {linear_grad} - (new_power - pow(accum, -lr_power)) / lr * var;\n"
              "T clipped = max(min(linear, l1), -l1);\n"
              "var = (clipped - linear) / (new_power / lr + (l2 + l2));\n"
              "accum = new_accum;")


def _proximal_gradient_descent(xp, one, var, lr, l1, l2, grad):
    prox = var - grad * lr
    var[...] = _shrink(xp, prox, lr * xp.maximum(l1, 0)) / (one + lr * l2)


def _proximal_adagrad(xp, one, var, accum, lr, l1, l2, grad):
    accum += grad * grad
    rate = lr / xp.sqrt(accum)
    prox = var - grad * rate
    var[...] = _shrink(xp, prox, rate * l1) / (one + l2 * rate)


def _adagrad_da(xp, one, var, g_acc, gg_acc, lr, l1, l2, global_step, grad):
    g_acc += grad
    gg_acc += grad * grad
    numerator = _shrink(xp, g_acc, xp.maximum(l1, 0) * global_step) * -lr
    var[...] = numerator / (l2 * global_step * lr + xp.sqrt(gg_acc))


def _negative(value):
    return value < 0


_PROXIMAL_CHECKS = (ScalarCheck("lr", lambda value: value <= 0, "lr is not a positive scalar"),
                    ScalarCheck("l1", _negative, "l1 regularization strength is not a non-negative scalar"),
                    ScalarCheck("l2", _negative, "l2 regularization strength is not a non-negative scalar"))

REGULARIZED_FORMS = (
    UpdateForm("adadelta", ("var", "accum", "accum_update"), ("lr", "rho", "epsilon"), _adadelta,
               "accum = accum * rho + grad * grad * (1 - rho);\n"
               "T update = sqrt(accum_update + epsilon) / sqrt(accum + epsilon) * grad;\n"
               "var -= update * lr;\n"
               "accum_update = accum_update * rho + update * update * (1 - rho);"),
    UpdateForm("ftrl", ("var", "accum", "linear"), ("lr", "l1", "l2", "lr_power"), _ftrl,
               _FTRL_CUDA.format(linear_grad="grad")),
    UpdateForm("ftrl_v2", ("var", "accum", "linear"), ("lr", "l1", "l2", "l2_shrinkage", "lr_power"), _ftrl_v2,
               _FTRL_CUDA.format(linear_grad="(grad + (l2_shrinkage + l2_shrinkage) * var)")),
    UpdateForm("proximal_gradient_descent", ("var",), ("lr", "l1", "l2"), _proximal_gradient_descent,
               "T prox = var - grad * lr;\n"
               + _SHRINK_CUDA.format(x="prox", t="lr * max(l1, T(0))")
               + "var = shrunk / (T(1) + lr * l2);"),
    UpdateForm("proximal_adagrad", ("var", "accum"), ("lr", "l1", "l2"), _proximal_adagrad,
               "accum += grad * grad;\n"
               "T rate = lr / sqrt(accum);\n"
               "T prox = var - grad * rate;\n"
               + _SHRINK_CUDA.format(x="prox", t="rate * l1")
               + "var = shrunk / (T(1) + l2 * rate);",
               checks=_PROXIMAL_CHECKS),
    UpdateForm("adagrad_da", ("var", "g_acc", "gg_acc"), ("lr", "l1", "l2", "global_step"), _adagrad_da,
               "g_acc += grad;\n"
               "gg_acc += grad * grad;\n"
               + _SHRINK_CUDA.format(x="g_acc", t="max(l1, T(0)) * global_step")
               + "var = shrunk * -lr / (l2 * global_step * lr + sqrt(gg_acc));"),
)
