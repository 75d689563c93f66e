"""Fused kernel math checked on the CPU: every hand-written ``cupy.ElementwiseKernel`` body (the nn
forms of nn_fused.py, the update forms of training_ops.py; found through the registry, so a new
fused kernel cannot escape) is compiled for the host with g++ and compared with the generic xp
kernel on random inputs and edge values, for float32 and float64. A wrong formula in CUDA source
fails here, without a GPU. (The host build has no FTZ: subnormals are kept on both sides.)"""
import numpy as np
import pytest

from gpunet.graph.registry import get_op_def, registered_ops
from gpunet.ops import nn_fused, training_ops
from tests.ops.host_compile import build_library, ctype_of, declared, loop_source, needs_gxx, run_host, symbol_for

pytestmark = needs_gxx

DTYPES = [np.float32, np.float64]
TOLERANCE = {np.float32: {"rtol": 4e-6, "atol": 1e-30}, np.float64: {"rtol": 1e-13, "atol": 1e-300}}
# pow is not correctly rounded everywhere (NumPy's float32 power is at times 1 ulp off the host's powf), and FTRL
# subtracts two powers and divides by lr: one ulp of pow shows as up to ~1e-5 in linear (values up to 1e6 here)
POW_FORMS = {"ftrl", "ftrl_v2"}
POW_TOLERANCE = {np.float32: {"rtol": 1e-5, "atol": 2e-5}, np.float64: TOLERANCE[np.float64]}

# -- inputs: random values plus each parameter's edge values ---------------------------------------
RANGES = {"x": (-30, 30), "y": (-0.99, 3), "g": (-2, 2), "z": (0, 1), "grad": (-3, 3), "var": (-1, 1),
          "m": (-1, 1), "mg": (-0.5, 0.5), "mom": (-1, 1), "accum": (0.05, 2), "ms": (0.5, 2), "v": (0.01, 2),
          "accum_update": (0, 1), "g_acc": (-2, 2), "gg_acc": (0.05, 4), "linear": (-1, 1)}
EDGES = {
    "x": [0.0, -0.0, 1e-7, -1e-7, 1.0, -1.0, 20.0, -20.0, 80.0, -80.0, 87.0, -87.0, 1e4, -1e4, 1e30, -1e30],
    "y": [0.0, -0.0, -0.5, 0.5, 1.0, 6.0, 1e30],
    "g": [0.0, -0.0, 1.0, -1.0, 1e30, -1e30],
    "z": [0.0, 1.0, 0.5],
    "grad": [0.0, -0.0, 1e-3, -1e-3, 1e3, -1e3, 1e6, -1e6],
}


def sample(name, dtype, n=400, seed=0):
    """``n`` random values in the parameter's range followed by its edge values (cycled to length)."""
    rng = np.random.default_rng(seed + len(name))
    values = rng.uniform(*RANGES.get(name, (-1, 1)), size=n)
    edges = np.resize(np.array(EDGES.get(name, [0.0]), dtype=np.float64), 64)
    return np.concatenate([values, edges]).astype(dtype)


# -- the forms, found through the registry ---------------------------------------------------------
def fused_op_types():
    return sorted(t for t, op_def in registered_ops().items() if "GPU" in op_def.kernels)


def test_every_op_with_a_gpu_kernel_has_a_form_checked_here():
    covered = set(nn_fused.FORMS) | set(training_ops.FORM_OF)
    assert fused_op_types() and set(fused_op_types()) <= covered, set(fused_op_types()) - covered


def _library(dtype):
    sources = [loop_source(symbol_for(n, dtype), f.in_params, f.out_params, f.body, ctype_of(dtype))
               for n, f in nn_fused.FORMS.items()]
    sources += [loop_source(symbol_for(f.name, dtype), f.in_params, f.out_params, f.cuda_body, ctype_of(dtype))
                for f in training_ops.FORMS.values()]
    return build_library(sources)


# -- nn forms --------------------------------------------------------------------------------------
class _Ctx:  # what the generic builders read
    xp, attrs = np, {}


def nn_mismatch(name, form, dtype, library):
    """None when the host-compiled ``form`` equals the generic kernel of op ``name``, else the report."""
    ins = [sample(n, dtype, seed=k) for k, n in enumerate(declared(form.in_params))]
    [out_name] = declared(form.out_params)
    got = np.full_like(ins[0], np.nan)
    run_host(library, symbol_for(name, dtype), ins, [got])
    with np.errstate(all="ignore"):
        want = get_op_def(name).kernels["any"](_Ctx())(*ins)
    return _compare(f"{name}.{out_name}", got, want, dtype, ins)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(nn_fused.FORMS))
