"""gn.train learning-rate schedules: graph ops of the global step, checked at several steps
against TF1's formulas written in NumPy."""
import math

import numpy as np
import pytest

import gpunet as gn

STEPS = [0, 1, 5, 9, 10, 11, 25, 100]


def _exponential(step, staircase):
    p = step / 10
    return 0.1 * 0.5 ** (math.floor(p) if staircase else p)


def _natural_exp(step, staircase):
    p = step / 10
    return 0.1 * math.exp(-0.5 * (math.floor(p) if staircase else p))


def _inverse_time(step, staircase):
    p = step / 10
    return 0.1 / (1 + 0.5 * (math.floor(p) if staircase else p))


def _polynomial(step, cycle, power):
    steps = 10
    if cycle:
        steps = 10 * max(math.ceil(step / 10), 1)
    else:
        step = min(step, 10)
    return (0.1 - 0.001) * (1 - step / steps) ** power + 0.001


def _cosine(step, alpha):
    step = min(step, 10)
    return 0.1 * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * step / 10)) + alpha)


def _piecewise(step):
    return 1.0 if step <= 3 else 0.5 if step <= 6 else 0.1


SCHEDULES = [
    pytest.param(lambda gs: gn.train.exponential_decay(0.1, gs, 10, 0.5), lambda s: _exponential(s, False),
                 id="exponential"),
    pytest.param(lambda gs: gn.train.exponential_decay(0.1, gs, 10, 0.5, staircase=True),
                 lambda s: _exponential(s, True), id="exponential-staircase"),
    pytest.param(lambda gs: gn.train.natural_exp_decay(0.1, gs, 10, 0.5), lambda s: _natural_exp(s, False),
                 id="natural_exp"),
    pytest.param(lambda gs: gn.train.natural_exp_decay(0.1, gs, 10, 0.5, staircase=True),
                 lambda s: _natural_exp(s, True), id="natural_exp-staircase"),
    pytest.param(lambda gs: gn.train.inverse_time_decay(0.1, gs, 10, 0.5), lambda s: _inverse_time(s, False),
                 id="inverse_time"),
    pytest.param(lambda gs: gn.train.inverse_time_decay(0.1, gs, 10, 0.5, staircase=True),
                 lambda s: _inverse_time(s, True), id="inverse_time-staircase"),
    pytest.param(lambda gs: gn.train.polynomial_decay(0.1, gs, 10, 0.001), lambda s: _polynomial(s, False, 1.0),
                 id="polynomial"),
    pytest.param(lambda gs: gn.train.polynomial_decay(0.1, gs, 10, 0.001, power=2.0, cycle=True),
                 lambda s: _polynomial(s, True, 2.0), id="polynomial-cycle-power2"),
    pytest.param(lambda gs: gn.train.polynomial_decay(0.1, gs, 10, 0.001, power=0.5),
                 lambda s: _polynomial(s, False, 0.5), id="polynomial-power0.5"),
    pytest.param(lambda gs: gn.train.cosine_decay(0.1, gs, 10), lambda s: _cosine(s, 0.0), id="cosine"),
    pytest.param(lambda gs: gn.train.cosine_decay(0.1, gs, 10, alpha=0.2), lambda s: _cosine(s, 0.2),
                 id="cosine-alpha"),
    pytest.param(lambda gs: gn.train.piecewise_constant(gs, [3, 6], [1.0, 0.5, 0.1]), _piecewise, id="piecewise"),
]


@pytest.mark.parametrize("build, formula", SCHEDULES)
def test_schedule_follows_the_global_step(build, formula, device):
    with gn.device(device):
        step = gn.train.get_or_create_global_step()
        lr = build(step)
        set_step = step.assign(gn.placeholder(gn.int64, [], name="new_step"))
    assert lr.dtype == gn.float32 and lr.shape == []
    with gn.Session(config=gn.ConfigProto(allow_soft_placement=True)) as sess:
        sess.run(step.initializer)
        for s in STEPS:
            sess.run(set_step, {"new_step:0": s})
            got = sess.run(lr)
            assert got.dtype == np.float32
            np.testing.assert_allclose(got, formula(s), rtol=1e-6, err_msg=f"step {s}")


def test_a_training_loop_sees_the_rate_drop():
    step = gn.train.get_or_create_global_step()
    w = gn.Variable(0.0)
    lr = gn.train.exponential_decay(1.0, step, 2, 0.5, staircase=True)
    train = gn.train.GradientDescentOptimizer(lr).minimize(-w, global_step=step)  # d(-w)/dw = -1: w += lr
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        for _ in range(5):
            sess.run(train)
        assert sess.run(w) == pytest.approx(1 + 1 + 0.5 + 0.5 + 0.25)


def test_float64_learning_rate_stays_float64():
    step = gn.train.get_or_create_global_step()
    lr = gn.train.exponential_decay(np.float64(0.1), step, 10, 0.5)
    assert lr.dtype == gn.float64


def test_schedules_check_their_arguments():
    with pytest.raises(ValueError, match="global_step is required for exponential_decay"):
        gn.train.exponential_decay(0.1, None, 10, 0.5)
    with pytest.raises(ValueError, match="global_step is required for cosine_decay"):
        gn.train.cosine_decay(0.1, None, 10)
    with pytest.raises(ValueError, match="length of boundaries \\(2\\) should be 1 less"):
        gn.train.piecewise_constant(gn.constant(1), [1, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="same dtype"):
        gn.train.piecewise_constant(gn.constant(1), [1], [0.1, np.float64(0.2)])
    with pytest.raises(TypeError, match="learning_rate must be a float"):
        gn.train.exponential_decay(1, gn.constant(1), 10, 0.5)
