"""Cases for gn.nn.lrn, gn.nn.top_k, gn.gather_nd and gn.boolean_mask (and their backward ops)."""
import numpy as np

import gpunet as gn
from tests.ops.opcases import OpCase, rand


def _lrn(x, radius=5, bias=1.0, alpha=1.0, beta=0.5):
    x = x.astype(np.float64)
    channels = x.shape[-1]
    sqr_sum = np.stack([(x[..., max(0, d - radius):d + radius + 1] ** 2).sum(-1) for d in range(channels)], -1)
    return x / (bias + alpha * sqr_sum) ** beta


def _lrn_grad(g, x, radius, bias, alpha, beta):
    """The vector-Jacobian product of _lrn by brute force over every (output i, input j) pair."""
    x, g = x.astype(np.float64), g.astype(np.float64)
    channels = x.shape[-1]
    sqr = np.stack([(x[..., max(0, d - radius):d + radius + 1] ** 2).sum(-1) for d in range(channels)], -1)
    norm = bias + alpha * sqr
    dx = g * norm ** -beta
    for i in range(channels):
        for j in range(max(0, i - radius), min(channels, i + radius + 1)):
            dx[..., j] -= g[..., i] * x[..., i] * beta * norm[..., i] ** (-beta - 1) * alpha * 2 * x[..., j]
    return dx


def _top_k(x, k):
    order = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return [np.take_along_axis(x, order, -1), order.astype(np.int32)]


def _distinct(*shape, seed=0):
    """Distinct values (no ties, gaps far above the finite-difference step) in random order."""
    values = np.arange(np.prod(shape), dtype=np.float32) * 0.37 - 1.0
    return np.random.default_rng(seed).permutation(values).reshape(shape)


def _gather_nd(params, indices):
    """TF1's definition, row by row: out[i] = params[tuple(indices[i])] (the whole params for empty rows)."""
    rows = indices.reshape(int(np.prod(indices.shape[:-1])), indices.shape[-1])
    picked = [params[tuple(row)] for row in rows]
    return np.array(picked, dtype=params.dtype).reshape(indices.shape[:-1] + params.shape[indices.shape[-1]:])


def _gather_nd_grad(g, indices, shape):
    out = np.zeros(shape, np.float64)
    np.add.at(out, tuple(np.moveaxis(indices, -1, 0)), g)
    return out


MASK = np.array([True, False, True, True])
MASK_2D = np.array([[True, False, True], [False, False, True]])
POINTS = np.array([[0, 1], [2, 3], [0, 1]], np.int32)  # a repeated coordinate: its gradients add up
ROWS = np.array([[2], [0]], np.int64)
LRN_ARGS = dict(depth_radius=2, bias=2.0, alpha=0.5, beta=0.75)

