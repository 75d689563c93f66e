"""gn.cond and gn.while_loop: values against NumPy, TF1's semantics (only the taken branch runs,
nested structures, shape invariants, maximum_iterations), build-time errors, and the ops inside
running on the devices they were placed on with planned copies."""
import collections

import numpy as np
import pytest

import gpunet as gn

DTYPES = [np.float32, np.float64, np.int32]


def _run(fetches, feed=None, init=(), **config):
    with gn.Session(config=gn.ConfigProto(**config)) as sess:
        for v in init:
            sess.run(v.initializer)
        return sess.run(fetches, feed)


# -- cond: values ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (2, 3)])
def test_cond_takes_one_branch_on_every_device(device, dtype, shape):
    values = np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape) + 1
    with gn.device(device):
        x = gn.placeholder(gn.as_dtype(dtype), shape)
        p = gn.placeholder(gn.bool, [])
        r = gn.cond(p, lambda: x * 2, lambda: x - 1)
    assert r.dtype == gn.as_dtype(dtype) and r.shape == shape
    for pred, want in ((True, values * 2), (False, values - 1)):
        got = _run(r, {x: values, p: pred})
        np.testing.assert_array_equal(got, want)
        assert np.asarray(got).dtype == dtype


def test_cond_names_ops_as_tf1_and_the_construct_is_one_if_op():
    x = gn.constant(1.0, name="x")
    with gn.name_scope("outer"):
        r = gn.cond(x > 0.0, lambda: x * 2.0, lambda: x + 1.0)
    names = {op.name: op.type for op in gn.get_default_graph().get_operations()}
    assert names["outer/cond"] == "If" and r.name == "outer/cond:0"
    assert names["outer/cond/mul"] == "Mul" and names["outer/cond/add"] == "AddV2"


def test_cond_outputs_nested_structures_and_unpacks_singletons():
    x = gn.constant([1.0, 2.0])
    Pair = collections.namedtuple("Pair", "a b")
    p = gn.placeholder(gn.bool, [])
    out = gn.cond(p, lambda: {"s": gn.reduce_sum(x), "t": Pair(x, [x * 2.0])},
                  lambda: {"s": gn.reduce_max(x), "t": Pair(-x, [x * 0.0])})
    assert isinstance(out["t"], Pair) and isinstance(out["t"].b, list)
    got = _run(out, {p: True})
    assert got["s"] == 3.0
    np.testing.assert_array_equal(got["t"].b[0], [2.0, 4.0])
    got = _run(out, {p: False})
    assert got["s"] == 2.0
    np.testing.assert_array_equal(got["t"].a, [-1.0, -2.0])
    single = gn.cond(p, lambda: [x], lambda: [x + 1.0])
    assert isinstance(single, gn.Tensor)
    assert isinstance(gn.cond(p, lambda: [x], lambda: [x + 1.0], strict=True), list)


def test_cond_merges_static_shapes_of_the_branches():
    a = gn.placeholder(gn.float32, [2, 3])
    b = gn.placeholder(gn.float32, [4, 3])
    r = gn.cond(gn.constant(True), lambda: a, lambda: b)
    assert r.shape == (None, 3)
    np.testing.assert_array_equal(_run(r, {a: np.ones((2, 3)), b: np.zeros((4, 3))}), np.ones((2, 3)))


def test_only_the_taken_branch_has_side_effects():
    counter = gn.Variable(0, name="counter")
    calls = []
    p = gn.placeholder(gn.bool, [])

    def taken():
        with gn.control_dependencies([gn.assign_add(counter, 1)]):
            return gn.py_func(lambda: calls.append("true") or np.float32(1), [], gn.float32)

    def other():
        with gn.control_dependencies([gn.assign_add(counter, 100)]):
            return gn.py_func(lambda: calls.append("false") or np.float32(2), [], gn.float32)

    r = gn.cond(p, taken, other)
    with gn.Session() as sess:
        sess.run(counter.initializer)
        assert sess.run(r, {p: True}) == 1.0
        assert sess.run(counter) == 1 and calls == ["true"]
        assert sess.run(r, {p: False}) == 2.0
        assert sess.run(counter) == 101 and calls == ["true", "false"]


