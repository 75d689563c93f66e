"""Walks the op registry: every op has a kernel check against NumPy on every device (in float16,
float32 and float64 where it takes floats, and run on the device asked for unless it is listed
CPU-only), and every differentiable op a gradient check against central finite differences in
float64."""
import importlib
import pathlib
import re

import numpy as np
import pytest

import gpunet as gn
from gpunet.graph.registry import registered_ops
from tests.ops.cases_data import HOST_OPS as DATA_OPS
from tests.ops.cases_strings import STRING_OPS
from tests.ops.opcases import OpCase
from tests.ops.shape_classes import CLASSES, SHAPE_CASES, SHAPE_EXEMPT, sample


def _load_tables():
    cases, exempt = [], {}
    for path in sorted(pathlib.Path(__file__).parent.glob("cases_*.py")):
        module = importlib.import_module(f"tests.ops.{path.stem}")
        cases += module.CASES
        exempt.update(module.EXEMPT)
    return cases, exempt


CASES, EXEMPT = _load_tables()
GRAD_CASES = [c for c in CASES if c.grad]

LOCAL = "/job:localhost/replica:0/task:0"

# Ops with no GPU kernel: the virtual-GPU case lets these (and only these) fall back to the CPU.
CPU_ONLY = {
    "PyFunc": "runs a Python function on NumPy arrays",
    "Print": "writes to a host stream",
    "PrintV2": "writes to a host stream",
    "ReportUninitialized": "builds a host string array of variable names",
    "ScalarSummary": "serializes a Summary proto (host strings)",
    "HistogramSummary": "serializes a Summary proto (host strings)",
    "ImageSummary": "serializes a Summary proto (host strings)",
    "MergeSummary": "serializes a Summary proto (host strings)",
    **DATA_OPS,  # queues, readers, iterators, decoders: host state and strings (tests/ops/cases_data.py)
    **STRING_OPS,  # string ops: bytes on the host (tests/ops/cases_strings.py)
}

# Every float case also runs in float16 and float64 (its float32 inputs converted), with these
# tolerances (rtol, atol) against a float64 NumPy reference; None keeps the case's own.
FLOAT_DTYPES = {"float16": (2e-2, 2e-2), "float32": None, "float64": None}

# Cases whose float outputs keep a dtype of their own whatever the inputs' float type.
FIXED_OUTPUT_DTYPE = {
    "Fill-dims-from-tensors": "fills a Python float, which is float32 by TF1's rule",
    "PyFunc": "its Tout is float32",
}

DTYPE_CASES = [pytest.param(case, dtype, id=f"{case}-{dtype}") for case in CASES for dtype in FLOAT_DTYPES
               if dtype == "float32" or any(x.dtype == np.float32 for x in case.inputs)]


def test_every_registered_op_has_a_case_or_a_reason():
    covered = {c.op_type for c in CASES} | set(EXEMPT)
    missing = sorted(set(registered_ops()) - covered)
    assert missing == [], f"ops without a kernel/gradient case in tests/ops/cases_*.py: {missing}"


def test_every_differentiable_op_has_a_gradient_check():
    checked = {c.op_type for c in GRAD_CASES} | set(EXEMPT)
    differentiable = {t for t, d in registered_ops().items() if d.differentiable and d.grad is not None}
    assert sorted(differentiable - checked) == []


def test_ops_declared_differentiable_have_a_gradient():
    no_grad = sorted(t for t, d in registered_ops().items() if d.differentiable and d.grad is None
                     and t not in EXEMPT)
    assert no_grad == [], f"differentiable ops with no gradient function: {no_grad}"


def _build(case: OpCase, inputs):
    placeholders = [gn.placeholder(gn.as_dtype(x.dtype), x.shape, name=f"in{i}") for i, x in enumerate(inputs)]
    output = case.build(*placeholders)
    types = {op.type for op in gn.get_default_graph().get_operations()}
    assert case.op_type in types, f"{case} built no {case.op_type} op (built {sorted(types)})"
    return placeholders, output


def test_the_cpu_only_list_is_exactly_the_ops_without_a_gpu_kernel():
    without_gpu = {t for t, d in registered_ops().items() if d.kernel_for("GPU") is None}
    assert sorted(CPU_ONLY) == sorted(without_gpu)


