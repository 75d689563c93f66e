"""TF1's learning-rate schedules: graph ops of the global step, computed in the learning rate's
dtype (float32 for Python floats), so each run reads the step's current value."""
from __future__ import annotations

import math

from ..graph.core_ops import convert_to_tensor
from ..graph.scopes import name_scope
from ..ops import logic_ops, math_ops

__all__ = ["cosine_decay", "cosine_decay_restarts", "exponential_decay", "inverse_time_decay", "linear_cosine_decay",
           "natural_exp_decay",
           "piecewise_constant", "polynomial_decay"]


def _prepare(what, learning_rate, global_step, decay_steps):
    """(learning rate tensor, step and decay_steps as tensors of its dtype)."""
    if global_step is None:
        raise ValueError(f"global_step is required for {what}.")
    lr = convert_to_tensor(learning_rate, name="learning_rate")
    if not lr.dtype.is_floating:
        raise TypeError(f"{what}: learning_rate must be a float, got {lr.dtype.name}")
    step = math_ops.cast(global_step, lr.dtype)
    return lr, step, math_ops.cast(decay_steps, lr.dtype)


def _progress(step, decay_steps, staircase):
    p = math_ops.divide(step, decay_steps)
    return math_ops.floor(p) if staircase else p


def exponential_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None):
    """``learning_rate * decay_rate ** (global_step / decay_steps)``; with ``staircase`` the
    exponent is floored, so the rate drops every ``decay_steps`` steps."""
    with name_scope(name, "ExponentialDecay") as scope:
        lr, step, steps = _prepare("exponential_decay", learning_rate, global_step, decay_steps)
        rate = math_ops.cast(decay_rate, lr.dtype)
        return math_ops.multiply(lr, math_ops.pow(rate, _progress(step, steps, staircase)), name=scope)


def natural_exp_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None):
    """``learning_rate * exp(-decay_rate * global_step / decay_steps)`` (exponent floored with staircase)."""
    with name_scope(name, "NaturalExpDecay") as scope:
        lr, step, steps = _prepare("natural_exp_decay", learning_rate, global_step, decay_steps)
        rate = math_ops.cast(decay_rate, lr.dtype)
        exponent = math_ops.exp(math_ops.multiply(math_ops.negative(rate), _progress(step, steps, staircase)))
        return math_ops.multiply(lr, exponent, name=scope)


def inverse_time_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None):
    """``learning_rate / (1 + decay_rate * global_step / decay_steps)`` (floored with staircase)."""
    with name_scope(name, "InverseTimeDecay") as scope:
        lr, step, steps = _prepare("inverse_time_decay", learning_rate, global_step, decay_steps)
        rate = math_ops.cast(decay_rate, lr.dtype)
        denominator = math_ops.add(1.0, math_ops.multiply(rate, _progress(step, steps, staircase)))
        return math_ops.divide(lr, denominator, name=scope)


def polynomial_decay(learning_rate, global_step, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                     name=None):
    """From ``learning_rate`` to ``end_learning_rate`` over ``decay_steps`` steps along
    ``(1 - step / decay_steps) ** power``; then constant, or with ``cycle`` restarting with
    ``decay_steps`` multiplied up to the next multiple past the step."""
    with name_scope(name, "PolynomialDecay") as scope:
        lr, step, steps = _prepare("polynomial_decay", learning_rate, global_step, decay_steps)
        end = math_ops.cast(end_learning_rate, lr.dtype)
        if cycle:  # step 0 counts as the first cycle
            multiplier = math_ops.maximum(math_ops.ceil(math_ops.divide(step, steps)), 1.0)
            steps = math_ops.multiply(steps, multiplier)
        else:
            step = math_ops.minimum(step, steps)
        fraction = math_ops.subtract(1.0, math_ops.divide(step, steps))
        decayed = math_ops.multiply(math_ops.subtract(lr, end), math_ops.pow(fraction, math_ops.cast(power, lr.dtype)))
        return math_ops.add(decayed, end, name=scope)