def test_ops_a_branch_creates_but_does_not_use_do_not_run():
    counter = gn.Variable(0, name="counter")
    p = gn.placeholder(gn.bool, [])

    def branch():
        gn.assign_add(counter, 1)  # not an output nor a control dependency: never runs, as in TF1
        return gn.constant(1)

    r = gn.cond(p, branch, branch)
    with gn.Session() as sess:
        sess.run(counter.initializer)
        sess.run(r, {p: True})
        assert sess.run(counter) == 0


def test_outer_control_dependencies_run_once_before_the_cond():
    v = gn.Variable(1.0, name="v")
    p = gn.placeholder(gn.bool, [])
    with gn.control_dependencies([gn.assign(v, 5.0)]):
        r = gn.cond(p, lambda: v.read_value() * 2.0, lambda: gn.constant(0.0))
    assert r.op.control_inputs and r.op.control_inputs[0].type == "Assign"
    assert all(not op.control_inputs for op in gn.get_default_graph().get_operations() if op.name.startswith("cond/"))
    with gn.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(r, {p: True}) == 10.0


def test_nested_conds_and_captured_tensors():
    x = gn.placeholder(gn.float32, [])
    y = gn.constant(10.0)
    r = gn.cond(x > 0.0, lambda: gn.cond(x > 5.0, lambda: x * y, lambda: x + y), lambda: -x)
    for value, want in ((7.0, 70.0), (2.0, 12.0), (-3.0, 3.0)):
        assert _run(r, {x: value}) == want


def test_a_branch_may_return_an_operation():
    v = gn.Variable(0.0)
    p = gn.placeholder(gn.bool, [])
    r = gn.cond(p, lambda: gn.assign_add(v, 1.0).op, lambda: gn.no_op())
    with gn.Session() as sess:
        sess.run(v.initializer)
        sess.run(r, {p: True})
        sess.run(r, {p: False})
        assert sess.run(v) == 1.0


# -- cond: errors ---------------------------------------------------------------------------------
def test_cond_rejects_bad_predicates():
    x = gn.constant(1.0)
    with pytest.raises(TypeError, match="pred must not be a Python bool"):
        gn.cond(True, lambda: x, lambda: x)
    with pytest.raises(TypeError, match="boolean scalar tensor, got Const_1:0 of dtype float32"):
        gn.cond(gn.constant(1.0), lambda: x, lambda: x)
    with pytest.raises(ValueError, match=r"pred must be a scalar \(shape \(\)\), got .* of shape \(2,\)"):
        gn.cond(gn.constant([True, False]), lambda: x, lambda: x)
    with pytest.raises(TypeError, match="false_fn must be callable"):
        gn.cond(gn.constant(True), lambda: x, x)


def test_a_non_scalar_predicate_at_run_time_is_an_invalid_argument():
    p = gn.placeholder(gn.bool)
    r = gn.cond(p, lambda: gn.constant(1), lambda: gn.constant(2))
    with pytest.raises(gn.errors.InvalidArgumentError, match=r"predicate of cond must be a scalar.*\[2\]"):
        _run(r, {p: [True, False]})


def test_mismatched_branches_name_both():
    x = gn.constant(1.0, name="x")
    p = gn.constant(True)
    with pytest.raises(ValueError, match=r"Incompatible return values of true_fn and false_fn(.|\n)*"
                                         r"First structure: \[x:0, x:0\](.|\n)*Second structure: x:0"):
        gn.cond(p, lambda: [x, x], lambda: x)
    with pytest.raises(ValueError, match=r"same type: float32, int32 \(output 0: cond_1/Identity:0 from true_fn, "
                                         r"cond_1/Const:0 from false_fn\)"):
        gn.cond(p, lambda: gn.identity(x), lambda: gn.constant(1))
    with pytest.raises(ValueError, match="true_fn must have a return value"):
        gn.cond(p, lambda: None, lambda: x)


def test_a_tensor_made_inside_a_branch_cannot_be_fetched_from_outside():
    x = gn.placeholder(gn.float32, [])
    inside = []
    gn.cond(x > 0.0, lambda: inside.append(x * 3.0) or inside[0], lambda: x)
    with pytest.raises(gn.errors.InvalidArgumentError, match="cond/mul was created inside the branch of cond 'cond'"):
        _run(inside[0], {x: 1.0})
    with pytest.raises(gn.errors.InvalidArgumentError, match="cond/mul was created inside"):
        _run(inside[0] + 1.0, {x: 1.0})


