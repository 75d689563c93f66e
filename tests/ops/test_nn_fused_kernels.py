"""The fused CUDA kernels of gn.nn (gpunet/ops/nn_fused.py): every body compiles with nvcc,
declared as cupy.ElementwiseKernel declares its parameters; elsewhere than a CuPy GPU the generic
kernel runs; on a real GPU each fused kernel equals the generic one."""
import sys
import types

import numpy as np
import pytest

import gpunet as gn
from gpunet.graph.registry import get_op_def
from gpunet.ops import _cuda
from gpunet.ops.nn_fused import FORMS, FusedForm, compiled
from gpunet.ops.training_ops import FORMS as UPDATE_FORMS
from gpunet.ops.training_ops import fused_kernel
from tests.conftest import HAS_GPU
from tests.cuda_compile import declared, kernel_source, needs_nvcc, nvcc_compile


def form_source(name, form: FusedForm) -> str:
    return kernel_source(name, form.in_params, form.out_params, form.body)


@needs_nvcc
def test_every_fused_body_compiles_with_nvcc(tmp_path):
    source = "\n".join(form_source(name, form) for name, form in FORMS.items())
    result = nvcc_compile(source, tmp_path, _cuda.FUSED_OPTIONS)
    assert result.returncode == 0, f"nvcc rejected a fused body:\n{result.stderr}\n--- source ---\n{source}"


@needs_nvcc
def test_the_compile_check_catches_a_broken_body(tmp_path):
    broken = FusedForm("T g, T y", "T dx", "dx = y > T(0) ? g : slope;")
    result = nvcc_compile(form_source("broken", broken), tmp_path)
    assert result.returncode != 0 and 'identifier "slope" is undefined' in result.stderr


def test_every_fused_kernel_is_built_without_fma_contraction(monkeypatch):
    """D5: CuPy is asked for each nn and update kernel with --fmad=false (a recording stand-in for
    cupy.ElementwiseKernel: no GPU needed to see the options)."""
    built = {}

    def elementwise_kernel(in_params, out_params, body, name, options=()):
        built[name] = options
        return name
    monkeypatch.setitem(sys.modules, "cupy", types.SimpleNamespace(ElementwiseKernel=elementwise_kernel))
    monkeypatch.setattr(_cuda, "_KERNELS", {})
    for op_type in FORMS:
        compiled(op_type)
    for form in UPDATE_FORMS.values():
        fused_kernel(form)
    assert len(built) == len(FORMS) + len(UPDATE_FORMS)
    assert all(options == ("--fmad=false",) for options in built.values()), built


def test_each_fused_op_keeps_its_generic_kernel_and_virtual_gpus_use_it(vgpus):
    for op_type in FORMS:
        assert set(get_op_def(op_type).kernels) == {"any", "GPU"}, op_type
    with gn.device("/gpu:0"):
        x = gn.constant([-50.0, -1.0, 0.0, 2.0])
        y = gn.sigmoid(x)
    with gn.Session() as sess:
        np.testing.assert_allclose(sess.run(y), 1 / (1 + np.exp(-np.array([-50.0, -1.0, 0.0, 2.0]))), rtol=1e-6)


# One builder per fused op: its inputs as (name, low, high) ranges.
INPUTS = {"x": (-30, 30), "y": (-0.99, 3), "g": (-2, 2), "z": (0, 1)}


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_GPU, reason="needs CuPy and a CUDA GPU")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op_type", list(FORMS))
def test_fused_kernel_equals_the_generic_kernel_on_gpu(op_type, dtype):
    import cupy

    from gpunet.ops.nn_fused import compiled
    op_def = get_op_def(op_type)
    names = [n for _, n in declared(FORMS[op_type].in_params)]
    rng = np.random.default_rng(0)
    arrays = [cupy.asarray(rng.uniform(*INPUTS[n], size=(37, 129)), dtype=dtype) for n in names]

    class Ctx:  # what the generic builder reads
        xp, attrs = cupy, {}
    generic = op_def.kernels["any"](Ctx())(*arrays)
    fused = compiled(op_type)(*arrays)
    tolerance = {"rtol": 2e-6, "atol": 1e-7} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-14}
    assert fused.dtype == dtype
    np.testing.assert_allclose(cupy.asnumpy(fused), cupy.asnumpy(generic), **tolerance)
