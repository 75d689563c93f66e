"""The shape-class table of the registry walk: ops on a 0-d tensor, on ``(0,)``, on ``(0, 3)`` and on
a normal ``(2, 3)`` shape, forward against NumPy and gradient against finite differences.

A ShapeCase builds its op from inputs whose shapes follow the class (``shapes(cls)``; by default
every input has the class's shape). An op for which a class makes no sense lists the class in
``skip`` with the reason; ``raises`` lists classes where TF1 raises (argmax over an empty axis).
Ops with no case here are in SHAPE_EXEMPT, with the reason.
"""
import math
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

import gpunet as gn
from gpunet.ops import array_ops, broadcast_ops, fusion_ops, range_check_ops
from tests.ops.cases_conv import avg_pool_ref, conv_ref, max_pool_ref
from tests.ops.cases_conv3d import avg_pool3d_ref, conv3d_ref, max_pool3d_ref
from tests.ops.cases_depthwise import full_filter
from tests.ops.cases_data import EXEMPT as DATA_OPS
from tests.ops.cases_strings import STRING_OPS

CLASSES = {"0-d": (), "(0,)": (0,), "(0, 3)": (0, 3), "(2, 3)": (2, 3)}
NOT_SCALAR = "TF1 refuses a scalar here too (the op needs an axis)"
MATRICES = "needs a matrix (rank 2) or more"
BATCH = "images/rows: the (0, 3) class is a batch of 0 rows; the (2, 3) class a batch of 2"
SELU = (1.6732632423543772, 1.0507009873554805)


@dataclass
class ShapeCase:
    op_type: str
    build: Callable                        # (*tensors) -> tensor or list of tensors
    reference: Callable                    # (*float64/int arrays) -> array or list
    kinds: tuple = ("float",)              # per input: float, positive, unit, int, nonzero, bool
    shapes: Callable | None = None         # class shape -> input shapes (default: each input that shape)
    skip: dict = field(default_factory=dict)    # class -> reason it makes no sense
    raises: dict = field(default_factory=dict)  # class -> (error class, message fragment), as TF1
    xfail: dict = field(default_factory=dict)   # class -> known defect owned elsewhere (strict xfail)
    grad: bool = True                      # gradient check wrt float inputs (where the op has one)
    grad_inputs: tuple | None = None       # the inputs the output depends on (default: every float input)
    id: str = ""

    def __str__(self):
        return self.id or self.op_type

    def input_shapes(self, shape):
        return self.shapes(shape) if self.shapes else [shape] * len(self.kinds)


def sample(kind, shape, seed):
    rng = np.random.default_rng(seed)
    if kind == "float":
        return rng.uniform(-2, 2, shape).astype(np.float32)
    if kind == "positive":
        return rng.uniform(0.5, 2, shape).astype(np.float32)
    if kind == "unit":
        return rng.uniform(0, 1, shape).astype(np.float32)
    if kind == "int":
        return rng.integers(-5, 6, shape).astype(np.int32)
    if kind == "nonzero":
        return (rng.integers(1, 5, shape) * rng.choice([-1, 1], shape)).astype(np.int32)
    if kind == "distribution":  # rows that sum to 1 (softmax cross-entropy labels)
        values = rng.uniform(0.1, 1, shape)
        return (values / values.sum(-1, keepdims=True)).astype(np.float32)
    if kind == "index3":
        return rng.integers(0, 3, shape).astype(np.int32)
    return rng.random(shape) < 0.5


def quiet(fn):
    """A NumPy reference without NumPy's 'empty slice' warnings (the values are what we compare)."""
    def call(*args):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return fn(*args)
    return call


def _backward(forward):
    return lambda x, g: gn.gradients(forward(x), x, grad_ys=g)[0]


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis=-1):
    if x.size == 0:
        return x.copy()
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def _log_softmax(x, axis=-1):
    return np.log(_softmax(x, axis)) if x.size else x.copy()


def _elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def _unary(op_type, fn, ref, kind="float", grad=True, **kw):
    return ShapeCase(op_type, fn, ref, (kind,), grad=grad, **kw)


