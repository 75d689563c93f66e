"""A variable's own tensor (``get_tensor_by_name('w:0')``, ``v._as_graph_element()``) used where an op
takes a value: the op reads the variable, as TF1 converts a ref to its value. Only the ops declared
``takes_refs`` (assigns, optimizer updates, the initialization checks, control flow) see the VarSlot."""
import numpy as np
import pytest

import gpunet as gn
from gpunet.graph.registry import registered_ops

W = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]], np.float32)

# consumer -> (build from the ref tensor, NumPy reference on W)
CONSUMERS = {
    "Mul": (lambda t: t * 2.0, lambda w: w * 2),
    "RMul": (lambda t: 2.0 * t, lambda w: w * 2),
    "AddV2-of-two-refs": (lambda t: t + t, lambda w: w + w),
    "MatMul": (lambda t: gn.matmul(gn.constant(np.ones((4, 2), np.float32)), t), lambda w: np.ones((4, 2)) @ w),
    "Identity": (gn.identity, lambda w: w),
    "ReduceSum": (lambda t: gn.reduce_sum(t, 1), lambda w: w.sum(1)),
    "Relu": (gn.nn.relu, lambda w: np.maximum(w, 0)),
    "Transpose": (gn.transpose, lambda w: w.T),
    "ConcatV2": (lambda t: gn.concat([t, t], 0), lambda w: np.concatenate([w, w])),
    "GatherV2": (lambda t: gn.gather(t, [1, 0]), lambda w: w[[1, 0]]),
    "Slice": (lambda t: t[1:, ::2], lambda w: w[1:, ::2]),
    "Shape": (gn.shape, lambda w: np.array(w.shape, np.int32)),
    "Cast": (lambda t: gn.cast(t, gn.int32), lambda w: w.astype(np.int32)),
    "Cond": (lambda t: gn.cond(gn.constant(True), lambda: t * 3.0, lambda: t), lambda w: w * 3),
    "Cond-returns-the-ref": (lambda t: gn.cond(gn.constant(False), lambda: t * 3.0, lambda: t), lambda w: w),
    "While-loop-var": (lambda t: gn.while_loop(lambda x: gn.reduce_max(x) < 20.0, lambda x: x * 2.0, [t]),
                       lambda w: w * 2 ** max(0, np.ceil(np.log2(20 / w.max())))),
    "While-body-returns-the-ref": (lambda t: gn.while_loop(lambda i, x: i < 2, lambda i, x: (i + 1, t),
                                                           [0, gn.zeros_like(t)])[1], lambda w: w),
}


def _ref(device):
    with gn.device(device):
        v = gn.Variable(W, name="w")
    return v, gn.get_default_graph().get_tensor_by_name("w:0")


@pytest.mark.parametrize("consumer", sorted(CONSUMERS))
def test_an_op_taking_a_value_reads_the_variable(consumer, device):
    build, reference = CONSUMERS[consumer]
    v, ref = _ref(device)
    assert ref.op.type == "VariableV2"
    with gn.device(device):
        out = build(ref)
    with gn.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_allclose(sess.run(out), reference(W.astype(np.float64)), rtol=1e-6)
        sess.run(v.assign(W * 10))  # the read happens at run time, not when the graph was built
        np.testing.assert_allclose(sess.run(out), reference(W.astype(np.float64) * 10), rtol=1e-5)


def test_the_read_is_placed_with_the_variable_and_copied_to_the_consumer(vgpus):
    with gn.device("/cpu:0"):
        v = gn.Variable(W, name="w")
    with gn.device("/gpu:1"):
        out = gn.get_default_graph().get_tensor_by_name("w:0") * 2.0
    reads = [op for op in gn.get_default_graph().get_operations()
             if op.type == "ReadVariable" and op is not v.value().op]
    assert [r.inputs[0].name for r in reads] == ["w:0"]
    with gn.Session() as sess:
        sess.run(v.initializer)
        report = sess.placement_report(out)
        placed = {r.op: r.assigned for r in report.rows}
        np.testing.assert_allclose(sess.run(out), W * 2)
    assert placed[reads[0].name].endswith("CPU:0") and placed[out.op.name].endswith("GPU:1")


