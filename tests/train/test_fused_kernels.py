"""The fused CUDA update kernels (gpunet/ops/training_ops.py): every hand-written body compiles
with nvcc, declared the way cupy.ElementwiseKernel declares its parameters (always run where
nvcc exists); on a real GPU each fused kernel equals the generic xp update it mirrors."""
import numpy as np
import pytest

from gpunet.graph.registry import get_op_def
from gpunet.ops import training_ops
from gpunet.ops._cuda import FUSED_OPTIONS
from gpunet.ops.training_ops import FORM_OF, FORMS, UpdateForm
from tests.conftest import HAS_GPU
from tests.cuda_compile import kernel_source, needs_nvcc, nvcc_compile

ATTR_CHOICES = [{"use_nesterov": n, "momentum_slot": m} for n in (False, True) for m in (False, True)]


def check_kernel_source(form: UpdateForm) -> str:
    return kernel_source(form.name, form.in_params, form.out_params, form.cuda_body)


def compile_with_fused_options(source: str, tmp_path):
    """as CuPy compiles the fused updates: without FMA contraction"""
    return nvcc_compile(source, tmp_path, FUSED_OPTIONS)


@needs_nvcc
def test_every_cuda_body_compiles_with_nvcc(tmp_path):
    source = "\n".join(check_kernel_source(form) for form in FORMS.values())
    result = compile_with_fused_options(source, tmp_path)
    assert result.returncode == 0, f"nvcc rejected a fused update body:\n{result.stderr}\n--- source ---\n{source}"


@needs_nvcc
def test_the_compile_check_catches_a_broken_body(tmp_path):
    broken = UpdateForm("broken", ("var",), ("lr",), None, "var -= grad * learning_rate;")
    result = compile_with_fused_options(check_kernel_source(broken), tmp_path)
    assert result.returncode != 0 and 'identifier "learning_rate" is undefined' in result.stderr


def test_every_update_op_has_a_fused_gpu_kernel_beside_the_generic_one():
    assert sorted(FORM_OF) == ["ApplyAdadelta", "ApplyAdagrad", "ApplyAdagradDA", "ApplyAdam", "ApplyCenteredRMSProp",
                               "ApplyFtrl", "ApplyFtrlV2", "ApplyGradientDescent", "ApplyMomentum",
                               "ApplyProximalAdagrad", "ApplyProximalGradientDescent", "ApplyRMSProp"]
    for op_type in FORM_OF:
        kernels = get_op_def(op_type).kernels
        assert set(kernels) == {"any", "GPU"}, op_type
    reachable = {choose(attrs) for choose in FORM_OF.values() for attrs in ATTR_CHOICES}
    assert reachable == set(FORMS)


SCALARS = {"lr": 0.05, "momentum": 0.9, "rho": 0.9, "epsilon": 1e-7, "beta1": 0.9, "beta2": 0.999,
           "beta1_power": 0.9 ** 2, "beta2_power": 0.999 ** 2, "l1": 0.01, "l2": 0.02, "l2_shrinkage": 0.03,
           "lr_power": -0.7, "global_step": 3.0}
INITIAL_SLOTS = {"accum": 0.1, "ms": 1.0, "gg_acc": 0.1}  # others start at 0, as the optimizers create them


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_GPU, reason="needs CuPy and a CUDA GPU")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("form", FORMS.values(), ids=list(FORMS))
def test_fused_kernel_equals_the_generic_update_on_gpu(form, dtype):
    import cupy
    rng = np.random.default_rng(0)
    shape = (37, 129)  # not a multiple of a block
    start = [rng.uniform(-1, 1, shape) if n == "var" else np.full(shape, INITIAL_SLOTS.get(n, 0.0)) for n in form.refs]
    generic = [cupy.asarray(a, dtype=dtype) for a in start]
    fused = [cupy.asarray(a, dtype=dtype) for a in start]
    scalars = [cupy.asarray(SCALARS[n], dtype=dtype) for n in form.scalars]
    kernel = training_ops.fused_kernel(form)
    for _ in range(3):
        grad = cupy.asarray(rng.normal(size=shape), dtype=dtype)
        form.xp_update(cupy, cupy.asarray(1, dtype=dtype), *generic, *scalars, grad)
        kernel(grad, *scalars, *fused)
    tolerance = {"rtol": 1e-6, "atol": 1e-7} if dtype == np.float32 else {"rtol": 1e-13, "atol": 1e-15}
    if form.name in ("ftrl", "ftrl_v2") and dtype == np.float32:  # CUDA's powf is within 2 ulp; FTRL
        tolerance = {"rtol": 1e-5, "atol": 1e-5}  # subtracts two powers and divides by lr
    for name, want, got in zip(form.refs, generic, fused):
        assert got.dtype == dtype
        np.testing.assert_allclose(cupy.asnumpy(got), cupy.asnumpy(want), err_msg=f"{form.name}: {name}", **tolerance)