UNARY = [
    _unary("Neg", gn.negative, np.negative), _unary("Neg", gn.negative, np.negative, "int", id="Neg-int32"),
    _unary("Abs", gn.abs, np.abs), _unary("Abs", gn.abs, np.abs, "int", id="Abs-int32"),
    _unary("Sign", gn.sign, np.sign), _unary("Square", gn.square, np.square),
    _unary("Square", gn.square, np.square, "int", id="Square-int32"),
    _unary("Sqrt", gn.sqrt, np.sqrt, "positive"), _unary("Rsqrt", gn.rsqrt, lambda x: 1 / np.sqrt(x), "positive"),
    _unary("Exp", gn.exp, np.exp), _unary("Expm1", gn.expm1, np.expm1),
    _unary("Erf", gn.erf, np.vectorize(math.erf, otypes=[np.float64])),
    _unary("Erfc", gn.erfc, np.vectorize(math.erfc, otypes=[np.float64])),
    _unary("Log", gn.log, np.log, "positive"), _unary("Log1p", gn.log1p, np.log1p, "positive"),
    _unary("Reciprocal", gn.reciprocal, np.reciprocal, "positive"),
    _unary("Sin", gn.sin, np.sin), _unary("Cos", gn.cos, np.cos),
    _unary("Floor", gn.floor, np.floor, grad=False), _unary("Ceil", gn.ceil, np.ceil, grad=False),
    _unary("Round", gn.round, np.round, grad=False),
    _unary("Relu", gn.nn.relu, lambda x: np.maximum(x, 0)), _unary("Relu6", gn.nn.relu6, lambda x: np.clip(x, 0, 6)),
    _unary("LeakyRelu", lambda x: gn.nn.leaky_relu(x, 0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    _unary("Elu", gn.nn.elu, _elu),
    _unary("Selu", gn.nn.selu, lambda x: SELU[1] * np.where(x > 0, x, SELU[0] * np.expm1(x))),
    _unary("Sigmoid", gn.sigmoid, _sigmoid), _unary("Tanh", gn.tanh, np.tanh),
    _unary("Softplus", gn.nn.softplus, lambda x: np.logaddexp(0, x)),
    _unary("Identity", gn.identity, lambda x: x), _unary("StopGradient", gn.stop_gradient, lambda x: x, grad=False),
    _unary("ZerosLike", gn.zeros_like, np.zeros_like, grad=False),
    _unary("OnesLike", gn.ones_like, np.ones_like, grad=False),
    # float32 -> float64 (a float64 input would make no Cast op; the gradient is in the main walk)
    _unary("Cast", lambda x: gn.cast(x, gn.float64), lambda x: x, grad=False),
    _unary("Cast", lambda x: gn.cast(x, gn.float32), lambda x: x.astype(np.float32), "int", id="Cast-int-to-float"),
    _unary("CheckNumerics", lambda x: gn.debugging.check_numerics(x, "x"), lambda x: x),
    _unary("CheckInRange", lambda x: range_check_ops.check_in_range(x, -100.0, 100.0, "x"), lambda x: x),
    _unary("L2Loss", gn.nn.l2_loss, lambda x: (x ** 2).sum() / 2),
    _unary("ClipByValue", lambda x: gn.clip_by_value(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5)),
    _unary("LogicalNot", gn.logical_not, np.logical_not, "bool"),
    _unary("IsNan", gn.is_nan, np.isnan, grad=False), _unary("IsInf", gn.is_inf, np.isinf, grad=False),
    _unary("IsFinite", gn.is_finite, np.isfinite, grad=False),
    _unary("PlaceholderWithDefault", lambda x: gn.placeholder_with_default(x, x.shape) * 2.0, lambda x: 2 * x),
    _unary("PyFunc", lambda x: gn.py_func(lambda a: a * 3, [x], gn.float32), lambda x: 3 * x, grad=False),
    _unary("Print", lambda x: gn.Print(x, [x], "x: ", first_n=0), lambda x: x),
    _unary("Softmax", gn.nn.softmax, _softmax, skip={"0-d": NOT_SCALAR}),
    _unary("LogSoftmax", gn.nn.log_softmax, _log_softmax, skip={"0-d": NOT_SCALAR}),
    _unary("InitializedValue", lambda x: gn.Variable(x, name="v").initialized_value() * 2.0, lambda x: 2 * x,
           grad=False),
]

BACKWARD = [
    ShapeCase("ReluGrad", _backward(gn.nn.relu), lambda x, g: g * (x > 0), ("float", "float")),
    ShapeCase("Relu6Grad", _backward(gn.nn.relu6), lambda x, g: g * ((x > 0) & (x < 6)), ("float", "float")),
    ShapeCase("LeakyReluGrad", _backward(lambda x: gn.nn.leaky_relu(x, 0.1)), lambda x, g: g * np.where(x > 0, 1, 0.1),
              ("float", "float")),
    ShapeCase("EluGrad", _backward(gn.nn.elu), lambda x, g: g * np.where(x > 0, 1, np.exp(x)), ("float", "float")),
    ShapeCase("SeluGrad", _backward(gn.nn.selu),
              lambda x, g: g * SELU[1] * np.where(x > 0, 1, SELU[0] * np.exp(x)), ("float", "float")),
    ShapeCase("SigmoidGrad", _backward(gn.sigmoid), lambda x, g: g * _sigmoid(x) * (1 - _sigmoid(x)),
              ("float", "float")),
    ShapeCase("TanhGrad", _backward(gn.tanh), lambda x, g: g * (1 - np.tanh(x) ** 2), ("float", "float")),
    ShapeCase("SoftplusGrad", _backward(gn.nn.softplus), lambda x, g: g * _sigmoid(x), ("float", "float")),
    ShapeCase("SoftmaxGrad", _backward(gn.nn.softmax),
              lambda x, g: (g - (g * _softmax(x)).sum(-1, keepdims=True)) * _softmax(x), ("float", "float"),
              skip={"0-d": NOT_SCALAR}),
]


def _binary(op_type, fn, ref, kinds=("float", "float"), grad=True, **kw):
    return ShapeCase(op_type, fn, ref, kinds, grad=grad, **kw)


BINARY = [
    _binary("AddV2", gn.add, np.add), _binary("AddV2", gn.add, np.add, ("int", "int"), id="AddV2-int32"),
    _binary("Sub", gn.subtract, np.subtract), _binary("Mul", gn.multiply, np.multiply),
    _binary("RealDiv", gn.divide, np.divide, ("float", "positive")),
    _binary("FloorDiv", gn.floordiv, np.floor_divide, ("float", "positive"), grad=False),
    _binary("FloorDiv", gn.floordiv, np.floor_divide, ("int", "nonzero"), id="FloorDiv-int32"),
    _binary("FloorMod", gn.floormod, np.mod, ("float", "positive")),
    _binary("FloorMod", gn.floormod, np.mod, ("int", "nonzero"), id="FloorMod-int32"),
    _binary("Pow", gn.pow, np.power, ("positive", "float")),
    _binary("Maximum", gn.maximum, np.maximum), _binary("Minimum", gn.minimum, np.minimum),
    _binary("SquaredDifference", gn.squared_difference, lambda a, b: (a - b) ** 2),
    _binary("Equal", gn.equal, np.equal, ("int", "int")),
    _binary("NotEqual", gn.not_equal, np.not_equal, ("int", "int")),
    _binary("Less", gn.less, np.less), _binary("LessEqual", gn.less_equal, np.less_equal),
    _binary("Greater", gn.greater, np.greater), _binary("GreaterEqual", gn.greater_equal, np.greater_equal),
    _binary("LogicalAnd", gn.logical_and, np.logical_and, ("bool", "bool")),
    _binary("LogicalOr", gn.logical_or, np.logical_or, ("bool", "bool")),
    _binary("AddN", lambda a, b: gn.add_n([a, b, a]), lambda a, b: 2 * a + b),
    _binary("SumToShapeOf", broadcast_ops.sum_to_shape_of, lambda g, x: g.sum(0), grad_inputs=(0,),
            shapes=lambda s: [(2,) + s, s]),
    _binary("BroadcastToLike", broadcast_ops.broadcast_to_like, lambda x, like: np.broadcast_to(x, like.shape),
            grad_inputs=(0,), shapes=lambda s: [s, (2,) + s]),
    _binary("ReshapeLike", array_ops.reshape_like, lambda x, like: x.reshape(like.shape), grad_inputs=(0,),
            shapes=lambda s: [s, s + (1,)]),
    _binary("SigmoidCrossEntropyWithLogits",
            lambda x, z: gn.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
            lambda x, z: np.logaddexp(0, x) - x * z, ("float", "unit")),
    _binary("Tensordot", lambda a, b: gn.tensordot(a, b, len(a.shape)), lambda a, b: np.tensordot(a, b, a.ndim)),
    ShapeCase("Select", gn.where, np.where, ("bool", "float", "float")),
    _unary("BroadcastTo", lambda x: gn.broadcast_to(x, list(x.shape)), lambda x: x),
]


def _reduction(op_type, fn, ref, kind="float", axes=(None, 0, -1), grad=True):
    cases = []
    for axis in axes:
        skip = {"0-d": "a scalar has no axis to reduce (TF1 refuses too)"} if axis is not None else {}
        cases.append(ShapeCase(op_type, lambda x, a=axis: fn(x, a), quiet(lambda x, a=axis: ref(x, a)), (kind,),
                               skip=skip, grad=grad, id=f"{op_type}-{kind}-axis{axis}"))
    cases.append(ShapeCase(op_type, lambda x: fn(x, -1, keepdims=True), quiet(lambda x: ref(x, -1, keepdims=True)),
                           (kind,), skip={"0-d": "a scalar has no axis to reduce"}, grad=grad,
                           id=f"{op_type}-{kind}-keepdims"))
    return cases


def _int_extreme(np_fn, pick):
    return lambda x, a, **kw: np_fn(x, a, initial=pick(np.iinfo(x.dtype)), **kw)


def _arg(op_type, fn, ref):
    empty_axis = (gn.errors.InvalidArgumentError, f"{op_type}: reduction axis 0 of the input of shape")
    return [ShapeCase(op_type, lambda x: fn(x, 0), lambda x: ref(x, 0), grad=False, id=f"{op_type}-axis0",
                      skip={"0-d": NOT_SCALAR}, raises={"(0,)": empty_axis, "(0, 3)": empty_axis}),
            ShapeCase(op_type, lambda x: fn(x, -1), lambda x: ref(x, -1), grad=False, id=f"{op_type}-last-axis",
                      skip={"0-d": NOT_SCALAR},
                      raises={"(0,)": (gn.errors.InvalidArgumentError, "reduction axis 0 of the input of shape")})]


REDUCTIONS = (
    _reduction("Sum", gn.reduce_sum, np.sum) + _reduction("Sum", gn.reduce_sum, np.sum, "int", grad=False)
    + _reduction("Mean", gn.reduce_mean, np.mean)
    + _reduction("Max", gn.reduce_max, lambda x, a, **kw: np.max(x, a, initial=-np.inf, **kw))
    + _reduction("Max", gn.reduce_max, _int_extreme(np.max, lambda i: i.min), "int", grad=False)
    + _reduction("Min", gn.reduce_min, lambda x, a, **kw: np.min(x, a, initial=np.inf, **kw))
    + _reduction("Min", gn.reduce_min, _int_extreme(np.min, lambda i: i.max), "int", grad=False)
    + _reduction("Prod", gn.reduce_prod, np.prod)
    + _reduction("All", gn.reduce_all, np.all, "bool", grad=False)
    + _reduction("Any", gn.reduce_any, np.any, "bool", grad=False)
    + _arg("ArgMax", gn.argmax, np.argmax) + _arg("ArgMin", gn.argmin, np.argmin)
    + [ShapeCase("Mean", lambda x: gn.reduce_mean(x), lambda x: np.int32(np.trunc(x.mean())) if x.size else 0,
                 ("int",), grad=False, id="Mean-int32-empty-is-0")]
    + [ShapeCase(t, lambda x, f=f: f(x, 0), lambda x, r=r: r(x, 0), (k,), skip={"0-d": NOT_SCALAR}, id=f"{t}-axis0")
       for t, f, r, k in (("Cumsum", gn.cumsum, np.cumsum, "float"), ("Cumprod", gn.cumprod, np.cumprod, "positive"))]
)

STRUCTURAL = [
    _unary("Transpose", gn.transpose, np.transpose),
    _unary("Reshape", lambda x: gn.reshape(x, [-1]), np.ravel),
    _unary("ExpandDims", lambda x: gn.expand_dims(x, 0), lambda x: x[None]),
    _unary("Squeeze", lambda x: gn.squeeze(gn.expand_dims(x, -1), [-1]), lambda x: x),
    _binary("Pack", lambda a, b: gn.stack([a, b]), lambda a, b: np.stack([a, b])),
    _unary("Unpack", lambda x: gn.unstack(x, axis=-1), lambda x: [x[..., i] for i in range(x.shape[-1])],
           skip={"0-d": NOT_SCALAR, "(0,)": "unstacking a length-0 axis gives no tensors to check"}),
    _binary("ConcatV2", lambda a, b: gn.concat([a, b], 0), lambda a, b: np.concatenate([a, b]),
            skip={"0-d": "scalars cannot be concatenated (TF1 too)"}),
    _binary("FlatConcat", lambda a, b: fusion_ops.flat_concat([a, b]),
             lambda a, b: np.concatenate([a.ravel(), b.ravel()])),
    _unary("FlatSplit", lambda x: fusion_ops.flat_split(fusion_ops.flat_concat([x, x]), [x.shape.as_list()] * 2),
           lambda x: [x, x]),
    _unary("Split", lambda x: gn.split(x, 3, axis=-1), lambda x: np.split(x, 3, axis=-1),
           skip={"0-d": NOT_SCALAR, "(0,)": "a length-0 axis cannot be split in 3 parts"}),
    _unary("Tile", lambda x: gn.tile(x, [2] * len(x.shape)), lambda x: np.tile(x, (2,) * x.ndim)),
    _unary("Pad", lambda x: gn.pad(x, [[1, 1]] * len(x.shape)),
           lambda x: np.pad(x, 1) if x.ndim else x),  # np.pad refuses a scalar
    _unary("Slice", lambda x: gn.slice(x, [0] * len(x.shape), [-1] * len(x.shape)), lambda x: x),
    _unary("StridedSlice", lambda x: x[::-1], lambda x: x[::-1], skip={"0-d": "a scalar cannot be sliced"}),
    _unary("RunTimeArgs", lambda x: gn.slice(x, gn.shape(x) * 0, gn.shape(x)), lambda x: x, id="RunTimeArgs-slice"),
    _unary("ReverseV2", lambda x: gn.reverse(x, list(range(len(x.shape)))), lambda x: np.flip(x)),
    _unary("Sort", gn.sort, np.sort, skip={"0-d": NOT_SCALAR}),
    _unary("ArgSort", gn.argsort, lambda x: np.argsort(x, kind="stable").astype(np.int32), grad=False,
           skip={"0-d": NOT_SCALAR}),
    _unary("Einsum", lambda x: gn.einsum("ab"[:len(x.shape)] + "->", x), np.sum),
    _binary("Einsum", lambda a, b: gn.einsum(f"{'ab'[:len(a.shape)]},{'ab'[:len(a.shape)]}->", a, b),
            lambda a, b: np.sum(a * b), id="Einsum-dot"),
    _unary("Diag", gn.diag, lambda x: np.diag(x.ravel()).reshape(x.shape + x.shape)),
    _unary("DiagPart", lambda x: gn.diag_part(gn.diag(x)), lambda x: x),
    _unary("UnsortedSegmentSum", lambda x: gn.unsorted_segment_sum(x, gn.zeros_like(x, dtype=gn.int32), 2),
           lambda x: np.array([x.sum(), 0.0])),
    *[_unary(f"UnsortedSegment{name}", lambda x, fn=fn: fn(x, gn.zeros_like(x, dtype=gn.int32), 1),
             lambda x, ref=ref, empty=empty: np.array([ref(x) if x.size else empty]))
      for name, fn, ref, empty in (("Max", gn.unsorted_segment_max, np.max, np.finfo(np.float32).min),
                                   ("Min", gn.unsorted_segment_min, np.min, np.finfo(np.float32).max),
                                   ("Prod", gn.unsorted_segment_prod, np.prod, 1.0))],
]

MATRIX = [
    ShapeCase("MatMul", gn.matmul, np.matmul, ("float", "float"), shapes=lambda s: [s, s[1:] + (4,)],
              skip={"0-d": MATRICES, "(0,)": MATRICES}),
    ShapeCase("BatchMatMulV2", gn.matmul, np.matmul, ("float", "float"), shapes=lambda s: [s + (2, 3), s + (3, 4)],
              skip={"0-d": "rank-2 operands make a MatMul"}),
    ShapeCase("BiasAdd", gn.nn.bias_add, np.add, ("float", "float"), shapes=lambda s: [s, s[-1:]],
              skip={"0-d": MATRICES, "(0,)": MATRICES}),
    ShapeCase("BiasAddGrad", lambda g, b: gn.gradients(gn.nn.bias_add(g, b), b, grad_ys=g)[0],
              lambda g, b: g.sum(0), ("float", "float"), shapes=lambda s: [s, s[-1:]],
              skip={"0-d": MATRICES, "(0,)": MATRICES}, grad_inputs=(0,)),
    ShapeCase("SoftmaxCrossEntropyWithLogits",
              lambda x, z: gn.nn.softmax_cross_entropy_with_logits_v2(labels=z, logits=x),
              lambda x, z: -(z * _log_softmax(x)).sum(-1), ("float", "distribution"), skip={"0-d": NOT_SCALAR}),
    ShapeCase("SparseSoftmaxCrossEntropyWithLogits",
              lambda x, i: gn.nn.sparse_softmax_cross_entropy_with_logits(labels=i, logits=x),
              lambda x, i: -np.take_along_axis(_log_softmax(x), i[:, None], -1)[:, 0], ("float", "index3"),
              shapes=lambda s: [s, s[:1]], skip={"0-d": BATCH, "(0,)": BATCH}),
    ShapeCase("InTopKV2", lambda p, t: gn.nn.in_top_k(p, t, 1), lambda p, t: p.argmax(-1) == t, ("float", "index3"),
              shapes=lambda s: [s, s[:1]], skip={"0-d": BATCH, "(0,)": BATCH}, grad=False),
    ShapeCase("Moments", lambda x: list(gn.nn.moments(x, [0])), quiet(lambda x: [x.mean(0), x.var(0)]),
              skip={"0-d": NOT_SCALAR}),
    ShapeCase("BatchNormalization", lambda x, m, v: gn.nn.batch_normalization(x, m, v, None, None, 1e-3),
              lambda x, m, v: (x - m) / np.sqrt(v + 1e-3), ("float", "float", "positive"),
              shapes=lambda s: [s, s[-1:], s[-1:]], skip={"0-d": MATRICES, "(0,)": MATRICES}),
]


def _images(s):
    return [(s[0], 4, 4, 2)]


def _volumes(s):
    return [(s[0], 4, 4, 4, 2)]


IMAGES = [
    ShapeCase("Conv2D", lambda x, w: gn.nn.conv2d(x, w, 1, "VALID"), conv_ref, ("float", "float"),
              shapes=lambda s: [(s[0], 4, 4, 2), (3, 3, 2, 2)], skip={"0-d": BATCH, "(0,)": BATCH}),
    ShapeCase("DepthwiseConv2dNative", lambda x, w: gn.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "VALID"),
              lambda x, w: conv_ref(x, full_filter(w)), ("float", "float"),
              shapes=lambda s: [(s[0], 4, 4, 2), (3, 3, 2, 2)], skip={"0-d": BATCH, "(0,)": BATCH}),
    ShapeCase("MaxPool", lambda x: gn.nn.max_pool(x, 2, 2, "VALID"),
              lambda x: max_pool_ref(x, (2, 2), (2, 2), "VALID"), shapes=_images, skip={"0-d": BATCH, "(0,)": BATCH}),
    ShapeCase("AvgPool", lambda x: gn.nn.avg_pool(x, 2, 2, "VALID"),
              lambda x: avg_pool_ref(x, (2, 2), (2, 2), "VALID"), shapes=_images, skip={"0-d": BATCH, "(0,)": BATCH}),
    ShapeCase("Conv3D", lambda x, w: gn.nn.conv3d(x, w, [1] * 5, "VALID"), conv3d_ref, ("float", "float"),
              shapes=lambda s: [(s[0], 3, 4, 3, 2), (2, 3, 2, 2, 2)], skip={"0-d": BATCH, "(0,)": BATCH}),
    ShapeCase("MaxPool3D", lambda x: gn.nn.max_pool3d(x, 2, 2, "VALID"),
              lambda x: max_pool3d_ref(x, (2, 2, 2), (2, 2, 2), "VALID"), shapes=_volumes,
              skip={"0-d": BATCH, "(0,)": BATCH}),
    ShapeCase("AvgPool3D", lambda x: gn.nn.avg_pool3d(x, 2, 2, "VALID"),
              lambda x: avg_pool3d_ref(x, (2, 2, 2), (2, 2, 2), "VALID"), shapes=_volumes,
              skip={"0-d": BATCH, "(0,)": BATCH}),
]



def _lrn_ref(x, radius=2, bias=1.0, alpha=0.5, beta=0.75):
    squares = np.pad(x ** 2, [(0, 0)] * 3 + [(radius, radius)])
    window = sum(squares[..., i:i + x.shape[-1]] for i in range(2 * radius + 1))
    return x / (bias + alpha * window) ** beta


def _top_k(x):
    return min(2, x.shape.as_list()[-1])


def _top_k_ref(x, part):
    order = np.argsort(-x, axis=-1, kind="stable")[..., :min(2, x.shape[-1])]
    return order.astype(np.int32) if part == "indices" else np.take_along_axis(x, order, -1)


def _params_first(s):
    """Params whose first axis is 3 long; indices shaped by the class's first axis (none for the empty classes)."""
    return [(3,) + s[1:], s[:1]]


def _truncate_div(a, b):
    return (np.sign(a) * np.sign(b) * (abs(a) // abs(b))).astype(np.int32)


NO_AXIS = "a scalar has no axis to index (TF1 refuses it too)"
SCALAR_MASK = "TF1 refuses a scalar mask"

INDEXING = [
    _unary("Shape", gn.shape, lambda x: np.array(x.shape, np.int32), grad=False),
    _unary("Size", gn.size, lambda x: np.int32(x.size), grad=False),
    _unary("Rank", gn.rank, lambda x: np.int32(x.ndim), grad=False),
    _unary("Range", lambda x: gn.range(gn.size(x)), lambda x: np.arange(x.size, dtype=np.int32), grad=False),
    _unary("Fill", lambda x: gn.fill(gn.shape(x), gn.reduce_sum(x)), lambda x: np.full(x.shape, x.sum())),
    ShapeCase("GatherV2", gn.gather, lambda x, i: x[i], ("float", "index3"), shapes=_params_first,
              skip={"0-d": NO_AXIS}),
    ShapeCase("GatherV2", lambda x, i: gn.gather(x, i, axis=-1), lambda x, i: np.take(x, i, -1), ("float", "index3"),
              shapes=lambda s: [s[:1] + (3,), s[1:]], id="GatherV2-last-axis", skip={"0-d": NO_AXIS}),
    _unary("OneHot", lambda i: gn.one_hot(i, 3), lambda i: np.eye(3)[i], "index3", grad=False),
    _unary("Where", gn.where, np.argwhere, "bool", grad=False),
    _binary("TruncateDiv", gn.truncatediv, _truncate_div, ("int", "nonzero")),
    _binary("TruncateMod", gn.truncatemod, np.fmod, ("int", "nonzero")),
    ShapeCase("LRN", lambda x: gn.nn.lrn(x, 2, 1.0, 0.5, 0.75), _lrn_ref, shapes=_images,
              skip={"0-d": BATCH, "(0,)": BATCH}),
    _unary("TopKV2", lambda x: gn.nn.top_k(x, _top_k(x)).values, lambda x: _top_k_ref(x, "values"),
           skip={"0-d": NOT_SCALAR}, id="TopKV2-values"),
    _unary("TopKV2", lambda x: gn.nn.top_k(x, _top_k(x)).indices, lambda x: _top_k_ref(x, "indices"), grad=False,
           skip={"0-d": NOT_SCALAR}, id="TopKV2-indices"),
    ShapeCase("GatherNd", lambda x, i: gn.gather_nd(x, gn.expand_dims(i, -1)), lambda x, i: x[i],
              ("float", "index3"), shapes=_params_first, skip={"0-d": NO_AXIS}),
    ShapeCase("BooleanMask", gn.boolean_mask, lambda x, m: x[m], ("float", "bool"), grad=False,
              skip={"0-d": SCALAR_MASK}),
    # the masked values have a run-time length: the gradient is swept through their summed squares
    ShapeCase("BooleanMask", lambda x, m: gn.reduce_sum(gn.boolean_mask(x, m) ** 2), lambda x, m: (x[m] ** 2).sum(),
              ("float", "bool"), skip={"0-d": SCALAR_MASK}, id="BooleanMask-summed"),
]

SHAPE_CASES = UNARY + BACKWARD + BINARY + REDUCTIONS + STRUCTURAL + MATRIX + IMAGES + INDEXING

_COVERED_ELSEWHERE = "covered by the case that builds it as a gradient"
SHAPE_EXEMPT = {
    **DATA_OPS,  # the input pipeline's host ops (tests/ops/cases_data.py)
    **STRING_OPS,  # swept over 0-d, empty and n-d strings against TF1 (tests/ops/test_string_ops.py)
    "Placeholder": "fed, never run", "NoOp": "no output", "Const": "its value is fixed when the graph is built",
    "LinSpace": "start and stop are scalars, the output shape is num: tests/ops/cases_order.py",
    "SortGrad": "Sort's gradient helper: swept through the Sort cases' gradients",
    "Unique": "a vector op whose output size is read from the values: tests/ops/test_order_and_diag_ops.py",
    "SegmentSum": "its number of rows is read from the ids' values: tests/ops/test_segment_ops.py",
    **{f"Segment{r}": "its number of rows is read from the ids' values: tests/ops/test_segment_reduce_ops.py"
       for r in ("Max", "Min", "Prod")},
    **{t: "stateful update of a variable: tests/ops/test_scatter_ops.py" for t in (
        "ScatterUpdate", "ScatterAdd", "ScatterSub", "ScatterMul", "ScatterDiv", "ScatterMax", "ScatterMin",
        "ScatterNdUpdate", "ScatterNdAdd", "ScatterNdSub")},
    "VariableV2": "stateful: tests/graph/test_variables.py", "ReadVariable": "stateful: tests/graph/test_variables.py",
    "Assign": "stateful: tests/graph/test_variables.py", "AssignAdd": "stateful: tests/graph/test_variables.py",
    "AssignSub": "stateful: tests/graph/test_variables.py",
    "IsVariableInitialized": "a scalar flag whatever the variable's shape",
    "ReportUninitialized": "a list of variable names, no tensor input",
    "RandomStandardNormal": "random (tests/ops/test_random.py)", "RandomUniform": "random (tests/ops/test_random.py)",
    "TruncatedNormal": "random (tests/ops/test_random.py)",
    "CandidateSampler": "random; its input is a [batch, num_true] int matrix of classes, no float class to sweep "
                        "(tests/ops/cases_sampling.py, tests/ops/test_candidate_sampling.py)",
    "Dropout": "random (tests/ops/test_nn_dropout.py)",
    "PrintV2": "prints; the pass-through Print op is swept",
    "CollectiveAllReduce": "one op per device meeting at run time: shapes swept in tests/parallel/test_collective.py",
    "GatherGrad": "the gradient of GatherV2: " + _COVERED_ELSEWHERE,
    "StridedSliceGrad": "a gradient helper with a fixed slice; " + _COVERED_ELSEWHERE,
    "MirrorPad": "REFLECT/SYMMETRIC need each padded dimension longer than its padding: no empty class fits",
    "MirrorPadGrad": "see MirrorPad",
    "TileGrad": "a gradient helper with fixed multiples; " + _COVERED_ELSEWHERE,
    "SplitLike": "a gradient helper; " + _COVERED_ELSEWHERE,
    "ReductionGrad": "the gradient of Sum/Mean: " + _COVERED_ELSEWHERE,
    "ExpandDimsForReduction": "the gradient of Max/Min/Prod: " + _COVERED_ELSEWHERE,
    "MomentsGrad": "the gradient of Moments: " + _COVERED_ELSEWHERE,
    "BatchNormalizationGrad": "the gradient of BatchNormalization: " + _COVERED_ELSEWHERE,
    "Conv2DBackpropInput": "the gradient of Conv2D: " + _COVERED_ELSEWHERE,
    "Conv2DBackpropFilter": "the gradient of Conv2D: " + _COVERED_ELSEWHERE,
    "DepthwiseConv2dNativeBackpropInput": "the gradient of DepthwiseConv2dNative: " + _COVERED_ELSEWHERE,
    "DepthwiseConv2dNativeBackpropFilter": "the gradient of DepthwiseConv2dNative: " + _COVERED_ELSEWHERE,
    "MaxPoolGrad": "the gradient of MaxPool: " + _COVERED_ELSEWHERE,
    "MaxPoolGradGrad": "the second derivative of MaxPool: " + _COVERED_ELSEWHERE,
    "AvgPoolGrad": "the gradient of AvgPool: " + _COVERED_ELSEWHERE,
    "Conv3DBackpropInputV2": "the gradient of Conv3D: " + _COVERED_ELSEWHERE,
    "Conv3DBackpropFilterV2": "the gradient of Conv3D: " + _COVERED_ELSEWHERE,
    "MaxPool3DGrad": "the gradient of MaxPool3D: " + _COVERED_ELSEWHERE,
    "MaxPool3DGradGrad": "the second derivative of MaxPool3D: " + _COVERED_ELSEWHERE,
    "AvgPool3DGrad": "the gradient of AvgPool3D: " + _COVERED_ELSEWHERE,
    "LossDivisor": "a scalar count of weights (gn.losses); tests/ops/test_nn_losses.py",
    "ApplyGradientDescent": "optimizer kernels: tests/train/test_shape_classes.py",
    "ApplyMomentum": "optimizer kernels: tests/train/test_shape_classes.py",
    "ApplyAdagrad": "optimizer kernels: tests/train/test_shape_classes.py",
    "ApplyRMSProp": "optimizer kernels: tests/train/test_shape_classes.py",
    "ApplyCenteredRMSProp": "optimizer kernels: tests/train/test_shape_classes.py",
    "ApplyAdam": "optimizer kernels: tests/train/test_shape_classes.py",
    "ApplyAdadelta": "optimizer kernels: tests/train/test_shape_classes.py",
    "ApplyFtrl": "optimizer kernels: tests/train/test_shape_classes.py",
    "ApplyFtrlV2": "optimizer kernels: tests/train/test_shape_classes.py",
    "ApplyProximalGradientDescent": "optimizer kernels: tests/train/test_shape_classes.py",
    "ApplyProximalAdagrad": "optimizer kernels: tests/train/test_shape_classes.py",
    "ApplyAdagradDA": "optimizer kernels: tests/train/test_shape_classes.py",
    **{f"SparseApply{name}": "sparse optimizer updates (rows of a variable of rank >= 1): "
                             "tests/train/test_regularized_optimizers.py"
       for name in ("Adadelta", "Ftrl", "FtrlV2", "ProximalGradientDescent", "ProximalAdagrad", "AdagradDA")},
    **{f"SparseApply{name}": "sparse optimizer updates (rows of a variable of rank >= 1): "
                             "tests/train/test_sparse_optimizers.py"
       for name in ("Momentum", "Adagrad", "RMSProp", "CenteredRMSProp", "Adam")},
    "AssertVariablesInitialized": "stateful: tests/graph/test_tf1_aliases.py",
    "VariableRank": "stateful: tests/graph/test_tf1_aliases.py",
    "If": "control flow, 0-d and empty branches: tests/ops/test_control_flow.py",
    "While": "control flow, 0-d and empty loop variables: tests/ops/test_control_flow.py",
    **dict.fromkeys(["TensorArrayNew", "TensorArrayScatter", "TensorArrayScatterAll", "TensorArrayGather",
                     "TensorArrayStack", "TensorArrayConcat", "TensorArraySize", "TensorArraySplitRows",
                     "TensorArrayClearRows", "TensorArrayClearLeading", "TensorArrayLeading"],
                    "TensorArray elements of shape (), (0,) and (2, 3): tests/ops/test_tensor_array.py"),
    "LoopVar": "a loop variable inside a While body: tests/ops/test_control_flow.py",
    "LRNGrad": "the gradient of LRN: " + _COVERED_ELSEWHERE,
    "TopKGrad": "the gradient of TopKV2: " + _COVERED_ELSEWHERE,
    "GatherNdGrad": "the gradient of GatherNd: " + _COVERED_ELSEWHERE,
    "BooleanMaskGrad": "the gradient of BooleanMask: " + _COVERED_ELSEWHERE,
    "ScalarSummary": "a serialized Summary proto: tests/summary/test_summary_ops.py",
    "HistogramSummary": "a serialized Summary proto (empty and 0-d values): tests/summary/test_summary_ops.py",
    "ImageSummary": "needs a 4-D batch of images: tests/summary/test_summary_ops.py",
    "MergeSummary": "merges serialized Summary protos: tests/summary/test_summary_ops.py",
}
