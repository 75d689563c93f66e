"""GPU-only fused CUDA kernels for gn.nn's elementwise ops (one pass where the generic xp kernel
makes several, e.g. the overflow-free sigmoid), registered under 'GPU' beside the generic one.

Each form is the body of a ``cupy.ElementwiseKernel`` on type T (float or double). On devices
without CuPy (CPU, virtual GPUs) and for other dtypes the generic kernel runs; on a real GPU the
fused one must match it (tests/ops/test_nn_fused_kernels.py; nvcc compile-checks every body, and
tests/ops/test_fused_host_math.py compiles each for the host with g++ and compares it with the
generic kernel). Compiled with ``--fmad=false`` and, as every CuPy kernel, flushing float32
subnormals to zero (see _cuda.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from ._cuda import elementwise_kernel, runs_fused, warmed

__all__ = ["FORMS", "FusedForm", "compiled", "kernels"]


@dataclass(frozen=True)
class FusedForm:
    in_params: str     # as cupy.ElementwiseKernel declares them: "T g, T y"
    out_params: str    # "T dx"
    body: str          # CUDA C++ for one element


_SIGMOID = "T e = exp(-fabs(x)); T r = T(1) / (T(1) + e); y = x >= T(0) ? r : e * r;"

FORMS = {
    "ReluGrad": FusedForm("T g, T y", "T dx", "dx = y > T(0) ? g : T(0);"),
    "Relu6Grad": FusedForm("T g, T x", "T dx", "dx = (x > T(0) && x < T(6)) ? g : T(0);"),
    "EluGrad": FusedForm("T g, T y", "T dx", "dx = y > T(0) ? g : g * (y + T(1));"),
    "Sigmoid": FusedForm("T x", "T y", _SIGMOID),
    "SigmoidGrad": FusedForm("T y, T g", "T dx", "dx = g * y * (T(1) - y);"),
    "TanhGrad": FusedForm("T y, T g", "T dx", "dx = g * (T(1) - y * y);"),
    "Softplus": FusedForm("T x", "T y", "y = max(x, T(0)) + log1p(exp(-fabs(x)));"),
    "SoftplusGrad": FusedForm("T g, T x", "T dx", "T y; " + _SIGMOID + " dx = g * y;"),
    "SigmoidCrossEntropyWithLogits": FusedForm("T x, T z", "T loss",
                                               "loss = max(x, T(0)) - x * z + log1p(exp(-fabs(x)));"),
}


def compiled(op_type):
    """The ``cupy.ElementwiseKernel`` of ``op_type``'s form, built on first use (CuPy compiles per dtype)."""
    form = FORMS[op_type]
    return elementwise_kernel(op_type, form.in_params, form.out_params, form.body)


def kernels(op_type, generic):
    """Kernels for ``define_op``: ``generic`` everywhere, the fused form on CuPy GPUs for float32/64."""
    if op_type not in FORMS:
        return {"any": generic}

    def fused(ctx):
        if not runs_fused(ctx):
            return generic(ctx)
        return warmed(compiled(op_type), ctx.xp, ctx.out_dtype(), [(1,)] * len(ctx.op.inputs))
    return {"any": generic, "GPU": fused}
