"""Ops marked ``fresh_outputs`` promise that every kernel returns new arrays, never an input or a view of
one: the compiler stops tracking a variable's buffer at them (graph/compiler.py, variable_order.py). A
broken promise would let an update race with a reader on another thread, so each marked op's kernels
are checked here over shapes where a shortcut could hand back an input (size 1, empty, broadcast)."""
import numpy as np
import pytest

import gpunet as gn
from gpunet.device import find
from gpunet.graph.registry import KernelContext, registered_ops
from gpunet.ops.fusion_ops import flat_concat

RNG = np.random.default_rng(0)


def _arrays(*shapes, dtype=np.float32):
    return [RNG.standard_normal(s).astype(dtype) for s in shapes]


def _labels(n, classes):
    return RNG.integers(0, classes, n).astype(np.int32)


# op type -> cases of (graph builder on placeholders, input arrays)
CASES = {
    "MatMul": [(lambda a, b: gn.matmul(a, b), _arrays((2, 3), (3, 4))),
               (lambda a, b: gn.matmul(a, b, transpose_a=True), _arrays((3, 1), (3, 1))),
               (lambda a, b: gn.matmul(a, b, transpose_b=True), _arrays((1, 1), (1, 1))),
               (lambda a, b: gn.matmul(a, b), _arrays((0, 3), (3, 2)))],
    "BatchMatMulV2": [(lambda a, b: gn.matmul(a, b), _arrays((2, 1, 3), (3, 1))),
                      (lambda a, b: gn.matmul(a, b), _arrays((1, 1, 1), (1, 1, 1)))],
    "BiasAdd": [(lambda v, b: gn.nn.bias_add(v, b), _arrays((4, 3), (3,))),
                (lambda v, b: gn.nn.bias_add(v, b), _arrays((2, 2, 5, 3), (3,))),
                (lambda v, b: gn.nn.bias_add(v, b, data_format="NCHW"), _arrays((2, 3, 2, 2), (3,))),
                (lambda v, b: gn.nn.bias_add(v, b), _arrays((0, 3), (3,)))],
    "BiasAddGrad": [(lambda g: _bias_grad(g, "NHWC"), _arrays((4, 3))),
                    (lambda g: _bias_grad(g, "NHWC"), _arrays((1, 3))),
                    (lambda g: _bias_grad(g, "NCHW"), _arrays((2, 3, 1, 1))),
                    (lambda g: _bias_grad(g, "NHWC"), _arrays((0, 3)))],
    "Relu": [(gn.nn.relu, _arrays((5,))), (gn.nn.relu, _arrays(())), (gn.nn.relu, _arrays((0, 2)))],
    "ReluGrad": [(lambda g, y: _relu_grad(g, y), _arrays((5,), (5,))),
                 (lambda g, y: _relu_grad(g, y), _arrays((), ()))],
    "SparseSoftmaxCrossEntropyWithLogits": [
        (lambda x, y: gn.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=x),
         [_arrays((4, 3))[0], _labels(4, 3)]),
        (lambda x, y: gn.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=x),
         [_arrays((1, 1))[0], _labels(1, 1)])],
    "AddN": [(lambda a, b: gn.add_n([a, b]), _arrays((3,), (3,))),
             (lambda a, b, c: gn.add_n([a, b, c]), _arrays((), (), ())),
             (lambda a, b: gn.add_n([a, b]), _arrays((0,), (0,)))],
    "FlatConcat": [(lambda a: flat_concat([a]), _arrays((6,))), (lambda a: flat_concat([a]), _arrays((2, 3))),
                   (lambda a, b: flat_concat([a, b]), _arrays((2, 2), (0,)))],
}


def _bias_grad(g, data_format):
    from gpunet.graph.registry import apply_op
    return apply_op("BiasAddGrad", [g], {"data_format": data_format}).outputs[0]


def _relu_grad(g, y):
    from gpunet.ops.nn_ops import relu_grad
    return relu_grad(g, y)


def test_every_op_promising_fresh_outputs_is_checked_here():
    assert {t for t, op_def in registered_ops().items() if op_def.fresh_outputs} == set(CASES)


@pytest.mark.parametrize("op_type, build, arrays", [(t, b, a) for t, cases in CASES.items() for b, a in cases])
def test_a_fresh_output_shares_no_memory_with_any_input(op_type, build, arrays):
    with gn.Graph().as_default():
        inputs = [gn.placeholder(gn.as_dtype(a.dtype), a.shape) for a in arrays]
        result = build(*inputs)
        op = (result[0] if isinstance(result, (tuple, list)) else result).op
        assert op.type == op_type
        kernel = op.op_def.kernel_for("CPU")(KernelContext(op, find("CPU", 0), None))
        values = dict(zip(inputs, arrays))
        outputs = kernel(*[values[t] for t in op.inputs])
    for output in outputs if isinstance(outputs, tuple) else (outputs,):
        assert isinstance(output, (np.ndarray, np.generic))
        assert not any(np.shares_memory(output, a) for a in arrays), op_type


@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_what_a_gpu_computes_from_a_shared_variable_by_a_fresh_op_is_not_ordered_against_its_updates(vgpus):
    """GPU 1 multiplies by a variable whose buffer it shares with the host; the host then updates it. The
    product is a new buffer, so GPU 1's later work on it need not wait for the update: only the
    product's own step is a reader of the variable, and the update waits for that one."""
    with gn.device("/gpu:0"):
        start = gn.reduce_sum(gn.constant(np.ones(3, np.float32)))  # GPU 0 first: it shares the CPU's thread
    with gn.device("/cpu:0"):
        w = gn.Variable(np.eye(3, dtype=np.float32), name="w")
        x = gn.placeholder(gn.float32, [2, 3])
    with gn.device("/gpu:1"):
        product = gn.matmul(x, w)
    with gn.device("/cpu:0"), gn.control_dependencies([start]):
        bump = gn.assign_add(w, np.ones((3, 3), np.float32))
    with gn.device("/gpu:1"):
        later = gn.reduce_sum(product * 2.0)
    fetches = (later, bump)
    with gn.Session() as sess:
        for _ in range(3):
            sess.run(w.initializer)
            got = sess.run(list(fetches), {x: np.ones((2, 3), np.float32)})
            assert got[0] == 12.0  # x @ eye, read before the update in plan order
        plan = sess._plan(fetches, (x,))
    schedule, steps = plan._schedule, plan._steps
    gpu1 = next(k for k, d in enumerate(schedule.devices) if d.name.endswith("GPU:1"))
    waits = {steps[i][4].type: dict(w) for i, w, _ in schedule.tasks[gpu1]}
    assert waits["Mul"] == {} and waits["Sum"] == {}
    host = [(steps[i][4].type, dict(w)) for i, w, _ in schedule.tasks[1 - gpu1]]
    assert any(t == "AssignAdd" and gpu1 in w for t, w in host)  # the update waits for the product
