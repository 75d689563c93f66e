"""The op registry: for each op type its output inference, gradient and kernels per device type.

A kernel is registered as a *builder*: ``builder(ctx) -> fn(*inputs)``. The compiler calls the
builder once per plan with a :class:`KernelContext`, so every attribute lookup and decision is
made when the plan is built and the per-step call is just ``fn(*arrays)``. A builder under
``'any'`` is written against ``ctx.xp`` and serves CPU (NumPy) and GPU (CuPy) alike; a builder
under ``'GPU'`` (a fused CuPy kernel, say) takes precedence on GPUs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .checks import ValueCheck
from .dtypes import string
from .graph import get_default_graph

__all__ = ["KernelContext", "OpDef", "apply_op", "as_value", "define_op", "elementwise", "get_op_def",
           "register_gradient", "registered_ops"]

_OPS: dict = {}


@dataclass
class OpDef:
    """An op type as data: shape/dtype rule, kernels, gradient, placement limits and doc."""

    type: str
    infer: Callable                      # (inputs, attrs) -> [(dtype, shape), ...]
    kernels: dict                        # 'any' | 'CPU' | 'GPU' -> builder(ctx) -> fn
    grad: Callable | None = None         # (op, *output_grads) -> [input_grad | None, ...]
    supports: Callable | None = None     # (device_type, op) -> bool: dtype/attr limits
    stateful: bool = False               # never cached or folded; runs when fetched
    aliases_state: bool = False          # its output may be a variable's buffer: fetches copy it
    fresh_outputs: bool = False          # every kernel returns new arrays, never an input or a view of one: a
    #                                      value computed from a variable's buffer stops sharing it here
    into_kernel: Callable | None = None  # builder(ctx) -> fn(out, *inputs): writes its one output into ``out``
    #                                      (C-contiguous, its shape and dtype), so a join can be built in place
    joins_inputs: bool = False           # its output is its inputs flattened one after another (FlatConcat):
    #                                      their producers may write into it (graph/in_place.py)
    differentiable: bool = True          # False: gradients stop here (argmax, shape, ...)
    host_memory: bool = False            # outputs computed from the inputs' shapes alone, on the host (Shape)
    takes_refs: bool = False             # its kernel gets a VariableV2 input as the VarSlot (reads/updates it);
    #                                      any other op gets the variable's value, read for it (as TF1's ref→value)
    from_host: bool = False              # its outputs are copied from the host ahead of the run (prefetch_to_device):
    #                                      reports count them as host-to-device bytes per step
    doc: str = ""                        # what it computes (one line, the formula for math ops): the first
    #                                      line of the docstring of the public builders that factories make
    run_guard: Callable | None = None    # (state, op) -> a context manager every run of a plan holding the op
    #                                      enters (one run at a time; told when a run fails): a collective's
    #                                      rounds stay matched across runs

    def kernel_for(self, device_type: str):
        return self.kernels.get(device_type) or self.kernels.get("any")

    def device_types(self) -> list[str]:
        if "any" in self.kernels:
            return ["CPU", "GPU"]
        return [t for t in ("CPU", "GPU") if t in self.kernels]

    def can_run_on(self, device_type: str, op) -> bool:
        if self.kernel_for(device_type) is None:
            return False
        if device_type == "GPU" and any(t.dtype == string for t in (*op.inputs, *op.outputs)):
            return False  # strings stay on the host
        return self.supports is None or self.supports(device_type, op)


def define_op(type, infer, kernels, **options) -> OpDef:
    """Register the op type ``type``: ``infer(inputs, attrs) -> [(dtype, shape), ...]``, its kernel
    builders by device type, and any :class:`OpDef` field (``grad``, ``doc``, ...) as a keyword."""
    if type in _OPS:
        raise ValueError(f"Op type {type!r} is already registered")
    if not isinstance(kernels, dict) or not kernels:
        raise ValueError(f"Op type {type!r} needs at least one kernel")
    op_def = OpDef(type, infer, kernels, **options)
    _OPS[type] = op_def
    return op_def


def get_op_def(type: str) -> OpDef:
    """The registered :class:`OpDef` of ``type`` (KeyError if there is none)."""
    try:
        return _OPS[type]
    except KeyError:
        raise KeyError(f"No op type {type!r} is registered") from None


def registered_ops() -> dict:
    """A copy of the registry: op type -> :class:`OpDef`."""
    return dict(_OPS)


def register_gradient(type: str):
    """Decorator: set (or replace) the gradient function of an op type."""
    def decorate(fn):
        get_op_def(type).grad = fn
        return fn
    return decorate


def apply_op(op_type, inputs=(), attrs=None, name=None, graph=None):
    """Create an op of ``op_type`` in the default graph (or the inputs' graph); returns the Operation."""
    op_def = get_op_def(op_type)
    inputs = list(inputs)
    graph = graph or _graph_for(inputs)
    attrs = attrs or {}
    if not op_def.takes_refs:
        inputs = [as_value(t, graph) for t in inputs]
    try:
        outputs = op_def.infer(inputs, attrs)
    except (ValueError, TypeError) as exc:
        where = f" (op {(name or op_type).rstrip('/')!r}, inputs {[f'{t.name} {t.shape}' for t in inputs]})"
        raise type(exc)(f"{exc}{where}") from exc
    return graph._create_op(op_def, inputs, attrs, name or op_type, outputs)


def _graph_for(inputs):
    """The inputs' graph; inside a graph that captures other graphs' tensors (a dataset function being
    traced, gpunet/data/_trace.py) that graph, whatever the inputs' graphs."""
    default = get_default_graph()
    if not inputs or getattr(default, "captures_outer_tensors", False):
        return default
    return inputs[0].graph


def as_value(tensor, graph=None):
    """``tensor``, or a read of the variable beside it when it is a variable's own tensor
    (``get_tensor_by_name('w:0')``): what an op that takes a value gets, as TF1 converts a ref to its
    value. Control flow uses it for the values a branch or loop passes on."""
    if tensor.op.type != "VariableV2":
        return tensor
    graph = graph or tensor.graph
    with graph.colocate_with(tensor.op):
        return apply_op("ReadVariable", [tensor], {}, "read", graph).outputs[0]


class KernelContext:
    """What a kernel builder may look at: the op, its device, its array module and session state."""

    __slots__ = ("op", "device", "xp", "state")

    def __init__(self, op, device, state):
        self.op = op
        self.device = device
        self.xp = device.backend.xp
        self.state = state

    @property
    def attrs(self):
        return self.op.attrs

    def out_dtype(self, index=0):
        return self.op.outputs[index].dtype.np

    def value_check(self) -> ValueCheck:
        """The run-time check of this op's input values (see graph/checks.py): raises at once on
        host devices, deferred to the end of the run on GPUs."""
        return ValueCheck(self.op, self.device)


def elementwise(name: str):
    """Builder for a kernel that is one function of the array module, e.g. ``xp.add``."""
    def build(ctx):
        return getattr(ctx.xp, name)
    build.__name__ = f"xp_{name}"
    return build

