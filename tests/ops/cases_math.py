"""Cases for elementwise math, comparisons, logic, cast, reductions and matrix products."""
import numpy as np

import gpunet as gn
from gpunet.ops import broadcast_ops, reduction_ops
from tests.ops.opcases import OpCase, positive, rand


def ints(*shape, low=-5, high=6, seed=0, dtype=np.int32):
    return np.random.default_rng(seed + 100).integers(low, high, shape).astype(dtype)


def bools(*shape, seed=0):
    return np.random.default_rng(seed + 200).random(shape) < 0.5


# x values kept away from multiples of y, where floor(x / y) jumps
_MOD_X = np.array([[2.3, -1.7, 0.4], [5.5, -3.2, 1.1]], np.float32)
_MOD_Y = np.array([0.7, 1.3, -0.9], np.float32)

_NONZERO = np.array([3, -2, 4], np.int32)  # divisors of both signs for the C-style (truncating) ops
_SPECIALS = np.array([[np.nan, 1.0, -np.inf], [np.inf, 0.0, -np.nan]], np.float32)  # for the IsNan family

_BINARY = [
    OpCase("AddV2", gn.add, [rand(2, 3), rand(3, seed=1)], lambda a, b: a + b),
    OpCase("AddV2", lambda x: x + 1.5, [rand(2, 3)], lambda x: x + 1.5, id="AddV2-scalar-operator"),
    OpCase("AddV2", gn.add, [ints(2, 3), ints(1, 3, seed=1)], lambda a, b: a + b, grad=False, id="AddV2-int32"),
    OpCase("Sub", gn.subtract, [rand(2, 3), rand(2, 1, seed=1)], lambda a, b: a - b),
    OpCase("Sub", lambda x: 1.0 - x, [rand(2, 3)], lambda x: 1 - x, id="Sub-reflected-operator"),
    OpCase("Mul", gn.multiply, [rand(2, 3), rand(1, 3, seed=1)], lambda a, b: a * b),
    OpCase("Mul", gn.multiply, [ints(2, 3, dtype=np.int64), ints(3, seed=1, dtype=np.int64)], lambda a, b: a * b,
           grad=False, id="Mul-int64"),
    OpCase("RealDiv", gn.divide, [rand(2, 3), positive(2, 3, seed=1)], lambda a, b: a / b),
    OpCase("RealDiv", lambda a, b: a / b, [ints(2, 3), ints(2, 3, low=1, seed=1)], lambda a, b: a / b, grad=False,
           id="RealDiv-int32-gives-float64"),
    OpCase("FloorDiv", lambda a, b: a // b, [_MOD_X, _MOD_Y], np.floor_divide, grad=False),
    OpCase("FloorDiv", gn.floordiv, [ints(2, 3), ints(3, low=1, seed=1)], np.floor_divide, grad=False,
           id="FloorDiv-int32"),
    OpCase("FloorMod", lambda a, b: a % b, [_MOD_X, _MOD_Y], np.mod, atol=1e-5),
    OpCase("FloorMod", gn.floormod, [ints(2, 3), -ints(3, low=1, seed=1)], np.mod, grad=False, id="FloorMod-int32"),
    OpCase("TruncateDiv", gn.truncatediv, [ints(2, 3), _NONZERO], lambda a, b: np.trunc(a / b).astype(a.dtype),
           grad=False),
    OpCase("TruncateDiv", gn.truncatediv, [_MOD_X, _MOD_Y], lambda a, b: np.trunc(a / b), grad=False,
           id="TruncateDiv-float"),
    OpCase("TruncateMod", gn.truncatemod, [ints(2, 3), _NONZERO], np.fmod, grad=False),
    OpCase("TruncateMod", gn.truncatemod, [_MOD_X, _MOD_Y], np.fmod, grad=False, id="TruncateMod-float"),
    OpCase("Pow", gn.pow, [positive(2, 3), rand(2, 3, seed=1)], np.power),
    OpCase("Pow", lambda x: x ** 2, [ints(2, 3)], lambda x: x ** 2, grad=False, id="Pow-int32"),
    OpCase("Maximum", gn.maximum, [rand(2, 3), rand(3, seed=1)], np.maximum),
    OpCase("Maximum", gn.maximum, [ints(2, 3), ints(2, 3, seed=1)], np.maximum, grad=False, id="Maximum-int32"),
    OpCase("Minimum", gn.minimum, [rand(2, 3), rand(2, 1, seed=1)], np.minimum),
    OpCase("SquaredDifference", gn.squared_difference, [rand(2, 3), rand(2, 1, seed=1)], lambda a, b: (a - b) ** 2),
]

_UNARY = [
    OpCase("Neg", lambda x: -x, [rand(2, 3)], np.negative),
    OpCase("Neg", gn.negative, [ints(2, 3)], np.negative, grad=False, id="Neg-int32"),
    OpCase("Abs", abs, [rand(2, 3)], np.abs),
    OpCase("Abs", gn.abs, [ints(2, 3, dtype=np.int64)], np.abs, grad=False, id="Abs-int64"),
    OpCase("Sign", gn.sign, [rand(2, 3)], np.sign),
    OpCase("Sign", gn.sign, [ints(2, 3)], np.sign, grad=False, id="Sign-int32"),
    OpCase("Square", gn.square, [rand(2, 3)], np.square),
    OpCase("Square", gn.square, [ints(2, 3)], np.square, grad=False, id="Square-int32"),
    OpCase("Sqrt", gn.sqrt, [positive(2, 3)], np.sqrt),
    OpCase("Rsqrt", gn.rsqrt, [positive(2, 3)], lambda x: 1 / np.sqrt(x)),
    OpCase("Exp", gn.exp, [rand(2, 3)], np.exp),
    OpCase("Expm1", gn.expm1, [rand(2, 3)], np.expm1),
    OpCase("Log", gn.log, [positive(2, 3)], np.log),
    OpCase("Log1p", gn.log1p, [positive(2, 3)], np.log1p),
    OpCase("Reciprocal", gn.reciprocal, [positive(2, 3)], np.reciprocal),
    OpCase("Sin", gn.sin, [rand(2, 3)], np.sin),
    OpCase("Cos", gn.cos, [rand(2, 3)], np.cos),
    OpCase("Floor", gn.floor, [rand(2, 3, low=-3, high=3)], np.floor, grad=False),
    OpCase("Ceil", gn.ceil, [rand(2, 3, low=-3, high=3)], np.ceil, grad=False),
    OpCase("Round", gn.round, [np.array([[0.5, 1.5, 2.5], [-0.5, -1.7, 2.2]], np.float32)],
           lambda x: np.array([[0, 2, 2], [0, -2, 2]]), grad=False),
    OpCase("Round", gn.round, [ints(2, 3)], lambda x: x, grad=False, id="Round-int32"),
]

_LOGIC = [
    OpCase("Equal", gn.equal, [ints(2, 3, low=0, high=3), ints(3, low=0, high=3, seed=1)], np.equal, grad=False),
    OpCase("NotEqual", gn.not_equal, [ints(2, 3, low=0, high=3), ints(2, 3, low=0, high=3, seed=1)], np.not_equal,
           grad=False),
    OpCase("Less", lambda a, b: a < b, [rand(2, 3), rand(3, seed=1)], np.less, grad=False),
    OpCase("LessEqual", lambda a, b: a <= b, [ints(2, 3), ints(2, 3, seed=1)], np.less_equal, grad=False),
    OpCase("Greater", lambda x: x > 0.0, [rand(2, 3)], lambda x: x > 0, grad=False),
    OpCase("GreaterEqual", lambda x: x >= 0.25, [rand(2, 3)], lambda x: x >= 0.25, grad=False),
    OpCase("LessEqual", lambda x: 0.25 >= x, [rand(2, 3)], lambda x: 0.25 >= x, grad=False,
           id="LessEqual-reflected-operator"),
    OpCase("LogicalAnd", lambda a, b: a & b, [bools(2, 3), bools(3, seed=1)], np.logical_and, grad=False),
    OpCase("LogicalOr", gn.logical_or, [bools(2, 3), bools(2, 3, seed=1)], np.logical_or, grad=False),
    OpCase("LogicalNot", lambda x: ~x, [bools(2, 3)], np.logical_not, grad=False),
    OpCase("IsNan", gn.is_nan, [_SPECIALS], np.isnan, grad=False),
    OpCase("IsInf", gn.is_inf, [_SPECIALS], np.isinf, grad=False),
    OpCase("IsFinite", gn.is_finite, [_SPECIALS], np.isfinite, grad=False),
    OpCase("LogicalAnd", lambda a, b: a ^ b, [bools(2, 3), bools(2, 3, seed=1)], np.logical_xor, grad=False,
           id="LogicalXor-composite"),
]

_OTHER_ELEMENTWISE = [
    OpCase("Cast", lambda x: gn.cast(x, gn.int32), [rand(2, 3, low=-5, high=5)], lambda x: x.astype(np.int32),
           grad=False),
    OpCase("Cast", lambda x: gn.cast(gn.cast(x, gn.float16 if x.dtype == gn.float32 else gn.float32) * 2.0, x.dtype),
           [rand(2, 3)], lambda x: (x.astype(np.float16) * 2).astype(np.float32), id="Cast-float", rtol=1e-3,
           grad_eps=1e-2, grad_tol=1e-3),
    OpCase("Cast", gn.to_float, [bools(2, 3)], lambda x: x.astype(np.float32), grad=False, id="Cast-bool-to-float"),
    OpCase("AddN", lambda a, b: gn.add_n([a, b, a]), [rand(2, 3), rand(2, 3, seed=1)], lambda a, b: 2 * a + b),
    OpCase("ClipByValue", lambda x: gn.clip_by_value(x, -0.5, 0.5), [rand(2, 3)], lambda x: np.clip(x, -0.5, 0.5)),
    OpCase("ClipByValue", gn.clip_by_value, [rand(3, 4), rand(4, high=-0.3, seed=1), rand(1, 4, low=0.3, seed=2)],
           np.clip, id="ClipByValue-tensor-bounds"),
    OpCase("Select", gn.where, [bools(2, 3), rand(2, 3, seed=1), rand(2, 3, seed=2)], np.where, grad_inputs=[1, 2]),
    OpCase("Select", gn.where, [bools(2), rand(2, 3, seed=1), rand(2, 3, seed=2)],
           lambda c, x, y: np.where(c[:, None], x, y), grad_inputs=[1, 2], id="Select-vector-picks-rows"),
    OpCase("SumToShapeOf", lambda g, x: broadcast_ops.sum_to_shape_of(g, x),
           [rand(2, 3), rand(1, 3, seed=1)], lambda g, x: g.sum(0, keepdims=True), grad_inputs=[0]),
    OpCase("BroadcastToLike", lambda x, like: broadcast_ops.broadcast_to_like(x, like),
           [rand(1, 3), rand(2, 3, seed=1)], lambda x, like: np.broadcast_to(x, like.shape), grad_inputs=[0]),
    OpCase("BroadcastTo", lambda x: gn.broadcast_to(x, [2, 3, 4]), [rand(3, 1)],
           lambda x: np.broadcast_to(x, (2, 3, 4))),
]

_WITH_ZEROS = np.array([[0.5, 0.0, 2.0, 1.5], [1.2, -0.7, 0.0, 0.0], [0.9, 1.1, -1.3, 0.8]], np.float32)

_REDUCTIONS = [
    OpCase("Sum", lambda x: gn.reduce_sum(x, axis=1), [rand(2, 3)], lambda x: x.sum(1)),
    OpCase("Sum", lambda x: gn.reduce_sum(x, axis=[0, 1], keepdims=True), [rand(2, 3)],
           lambda x: x.sum((0, 1), keepdims=True), id="Sum-keepdims"),
    OpCase("Sum", gn.reduce_sum, [rand(2, 3)], lambda x: x.sum(), id="Sum-all"),
    OpCase("Sum", lambda x: gn.reduce_sum(x, -1), [ints(2, 3)], lambda x: x.sum(-1), grad=False, id="Sum-int32"),
    OpCase("Mean", lambda x: gn.reduce_mean(x, axis=0), [rand(3, 4)], lambda x: x.mean(0)),
    OpCase("Mean", lambda x: gn.reduce_mean(x, keep_dims=True), [rand(3, 4)], lambda x: x.mean(keepdims=True),
           id="Mean-all-keepdims"),
    OpCase("Mean", lambda x: gn.reduce_mean(x, 1), [np.array([[1, 2, 4], [-1, -2, 0]], np.int32)],
           lambda x: np.array([2, -1]), grad=False, id="Mean-int32-truncates"),
    OpCase("Max", lambda x: gn.reduce_max(x, axis=1), [rand(3, 4)], lambda x: x.max(1)),
    OpCase("Max", gn.reduce_max, [rand(3, 4)], np.max, id="Max-all"),
    OpCase("Max", lambda x: gn.reduce_max(x, 0), [ints(3, 4)], lambda x: x.max(0), grad=False, id="Max-int32"),
    OpCase("Min", lambda x: gn.reduce_min(x, axis=[0, 2], keepdims=True), [rand(2, 3, 4)],
           lambda x: x.min((0, 2), keepdims=True)),
    OpCase("Prod", lambda x: gn.reduce_prod(x, axis=1), [_WITH_ZEROS], lambda x: x.prod(1)),
    OpCase("Prod", lambda x: gn.reduce_prod(x, axis=[0, 2]), [rand(2, 3, 2)], lambda x: x.prod((0, 2)),
           id="Prod-two-axes"),
    OpCase("Prod", lambda x: gn.reduce_prod(x, axis=[0, 1], keepdims=True), [_WITH_ZEROS],
           lambda x: x.prod((0, 1), keepdims=True), id="Prod-two-axes-zeros"),
    OpCase("Prod", gn.reduce_prod, [_WITH_ZEROS[:2]], np.prod, id="Prod-all-zeros"),
    OpCase("Prod", lambda x: gn.reduce_prod(x, 0), [ints(3, 2, low=1, high=4)], lambda x: x.prod(0), grad=False,
           id="Prod-int32"),
    OpCase("All", lambda x: gn.reduce_all(x, axis=1), [bools(3, 4)], lambda x: x.all(1), grad=False),
    OpCase("Any", gn.reduce_any, [bools(3, 4)], np.any, grad=False),
    OpCase("Max", lambda x: gn.reduce_logsumexp(x, axis=1), [rand(3, 4, low=-3, high=3)],
           lambda x: np.log(np.exp(x).sum(1)), id="ReduceLogSumExp-composite"),
    OpCase("Sum", lambda x: gn.count_nonzero(x, axis=0), [np.array([[0, 1, 2], [0, 0, 3]], np.int32)],
           lambda x: np.array([0, 1, 2]), grad=False, id="CountNonzero-composite"),
    OpCase("ReductionGrad", lambda g, x: reduction_ops.reduction_grad(g, x, (0, 2), False, mean=False),
           [rand(3), rand(2, 3, 4, seed=1)], lambda g, x: np.broadcast_to(g[None, :, None], x.shape), grad_inputs=[0]),
    OpCase("ReductionGrad", lambda g, x: reduction_ops.reduction_grad(g, x, (1,), True, mean=True),
           [rand(2, 1), rand(2, 4, seed=1)], lambda g, x: np.broadcast_to(g / 4, x.shape), grad_inputs=[0],
           id="ReductionGrad-mean-keepdims"),
    OpCase("ReductionGrad", lambda g, x: reduction_ops.reduction_grad(g, x, None, False, mean=True),
           [np.array(0.6, np.float32), rand(2, 4, seed=1)], lambda g, x: np.full(x.shape, g / 8),
           grad_inputs=[0], id="ReductionGrad-mean-all"),
    OpCase("ExpandDimsForReduction", lambda x: reduction_ops.expand_dims_for_reduction(x, (1,)), [rand(2, 3)],
           lambda x: x[:, None, :]),
    OpCase("ArgMax", lambda x: gn.argmax(x, axis=1), [rand(3, 4)], lambda x: x.argmax(1), grad=False),
    OpCase("ArgMax", lambda x: gn.argmax(x, 0, output_type=gn.int32), [ints(3, 4)], lambda x: x.argmax(0),
           grad=False, id="ArgMax-int32"),
    OpCase("ArgMin", lambda x: gn.argmin(x, axis=-1), [rand(3, 4)], lambda x: x.argmin(-1), grad=False),
    OpCase("Cumsum", lambda x: gn.cumsum(x, axis=1), [rand(2, 4)], lambda x: x.cumsum(1)),
    OpCase("Cumsum", lambda x: gn.cumsum(x, exclusive=True, reverse=True), [rand(4, 2)],
           lambda x: np.flip(np.flip(x, 0).cumsum(0), 0) - x, id="Cumsum-exclusive-reverse"),
    OpCase("Cumsum", lambda x: gn.cumsum(x, 1), [ints(2, 4)], lambda x: x.cumsum(1), grad=False, id="Cumsum-int32"),
    OpCase("Cumprod", lambda x: gn.cumprod(x, axis=1), [positive(2, 4)], lambda x: x.cumprod(1)),
    OpCase("Cumprod", lambda x: gn.cumprod(x, exclusive=True, reverse=True), [positive(4, 2)],
           lambda x: np.flip(np.flip(x, 0).cumprod(0), 0) / x, id="Cumprod-exclusive-reverse"),
]

_LINALG = [
    OpCase("MatMul", gn.matmul, [rand(2, 3), rand(3, 4, seed=1)], lambda a, b: a @ b),
    OpCase("MatMul", lambda a, b: gn.matmul(a, b, transpose_a=True, transpose_b=True),
           [rand(3, 2), rand(4, 3, seed=1)], lambda a, b: a.T @ b.T, id="MatMul-tt"),
    OpCase("MatMul", lambda a, b: gn.matmul(a, b, transpose_b=True), [rand(2, 3), rand(4, 3, seed=1)],
           lambda a, b: a @ b.T, id="MatMul-tb"),
    OpCase("MatMul", lambda a, b: a @ b, [rand(3, 2), rand(2, 4, seed=1)], lambda a, b: a @ b, id="MatMul-operator"),
    OpCase("MatMul", lambda a, b: gn.matmul(a, b, transpose_a=True), [rand(3, 2), rand(3, 4, seed=1)],
           lambda a, b: a.T @ b, id="MatMul-ta"),
    OpCase("MatMul", gn.matmul, [ints(2, 3), ints(3, 2, seed=1)], lambda a, b: a @ b, grad=False, id="MatMul-int32"),
    OpCase("BatchMatMulV2", gn.matmul, [rand(2, 3, 4), rand(2, 4, 5, seed=1)], np.matmul),
    OpCase("BatchMatMulV2", gn.matmul, [rand(2, 1, 3, 4), rand(3, 4, 2, seed=1)], np.matmul,
           id="BatchMatMulV2-broadcast"),
    OpCase("BatchMatMulV2", lambda a, b: gn.matmul(a, b, transpose_a=True, transpose_b=True),
           [rand(2, 4, 3), rand(5, 4, seed=1)], lambda a, b: np.swapaxes(a, -1, -2) @ b.T, id="BatchMatMulV2-tt"),
    OpCase("Tensordot", lambda a, b: gn.tensordot(a, b, 1), [rand(2, 3), rand(3, 4, seed=1)],
           lambda a, b: np.tensordot(a, b, 1)),
    OpCase("Tensordot", lambda a, b: gn.tensordot(a, b, [[0, 2], [3, 1]]), [rand(2, 3, 4), rand(5, 4, 6, 2, seed=1)],
           lambda a, b: np.tensordot(a, b, ([0, 2], [3, 1])), id="Tensordot-permuted-axes"),
]

CASES = _BINARY + _UNARY + _LOGIC + _OTHER_ELEMENTWISE + _REDUCTIONS + _LINALG

EXEMPT = {}
