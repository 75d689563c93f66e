"""Ops of two graphs are never tied together: control dependencies, colocation, group,
gradients and op inputs that mix graphs raise ValueError naming both graphs, as TF1."""
import re

import pytest

import gpunet as gn


@pytest.fixture
def two_graphs():
    g1, g2 = gn.Graph(), gn.Graph()
    with g1.as_default():
        a = gn.constant(1.0, name="a")
        v = gn.Variable(1.0, name="v")
    with g2.as_default():
        b = gn.constant(2.0, name="b")
    return g1, g2, a, b, v


def _both_graphs(g1, g2):
    return re.escape(f"(graphs are {g1!r} and {g2!r})")


def test_control_dependencies_across_graphs(two_graphs):
    g1, g2, a, b, v = two_graphs
    with g2.as_default():
        for control in ([a], [a.op], [v]):
            with pytest.raises(ValueError, match="must be from the same graph") as info:
                with gn.control_dependencies(control):
                    gn.identity(b)
            assert re.search(_both_graphs(g1, g2), str(info.value))
        with gn.control_dependencies([b]):  # its own graph: fine
            gn.identity(b)


def test_colocate_with_across_graphs(two_graphs):
    g1, g2, a, b, v = two_graphs
    with g2.as_default():
        with pytest.raises(ValueError, match="colocate_with: .*must be from the same graph.*" + _both_graphs(g1, g2)):
            with gn.colocate_with(a):
                gn.identity(b)


def test_group_across_graphs(two_graphs):
    g1, g2, a, b, v = two_graphs
    with pytest.raises(ValueError, match=r'"b" type=Const> must be from the same graph as .*"a" type=Const> ' +
                       _both_graphs(g2, g1)):
        gn.group(a, b)


@pytest.mark.parametrize("ys, xs", [("b", "a"), ("a", "b"), ("a", "v_and_b")])
def test_gradients_across_graphs(two_graphs, ys, xs):
    g1, g2, a, b, v = two_graphs
    pick = {"a": a, "b": b, "v_and_b": [v, b]}
    with pytest.raises(ValueError, match="must be from the same graph as"):
        gn.gradients(pick[ys], pick[xs])


def test_gradients_with_grad_ys_of_another_graph(two_graphs):
    g1, g2, a, b, v = two_graphs
    with g1.as_default():
        y = a * 2.0
    with pytest.raises(ValueError, match="must be from the same graph as"):
        gn.gradients(y, a, grad_ys=b)


def test_op_inputs_across_graphs_name_both_graphs(two_graphs):
    g1, g2, a, b, v = two_graphs
    with pytest.raises(ValueError, match="must be from the same graph as the op 'Add' being created " +
                       _both_graphs(g2, g1)):
        with g1.as_default():
            gn.add(a, b)
