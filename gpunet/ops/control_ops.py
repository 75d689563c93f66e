"""Debugging ops: gn.print (TF1.15's tf.print), gn.Print (the older identity that prints), check_numerics.

The printing ops run on the CPU only (kernels get host copies) and are created under
``gn.device('/cpu:0')``, so a print inside a GPU scope still places: the plan copies its inputs
to the host, as TF1 does with a soft placement.
"""
from __future__ import annotations

import sys

from ..graph.core_ops import convert_to_tensor
from ..graph.graph import Tensor, get_default_graph
from ..graph.registry import apply_op, define_op
from ._helpers import same_as_input
from ._summarize import summarize_v1, summarize_v2

__all__ = ["Print", "add_check_numerics_ops", "check_numerics", "print"]


# -- gn.print -------------------------------------------------------------------------------------
class _Slot:
    """Where the i-th input tensor goes in the printed structure."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


def _template(value, tensors):
    """``value`` with each tensor replaced by a _Slot (the tensor appended to ``tensors``)."""
    if isinstance(value, Tensor) or hasattr(value, "_as_tensor"):
        tensors.append(convert_to_tensor(value))
        return _Slot(len(tensors) - 1)
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # namedtuple
        return type(value)(*[_template(v, tensors) for v in value])
    if isinstance(value, (list, tuple)):
        return type(value)(_template(v, tensors) for v in value)
    if isinstance(value, dict):
        return {k: _template(v, tensors) for k, v in value.items()}
    return value


def _render(part, arrays, summarize, top):
    """Text of one template part: tensors summarized, containers as Python shows them."""
    if isinstance(part, _Slot):
        return summarize_v2(arrays[part.index], summarize)
    if isinstance(part, dict):
        return "{" + ", ".join(f"{k!r}: {_render(v, arrays, summarize, False)}" for k, v in part.items()) + "}"
    if isinstance(part, list):
        return "[" + ", ".join(_render(v, arrays, summarize, False) for v in part) + "]"
    if isinstance(part, tuple):
        inner = ", ".join(_render(v, arrays, summarize, False) for v in part)
        return f"({inner},)" if len(part) == 1 else f"({inner})"
    return str(part) if top else repr(part)


def _resolve_stream(stream):
    """A write function for ``output_stream``; stdout / stderr are looked up at run time (as TF1
    names them), so a redirected sys.stderr receives the text."""
    if stream is None or stream in (sys.stderr, sys.__stderr__, "stderr"):
        return lambda text: sys.stderr.write(text)
    if stream in (sys.stdout, sys.__stdout__, "stdout"):
        return lambda text: sys.stdout.write(text)
    if isinstance(stream, str) and stream.startswith("file://"):
        path = stream[len("file://"):]

        def append(text):
            with open(path, "a", encoding="utf-8") as f:
                f.write(text)
        return append
    if hasattr(stream, "write"):
        return stream.write
    if callable(stream):  # a logging function such as logging.info: one call per message, no newline
        return lambda text: stream(text.rstrip("\n"))
    raise ValueError(f"output_stream must be sys.stdout, sys.stderr, 'file://<path>', a file-like object or a "
                     f"logging function, got {stream!r}")


def _print_v2_kernel(ctx):
    parts, summarize, sep, end = (ctx.attrs[k] for k in ("template", "summarize", "sep", "end"))
    write = _resolve_stream(ctx.attrs["output_stream"])

    def print_v2(*arrays):
        write(sep.join(_render(p, arrays, summarize, True) for p in parts) + end)
    return print_v2


define_op("PrintV2", lambda i, a: [], {"CPU": _print_v2_kernel}, stateful=True, differentiable=False)


def print(*inputs, output_stream=None, summarize=3, sep=" ", end="\n", name=None):  # noqa: A001
    """TF1.15's tf.print: an op that prints ``inputs`` (tensors, Python values, nested lists/dicts).

    Tensors show ``summarize`` leading and trailing entries per dimension (-1 or None: all), e.g.
    ``[0 1 2 ... 7 8 9]``. ``output_stream``: sys.stderr (the default), sys.stdout, 'file://<path>',
    a file-like object or a logging function. Run the returned op, or use it as a control dependency."""
    _resolve_stream(output_stream)  # reject a bad stream now, not at run time
    tensors = []
    parts = [_template(value, tensors) for value in inputs]
    attrs = {"template": parts, "summarize": -1 if summarize is None else int(summarize), "sep": sep, "end": end,
             "output_stream": output_stream}
    with get_default_graph().device("/cpu:0"):
        return apply_op("PrintV2", tensors, attrs, name or "PrintV2")


# -- gn.Print ---------------------------------------------------------------------------------------
def _print_v1_kernel(ctx):
    message, summarize, first_n = ctx.attrs["message"], ctx.attrs["summarize"], ctx.attrs["first_n"]
    printed = [0]

    def print_v1(value, *data):
        if first_n < 0 or printed[0] < first_n:
            printed[0] += 1
            sys.stderr.write(message + "".join(f"[{summarize_v1(a, summarize)}]" for a in data) + "\n")
        return value
    return print_v1


define_op("Print", same_as_input, {"CPU": _print_v1_kernel}, stateful=True,
          grad=lambda op, g: [g] + [None] * (len(op.inputs) - 1))


def Print(input_, data, message=None, first_n=None, summarize=None, name=None):  # noqa: N802 (TF1's name)
    """Deprecated TF1 identity with a side effect: returns ``input_`` and prints ``message`` + ``data``
    to stderr each time it runs (``first_n`` times at most when positive)."""
    tensors = [convert_to_tensor(input_)] + [convert_to_tensor(d) for d in data]
    attrs = {"message": message or "", "first_n": -1 if first_n is None else int(first_n),
             "summarize": 3 if summarize is None else int(summarize)}
    with get_default_graph().device("/cpu:0"):
        return apply_op("Print", tensors, attrs, name or "Print").outputs[0]


# -- check_numerics --------------------------------------------------------------------------------
def _check_numerics_kernel(ctx):
    xp, message, value_check = ctx.xp, ctx.attrs["message"], ctx.value_check()

    def describe(has_nan, has_inf):
        kinds = "Inf and NaN" if has_nan and has_inf else "NaN" if has_nan else "Inf"
        return f"{message} : Tensor had {kinds} values"

    def check(x):
        if x.size:  # deferred to the end of the run on GPUs, holding two flags rather than x
            has_nan, has_inf = xp.isnan(x).any(), xp.isinf(x).any()
            value_check(xp.logical_or(has_nan, has_inf), describe, has_nan, has_inf)
        return x
    return check


def _check_numerics_grad(op, g):
    return [check_numerics(g, "Not a number (NaN) or infinity (Inf) values detected in gradient. "
                              f"{op.attrs['message']}")]


define_op("CheckNumerics", same_as_input, {"any": _check_numerics_kernel}, stateful=True, grad=_check_numerics_grad)


def check_numerics(tensor, message, name=None):
    """Identity that raises InvalidArgumentError "<message> : Tensor had NaN values" (or Inf) when
    ``tensor`` holds any; its gradient is checked the same way."""
    x = convert_to_tensor(tensor)
    if not x.dtype.is_floating:
        raise TypeError(f"check_numerics needs a floating-point tensor, got {x.dtype.name} ({x.name})")
    return apply_op("CheckNumerics", [x], {"message": str(message)}, name or "CheckNumerics").outputs[0]


def add_check_numerics_ops():
    """check_numerics on every floating-point output in the default graph; returns a group op."""
    from ..graph.core_ops import group
    graph = get_default_graph()
    checks = [check_numerics(t, f"{op.name}:{t.value_index}")
              for op in graph.get_operations() if op.type != "CheckNumerics"
              for t in op.outputs if t.dtype.is_floating]
    return group(*checks)