def test_nn_fused_body_equals_the_generic_kernel_on_the_host(name, dtype):
    mismatch = nn_mismatch(name, nn_fused.FORMS[name], dtype, _library(dtype))
    assert mismatch is None, mismatch


# -- update forms ----------------------------------------------------------------------------------
SCALARS = {"lr": 0.05, "momentum": 0.9, "rho": 0.9, "epsilon": 1e-7, "beta1": 0.9, "beta2": 0.999,
           "beta1_power": 0.9 ** 2, "beta2_power": 0.999 ** 2, "l1": 0.01, "l2": 0.02, "l2_shrinkage": 0.03,
           "lr_power": -0.7, "global_step": 3.0}


def update_mismatch(form, dtype, library, steps=3):
    refs = [sample(n, dtype, seed=k) for k, n in enumerate(form.refs)]
    host, generic = [r.copy() for r in refs], [r.copy() for r in refs]
    n = refs[0].size
    scalars = [np.asarray(SCALARS[s], dtype=dtype) for s in form.scalars]
    for step in range(steps):
        grad = sample("grad", dtype, seed=10 + step)
        run_host(library, symbol_for(form.name, dtype), [grad, *[np.full(n, s) for s in scalars]], host)
        with np.errstate(all="ignore"):
            form.xp_update(np, np.asarray(1, dtype=dtype), *generic, *scalars, grad)
    for ref, got, want in zip(form.refs, host, generic):
        tolerance = (POW_TOLERANCE if form.name in POW_FORMS else TOLERANCE)[dtype]
        mismatch = _compare(f"{form.name}.{ref}", got, want, dtype, refs, tolerance)
        if mismatch:
            return mismatch
    return None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(training_ops.FORMS))
def test_update_body_equals_the_generic_update_on_the_host(name, dtype):
    mismatch = update_mismatch(training_ops.FORMS[name], dtype, _library(dtype))
    assert mismatch is None, mismatch


# -- the check can fail ----------------------------------------------------------------------------
WRONG = {
    "SigmoidGrad": nn_fused.FusedForm("T y, T g", "T dx", "dx = g * y * (T(1) + y);"),  # sign slip
    "Softplus": nn_fused.FusedForm("T x", "T y", "y = max(x, T(0)) + log1p(exp(-x));"),  # |x| lost
    "SigmoidCrossEntropyWithLogits": nn_fused.FusedForm("T x, T z", "T loss", "loss = max(x, T(0)) - x * z;"),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_wrong_formula_fails_the_check(name, dtype):
    form = WRONG[name]
    library = build_library([loop_source(symbol_for(name, dtype), form.in_params, form.out_params, form.body,
                                         ctype_of(dtype))])
    mismatch = nn_mismatch(name, form, dtype, library)
    assert mismatch is not None and mismatch.startswith(name)


def test_a_wrong_update_fails_the_check():
    right = training_ops.FORMS["adam"]
    wrong = type(right)(right.name, right.refs, right.scalars, right.xp_update,
                        right.cuda_body.replace("(sqrt(v) + epsilon)", "sqrt(v + epsilon)"))
    library = build_library([loop_source(symbol_for(wrong.name, np.float64), wrong.in_params, wrong.out_params,
                                         wrong.cuda_body, "double")])
    assert update_mismatch(wrong, np.float64, library) is not None


def _compare(what, got, want, dtype, inputs, tolerance=None):
    """None when ``got`` equals ``want`` within the dtype's tolerance (NaN where NaN), else a report."""
    want, tolerance = np.asarray(want), tolerance or TOLERANCE[dtype]
    assert got.dtype == want.dtype == dtype, (what, got.dtype, want.dtype)
    try:
        np.testing.assert_allclose(got, want, equal_nan=True, **tolerance)
    except AssertionError as exc:
        bad = int(np.argmax(~np.isclose(got, want, equal_nan=True, **tolerance)))
        at = ", ".join(f"{a[bad]!r}" for a in inputs)
        return f"{what} ({np.dtype(dtype).name}): host {got[bad]!r} != generic {want[bad]!r} at inputs ({at})\n{exc}"
    return None
