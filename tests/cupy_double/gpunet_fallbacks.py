"""Fallback bodies for gpunet's fused CUDA kernels under the CuPy double (a model of CuPy, not CuPy):
kernel ``gpunet_<name>`` runs gpunet's *generic* xp kernel of the same op or update, on double
arrays. So under the double a fused kernel equals the generic one by construction; what the double
checks is the call: argument order by parameter name, one type T, device arrays of this device.
"""
from __future__ import annotations

import types

import numpy as np

from ._kernels import register_fallback


def register_all(cupy):
    """Register a fallback for every fused form gpunet declares (nn ops and optimizer updates)."""
    from gpunet.ops import nn_fused, training_ops
    for op_type in nn_fused.FORMS:
        register_fallback(f"gpunet_{op_type}", _nn_body(op_type, cupy))
    for name, form in training_ops.FORMS.items():
        register_fallback(f"gpunet_{name}", _update_body(form, cupy))


def _nn_body(op_type, cupy):
    from gpunet.graph.registry import get_op_def
    generic = get_op_def(op_type).kernels["any"](types.SimpleNamespace(xp=cupy, attrs={}))

    def body(ins, outs):
        result = generic(*ins.values())
        if outs:
            outs[0][...] = result
            return outs[0]
        return result
    return body


def _update_body(form, cupy):
    def body(ins, outs):
        assert list(ins) == ["grad", *form.scalars], f"gpunet_{form.name} called with {list(ins)}"
        one = cupy.asarray(np.asarray(1, dtype=outs[0].dtype))
        form.xp_update(cupy, one, *outs, *[ins[n] for n in form.scalars], ins["grad"])
        return tuple(outs) if len(outs) > 1 else outs[0]
    return body
