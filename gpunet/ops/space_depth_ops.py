"""TF1's block rearrangements: ``space_to_depth``/``depth_to_space`` (NHWC, NCHW) and
``space_to_batch_nd``/``batch_to_space_nd`` (with ``space_to_batch``/``batch_to_space``), each a
composition of pad, reshape, transpose and slice, so their gradients are those ops' gradients
(TF1's: the inverse rearrangement). The block sizes, paddings and crops must be known when the graph
is built, and so must every dimension but the batch (checked then, with TF1's messages)."""
from __future__ import annotations

import numpy as np

from ..graph.core_ops import convert_to_tensor
from ..graph.scopes import name_scope
from ._helpers import constant_value
from .array_ops import reshape, transpose
from .indexing_ops import pad, slice as slice_

__all__ = ["batch_to_space", "batch_to_space_nd", "depth_to_space", "space_to_batch", "space_to_batch_nd",
           "space_to_depth"]


def _static_dims(x, rank, what):
    """x's dimensions (the batch may be unknown: -1), for an op that needs rank ``rank``"""
    if x._shape is None:
        raise ValueError(f"{what}: the rank and dimensions of {x.name} must be known when the graph is built")
    dims = list(x._shape)
    if rank is not None and len(dims) != rank:
        raise ValueError(f"Shape must be rank {rank} but is rank {len(dims)} for {what} with input shape {dims}")
    if None in dims[1:]:
        raise ValueError(f"{what}: every dimension of {x.name} but the batch must be known, got {x.shape}")
    return [-1 if dims[0] is None else dims[0]] + dims[1:]


def _divisible(size, block, what):
    if size % block:
        raise ValueError(f"Dimension size must be evenly divisible by {block} but is {size} for {what}")


def _check_block_size(block_size, op_type):
    if int(block_size) < 2:
        raise ValueError(f"Attr 'block_size' of '{op_type}' Op passed {block_size} less than minimum 2.")
    return int(block_size)


def _to_nhwc(x, data_format, op_type):
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"{op_type}: data_format must be 'NHWC' or 'NCHW', got {data_format!r}")
    return x if data_format == "NHWC" else transpose(x, [0, 2, 3, 1])


def _from_nhwc(y, data_format):
    return y if data_format == "NHWC" else transpose(y, [0, 3, 1, 2])


