"""Integer arguments known only when the graph runs (``gn.slice(x, begin_t, size)``, ``reduce_sum(x, axis_t)``).

TF1 takes such arguments as tensors. An op here keeps them as attrs (its kernel and shape rule read ints);
when one is a tensor whose value the graph does not fix, the op is built as a ``RunTimeArgs`` op instead:
its inputs are the op's data inputs followed by the argument tensors (or, when the arguments are functions
of shapes, the tensors whose shapes they read: :mod:`._host_shapes`, no device round trip). At run time it
reads the argument values on the host, turns them into the target op's attrs, checks them with the target's
own shape rule (a bad value is an ``InvalidArgumentError``) and runs the target's kernel, built once per
distinct argument value. The static shape is what the builder can tell without the values.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .. import errors
from ..graph.dtypes import int32
from ..graph.registry import KernelContext, define_op, get_op_def
from ._helpers import constant_value, out, outs, tensor_arg
from ._host_shapes import HostArgs, host_args

__all__ = ["TENSOR", "RunTimeCall", "int_arg", "run_time_call"]

TENSOR = object()  # in a key template (``x[i]``), where a run-time index goes
MAX_KERNELS = 64   # kernels kept per op, one per distinct argument value and input shapes


@dataclass(frozen=True, eq=False)
class RunTimeCall:
    """What a ``RunTimeArgs`` op runs: ``target``'s kernel with ``make_attrs(known, *values)`` as attrs,
    where ``known`` are stand-ins of the data inputs (``_shape``, ``dtype``) and ``values`` the argument
    values as tuples of ints; ``grad(op, *grads)`` gives the gradients of the ``n_data`` data inputs."""

    target: str
    n_data: int
    args: tuple                 # the argument tensors as the user gave them
    make_attrs: Callable
    outputs: tuple              # ((dtype, static shape), ...)
    host: HostArgs | None = None
    grad: Callable | None = None


class _Known:
    """A data input as the target's shape rule sees it, with its run-time shape."""

    __slots__ = ("_shape", "dtype")

    def __init__(self, shape, dtype):
        self._shape, self.dtype = tuple(shape), dtype


class _CallContext(KernelContext):
    """The ``RunTimeArgs`` op's context with the target's attrs for one argument value."""

    __slots__ = ("_attrs",)

    def __init__(self, ctx, attrs):
        super().__init__(ctx.op, ctx.device, ctx.state)
        self._attrs = attrs

    @property
    def attrs(self):
        return self._attrs


def _infer(inputs, attrs):
    return list(attrs["call"].outputs)


def _kernel(ctx):
    call = ctx.attrs["call"]
    target = get_op_def(call.target)
    build = target.kernel_for(ctx.device.device_type)
    values_of = call.host.program(ctx.state) if call.host is not None else _read_back
    dtypes = [t.dtype for t in ctx.op.inputs[:call.n_data]]
    n_data, kernels = call.n_data, {}

    def kernel_for(inputs):
        values = tuple(_ints(v) for v in values_of(*inputs[n_data:]))
        known = [_Known(x.shape, dtype) for x, dtype in zip(inputs[:n_data], dtypes)]
        key = (values, tuple(k._shape for k in known))
        if key not in kernels:
            if len(kernels) == MAX_KERNELS:  # values that change every step (a sliding window) must not pile up
                kernels.clear()
            kernels[key] = build(_CallContext(ctx, _checked_attrs(ctx.op, call, target, known, values)))
        return kernels[key]

    if call.host is None:
        return lambda *inputs: kernel_for(inputs)(*inputs[:n_data])
    by_shapes = {}

    def run(*inputs):  # arguments computed from shapes: the kernel depends on the input shapes alone
        shapes = tuple(x.shape for x in inputs)
        kernel = by_shapes.get(shapes)
        if kernel is None:
            if len(by_shapes) == MAX_KERNELS:
                by_shapes.clear()
            kernel = by_shapes[shapes] = kernel_for(inputs)
        return kernel(*inputs[:n_data])
    return run


def _read_back(*arrays):
    return [a.tolist() for a in arrays]  # a value on a device: one small copy to the host per step


def _ints(value):
    return tuple(int(v) for v in np.reshape(np.asarray(value), -1))


def _checked_attrs(op, call, target, known, values):
    """The target's attrs for these values, checked by its shape rule against the run-time shapes."""
    try:
        attrs = call.make_attrs(known, *values)
        target.infer(known, attrs)
    except (ValueError, TypeError) as exc:
        raise errors.InvalidArgumentError(None, op, str(exc)) from None
    return attrs


def _grad(op, *grads):
    call = op.attrs["call"]
    if call.grad is None:
        raise LookupError(f"No gradient defined for {call.target} with an argument known only at run time")
    return list(call.grad(op, *grads)) + [None] * (len(op.inputs) - call.n_data)


define_op("RunTimeArgs", _infer, {"any": _kernel}, grad=_grad,
          doc="an op whose integer arguments (begin, axis, perm, ...) are read when the graph runs")


def int_arg(value, name):
    """``value`` (ints, an int tensor, or a list mixing ints and scalar tensors) as ``(ints, None)`` when the
    graph fixes it, else ``(None, tensor)``: TF1's ``constant_value`` folding of an argument."""
    from .creation_ops import holds_tensors, shape_arg  # late import: creation_ops builds on the host shapes

    if not holds_tensors(value):
        return value, None
    tensor = shape_arg(value, name) if isinstance(value, (list, tuple)) else tensor_arg(value, name=name)
    if not tensor.dtype.is_integer:
        raise TypeError(f"{name} must be int32 or int64, got {tensor.dtype.name}")
    known = constant_value(tensor)
    return (None, tensor) if known is None else (np.asarray(known).tolist(), None)


def run_time_call(target, data, args, make_attrs, outputs, grad=None, name=None, default_name=None):
    """Build ``target`` on ``data`` with ``args`` (int tensors) read when the graph runs (see module doc);
    the list of outputs."""
    args = [a if hasattr(a, "op") else tensor_arg(a, dtype=int32) for a in args]
    host = host_args(args)
    sources = list(host.sources) if host is not None else args
    call = RunTimeCall(target, len(data), tuple(args), make_attrs, tuple(outputs), host, grad)
    build = out if len(outputs) == 1 else outs
    return build("RunTimeArgs", [*data, *sources], {"call": call}, name=name, default_name=default_name or target)
