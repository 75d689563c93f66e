"""Each optimizer's update, step by step, against a NumPy re-implementation of TF1's formula (in
float64), on every device; slot names and initial values; float32 and float64 kept."""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

import gpunet as gn

LR = 0.05
STEPS = 4


# -- NumPy references: (w, slots by name suffix, g, t) -> new w; slots updated in the dict -------------
def sgd_ref(w, s, g, t):
    return w - LR * g


def momentum_ref(w, s, g, t, mu=0.9, nesterov=False):
    s["Momentum"] = mu * s["Momentum"] + g
    return w - LR * (g + mu * s["Momentum"]) if nesterov else w - LR * s["Momentum"]


def adagrad_ref(w, s, g, t):
    s["Adagrad"] = s["Adagrad"] + g * g
    return w - LR * g / np.sqrt(s["Adagrad"])


def rmsprop_ref(w, s, g, t, mu=0.0, centered=False, decay=0.9, eps=1e-10):
    s["RMSProp"] = decay * s["RMSProp"] + (1 - decay) * g * g
    denominator = s["RMSProp"]
    if centered:
        s["RMSProp_1"] = decay * s["RMSProp_1"] + (1 - decay) * g  # mg, TF1's second slot
        denominator = denominator - s["RMSProp_1"] ** 2
    step = LR * g / np.sqrt(denominator + eps)
    if not mu:
        return w - step
    mom = "RMSProp_2" if centered else "RMSProp_1"
    s[mom] = mu * s[mom] + step
    return w - s[mom]


def float32_power(beta, t):
    """beta ** t as TF1's float32 beta-power variable holds it (multiplied by beta each step)."""
    power = np.float32(beta)
    for _ in range(t - 1):
        power = power * np.float32(beta)
    return np.float64(power)


def adam_ref(w, s, g, t, b1=0.9, b2=0.999, eps=1e-8):
    lr_t = LR * np.sqrt(1 - float32_power(b2, t)) / (1 - float32_power(b1, t))
    s["Adam"] = b1 * s["Adam"] + (1 - b1) * g
    s["Adam_1"] = b2 * s["Adam_1"] + (1 - b2) * g * g
    return w - lr_t * s["Adam"] / (np.sqrt(s["Adam_1"]) + eps)


@dataclass
class Case:
    id: str
    make: Callable
    reference: Callable
    slots: dict = field(default_factory=dict)   # slot name suffix -> initial value

    def __str__(self):
        return self.id


CASES = [
    Case("sgd", lambda: gn.train.GradientDescentOptimizer(LR), sgd_ref),
    Case("momentum", lambda: gn.train.MomentumOptimizer(LR, 0.9), momentum_ref, {"Momentum": 0.0}),
    Case("nesterov", lambda: gn.train.MomentumOptimizer(LR, 0.9, use_nesterov=True),
         lambda w, s, g, t: momentum_ref(w, s, g, t, nesterov=True), {"Momentum": 0.0}),
    Case("adagrad", lambda: gn.train.AdagradOptimizer(LR), adagrad_ref, {"Adagrad": 0.1}),
    Case("rmsprop", lambda: gn.train.RMSPropOptimizer(LR), rmsprop_ref, {"RMSProp": 1.0}),
    Case("rmsprop-momentum", lambda: gn.train.RMSPropOptimizer(LR, momentum=0.5),
         lambda w, s, g, t: rmsprop_ref(w, s, g, t, mu=0.5), {"RMSProp": 1.0, "RMSProp_1": 0.0}),
    Case("rmsprop-centered", lambda: gn.train.RMSPropOptimizer(LR, centered=True),
         lambda w, s, g, t: rmsprop_ref(w, s, g, t, centered=True), {"RMSProp": 1.0, "RMSProp_1": 0.0}),
    Case("rmsprop-centered-momentum", lambda: gn.train.RMSPropOptimizer(LR, decay=0.8, momentum=0.5, centered=True),
         lambda w, s, g, t: rmsprop_ref(w, s, g, t, mu=0.5, centered=True, decay=0.8),
         {"RMSProp": 1.0, "RMSProp_1": 0.0, "RMSProp_2": 0.0}),
    Case("adam", lambda: gn.train.AdamOptimizer(LR), adam_ref, {"Adam": 0.0, "Adam_1": 0.0}),
]

# "big" has more elements than the NumPy update's block (training_ops._BLOCK_BYTES), and a remainder
INITIAL = {"w": np.random.default_rng(0).uniform(-1, 1, (3, 4)), "b": np.random.default_rng(1).uniform(-1, 1, 4),
           "scalar": np.asarray(0.75), "big": np.random.default_rng(3).uniform(-1, 1, (513, 512))}


def build(case, dtype=gn.float32, device=None):
    """Variables w (3x4) and b (4,), gradients fed through placeholders, one apply_gradients op."""
    with gn.device(device):
        variables = {n: gn.Variable(v.astype(dtype.np), name=n) for n, v in INITIAL.items()}
        grads = {n: gn.placeholder(dtype, v.shape, name=f"grad_{n}") for n, v in INITIAL.items()}
    optimizer = case.make()
    train_op = optimizer.apply_gradients([(grads[n], variables[n]) for n in INITIAL])
    return optimizer, variables, grads, train_op


