"""Fused CUDA kernels, shared by gn.nn (nn_fused.py) and the optimizer updates (training_ops.py):
when a GPU kernel builder may use one, and the ``cupy.ElementwiseKernel`` itself, built on first use.

Every fused kernel is compiled with ``--fmad=false``: each ``*`` and ``+`` rounds separately, as in
the generic kernel's chain of CuPy ufuncs (NumPy on the CPU), instead of being contracted into an
FMA (``max(x,0) - x*z`` would otherwise differ from the generic kernel in the last bits). CuPy
compiles *every* kernel, fused or generic, with ``-ftz=true``: float32 subnormals (below about
1.2e-38) are flushed to zero on a GPU where NumPy keeps them, e.g. the sigmoid of x < -87 or a
decayed accumulator; nothing in CuPy switches that off per kernel, so results agree with the CPU
only outside the subnormal range (and the tests stay out of it).
"""
from __future__ import annotations

FUSED_DTYPES = ("float32", "float64")  # the types T the hand-written bodies are checked for
FUSED_OPTIONS = ("--fmad=false",)  # NVRTC option: round every * and + separately, as NumPy

_KERNELS: dict = {}
_WARMED: set = set()   # (kernel name, dtype, CUDA device id) compiled by a warm-up call


def runs_fused(ctx) -> bool:
    """Whether the op of kernel context ``ctx`` runs on a real CuPy GPU with an output type a fused
    body is written for; elsewhere (CPU, virtual GPUs, other dtypes) the generic kernel runs."""
    return ctx.device.backend.capabilities.fused_kernels and ctx.out_dtype().name in FUSED_DTYPES


def elementwise_kernel(name, in_params, out_params, body):
    """The ``cupy.ElementwiseKernel`` named ``gpunet_<name>`` (built with FUSED_OPTIONS), built once
    (CuPy compiles it per dtype on first call); CuPy is imported only here, so the module loads
    without it."""
    kernel = _KERNELS.get(name)
    if kernel is None:
        import cupy
        kernel = _KERNELS[name] = cupy.ElementwiseKernel(in_params, out_params, body, name=f"gpunet_{name}",
                                                         options=FUSED_OPTIONS)
    return kernel


def warmed(kernel, xp, dtype, shapes):
    """``kernel`` after one call, under the current device, on arrays of ``dtype`` with ``shapes``
    (``(1,)`` for arrays, ``()`` for 0-d scalars), once per kernel, dtype and device. CuPy compiles
    an ElementwiseKernel for its argument types at its first call; doing it here (at plan build)
    keeps that one-time compile out of the first run and its trace. Contiguous arguments of any
    rank reduce to the same one-dimensional kernel, so the real calls find it compiled."""
    key = (kernel.name, str(dtype), xp.cuda.Device().id)
    if key not in _WARMED:
        kernel(*[xp.full(shape, 0.5, dtype) for shape in shapes])   # 0.5: no 0/0 in any update body
        _WARMED.add(key)
    return kernel
