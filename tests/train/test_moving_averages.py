"""gn.train.ExponentialMovingAverage against TF1's update rule computed in NumPy."""
import numpy as np
import pytest

import gpunet as gn


def test_shadows_are_named_colocated_and_follow_the_rule(device):
    with gn.device(device):
        w = gn.Variable([1.0, 2.0], name="w")
        b = gn.Variable(5.0, name="b")
    ema = gn.train.ExponentialMovingAverage(0.9)
    update = ema.apply([w, b])
    shadow = ema.average(w)
    assert shadow.op.name == "w/ExponentialMovingAverage" == ema.average_name(w) and not shadow.trainable
    assert shadow.device == w.device and ema.average(b).op.name == "b/ExponentialMovingAverage"
    assert shadow not in gn.trainable_variables() and w in gn.get_collection(gn.GraphKeys.MOVING_AVERAGE_VARIABLES)
    assert ema.average(gn.Variable(0.0)) is None
    step = w.assign_add([1.0, -1.0])
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        expected = np.array([1.0, 2.0])
        np.testing.assert_allclose(sess.run(shadow), expected)  # starts at the variable's initial value
        for _ in range(4):
            value = sess.run(step)
            sess.run(update)
            expected -= (expected - value) * (1 - 0.9)
            np.testing.assert_allclose(sess.run(shadow), expected, rtol=1e-6)
        assert sess.run(ema.average(b)) == pytest.approx(5.0)
        report = sess.placement_report(update)
    assert report.row("w/ExponentialMovingAverage").assigned == report.row("w").assigned


def test_num_updates_caps_the_decay():
    step = gn.Variable(0, name="step", dtype=gn.int64, trainable=False)
    w = gn.Variable(0.0, name="w")
    ema = gn.train.ExponentialMovingAverage(0.999, num_updates=step)
    update = ema.apply()  # the trainable variables
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        expected = 0.0
        for n in range(5):
            sess.run([w.assign(float(n + 1)), step.assign(n)])
            sess.run(update)
            decay = min(0.999, (1 + n) / (10 + n))
            expected -= (expected - (n + 1)) * (1 - decay)
            assert sess.run(ema.average(w)) == pytest.approx(expected, rel=1e-6)


def test_zero_debias_of_a_tensor():
    x = gn.placeholder(gn.float32, [2], name="x")
    ema = gn.train.ExponentialMovingAverage(0.5, zero_debias=True)
    update = ema.apply([x])
    biased, expected = np.zeros(2), None
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        for t, value in enumerate(([2.0, 4.0], [6.0, 0.0], [1.0, 1.0]), start=1):
            sess.run(update, {x: value})
            biased -= (biased - np.array(value)) * 0.5
            expected = biased / (1 - 0.5 ** t)
            np.testing.assert_allclose(sess.run(ema.average(x)), expected, rtol=1e-6)
    assert ema.average(x).op.name == "x/ExponentialMovingAverage"
    assert gn.get_collection(gn.GraphKeys.MOVING_AVERAGE_VARIABLES) == []  # tensors are not collected, as TF1
    assert sorted(ema.variables_to_restore()) == ["x/ExponentialMovingAverage", "x/ExponentialMovingAverage/biased",
                                                   "x/ExponentialMovingAverage/local_step"]


def test_variables_to_restore_maps_shadow_names_to_variables():
    w = gn.Variable(1.0, name="w")
    other = gn.Variable(2.0, name="other", trainable=False)
    ema = gn.train.ExponentialMovingAverage(0.9)
    ema.apply([w])
    assert ema.variables_to_restore() == {"w/ExponentialMovingAverage": w, "other": other}


def test_bad_uses_are_refused():
    i = gn.Variable(1, name="i")
    w = gn.Variable(1.0, name="w")
    ema = gn.train.ExponentialMovingAverage(0.9)
    with pytest.raises(TypeError, match="must be half, float, or double: i:0"):
        ema.apply([i])
    ema.apply([w])
    with pytest.raises(ValueError, match="Moving average already computed for: w"):
        ema.apply([w])
    with pytest.raises(ValueError, match="fully defined shape"):
        gn.train.ExponentialMovingAverage(0.9).apply([gn.placeholder(gn.float32, [None])])
