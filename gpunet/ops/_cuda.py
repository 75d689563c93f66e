"""Fused CUDA kernels, shared by gn.nn (nn_fused.py) and the optimizer updates (training_ops.py):
when a GPU kernel builder may use one, and the ``cupy.ElementwiseKernel`` itself, built on first use.
"""
from __future__ import annotations

FUSED_DTYPES = ("float32", "float64")  # the types T the hand-written bodies are checked for

_KERNELS: dict = {}


def runs_fused(ctx) -> bool:
    """Whether the op of kernel context ``ctx`` runs on a real CuPy GPU with an output type a fused
    body is written for; elsewhere (CPU, virtual GPUs, other dtypes) the generic kernel runs."""
    return ctx.device.backend.capabilities.fused_kernels and ctx.out_dtype().name in FUSED_DTYPES


def elementwise_kernel(name, in_params, out_params, body, options=()):
    """The ``cupy.ElementwiseKernel`` named ``gpunet_<name>``, built once (CuPy compiles it per dtype
    on first call); CuPy is imported only here, so the module loads without it."""
    kernel = _KERNELS.get(name)
    if kernel is None:
        import cupy
        kernel = _KERNELS[name] = cupy.ElementwiseKernel(in_params, out_params, body, name=f"gpunet_{name}",
                                                         options=options)
    return kernel
