"""Random ops. Seeds follow TF1: a graph seed (gn.set_random_seed) plus an op seed make a run
reproducible. Values are drawn on the op's device by :class:`XpRandom`, written once against the
device's array module: on the CPU and on virtual GPUs by the session's NumPy generator of the op
(so both give the same numbers for the same seeds), on a CuPy GPU by a ``cupy.random`` generator
seeded from it, so nothing is copied to the device per step. A CuPy GPU's stream therefore differs
from the CPU's for the same seeds (each is reproducible on its own)."""
from __future__ import annotations

import numpy as np

from .. import errors
from ..graph.dtypes import as_dtype
from ..graph.graph import get_default_graph
from ..graph.registry import define_op
from ..graph.shape import as_shape
from ..graph.validation import bounded_repr
from ._helpers import constant_value, op_scope, out, shape_from_tensor
from ._host_shapes import host_args
from .creation_ops import holds_tensors, shape_arg

__all__ = ["XpRandom", "get_seed", "random_normal", "random_uniform", "truncated_normal", "xp_random"]

_DEFAULT_GRAPH_SEED = 87654321


def get_seed(op_seed):
    """(graph seed, op seed) as TF1 derives them."""
    graph = get_default_graph()
    if graph.seed is not None:
        return graph.seed, op_seed if op_seed is not None else graph._next_op_seed()
    if op_seed is not None:
        return _DEFAULT_GRAPH_SEED, op_seed
    return None, None


# -- drawing on the device --------------------------------------------------------------------------
class XpRandom:
    """Draws of one op on one device, as arrays of that device (NumPy and CuPy generators share the
    methods used here)."""

    __slots__ = ("generator", "xp")

    def __init__(self, generator, xp):
        self.generator = generator
        self.xp = xp

    def uniform(self, low, high, shape, dtype):
        """Uniform in [low, high): integers for an integer ``dtype``."""
        dtype = np.dtype(dtype)
        if dtype.kind in "iu":
            # offsets in [0, high - low) added to low in the output dtype: every backend draws only
            # non-negative integers, so a negative low cannot skew the draws
            offsets = self.generator.integers(0, int(high) - int(low), shape, dtype=np.int64)
            return (offsets + int(low)).astype(dtype, copy=False)
        values = self.generator.random(shape, dtype=_draw_dtype(dtype))
        return (values * (high - low) + low).astype(dtype, copy=False)

    def normal(self, shape, dtype):
        return self.generator.standard_normal(shape, dtype=_draw_dtype(np.dtype(dtype))).astype(dtype, copy=False)

    def truncated_normal(self, shape, dtype):
        """Standard normal values redrawn until all lie within two standard deviations, as TF1."""
        xp, values = self.xp, self.normal(shape, dtype)
        bad = xp.abs(values) > 2
        while bool(bad.any()):  # a few rounds (4.6% redrawn each); each one waits for the device
            values = xp.where(bad, self.normal(shape, dtype), values)
            bad = xp.abs(values) > 2
        return values


def _draw_dtype(dtype):
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float32)  # what generators draw


def xp_random(ctx) -> XpRandom:
    """The generator the random op of ``ctx`` draws from on its device (one per session, op and device)."""
    host = ctx.state.rng(ctx.op)
    if ctx.xp is np:  # host memory: the session's generator itself
        return XpRandom(host, np)
    # created under the device's context by the plan builder
    rng = ctx.state.device_rng(ctx.op, ctx.device.name, lambda: ctx.xp.random.default_rng(int(host.integers(2 ** 63))))
    return XpRandom(rng, ctx.xp)


# -- the ops ---------------------------------------------------------------------------------------
def _random_kernel(draw):
    def build(ctx):
        rng, dtype, attrs = xp_random(ctx), ctx.out_dtype(), ctx.attrs
        if not ctx.op.inputs:  # a static shape
            return lambda: draw(rng, attrs["shape"], dtype, attrs)
        host = attrs.get("host_args")
        if host is not None:  # dims computed on the host from the shapes of the inputs
            dims_of = host.program(ctx.state)
            return lambda *sources: draw(rng, _checked_dims(ctx, dims_of(*sources)[0]), dtype, attrs)
        return lambda dims: draw(rng, _checked_dims(ctx, dims.tolist()), dtype, attrs)  # read back each step
    return build


def _checked_dims(ctx, values):
    dims = tuple(int(d) for d in values)
    if any(d < 0 for d in dims):
        raise errors.InvalidArgumentError(None, ctx.op, f"{ctx.op.type}: shape must be >= 0, got {list(dims)}")
    return dims


