"""Cases for shape manipulation, creation, joining/splitting and indexing ops."""
import numpy as np

import gpunet as gn
from gpunet.ops import array_ops, concat_ops, fusion_ops, indexing_ops
from tests.ops.opcases import OpCase, rand


def ints(*shape, low=0, high=4, seed=0, dtype=np.int32):
    return np.random.default_rng(seed + 300).integers(low, high, shape).astype(dtype)


def adjoint_of_index_map(index_map, g, shape):
    """Where a linear op copies input element ``index_map[p]`` to output position p, its adjoint adds
    ``g[p]`` back to that element: the reference for the gradient helper ops."""
    return np.bincount(index_map.ravel(), weights=g.ravel(), minlength=int(np.prod(shape))).reshape(shape)


def _ids(shape):
    return np.arange(int(np.prod(shape))).reshape(shape)


def _scatter(g, key, like):
    result = np.zeros_like(like)
    result[key] = g
    return result


_SHAPES = [
    OpCase("Reshape", lambda x: gn.reshape(x, [3, -1]), [rand(2, 3)], lambda x: x.reshape(3, 2)),
    OpCase("ReshapeLike", lambda x, like: array_ops.reshape_like(x, like), [rand(2, 3), rand(3, 2, seed=1)],
           lambda x, like: x.reshape(3, 2), grad_inputs=[0]),
    OpCase("Reshape", lambda x, y: gn.reshape(x, gn.shape(y)), [rand(2, 3), rand(3, 2, seed=1)],
           lambda x, y: x.reshape(3, 2), grad_inputs=[0], id="Reshape-to-static-shape-of-tensor"),
    OpCase("Shape", gn.shape, [rand(2, 3)], lambda x: np.array([2, 3]), grad=False),
    OpCase("Size", gn.size, [rand(2, 3)], lambda x: 6, grad=False),
    OpCase("Rank", gn.rank, [rand(2, 3)], lambda x: 2, grad=False),
    OpCase("ExpandDims", lambda x: gn.expand_dims(x, 1), [rand(2, 3)], lambda x: x[:, None]),
    OpCase("ExpandDims", lambda x: gn.expand_dims(x, -1), [rand(2, 3)], lambda x: x[..., None], id="ExpandDims-last"),
    OpCase("Squeeze", gn.squeeze, [rand(1, 3, 1)], lambda x: x.reshape(3)),
    OpCase("Squeeze", lambda x: gn.squeeze(x, [-1]), [rand(1, 3, 1)], lambda x: x.reshape(1, 3), id="Squeeze-axis"),
    OpCase("Transpose", lambda x: gn.transpose(x, [1, 2, 0]), [rand(2, 3, 4)], lambda x: x.transpose(1, 2, 0)),
    OpCase("Transpose", gn.transpose, [rand(2, 3)], lambda x: x.T, id="Transpose-default-reverses"),
    OpCase("Tile", lambda x: gn.tile(x, [2, 3]), [rand(2, 3)], lambda x: np.tile(x, (2, 3))),
    OpCase("TileGrad", lambda g, x: array_ops.tile_grad(g, x, [2, 3]), [rand(4, 9), rand(2, 3, seed=1)],
           lambda g, x: adjoint_of_index_map(np.tile(_ids(x.shape), (2, 3)), g, x.shape), grad_inputs=[0]),
    OpCase("StopGradient", gn.stop_gradient, [rand(2, 3)], lambda x: x, grad=False),
    OpCase("RunTimeArgs", lambda x, b: gn.slice(x, b, [1, 2]), [rand(3, 4), np.array([1, 2], np.int32)],
           lambda x, b: x[1:2, 2:4], grad_inputs=[0], id="RunTimeArgs-slice"),
    OpCase("RunTimeArgs", lambda x, p: gn.transpose(x, p), [rand(2, 3, 4), np.array([2, 0, 1], np.int32)],
           lambda x, p: x.transpose(2, 0, 1), grad_inputs=[0], id="RunTimeArgs-transpose"),
    OpCase("RunTimeArgs", lambda x, a: gn.reduce_mean(x, a), [rand(2, 3, 4), np.array([0, 2], np.int32)],
           lambda x, a: x.mean(axis=(0, 2)), grad_inputs=[0], id="RunTimeArgs-reduce_mean"),
]