def space_to_depth(input, block_size, name=None, data_format="NHWC"):  # noqa: A002 (TF1's name)
    """Each ``block_size`` x ``block_size`` patch of the spatial dimensions becomes one position with
    ``block_size ** 2`` times the depth (row of the patch, then column, then channel, outermost first)."""
    with name_scope(name, "SpaceToDepth", [input]):
        b = _check_block_size(block_size, "SpaceToDepth")
        x = _to_nhwc(convert_to_tensor(input, name="input"), data_format, "SpaceToDepth")
        n, h, w, c = _static_dims(x, 4, "SpaceToDepth")
        _divisible(h, b, "SpaceToDepth")
        _divisible(w, b, "SpaceToDepth")
        patches = transpose(reshape(x, [n, h // b, b, w // b, b, c]), [0, 1, 3, 2, 4, 5])
        return _from_nhwc(reshape(patches, [n, h // b, w // b, b * b * c]), data_format)


def depth_to_space(input, block_size, name=None, data_format="NHWC"):  # noqa: A002 (TF1's name)
    """The inverse of ``space_to_depth``: the depth splits into ``block_size`` x ``block_size`` patches."""
    with name_scope(name, "DepthToSpace", [input]):
        b = _check_block_size(block_size, "DepthToSpace")
        x = _to_nhwc(convert_to_tensor(input, name="input"), data_format, "DepthToSpace")
        n, h, w, c = _static_dims(x, 4, "DepthToSpace")
        _divisible(c, b * b, "DepthToSpace")
        patches = transpose(reshape(x, [n, h, w, b, b, c // (b * b)]), [0, 1, 3, 2, 4, 5])
        return _from_nhwc(reshape(patches, [n, h * b, w * b, c // (b * b)]), data_format)


def _block_args(block_shape, pairs, pairs_name, op_type):
    """block_shape as ints [M] and paddings/crops as ints [M, 2], both known now"""
    block = np.asarray(_constant_value(block_shape, "block_shape", op_type))
    edges = np.asarray(_constant_value(pairs, pairs_name, op_type))
    if block.ndim != 1 or not np.issubdtype(block.dtype, np.integer) or block.size == 0:
        raise ValueError(f"{op_type}: block_shape must be a non-empty 1-D list of ints, got {block.tolist()}")
    if edges.shape != (block.size, 2):
        raise ValueError(f"Dimension 0 in both shapes must be equal: {pairs_name} has shape {list(edges.shape)}, "
                         f"block_shape {[block.size]}; {pairs_name} must have shape [{block.size}, 2]")
    if (block < 1).any():
        raise ValueError(f"block_shape must be positive, got {block.tolist()}")
    if (edges < 0).any():
        raise ValueError(f"{pairs_name} cannot be negative, got {edges.tolist()}")
    return [int(b) for b in block], [[int(a), int(z)] for a, z in edges]


def _constant_value(value, what, op_type):
    if hasattr(value, "op"):
        known = constant_value(value)
        if known is None:
            raise ValueError(f"{op_type}: {what} must be known when the graph is built, got {value.name}")
        return known
    return value


def space_to_batch_nd(input, block_shape, paddings, name=None):  # noqa: A002 (TF1's name)
    """Pads the M spatial dimensions (those after the batch) by ``paddings``, splits each into
    blocks of ``block_shape`` and moves the block offsets into the batch, outermost first: shape
    ``[batch * prod(block_shape), padded_1 / block_1, ..., padded_M / block_M, remaining...]``."""
    with name_scope(name, "SpaceToBatchND", [input]):
        x = convert_to_tensor(input, name="input")
        block, pads = _block_args(block_shape, paddings, "paddings", "SpaceToBatchND")
        m = len(block)
        dims = _static_dims(x, None, "SpaceToBatchND")
        if len(dims) < m + 1:
            raise ValueError(f"SpaceToBatchND: input of rank {len(dims)} has fewer than {m} spatial dimensions")
        rest = dims[m + 1:]
        padded = [d + a + z for d, (a, z) in zip(dims[1:m + 1], pads)]
        for size, b in zip(padded, block):
            _divisible(size, b, "SpaceToBatchND")
        x = pad(x, [[0, 0]] + pads + [[0, 0]] * len(rest))
        split = [dims[0]] + [v for size, b in zip(padded, block) for v in (size // b, b)] + rest
        perm = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)] + list(range(2 * m + 1, len(split)))
        batch = -1 if dims[0] == -1 else dims[0] * int(np.prod(block))
        return reshape(transpose(reshape(x, split), perm), [batch] + [s // b for s, b in zip(padded, block)] + rest)


def batch_to_space_nd(input, block_shape, crops, name=None):  # noqa: A002 (TF1's name)
    """The inverse of ``space_to_batch_nd``: the batch's block offsets move back into the M spatial
    dimensions, which are then cropped by ``crops``."""
    with name_scope(name, "BatchToSpaceND", [input]):
        x = convert_to_tensor(input, name="input")
        block, crop = _block_args(block_shape, crops, "crops", "BatchToSpaceND")
        m, count = len(block), int(np.prod(block))
        dims = _static_dims(x, None, "BatchToSpaceND")
        if dims[0] == -1:
            raise ValueError(f"BatchToSpaceND: the batch dimension of {x.name} must be known, got {x.shape}")
        if len(dims) < m + 1:
            raise ValueError(f"BatchToSpaceND: input of rank {len(dims)} has fewer than {m} spatial dimensions")
        _divisible(dims[0], count, "BatchToSpaceND")
        spatial, rest = dims[1:m + 1], dims[m + 1:]
        full = [d * b for d, b in zip(spatial, block)]
        for size, (a, z) in zip(full, crop):
            if size - a - z < 0:
                raise ValueError(f"Negative dimension size caused by subtracting {z} from {size - a} for "
                                 f"BatchToSpaceND (crops {crop})")
        split = block + [dims[0] // count] + spatial + rest
        perm = [m] + [v for i in range(m) for v in (m + 1 + i, i)] + list(range(2 * m + 1, len(split)))
        joined = reshape(transpose(reshape(x, split), perm), [dims[0] // count] + full + rest)
        if not any(a or z for a, z in crop):
            return joined
        sizes = [dims[0] // count] + [s - a - z for s, (a, z) in zip(full, crop)] + rest
        return slice_(joined, [0] + [a for a, _ in crop] + [0] * len(rest), sizes)


def space_to_batch(input, paddings, block_size=None, name=None, block_shape=None):  # noqa: A002
    """TF1's 4-D form: ``space_to_batch_nd`` over height and width with a square block."""
    size = block_shape if block_size is None else block_size
    return space_to_batch_nd(input, [int(size)] * 2, paddings, name=name or "SpaceToBatch")


def batch_to_space(input, crops, block_size, name=None, block_shape=None):  # noqa: A002
    """TF1's 4-D form: ``batch_to_space_nd`` over height and width with a square block."""
    size = block_shape if block_size is None else block_size
    return batch_to_space_nd(input, [int(size)] * 2, crops, name=name or "BatchToSpace")