def test_a_variable_created_inside_a_branch_lives_outside_it_as_in_tf1():
    p = gn.placeholder(gn.bool, [])
    r = gn.cond(p, lambda: gn.Variable(7.0, name="v").value() * 2.0, lambda: gn.constant(0.0))
    (v,) = gn.global_variables()
    assert v.name == "cond/v:0" and not hasattr(v.op, "_control_flow_context")
    with gn.Session() as sess:
        sess.run(v.initializer)  # runnable from outside: it is not part of the branch
        assert sess.run(r, {p: True}) == 14.0 and sess.run(r, {p: False}) == 0.0


# -- while_loop: values -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_while_loop_matches_numpy_on_every_device(device, dtype):
    with gn.device(device):
        x = gn.placeholder(gn.as_dtype(dtype), [3])
        n = gn.placeholder(gn.int32, [])
        i, y = gn.while_loop(lambda i, y: i < n, lambda i, y: (i + 1, y * x), [0, gn.ones_like(x)])
    values = np.array([1, 2, 3], dtype=dtype)
    for count in (0, 1, 4):
        got_i, got_y = _run([i, y], {x: values, n: count})
        assert got_i == count and got_y.dtype == dtype
        np.testing.assert_array_equal(got_y, values ** count)


def test_while_names_ops_as_tf1():
    r = gn.while_loop(lambda v: v < 10.0, lambda v: v * 2.0, [gn.constant(1.0)])
    types = {op.name: op.type for op in gn.get_default_graph().get_operations()}
    assert types["while"] == "While" and r.name == "while:0"
    assert types["while/Identity"] == "LoopVar" and types["while/mul"] == "Mul" and types["while/Less"] == "Less"
    assert _run(r) == 16.0


def test_a_single_loop_variable_comes_back_alone_unless_the_same_structure_is_asked():
    r = gn.while_loop(lambda v: v < 3, lambda v: v + 1, [0])
    assert isinstance(r, gn.Tensor) and _run(r) == 3
    same = gn.while_loop(lambda v: v < 3, lambda v: [v + 1], [0], return_same_structure=True)
    assert isinstance(same, list) and _run(same) == [3]


def test_nested_structures_as_loop_variables():
    State = collections.namedtuple("State", "step acc")
    start = State(gn.constant(0), {"sum": gn.constant(0.0), "items": (gn.constant(1.0), gn.constant(2.0))})

    def body(s):
        return [State(s.step + 1, {"sum": s.acc["sum"] + s.acc["items"][0],
                                   "items": (s.acc["items"][1], s.acc["items"][0] + s.acc["items"][1])})]

    (out,) = gn.while_loop(lambda s: s.step < 5, body, [start])
    assert isinstance(out, State) and isinstance(out.acc["items"], tuple)
    got = _run(out)
    assert got.step == 5 and got.acc["sum"] == 1 + 2 + 3 + 5 + 8 and got.acc["items"] == (13.0, 21.0)


def test_maximum_iterations_as_a_number_or_a_tensor():
    forever = lambda v: v < 100
    r = gn.while_loop(forever, lambda v: v + 1, [0], maximum_iterations=7)
    m = gn.placeholder(gn.int32, [])
    t = gn.while_loop(forever, lambda v: v + 1, [0], maximum_iterations=m)
    assert _run(r) == 7
    assert _run(t, {m: 0}) == 0 and _run(t, {m: 3}) == 3 and _run(t, {m: 500}) == 100


def test_shape_invariants_let_a_loop_variable_grow():
    x = gn.constant([[1.0, 2.0]])
    _, acc = gn.while_loop(lambda i, acc: i < 3, lambda i, acc: (i + 1, gn.concat([acc, acc * 2.0], 0)),
                           [0, x], shape_invariants=[gn.TensorShape([]), gn.TensorShape([None, 2])])
    assert acc.shape == (None, 2)
    got = _run(acc)
    assert got.shape == (8, 2)
    np.testing.assert_array_equal(got[:, 0], [1, 2, 2, 4, 2, 4, 4, 8])


def test_side_effects_in_a_body_run_once_per_iteration():
    counter = gn.Variable(0, name="counter")

    def body(i):
        with gn.control_dependencies([gn.assign_add(counter, 1)]):
            return i + 1

    r = gn.while_loop(lambda i: i < 4, body, [0])
    with gn.Session() as sess:
        sess.run(counter.initializer)
        assert sess.run(r) == 4 and sess.run(counter) == 4