def _random_infer(inputs, attrs):
    host = attrs.get("host_args")
    if host is None and not inputs:
        return [(attrs["dtype"], attrs["shape"])]
    dims = host.args[0].value if host is not None else inputs[0]
    if not dims.dtype.is_integer:
        raise TypeError(f"shape must be int32 or int64, got {dims.dtype.name}")
    return [(attrs["dtype"], shape_from_tensor(dims))]


_DRAWS = {
    "RandomStandardNormal": lambda rng, shape, dtype, a: rng.normal(shape, dtype) * a["stddev"] + a["mean"],
    "RandomUniform": lambda rng, shape, dtype, a: rng.uniform(a["minval"], a["maxval"], shape, dtype),
    "TruncatedNormal": lambda rng, shape, dtype, a: rng.truncated_normal(shape, dtype) * a["stddev"] + a["mean"],
}
for _type, _draw in _DRAWS.items():
    define_op(_type, _random_infer, {"any": _random_kernel(_draw)}, stateful=True, differentiable=False)


def _random(op_type, shape, dtype, seed, name, default_name, **params):
    if holds_tensors(shape):  # tf.random_normal(tf.shape(x)): the shape is known when the graph runs
        return _random_of_dynamic_shape(op_type, shape, dtype, seed, name, default_name, params)
    dims = as_shape(shape)
    if dims is None or None in dims:
        raise ValueError(f"{default_name} needs a fully defined shape, got {bounded_repr(shape)}")
    graph_seed, op_seed = get_seed(seed)
    attrs = dict(params, shape=dims, dtype=as_dtype(dtype), seed=graph_seed, seed2=op_seed)
    return out(op_type, [], attrs, name=name, default_name=default_name)


def _random_of_dynamic_shape(op_type, shape, dtype, seed, name, default_name, params):
    with op_scope(name, default_name) as scope:
        dims = shape_arg(shape)
        if not dims.dtype.is_integer:
            raise TypeError(f"{default_name}: shape must be int32 or int64, got {dims.dtype.name}")
        known = constant_value(dims)
        if known is not None:
            return _random(op_type, [int(d) for d in known], dtype, seed, scope, default_name, **params)
        graph_seed, op_seed = get_seed(seed)
        attrs = dict(params, shape=None, dtype=as_dtype(dtype), seed=graph_seed, seed2=op_seed)
        host = host_args([dims])
        if host is not None:
            return out(op_type, list(host.sources), dict(attrs, host_args=host), name=scope)
        return out(op_type, [dims], attrs, name=scope)


def _float_dtype(dtype, what):
    """Normal draws exist only in floating point: an integer dtype is a TypeError, as in TF1."""
    dtype = as_dtype(dtype)
    if not dtype.is_floating:
        raise TypeError(f"{what}: dtype must be a floating point type (float16, float32 or float64), "
                        f"got {dtype.name}")
    return dtype


def random_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None, name=None):
    """Samples of a normal distribution with ``mean`` and ``stddev``."""
    dtype = _float_dtype(dtype, "random_normal")
    return _random("RandomStandardNormal", shape, dtype, seed, name, "random_normal",
                   mean=float(mean), stddev=float(stddev))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None, name=None):
    """Normal samples redrawn until within two standard deviations of ``mean``."""
    dtype = _float_dtype(dtype, "truncated_normal")
    return _random("TruncatedNormal", shape, dtype, seed, name, "truncated_normal",
                   mean=float(mean), stddev=float(stddev))


def random_uniform(shape, minval=0.0, maxval=None, dtype="float32", seed=None, name=None):
    """Samples uniform in [minval, maxval); integer dtypes need integral bounds and a maxval."""
    dtype = as_dtype(dtype)
    if not (dtype.is_floating or dtype.is_integer):
        raise TypeError(f"random_uniform: dtype must be a floating point or integer type, got {dtype.name}")
    if maxval is None:
        if not dtype.is_floating:
            raise ValueError(f"Must specify maxval for integer dtype {dtype.name}")
        maxval = 1.0
    if dtype.is_integer:
        _check_integral_bounds(minval, maxval, dtype)
    return _random("RandomUniform", shape, dtype, seed, name, "random_uniform",
                   minval=float(minval), maxval=float(maxval))


def _check_integral_bounds(minval, maxval, dtype):
    for name, value in (("minval", minval), ("maxval", maxval)):
        if not float(value).is_integer():
            raise TypeError(f"random_uniform: {name} must be an integer for dtype {dtype.name}, "
                            f"got {bounded_repr(value)}")
    if not minval < maxval:
        raise ValueError(f"random_uniform: need minval < maxval for dtype {dtype.name}, got {minval} >= {maxval}")