_CREATION = [
    OpCase("Fill", lambda v: gn.fill([2, 3], v), [np.array(1.5, np.float32)], lambda v: np.full((2, 3), v)),
    OpCase("Fill", lambda x: gn.zeros([gn.shape(x)[0], 2]) + 1.0, [rand(3, 5)], lambda x: np.ones((3, 2)),
           grad=False, id="Fill-dims-from-tensors"),
    OpCase("Fill", lambda: gn.ones([2, 2], dtype=gn.int64), [], lambda: np.ones((2, 2)), grad=False, id="Fill-ones"),
    OpCase("OnesLike", gn.ones_like, [rand(2, 3)], np.ones_like, grad=False),
    OpCase("ZerosLike", gn.zeros_like, [rand(2, 3)], np.zeros_like, grad=False),
    OpCase("ZerosLike", lambda x: gn.zeros_like(x, dtype=gn.int32), [rand(2, 3)], np.zeros_like, grad=False,
           id="ZerosLike-dtype"),
    OpCase("Range", lambda: gn.range(2, 11, 3), [], lambda: np.arange(2, 11, 3), grad=False),
    OpCase("Range", lambda: gn.range(1.0, 0.0, -0.25), [], lambda: np.arange(1.0, 0.0, -0.25), grad=False,
           id="Range-float-descending"),
    OpCase("Range", lambda n: gn.range(n), [np.array(5, np.int32)], lambda n: np.arange(n), grad=False,
           id="Range-fed-limit"),
]

_JOIN_SPLIT = [
    OpCase("ConcatV2", lambda a, b, c: gn.concat([a, b, c], axis=1),
           [rand(2, 1), rand(2, 3, seed=1), rand(2, 2, seed=2)],
           lambda a, b, c: np.concatenate([a, b, c], 1)),
    OpCase("ConcatV2", lambda a, b: gn.concat([a, b], -2), [rand(1, 3), rand(2, 3, seed=1)],
           lambda a, b: np.concatenate([a, b], 0), id="ConcatV2-negative-axis"),
    OpCase("SplitLike", lambda g, a, b: concat_ops.split_like(g, [a, b], 1),
           [rand(2, 5), rand(2, 2, seed=1), rand(2, 3, seed=2)], lambda g, a, b: [g[:, :2], g[:, 2:]], grad_inputs=[0]),
    OpCase("Split", lambda x: gn.split(x, 3, axis=1), [rand(2, 6)], lambda x: np.split(x, 3, axis=1)),
    OpCase("Split", lambda x: gn.split(x, [1, -1, 2], axis=0), [rand(6, 2)], lambda x: [x[:1], x[1:4], x[4:]],
           id="Split-sizes"),
    OpCase("Split", lambda x: gn.split(x, 1)[0], [rand(2, 3)], lambda x: x, id="Split-one-part"),
    OpCase("FlatConcat", lambda a, b, c: fusion_ops.flat_concat([a, b, c]), [rand(2, 3), rand(4, seed=1), rand(seed=2)],
           lambda a, b, c: np.concatenate([a.ravel(), b.ravel(), c.ravel()])),
    OpCase("FlatSplit", lambda x: fusion_ops.flat_split(x, [(2, 3), (4,), ()]), [rand(11)],
           lambda x: [x[:6].reshape(2, 3), x[6:10], x[10].reshape(())]),
    OpCase("FlatSplit", lambda x: fusion_ops.flat_split(x, [(2, 2)]), [rand(4)], lambda x: x.reshape(2, 2),
           id="FlatSplit-one-part"),
    OpCase("Pack", lambda a, b: gn.stack([a, b]), [rand(2, 3), rand(2, 3, seed=1)], lambda a, b: np.stack([a, b])),
    OpCase("Pack", lambda a, b: gn.pack([a, b], axis=-1), [rand(2, 3), rand(2, 3, seed=1)],
           lambda a, b: np.stack([a, b], -1), id="Pack-last-axis"),
    OpCase("Unpack", lambda x: gn.unstack(x, axis=1), [rand(2, 3)], lambda x: [x[:, i] for i in range(3)]),
]

