"""Joining and splitting tensors: concat, split, stack (pack), unstack."""
from __future__ import annotations

import numpy as np

from .. import errors
from ..graph.core_ops import convert_to_tensor, identity
from ..graph.registry import define_op
from ._helpers import dims_text, int_list_arg, out, outs, rank_of, single_axis, tensor_arg
from ._runtime_args import int_arg

__all__ = ["concat", "pack", "split", "stack", "unstack"]


# -- concat / split -------------------------------------------------------------------------------
def _joined_shape(shapes, skip_axis, op_name):
    """Merge static shapes that must agree everywhere except (if given) on ``skip_axis``."""
    known = [s for s in shapes if s is not None]
    if not known:
        return None
    merged = list(known[0])
    for s in known[1:]:
        if len(s) != len(merged):
            raise ValueError(f"{op_name}: all inputs must have the same rank, got shapes "
                             f"{dims_text(known[0])} and {dims_text(s)}")
        for i, d in enumerate(s):
            if i == skip_axis or d is None:
                continue
            if merged[i] is not None and merged[i] != d:
                raise ValueError(f"{op_name}: dimension {i} in both shapes must be equal, but are {merged[i]} "
                                 f"and {d}. Shapes are {dims_text(known[0])} and {dims_text(s)}.")
            merged[i] = d
    return merged


def _check_same_dtype(inputs, op_name):
    for t in inputs[1:]:
        if t.dtype != inputs[0].dtype:
            raise TypeError(f"{op_name}: all inputs must have the same dtype, got {inputs[0].dtype.name} "
                            f"and {t.dtype.name}")


def _concat_infer(inputs, attrs):
    _check_same_dtype(inputs, "ConcatV2")
    axis = attrs["axis"]
    merged = _joined_shape([t._shape for t in inputs], axis, "ConcatV2")
    if merged is None:
        return [(inputs[0].dtype, None)]
    if axis >= len(merged):
        raise ValueError(f"ConcatV2: axis {axis} is out of range for inputs of rank {len(merged)}")
    sizes = [None if t._shape is None else t._shape[axis] for t in inputs]
    merged[axis] = None if None in sizes else sum(sizes)
    return [(inputs[0].dtype, tuple(merged))]


def _concat_kernel(ctx):
    axis, concatenate = ctx.attrs["axis"], ctx.xp.concatenate
    return lambda *xs: concatenate(xs, axis)


define_op("ConcatV2", _concat_infer, {"any": _concat_kernel},
          grad=lambda op, g: split_like(g, op.inputs, op.attrs["axis"]))


def _split_like_kernel(ctx):
    axis, split = ctx.attrs["axis"], ctx.xp.split
    return lambda g, *likes: tuple(split(g, np.cumsum([like.shape[axis] for like in likes[:-1]]).tolist(), axis))


define_op("SplitLike", lambda i, a: [(i[0].dtype, like._shape) for like in i[1:]], {"any": _split_like_kernel},
          grad=lambda op, *gs: [concat(list(gs), op.attrs["axis"])] + [None] * len(gs))


def split_like(g, likes, axis):
    """``g`` cut along ``axis`` into pieces as long as each of ``likes`` (the gradient of concat)."""
    return outs("SplitLike", [g, *likes], {"axis": axis}, default_name="split")


def concat(values, axis, name="concat"):
    """Join tensors along an existing ``axis`` (TF1 argument order: values first)."""
    values = [convert_to_tensor(v) for v in values]
    if not values:
        raise ValueError("concat: values must not be empty")
    if len(values) == 1:
        return identity(values[0], name=name)
    rank = next((rank_of(v) for v in values if rank_of(v) is not None), None)
    axis = single_axis(axis, rank, "ConcatV2")
    return out("ConcatV2", values, {"axis": axis}, name=name, default_name="concat")