def cosine_decay(learning_rate, global_step, decay_steps, alpha=0.0, name=None):
    """``learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha)``."""
    with name_scope(name, "CosineDecay") as scope:
        lr, step, steps = _prepare("cosine_decay", learning_rate, global_step, decay_steps)
        step = math_ops.minimum(step, steps)
        cosine = math_ops.multiply(0.5, math_ops.add(1.0, math_ops.cos(
            math_ops.multiply(math.pi, math_ops.divide(step, steps)))))
        alpha = math_ops.cast(alpha, lr.dtype)
        decayed = math_ops.add(math_ops.multiply(math_ops.subtract(1.0, alpha), cosine), alpha)
        return math_ops.multiply(lr, decayed, name=scope)


def cosine_decay_restarts(learning_rate, global_step, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name=None):
    """Cosine decay with warm restarts (SGDR): the i-th period lasts ``first_decay_steps * t_mul ** i`` steps and
    starts from ``learning_rate * m_mul ** i``; each decays to ``alpha`` times its start, as TF1."""
    with name_scope(name, "SGDRDecay") as scope:
        lr, step, steps = _prepare("cosine_decay_restarts", learning_rate, global_step, first_decay_steps)
        restart, fraction = _restart_and_fraction(math_ops.divide(step, steps), float(t_mul))
        m_fac = math_ops.pow(math_ops.cast(m_mul, lr.dtype), restart)
        cosine = math_ops.multiply(math_ops.multiply(0.5, m_fac),
                                   math_ops.add(1.0, math_ops.cos(math_ops.multiply(math.pi, fraction))))
        alpha = math_ops.cast(alpha, lr.dtype)
        decayed = math_ops.add(math_ops.multiply(math_ops.subtract(1.0, alpha), cosine), alpha)
        return math_ops.multiply(lr, decayed, name=scope)


def _restart_and_fraction(completed, t_mul):
    """(index of the current period, fraction of it done) after ``completed`` first periods' worth of steps."""
    if t_mul == 1.0:
        restart = math_ops.floor(completed)
        return restart, math_ops.subtract(completed, restart)
    restart = math_ops.floor(math_ops.divide(math_ops.log(math_ops.subtract(1.0, math_ops.multiply(
        completed, 1.0 - t_mul))), math.log(t_mul)))
    t_power = math_ops.pow(t_mul, restart)
    done = math_ops.divide(math_ops.subtract(1.0, t_power), 1.0 - t_mul)
    return restart, math_ops.divide(math_ops.subtract(completed, done), t_power)


def linear_cosine_decay(learning_rate, global_step, decay_steps, num_periods=0.5, alpha=0.0, beta=0.001,
                        name=None):
    """``learning_rate * ((alpha + linear) * cosine + beta)`` with ``linear = (decay_steps - step) / decay_steps``
    and ``cosine = 0.5 * (1 + cos(2 pi num_periods step / decay_steps))``, step capped at decay_steps."""
    with name_scope(name, "LinearCosineDecay") as scope:
        lr, step, steps = _prepare("linear_cosine_decay", learning_rate, global_step, decay_steps)
        step = math_ops.minimum(step, steps)
        linear = math_ops.divide(math_ops.subtract(steps, step), steps)
        fraction = math_ops.divide(math_ops.multiply(2.0 * math.pi * num_periods, step), steps)
        cosine = math_ops.multiply(0.5, math_ops.add(1.0, math_ops.cos(fraction)))
        decayed = math_ops.add(math_ops.multiply(math_ops.add(math_ops.cast(alpha, lr.dtype), linear), cosine), beta)
        return math_ops.multiply(lr, decayed, name=scope)


def piecewise_constant(x, boundaries, values, name=None):
    """``values[0]`` while ``x <= boundaries[0]``, ``values[i]`` while ``boundaries[i-1] < x <=
    boundaries[i]``, ``values[-1]`` after the last boundary."""
    if len(values) != len(boundaries) + 1:
        raise ValueError(f"The length of boundaries ({len(boundaries)}) should be 1 less than the length of "
                         f"values ({len(values)})")
    with name_scope(name, "PiecewiseConstant") as scope:
        x = convert_to_tensor(x)
        values = [convert_to_tensor(v) for v in values]
        if any(v.dtype != values[0].dtype for v in values):
            raise ValueError(f"Values must have elements all with the same dtype, got "
                             f"{[v.dtype.name for v in values]}")
        result = values[-1]
        for i in range(len(boundaries) - 1, -1, -1):
            boundary = math_ops.cast(boundaries[i], x.dtype)
            chosen = logic_ops.less_equal(x, boundary)
            result = logic_ops.where(chosen, values[i], result, name=scope if i == 0 else None)
        return result
