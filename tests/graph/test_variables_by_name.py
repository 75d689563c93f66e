"""Variables by name, as TF1: ``sess.run('w:0')``, feeding a variable's tensor, gradients through
every read of a variable."""
import numpy as np
import pytest

import gpunet as gn


@pytest.fixture
def w(device):
    with gn.device(device):
        return gn.Variable(np.array([1.0, 2.0], np.float32), name="w")


def test_fetch_a_variable_by_name_or_tensor(w):
    graph = gn.get_default_graph()
    assert graph.get_tensor_by_name("w:0").name == w.name == "w:0"
    with gn.Session() as sess:
        sess.run(w.initializer)
        for fetch in (w, w.name, "w:0", graph.get_tensor_by_name("w:0"), "w/read:0"):
            value = sess.run(fetch)
            assert isinstance(value, np.ndarray) and value.dtype == np.float32 and value.tolist() == [1.0, 2.0]
        fetched = sess.run("w:0")
        fetched[0] = 99.0  # the caller owns the result: the variable is unchanged
        assert sess.run([w.name, {"v": "w:0"}]) == [pytest.approx([1.0, 2.0]), {"v": pytest.approx([1.0, 2.0])}]


def test_fetching_an_uninitialized_variable_by_name_names_it(w):
    with gn.Session() as sess:
        with pytest.raises(gn.errors.FailedPreconditionError, match="uninitialized value w"):
            sess.run("w:0")


def test_feeding_a_variable_overrides_every_read_for_that_run(w):
    doubled = [w * 2.0, w.read_value() * 2.0, w.value() * 2.0, gn.identity(w) * 2.0]
    with gn.Session() as sess:
        sess.run(w.initializer)
        for key in (w, "w:0", w.name):
            got = sess.run(doubled + ["w:0"], {key: [5.0, 6.0]})
            assert [g.tolist() for g in got] == [[10.0, 12.0]] * 4 + [[5.0, 6.0]]
        assert sess.run(w).tolist() == [1.0, 2.0]  # the feed changed nothing
        assert sess.run(w.initialized_value(), {"w:0": [3.0, 4.0]}).tolist() == [3.0, 4.0]


def test_feeding_a_variable_checks_shape_and_dtype(w):
    with gn.Session() as sess:
        sess.run(w.initializer)
        with pytest.raises(gn.errors.InvalidArgumentError, match=r"Cannot feed value of shape \(3,\) for Tensor w:0"):
            sess.run(w * 2.0, {"w:0": [1.0, 2.0, 3.0]})


@pytest.mark.parametrize("update", [lambda v: v.assign([0.0, 0.0]), lambda v: v.assign_add([1.0, 1.0]),
                                    lambda v: gn.train.GradientDescentOptimizer(0.1).minimize(gn.reduce_sum(v * v))])
def test_feeding_a_variable_that_the_run_updates_is_refused(w, update):
    op = update(w)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        with pytest.raises(gn.errors.InvalidArgumentError, match="Cannot feed variable tensor w:0 while"):
            sess.run(op, {"w:0": [5.0, 6.0]})
        assert sess.run(w).tolist() == [1.0, 2.0]


READS = [
    pytest.param(lambda v: v, id="variable"), pytest.param(lambda v: v.read_value(), id="read_value"),
    pytest.param(lambda v: v.value(), id="value"), pytest.param(lambda v: v + 0, id="plus-zero"),
    pytest.param(lambda v: gn.identity(v), id="identity"),
]


@pytest.mark.parametrize("read", READS)
def test_gradients_flow_through_every_read(read):
    v = gn.Variable(np.array([1.0, 2.0], np.float32), name="v")
    loss = gn.reduce_sum(read(v) * np.array([3.0, 5.0], np.float32))
    grad = gn.gradients(loss, v)[0]
    with gn.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(grad).tolist() == [3.0, 5.0]


def test_gradients_of_several_reads_add_up():
    v = gn.Variable(2.0, name="v")
    loss = v.read_value() * 3.0 + v * v + gn.identity(v.value())
    grad = gn.gradients(loss, [v])[0]
    with gn.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(grad) == pytest.approx(3.0 + 2 * 2.0 + 1.0)
        by_name = gn.get_default_graph().get_tensor_by_name("v:0")
        assert sess.run(gn.gradients(loss, by_name)[0]) == pytest.approx(8.0)