def slot_variables(var_name):
    return {v.op.name[len(var_name) + 1:]: v for v in gn.global_variables() if v.op.name.startswith(var_name + "/")}


def gradient_feeds(dtype, seed=2):
    rng = np.random.default_rng(seed)
    return [{n: rng.normal(size=v.shape).astype(dtype) for n, v in INITIAL.items()} for _ in range(STEPS)]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_updates_match_the_numpy_reference_over_several_steps(case, device):
    optimizer, variables, grads, train_op = build(case, device=device)
    slots = {n: slot_variables(n) for n in INITIAL}
    expected = {n: (INITIAL[n].astype(np.float32).astype(np.float64),
                    {s: np.full(INITIAL[n].shape, init, np.float64) for s, init in case.slots.items()})
                for n in INITIAL}
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        for t, feed in enumerate(gradient_feeds(np.float32), start=1):
            sess.run(train_op, {grads[n]: g for n, g in feed.items()})
            for n, (w, ref_slots) in expected.items():
                expected[n] = (case.reference(w, ref_slots, feed[n].astype(np.float64), t), ref_slots)
            got_vars, got_slots = sess.run(variables), sess.run(slots)
            for n, (w, ref_slots) in expected.items():
                assert got_vars[n].dtype == np.float32
                np.testing.assert_allclose(got_vars[n], w, rtol=2e-5, atol=2e-6, err_msg=f"{case} {n} step {t}")
                for s, value in ref_slots.items():
                    assert got_slots[n][s].dtype == np.float32
                    np.testing.assert_allclose(got_slots[n][s], value, rtol=2e-5, atol=2e-6,
                                               err_msg=f"{case} slot {n}/{s} step {t}")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_slots_are_named_as_tf1_and_start_at_tf1_values(case):
    optimizer, variables, _, _ = build(case)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        for n, var in variables.items():
            slots = slot_variables(n)
            assert sorted(slots) == sorted(case.slots)
            for suffix, slot in slots.items():
                assert not slot.trainable and slot not in gn.trainable_variables()
                assert slot.shape == var.shape and slot.dtype == var.dtype
                np.testing.assert_array_equal(sess.run(slot), np.full(var.shape, case.slots[suffix], np.float32))


@pytest.mark.parametrize("case", CASES, ids=str)
def test_float64_variables_stay_float64(case):
    optimizer, variables, grads, train_op = build(case, dtype=gn.float64)
    expected = {n: (INITIAL[n], {s: np.full(INITIAL[n].shape, init) for s, init in case.slots.items()})
                for n in INITIAL}
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        for t, feed in enumerate(gradient_feeds(np.float64), start=1):
            sess.run(train_op, {grads[n]: g for n, g in feed.items()})
            expected = {n: (case.reference(w, s, feed[n], t), s) for n, (w, s) in expected.items()}
        got = sess.run(variables)
    for n, (w, _) in expected.items():
        assert got[n].dtype == np.float64
        np.testing.assert_allclose(got[n], w, rtol=1e-12, atol=1e-13)


def test_adagrad_initial_accumulator_value_is_used():
    optimizer = gn.train.AdagradOptimizer(0.1, initial_accumulator_value=0.5)
    w = gn.Variable([1.0, 2.0], name="w")
    train_op = optimizer.apply_gradients([(gn.constant([0.5, -1.0]), w)])
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(optimizer.get_slot(w, "accumulator")), [0.5, 0.5])
        sess.run(train_op)
        np.testing.assert_allclose(sess.run(w), [1.0 - 0.1 * 0.5 / np.sqrt(0.75), 2.0 + 0.1 / np.sqrt(1.5)], rtol=1e-6)
    with pytest.raises(ValueError, match="initial_accumulator_value must be positive"):
        gn.train.AdagradOptimizer(0.1, initial_accumulator_value=0.0)


def test_adam_beta_powers_are_non_slot_variables_advanced_after_each_step(device):
    with gn.device(device):
        b = gn.Variable([1.0, 2.0], name="b")
        a = gn.Variable([3.0], name="a")
    optimizer = gn.train.AdamOptimizer(0.1, beta1=0.8, beta2=0.9)
    train_op = optimizer.apply_gradients([(gn.constant([1.0, 1.0]), b), (gn.constant([2.0]), a)])
    powers = [v for v in gn.global_variables() if v.op.name in ("beta1_power", "beta2_power")]
    assert [v.op.name for v in powers] == ["beta1_power", "beta2_power"]
    assert all(not p.trainable and p.device == a.device for p in powers)
    assert optimizer.get_slot(a, "m") is not None and optimizer.get_slot(a, "beta1_power") is None
    assert [v.op.name for v in optimizer.variables()] == ["a/Adam", "a/Adam_1", "b/Adam", "b/Adam_1",
                                                          "beta1_power", "beta2_power"]
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        np.testing.assert_allclose(sess.run(powers), [0.8, 0.9], rtol=1e-7)
        for _ in range(3):
            sess.run(train_op)
        values = sess.run(powers)
        report = sess.placement_report(train_op)
    np.testing.assert_allclose(values, [0.8 ** 4, 0.9 ** 4], rtol=1e-6)
    assert all(v.dtype == np.float32 for v in values)
    # colocated with the first variable by name ("a"), as TF1 does
    assert report.row("beta1_power").reason == "colocated with a"