def test_gradients_flow_through_the_read_to_the_variable(device):
    v, ref = _ref(device)
    with gn.device(device):
        loss = gn.reduce_sum(ref * ref)
        grad_ref, grad_v = gn.gradients(loss, [ref, v])
    with gn.Session() as sess:
        sess.run(v.initializer)
        got_ref, got_v = sess.run([grad_ref, grad_v])
    np.testing.assert_allclose(got_ref, 2 * W)
    np.testing.assert_allclose(got_v, 2 * W)


def test_an_optimizer_step_on_a_loss_of_the_ref_updates_the_variable(device):
    v, ref = _ref(device)
    with gn.device(device):
        step = gn.train.GradientDescentOptimizer(0.25).minimize(gn.reduce_sum(ref * 2.0), var_list=[v])
    with gn.Session() as sess:
        sess.run(v.initializer)
        sess.run(step)
        np.testing.assert_allclose(sess.run(v), W - 0.5)


def test_feeding_the_ref_overrides_the_read_made_for_an_op(device):
    v, ref = _ref(device)
    with gn.device(device):
        out = ref * 2.0
    with gn.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_allclose(sess.run(out, {"w:0": np.ones((2, 3), np.float32)}), 2.0)


def test_uninitialized_variable_read_for_an_op_names_the_variable(device):
    _, ref = _ref(device)
    out = ref + 1.0
    with gn.Session() as sess:
        with pytest.raises(gn.errors.FailedPreconditionError, match="uninitialized value w"):
            sess.run(out)


def test_the_ops_that_take_refs_are_exactly_the_variable_ops_control_flow_count_up_to_and_scatters():
    takes = sorted(t for t, d in registered_ops().items() if d.takes_refs)
    assert takes == sorted(["ReadVariable", "Assign", "AssignAdd", "AssignSub", "IsVariableInitialized",
                            "InitializedValue", "VariableRank", "ApplyGradientDescent", "ApplyMomentum",
                            "ApplyAdagrad", "ApplyRMSProp", "ApplyCenteredRMSProp", "ApplyAdam", "If", "While",
                            "CountUpTo", "ScatterUpdate", "ScatterAdd", "ScatterSub", "ScatterMul", "ScatterDiv",
                            "ScatterMax", "ScatterMin", "ScatterNdUpdate", "ScatterNdAdd", "ScatterNdSub",
                            "ApplyAdadelta", "ApplyFtrl", "ApplyFtrlV2",
                            "ApplyProximalGradientDescent", "ApplyProximalAdagrad", "ApplyAdagradDA",
                            "SparseApplyAdadelta", "SparseApplyFtrl", "SparseApplyFtrlV2",
                            "SparseApplyProximalGradientDescent", "SparseApplyProximalAdagrad",
                            "SparseApplyAdagradDA", "SparseApplyMomentum", "SparseApplyAdagrad",
                            "SparseApplyRMSProp", "SparseApplyCenteredRMSProp", "SparseApplyAdam"])


@pytest.mark.parametrize("update, expected", [(gn.assign, W * 0 + 5), (gn.assign_add, W + 5), (gn.assign_sub, W - 5)],
                         ids=["assign", "assign_add", "assign_sub"])
def test_assigning_through_the_variables_own_tensor_updates_it(update, expected, device):
    v, ref = _ref(device)
    with gn.device(device):
        op = update(ref, np.full_like(W, 5))
    with gn.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_allclose(sess.run(op), expected)
        np.testing.assert_allclose(sess.run(v), expected)


def test_assign_to_a_tensor_that_is_no_variable_names_it():
    with pytest.raises(TypeError, match="gn.assign needs a gn.Variable as its first argument, got Tensor"):
        gn.assign(gn.constant([1.0]), [2.0])


@pytest.mark.parametrize("var_list", [lambda ref: {"weights": ref}, lambda ref: [ref]], ids=["dict", "list"])
def test_a_saver_takes_the_variables_own_tensor(var_list, tmp_path):
    v, ref = _ref("/cpu:0")
    saver = gn.train.Saver(var_list(ref))
    with gn.Session() as sess:
        sess.run(v.initializer)
        path = saver.save(sess, str(tmp_path / "model"))
        sess.run(v.assign(np.zeros_like(W)))
        saver.restore(sess, path)
        np.testing.assert_allclose(sess.run(v), W)