@pytest.mark.parametrize("case, dtype", DTYPE_CASES)
def test_kernel_matches_numpy_reference(case, dtype, device):
    inputs = [x.astype(dtype) if x.dtype == np.float32 else x for x in case.inputs]
    with gn.device(device):
        placeholders, output = _build(case, inputs)
    feed = dict(zip(placeholders, inputs))
    # only CPU-only ops may fall back from a GPU; anything else must run where it was asked to
    with gn.Session(config=gn.ConfigProto(allow_soft_placement=case.op_type in CPU_ONLY)) as sess:
        got = sess.run(output, feed)
        _assert_ran_on(case, sess.placement_report(output, feed), device)
    outputs = output if isinstance(output, (list, tuple)) else [output]
    values = got if isinstance(output, (list, tuple)) else [got]
    for tensor, value in zip(outputs, values):
        assert np.asarray(value).dtype == tensor.dtype.np, f"{case}: {tensor.name} ran as {np.asarray(value).dtype}"
        assert tensor.shape.is_compatible_with(np.shape(value)), \
            f"{case}: static shape {tensor.shape} vs {np.shape(value)}"
        if tensor.dtype.is_floating and dtype != "float32" and str(case) not in FIXED_OUTPUT_DTYPE:
            assert tensor.dtype.name == dtype, f"{case}: {dtype} inputs gave a {tensor.dtype.name} output"
    if case.reference is not None:
        expected = case.reference(*[x.astype(np.float64) if x.dtype.kind == "f" else x for x in inputs])
        expected = expected if isinstance(output, (list, tuple)) else [expected]
        rtol, atol = FLOAT_DTYPES[dtype] or (case.rtol, case.atol)
        for value, want in zip(values, expected):
            np.testing.assert_allclose(np.asarray(value, dtype=np.float64) if np.asarray(value).dtype != object
                                       else value, want, rtol=rtol, atol=atol, err_msg=str(case))


def _assert_ran_on(case, report, device):
    """Every op of the case's type ran on the requested device (the CPU for a CPU-only op)."""
    spec = gn.DeviceSpec.from_string(device).to_string()
    expected = f"{LOCAL}/device:CPU:0" if case.op_type in CPU_ONLY else f"{LOCAL}{spec}"
    rows = [r for r in report.rows if r.type == case.op_type]
    assert rows and all(r.assigned == expected for r in rows), \
        f"{case}: {[(r.op, r.assigned, r.reason) for r in rows]} instead of {expected}"


@pytest.mark.parametrize("case", GRAD_CASES, ids=str)
def test_gradient_matches_finite_differences(case):
    inputs = [x.astype(np.float64) if x.dtype.kind == "f" else x for x in case.inputs]
    placeholders, output = _build(case, inputs)
    outputs = output if isinstance(output, (list, tuple)) else [output]
    weights = [np.random.default_rng(7).uniform(0.5, 1.5, size=np.shape(_run(o, placeholders, inputs)))
               for o in outputs]
    loss = gn.add_n([gn.reduce_sum(gn.cast(o, gn.float64) * w) for o, w in zip(outputs, weights)])
    wrt = case.grad_inputs if case.grad_inputs is not None else [i for i, x in enumerate(inputs) if x.dtype.kind == "f"]
    grads = gn.gradients(loss, [placeholders[i] for i in wrt])
    with gn.Session() as sess:
        feed = dict(zip(placeholders, inputs))
        analytic = sess.run([g for g in grads if g is not None], feed)
        assert all(g is not None for g in grads), f"{case}: no gradient for some inputs"
        for i, got in zip(wrt, analytic):
            want = _numeric_gradient(sess, loss, placeholders, inputs, i, case.grad_eps)
            np.testing.assert_allclose(got, want, rtol=case.grad_tol, atol=case.grad_tol, err_msg=f"{case} input {i}")


def _run(tensor, placeholders, inputs):
    with gn.Session() as sess:
        return sess.run(tensor, dict(zip(placeholders, inputs)))


def _numeric_gradient(sess, loss, placeholders, inputs, index, eps):
    x = inputs[index].copy()
    grad = np.zeros_like(x)
    for pos in np.ndindex(x.shape):
        values = []
        for delta in (eps, -eps):
            shifted = x.copy()
            shifted[pos] += delta
            feed = dict(zip(placeholders, inputs))
            feed[placeholders[index]] = shifted
            values.append(sess.run(loss, feed))
        grad[pos] = (values[0] - values[1]) / (2 * eps)
    return grad


# -- shape classes: 0-d, (0,), (0, 3) and (2, 3), forward and gradient, on every device -------------
def _known_defect(case, cls):
    return [pytest.mark.xfail(strict=True, reason=case.xfail[cls])] if cls in case.xfail else []