def _split_infer(inputs, attrs):
    x, axis, sizes = inputs[0], attrs["axis"], list(attrs["sizes"])
    if x._shape is None:
        return [(x.dtype, None)] * len(sizes)
    if axis >= len(x._shape):
        raise ValueError(f"Split: axis {axis} is out of range for input shape {dims_text(x._shape)}")
    dim = x._shape[axis]
    if attrs["equal"]:
        if dim is not None and dim % len(sizes):
            raise ValueError(f"Dimension size must be evenly divisible by {len(sizes)} but is {dim} "
                             f"for Split with input shape {dims_text(x._shape)}")
        sizes = [None if dim is None else dim // len(sizes)] * len(sizes)
    elif dim is not None:
        rest = dim - sum(s for s in sizes if s != -1)
        if -1 in sizes and rest >= 0:
            sizes[sizes.index(-1)] = rest
        elif -1 in sizes or rest != 0:
            raise ValueError(f"SplitV: sizes {list(attrs['sizes'])} do not add up to dimension {axis} of size "
                             f"{dim} of input shape {dims_text(x._shape)}")
    sizes = [None if s == -1 else s for s in sizes]
    return [(x.dtype, x._shape[:axis] + (s,) + x._shape[axis + 1:]) for s in sizes]


def _split_kernel(ctx):
    axis, sizes, split, op = ctx.attrs["axis"], list(ctx.attrs["sizes"]), ctx.xp.split, ctx.op
    if ctx.attrs["equal"]:
        count = len(sizes)

        def fn(x):
            if x.shape[axis] % count:  # a size known only when fed
                raise errors.InvalidArgumentError(None, op, f"Number of ways to split should evenly divide the split "
                                                            f"dimension, but got split_dim {axis} (size = "
                                                            f"{x.shape[axis]}) and num_split {count}")
            return split(x, count, axis)
    else:
        known = sum(d for d in sizes if d != -1)

        def fn(x):
            resolved = list(sizes)
            if -1 in sizes:
                resolved[sizes.index(-1)] = x.shape[axis] - known
            if min(resolved) < 0 or sum(resolved) != x.shape[axis]:  # NumPy would cut the last piece to fit
                raise errors.InvalidArgumentError(None, op, f"Determined shape must either match input shape along "
                                                            f"split_dim exactly if fully specified, or be less than "
                                                            f"the size of the input along split_dim if not fully "
                                                            f"specified.  Got: {known}")
            return split(x, np.cumsum(resolved[:-1]).tolist(), axis)
    if len(sizes) == 1:
        return lambda x: fn(x)[0]
    return lambda x: tuple(fn(x))


define_op("Split", _split_infer, {"any": _split_kernel},
          grad=lambda op, *gs: [concat(list(gs), op.attrs["axis"])])


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """A list of tensors: ``num_or_size_splits`` equal parts, or parts of the given sizes (one may be -1)."""
    x = convert_to_tensor(value)
    axis = single_axis(axis, rank_of(x), "Split")
    if np.ndim(num_or_size_splits) == 0 and not hasattr(num_or_size_splits, "op"):
        count = int(num_or_size_splits)
        if not 1 <= count < 2 ** 31:
            raise ValueError(f"split: num_or_size_splits must be in [1, 2**31), got {count}")
        attrs = {"axis": axis, "sizes": (-1,) * count, "equal": True}
    elif int_arg(num_or_size_splits, "size_splits")[1] is not None:
        from . import _run_time_variants as run_time
        return run_time.split(x, int_arg(num_or_size_splits, "size_splits")[1], axis, num, name)
    else:
        sizes = tuple(int_list_arg(num_or_size_splits, "size_splits", "SplitV"))
        if num is not None and num != len(sizes):
            raise ValueError(f"split: num={num} but {len(sizes)} sizes were given")
        if sizes.count(-1) > 1 or any(s < -1 for s in sizes):
            raise ValueError(f"SplitV: at most one size may be -1 and none below it, got {list(sizes)}")
        attrs = {"axis": axis, "sizes": sizes, "equal": False}
    return outs("Split", [x], attrs, name=name, default_name="split")


# -- stack / unstack ------------------------------------------------------------------------------
def _pack_infer(inputs, attrs):
    _check_same_dtype(inputs, "Pack")
    merged = _joined_shape([t._shape for t in inputs], None, "Pack")
    if merged is None:
        return [(inputs[0].dtype, None)]
    merged.insert(attrs["axis"], len(inputs))
    return [(inputs[0].dtype, tuple(merged))]


def _pack_kernel(ctx):
    axis, stack_fn = ctx.attrs["axis"], ctx.xp.stack
    return lambda *xs: stack_fn(xs, axis)


define_op("Pack", _pack_infer, {"any": _pack_kernel},
          grad=lambda op, g: unstack(g, num=len(op.inputs), axis=op.attrs["axis"]))


def stack(values, axis=0, name="stack"):
    """Join tensors of the same shape along a new ``axis``."""
    values = [tensor_arg(v) for v in values]
    if not values:
        raise ValueError("stack: values must not be empty")
    rank = next((rank_of(v) for v in values if rank_of(v) is not None), None)
    return out("Pack", values, {"axis": single_axis(axis, rank, "Pack", extra=1)}, name=name, default_name="stack")


pack = stack


def _unpack_infer(inputs, attrs):
    x, axis = inputs[0], attrs["axis"]
    shape = x._shape[:axis] + x._shape[axis + 1:]
    return [(x.dtype, shape)] * attrs["num"]


def _unpack_kernel(ctx):
    axis, num = ctx.attrs["axis"], ctx.attrs["num"]
    keys = [(slice(None),) * axis + (i,) for i in range(num)]
    if num == 1:
        return lambda x: x[keys[0]]
    return lambda x: tuple(x[key] for key in keys)


define_op("Unpack", _unpack_infer, {"any": _unpack_kernel},
          grad=lambda op, *gs: [stack(list(gs), axis=op.attrs["axis"])])


def unstack(value, num=None, axis=0, name="unstack"):
    """The list of slices of ``value`` along ``axis``; ``num`` defaults to that dimension's static size."""
    x = convert_to_tensor(value)
    if x._shape is None:
        raise ValueError(f"Cannot infer num from shape <unknown> of {x.name}: unstack needs a known rank")
    axis = single_axis(axis, len(x._shape), "Unpack")
    dim = x._shape[axis]
    if num is None:
        if dim is None:
            raise ValueError(f"Cannot infer num from shape {dims_text(x._shape)}")
        num = dim
    elif dim is not None and dim != num:
        raise ValueError(f"unstack: num={num} but dimension {axis} of shape {dims_text(x._shape)} is {dim}")
    return outs("Unpack", [x], {"axis": axis, "num": int(num)}, name=name, default_name="unstack")
