"""use_locking=True serialises the updates of a variable across threads sharing one session;
the default stays lock-free (Hogwild) and builds no locked kernels."""
import threading

import numpy as np
import pytest

import gpunet as gn

THREADS, STEPS = 8, 250


def _hammer(sess, op, feed=None):
    errors = []

    def work():
        try:
            for _ in range(STEPS):
                sess.run(op, feed)
        except Exception as exc:  # surfaced in the main thread
            errors.append(exc)
    workers = [threading.Thread(target=work) for _ in range(THREADS)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert errors == []


@pytest.mark.parametrize("size", [1, 200_000])  # large arrays: NumPy releases the GIL inside the update
def test_locked_assign_add_loses_no_update(size, device):
    with gn.device(device):
        counter = gn.Variable(np.zeros(size, np.float32), name="counter")
        bump = counter.assign_add(np.ones(size, np.float32), use_locking=True, read_value=False)
    with gn.Session() as sess:
        sess.run(counter.initializer)
        _hammer(sess, bump)
        assert (sess.run(counter) == THREADS * STEPS).all()


def test_locked_assign_sub_and_module_functions():
    v = gn.Variable(np.full(100_000, 2000.0, np.float32), name="v")
    down = gn.assign_sub(v, np.ones(100_000, np.float32), use_locking=True)
    with gn.Session() as sess:
        sess.run(v.initializer)
        _hammer(sess, down.op)
        assert (sess.run(v) == 0.0).all()


@pytest.mark.parametrize("make", [lambda: gn.train.GradientDescentOptimizer(0.001, use_locking=True),
                                  lambda: gn.train.MomentumOptimizer(0.001, 0.0, use_locking=True),
                                  lambda: gn.train.ProximalGradientDescentOptimizer(0.001, use_locking=True)])
def test_locked_optimizer_loses_no_update(make):
    """loss = sum(w * c) has the constant gradient c, so every applied step moves w by lr * c."""
    w = gn.Variable(np.zeros(200_000, np.float32), name="w")
    train = make().minimize(gn.reduce_sum(w * np.full(200_000, -1.0, np.float32)))
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        _hammer(sess, train)
        np.testing.assert_allclose(sess.run(w), np.full(200_000, 0.001 * THREADS * STEPS), rtol=1e-4)


def test_use_locking_is_an_attribute_of_the_update_ops():
    v = gn.Variable(1.0, name="v")
    assert v.assign(2.0).op.get_attr("use_locking") is False  # Variable methods: lock-free by default
    assert v.assign_add(2.0, use_locking=True).op.get_attr("use_locking") is True
    assert gn.assign(v, 3.0).op.get_attr("use_locking") is True  # TF1's Assign op locks by default
    assert gn.assign_add(v, 3.0).op.get_attr("use_locking") is False
    gn.train.AdamOptimizer(use_locking=True).minimize(v * v)
    updates = [op for op in gn.get_default_graph().get_operations() if op.type in ("ApplyAdam", "Assign")
               and op.name.startswith("Adam")]
    assert len(updates) == 3 and all(op.get_attr("use_locking") for op in updates)  # the update, beta1/2 powers