_KEYS = [(slice(1, None), slice(None, None, -1)), (Ellipsis, 0), (None, slice(None), 1), -1,
         (slice(None, None, 2), slice(-2, None)), (slice(None), None, slice(0, 3, 2))]

_INDEXING = [OpCase("StridedSlice", lambda x, k=k: x[k], [rand(3, 4)], lambda x, k=k: x[k], id=f"StridedSlice-{i}")
             for i, k in enumerate(_KEYS)] + [
    OpCase("StridedSlice", lambda x: gn.strided_slice(x, [0, 1], [3, 3], [2, 1], end_mask=1), [rand(3, 4)],
           lambda x: x[::2, 1:3], id="StridedSlice-masks"),
    OpCase("StridedSliceGrad", lambda g, x: indexing_ops.strided_slice_grad(g, x, (slice(None, None, -2), 1)),
           [rand(2), rand(3, 4, seed=1)], lambda g, x: _scatter(g, (slice(None, None, -2), 1), x), grad_inputs=[0]),
    OpCase("Slice", lambda x: gn.slice(x, [1, 0], [2, -1]), [rand(3, 4)], lambda x: x[1:3, :]),
    OpCase("GatherV2", lambda p: gn.gather(p, [2, 0, 2]), [rand(3, 4)], lambda p: p[[2, 0, 2]]),
    OpCase("GatherV2", lambda p, i: gn.gather(p, i, axis=1), [rand(2, 4, 3), ints(2, 2)],
           lambda p, i: np.take(p, i, axis=1), id="GatherV2-axis1-matrix-indices"),
    OpCase("GatherGrad", lambda g, p: indexing_ops.gather_grad(g, gn.constant([1, 1, 0]), p, 0),
           [rand(3, 2), rand(2, 2, seed=1)], lambda g, p: np.stack([g[2], g[0] + g[1]]), grad_inputs=[0]),
    OpCase("OneHot", lambda i: gn.one_hot(i, 4), [np.array([0, 3, -1, 2], np.int32)],
           lambda i: np.eye(4)[i] * (i >= 0)[:, None], grad=False),
    OpCase("OneHot", lambda i: gn.one_hot(i, 3, on_value=5, off_value=-1, axis=0), [ints(2, 2, high=3)],
           lambda i: np.where(np.arange(3)[:, None, None] == i, 5, -1), grad=False, id="OneHot-axis0-int-values"),
    OpCase("Where", gn.where, [np.array([[True, False, True], [False, False, True]])],
           lambda c: np.argwhere(c), grad=False),
    OpCase("Pad", lambda x: gn.pad(x, [[1, 0], [2, 1]], constant_values=0.5), [rand(2, 3)],
           lambda x: np.pad(x, [[1, 0], [2, 1]], constant_values=0.5)),
    OpCase("MirrorPad", lambda x: gn.pad(x, [[1, 1], [2, 0]], "REFLECT"), [rand(3, 4)],
           lambda x: np.pad(x, [[1, 1], [2, 0]], "reflect")),
    OpCase("MirrorPad", lambda x: gn.pad(x, [[2, 1], [0, 3]], mode="symmetric"), [rand(3, 4)],
           lambda x: np.pad(x, [[2, 1], [0, 3]], "symmetric"), id="MirrorPad-symmetric"),
    OpCase("MirrorPadGrad", lambda g: indexing_ops.mirror_pad_grad(g, [[1, 1], [2, 0]], "reflect"), [rand(5, 6)],
           lambda g: adjoint_of_index_map(np.pad(_ids((3, 4)), [[1, 1], [2, 0]], "reflect"), g, (3, 4))),
    OpCase("MirrorPadGrad", lambda g: indexing_ops.mirror_pad_grad(g, [[2, 1], [0, 3]], "symmetric"), [rand(6, 7)],
           lambda g: adjoint_of_index_map(np.pad(_ids((3, 4)), [[2, 1], [0, 3]], "symmetric"), g, (3, 4)),
           id="MirrorPadGrad-symmetric"),
]

CASES = _SHAPES + _CREATION + _JOIN_SPLIT + _INDEXING

EXEMPT = {}