SHAPE_PARAMS = [pytest.param(case, cls, id=f"{case}-{cls}", marks=_known_defect(case, cls))
                for case in SHAPE_CASES for cls in CLASSES if cls not in case.skip]


def _differentiable(case):
    op_def = registered_ops()[case.op_type]
    return case.grad and op_def.differentiable and op_def.grad is not None and \
        any(k in ("float", "positive", "unit") for k in case.kinds)


SHAPE_GRAD_PARAMS = [p for p in SHAPE_PARAMS if _differentiable(p.values[0]) and p.values[1] not in p.values[0].raises]


def test_every_registered_op_has_a_shape_class_case_or_a_reason():
    covered = {c.op_type for c in SHAPE_CASES}
    assert sorted(set(registered_ops()) - covered - set(SHAPE_EXEMPT)) == []
    assert sorted(covered & set(SHAPE_EXEMPT)) == [], "an op is either swept or exempt"
    for case in SHAPE_CASES:
        assert set(case.skip) | set(case.raises) <= set(CLASSES) and "(2, 3)" not in case.skip, str(case)


def _shape_inputs(case, cls, float_dtype=np.float32):
    shapes = case.input_shapes(CLASSES[cls])
    values = [sample(kind, shape, seed=i) for i, (kind, shape) in enumerate(zip(case.kinds, shapes))]
    return [v.astype(float_dtype) if v.dtype == np.float32 else v for v in values]


def _as_list(value, output):
    return list(value) if isinstance(output, (list, tuple)) else [value]


@pytest.mark.parametrize("case, cls", SHAPE_PARAMS)
def test_shape_class_matches_numpy(case, cls, device):
    inputs = _shape_inputs(case, cls)
    with gn.device(device):
        placeholders, output = _build(case, inputs)
    feed = dict(zip(placeholders, inputs))
    with gn.Session(config=gn.ConfigProto(allow_soft_placement=case.op_type in CPU_ONLY)) as sess:
        if cls in case.raises:
            error, fragment = case.raises[cls]
            with pytest.raises(error, match=re.escape(fragment)):
                sess.run(output, feed)
            return
        got = sess.run(output, feed)
        _assert_ran_on(case, sess.placement_report(output, feed), device)
    expected = case.reference(*[x.astype(np.float64) if x.dtype.kind == "f" else x for x in inputs])
    for tensor, value, want in zip(_as_list(output, output), _as_list(got, output), _as_list(expected, output)):
        value = np.asarray(value)
        assert value.dtype == tensor.dtype.np and value.shape == np.shape(want), \
            f"{case} {cls}: {value.dtype}{value.shape}, expected {tensor.dtype.name}{np.shape(want)}"
        assert tensor.shape.is_compatible_with(value.shape)
        np.testing.assert_allclose(value.astype(np.float64), want, rtol=1e-5, atol=1e-6, err_msg=f"{case} {cls}")


@pytest.mark.parametrize("case, cls", SHAPE_GRAD_PARAMS)
def test_shape_class_gradient_matches_finite_differences(case, cls, device):
    inputs = _shape_inputs(case, cls, np.float64)
    with gn.device(device):
        placeholders, output = _build(case, inputs)
        outputs = _as_list(output, output)
        weights = [np.random.default_rng(7).uniform(0.5, 1.5, size=_static(o)) for o in outputs]
        loss = gn.add_n([gn.reduce_sum(gn.cast(o, gn.float64) * w) for o, w in zip(outputs, weights)])
        wrt = case.grad_inputs or [i for i, x in enumerate(inputs) if x.dtype.kind == "f"]
        grads = gn.gradients(loss, [placeholders[i] for i in wrt])
    assert all(g is not None for g in grads), f"{case} {cls}: no gradient for some inputs"
    feed = dict(zip(placeholders, inputs))
    with gn.Session(config=gn.ConfigProto(allow_soft_placement=case.op_type in CPU_ONLY)) as sess:
        with np.errstate(over="ignore"):  # an empty segment's max is float64's lowest: times a weight, -inf
            analytic = sess.run(grads, feed)
        for i, got in zip(wrt, analytic):
            assert np.shape(got) == inputs[i].shape and np.asarray(got).dtype == np.float64
            if inputs[i].size:
                want = _numeric_gradient(sess, loss, placeholders, inputs, i, 1e-6)
                np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4, err_msg=f"{case} {cls} input {i}")


def _static(tensor):
    assert tensor.shape.is_fully_defined(), f"{tensor.name}: the sweep needs static output shapes"
    return tuple(tensor.shape.as_list())