def test_while_in_while_and_cond_in_while():
    n = gn.placeholder(gn.int32, [])

    def outer_body(i, total):
        inner = gn.while_loop(lambda j, s: j < i, lambda j, s: (j + 1, s + j), [0, 0])[1]
        return i + 1, total + gn.cond(gn.equal(i % 2, 0), lambda: inner, lambda: -inner)

    _, total = gn.while_loop(lambda i, t: i < n, outer_body, [0, 0])
    want = sum((1 if i % 2 == 0 else -1) * sum(range(i)) for i in range(6))
    assert _run(total, {n: 6}) == want


# -- while_loop: errors --------------------------------------------------------------------------
def test_a_loop_variable_whose_shape_changes_needs_a_shape_invariant():
    x = gn.constant([1.0], name="x")
    with pytest.raises(ValueError, match=r"Input tensor 'x:0' enters the loop with shape \(1,\), but has shape "
                                         r"\(2,\) after one iteration. To allow the shape to vary"):
        gn.while_loop(lambda v: gn.reduce_sum(v) < 10.0, lambda v: gn.concat([v, v], 0), [x])
    with pytest.raises(ValueError, match=r"The shape invariant specified for x:0 is not compatible with the initial "
                                         r"shape of the loop variable. It enters the loop with shape \(1,\), but the "
                                         r"specified shape invariant is \(2,\)."):
        gn.while_loop(lambda v: True, lambda v: v, [x], shape_invariants=[gn.TensorShape([2])])


def test_while_loop_argument_errors():
    x = gn.constant(1.0, name="x")
    with pytest.raises(TypeError, match=r"Loop variable x:0 enters the loop with type float32, but the body "
                                        r"returns .* of type int32"):
        gn.while_loop(lambda v: v < 2.0, lambda v: gn.constant(1), [x])
    with pytest.raises(ValueError, match="must return the structure of loop_vars"):
        gn.while_loop(lambda a, b: a < 2.0, lambda a, b: (a,), [x, x])
    with pytest.raises(TypeError, match="cond must return a boolean scalar"):
        gn.while_loop(lambda v: v, lambda v: v, [x])
    with pytest.raises(TypeError, match="body must be callable"):
        gn.while_loop(lambda v: v < 2.0, None, [x])
    with pytest.raises(ValueError, match="No loop variables provided"):
        gn.while_loop(lambda: True, list, [])
    with pytest.raises(ValueError, match="maximum_iterations must be an integer scalar"):
        gn.while_loop(lambda v: v < 2.0, lambda v: v, [x], maximum_iterations=2.5)


def test_layer_weights_made_on_the_first_call_inside_a_body_are_created_once_and_train():
    x = gn.placeholder(gn.float32, [4, 2, 3])

    def body(t, h):
        with gn.variable_scope("cell", reuse=gn.AUTO_REUSE):
            w = gn.get_variable("w", [8, 5], initializer=gn.glorot_uniform_initializer(seed=1))
        return t + 1, gn.tanh(gn.matmul(gn.concat([gn.gather(x, t), h], 1), w))

    _, h = gn.while_loop(lambda t, h: t < 4, body, [0, gn.zeros([2, 5])])
    loss = gn.reduce_mean(gn.square(h - 0.5))
    train = gn.train.GradientDescentOptimizer(0.5).minimize(loss)
    assert [v.name for v in gn.global_variables()] == ["cell/w:0"]
    value = np.random.default_rng(0).normal(size=(4, 2, 3))
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        losses = [sess.run([train, loss], {x: value})[1] for _ in range(5)]
    assert losses[-1] < 0.5 * losses[0]


def test_a_variable_initialized_from_a_loop_variable_is_refused_as_in_tf1():
    with pytest.raises(ValueError, match="Initializer for variable while/v is from inside a control-flow construct"):
        gn.while_loop(lambda v: v < 3.0, lambda v: gn.Variable(v * 2.0, name="v").value(), [gn.constant(1.0)])


def test_a_tensor_made_inside_a_loop_cannot_be_used_outside():
    inside = []

    def body(v):
        inside.append(v * 2.0)
        return inside[0]

    gn.while_loop(lambda v: v < 10.0, body, [gn.constant(1.0)])
    with pytest.raises(gn.errors.InvalidArgumentError, match="while/mul was created inside the while loop 'while'"):
        _run(inside[0])