CASES = [
    OpCase("LRN", gn.nn.lrn, [rand(2, 3, 2, 7)], _lrn, rtol=1e-5),
    OpCase("LRN", lambda x: gn.nn.local_response_normalization(x, **LRN_ARGS), [rand(1, 2, 2, 6)],
           lambda x: _lrn(x, 2, 2.0, 0.5, 0.75), rtol=1e-5, id="LRN-args"),
    OpCase("LRN", lambda x: gn.nn.lrn(x, depth_radius=0), [rand(1, 1, 2, 3)], lambda x: _lrn(x, 0),
           id="LRN-radius0"),
    OpCase("LRN", gn.nn.lrn, [rand(1, 2, 2, 7, dtype=np.float16)], _lrn, grad=False, rtol=2e-3, atol=2e-3,
           id="LRN-float16"),
    OpCase("LRN", gn.nn.lrn, [rand(0, 2, 2, 3)], _lrn, id="LRN-empty-batch"),
    OpCase("LRNGrad", lambda x, g: gn.gradients(gn.nn.lrn(x, **LRN_ARGS), x, grad_ys=g)[0],
           [rand(1, 2, 2, 6), rand(1, 2, 2, 6, seed=1)], lambda x, g: _lrn_grad(g, x, 2, 2.0, 0.5, 0.75),
           grad=False, rtol=1e-5, atol=1e-6),
    OpCase("TopKV2", lambda x: list(gn.nn.top_k(x, 3)), [_distinct(4, 6)], lambda x: _top_k(x, 3)),
    OpCase("TopKV2", lambda x: list(gn.nn.top_k(x, 2)), [_distinct(2, 3, 5)], lambda x: _top_k(x, 2),
           id="TopKV2-rank3"),
    OpCase("TopKV2", lambda x: list(gn.nn.top_k(x, 3)), [np.array([[1, 3, 3, 2, 3]], np.float32)],
           lambda x: [np.array([[3, 3, 3]], np.float32), np.array([[1, 2, 4]], np.int32)], grad=False,
           id="TopKV2-ties-lower-index-first"),
    OpCase("TopKV2", lambda x: list(gn.nn.top_k(x, 2)), [np.array([[5, -2, 7], [0, 9, 9]], np.int32)],
           lambda x: _top_k(x, 2), grad=False, id="TopKV2-int32"),
    OpCase("TopKV2", lambda x: list(gn.nn.top_k(x, 2)), [_distinct(3, 4).astype(np.float64)], lambda x: _top_k(x, 2),
           id="TopKV2-float64"),
    OpCase("TopKV2", lambda x: list(gn.nn.top_k(x, 2)), [_distinct(0, 4)], lambda x: _top_k(x, 2), id="TopKV2-empty"),
    OpCase("TopKV2", lambda x: list(gn.nn.top_k(x, 0)), [_distinct(2, 3)], lambda x: _top_k(x, 0), grad=False,
           id="TopKV2-k0"),
    OpCase("TopKGrad", lambda x, g: gn.gradients(gn.nn.top_k(x, 2)[0], x, grad_ys=g)[0],
           [_distinct(3, 4), rand(3, 2, seed=1)],
           lambda x, g: _scatter_rows(x, _top_k(x, 2)[1], g), grad=False),
    OpCase("GatherNd", gn.gather_nd, [rand(3, 4), POINTS], _gather_nd),
    OpCase("GatherNd", gn.gather_nd, [rand(3, 4, 2), ROWS], _gather_nd, id="GatherNd-slices"),
    OpCase("GatherNd", gn.gather_nd, [rand(3, 4), np.zeros((0, 2), np.int32)], _gather_nd, id="GatherNd-empty"),
    OpCase("GatherNd", gn.gather_nd,
           [np.arange(6, dtype=np.int64).reshape(2, 3), np.array([[1, 2], [0, 0]], np.int32)], _gather_nd,
           grad=False, id="GatherNd-int64-params"),
    OpCase("GatherNd", gn.gather_nd, [rand(2, 3), np.zeros((2, 0), np.int32)], _gather_nd, id="GatherNd-whole"),
    OpCase("GatherNdGrad", lambda p, i, g: gn.gradients(gn.gather_nd(p, i), p, grad_ys=g)[0],
           [rand(3, 4), POINTS, rand(3, seed=1)], lambda p, i, g: _gather_nd_grad(g, i, p.shape), grad_inputs=[2]),
    OpCase("BooleanMask", lambda x, m: gn.boolean_mask(x, m), [rand(4, 3), MASK], lambda x, m: x[m]),
    OpCase("BooleanMask", lambda x, m: gn.boolean_mask(x, m, axis=1), [rand(2, 4, 3), MASK],
           lambda x, m: x[:, m], id="BooleanMask-axis1"),
    OpCase("BooleanMask", lambda x, m: gn.boolean_mask(x, m), [rand(2, 3, 2), MASK_2D], lambda x, m: x[m],
           id="BooleanMask-2d-mask"),
    OpCase("BooleanMask", lambda x, m: gn.boolean_mask(x, m), [rand(4), np.zeros(4, bool)], lambda x, m: x[m],
           id="BooleanMask-none-true"),
    OpCase("BooleanMask", lambda x, m: gn.boolean_mask(x, m), [rand(0, 2), np.zeros(0, bool)], lambda x, m: x[m],
           id="BooleanMask-empty"),
    OpCase("BooleanMaskGrad", lambda x, m, g: gn.gradients(gn.boolean_mask(x, m), x, grad_ys=g)[0],
           [rand(4, 3), MASK, rand(3, 3, seed=1)], lambda x, m, g: _unmask(g, m, x.shape), grad_inputs=[2]),
]


def _scatter_rows(x, indices, g):
    out = np.zeros(x.shape, np.float64)
    np.put_along_axis(out, indices.astype(np.int64), g, -1)
    return out


def _unmask(g, mask, shape):
    out = np.zeros(shape, np.float64)
    out[mask] = g
    return out


EXEMPT = {
    "LRNGrad": "backward op without a second derivative (gn.gradients raises LookupError through it); its kernel "
               "is checked by the LRNGrad case against a brute-force Jacobian",
    "TopKGrad": "backward op without a second derivative (gn.gradients raises LookupError through it); its kernel "
                "is checked by the TopKGrad case",
}
