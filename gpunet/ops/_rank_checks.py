"""The run-time rank check of ops whose input rank the graph does not fix (``gn.placeholder(gn.float32)``):
a fed value of the wrong rank gets TF1's message as an ``InvalidArgumentError`` (``input must be
4-dimensional[4,4]``), never a Python error from inside the kernel ("tuple index out of range"). Ops whose
input rank is known when the graph is built are checked by their shape rule then, and pay nothing here."""
from __future__ import annotations

from typing import Callable

from .. import errors
from ._helpers import dims_text, rank_of

__all__ = ["at_least", "axis_in_range", "axes_in_range", "exactly", "rank_checked"]


def rank_checked(build, rule: Callable, index: int = 0):
    """Kernel builder ``build`` with ``rule(shape, attrs) -> message or None`` applied to input ``index``
    at run time when its rank is unknown when the graph is built."""
    def checked(ctx):
        kernel = build(ctx)
        if rank_of(ctx.op.inputs[index]) is not None:
            return kernel
        op, attrs = ctx.op, ctx.attrs

        def run(*inputs):
            message = rule(tuple(inputs[index].shape), attrs)
            if message is not None:
                raise errors.InvalidArgumentError(None, op, message)
            return kernel(*inputs)
        return run
    checked.__name__ = getattr(build, "__name__", "kernel")
    return checked


def exactly(rank, what):
    """TF1's ``<what> must be <rank>-dimensional<shape>``."""
    return lambda shape, attrs: None if len(shape) == rank else f"{what} must be {rank}-dimensional{dims_text(shape)}"


def at_least(rank, message):
    """``message.format(shape=...)`` unless the input has at least ``rank`` dimensions."""
    return lambda shape, attrs: None if len(shape) >= rank else message.format(shape=dims_text(shape))


def axis_in_range(shape, attrs):
    """TF1's check of ArgMax/ArgMin's ``axis`` against the input's rank."""
    rank, axis = len(shape), attrs["axis"]
    return None if -rank <= axis < rank else f"Expected dimension in the range [-{rank}, {rank}), but got {axis}"


def axes_in_range(shape, attrs):
    """TF1's check of a reduction's axes against the input's rank."""
    rank = len(shape)
    bad = [a for a in attrs["axis"] or () if not -rank <= a < rank]
    return None if not bad else f"Invalid reduction dimension {bad[0]} for input with {rank} dimensions"
