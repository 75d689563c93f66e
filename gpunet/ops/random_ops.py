"""Random ops. Seeds follow TF1: a graph seed (gn.set_random_seed) plus an op seed make a run
reproducible; values are drawn on the host by a per-session generator, so every device gets
the same numbers for the same seeds."""
from __future__ import annotations

from ..graph.dtypes import as_dtype
from ..graph.graph import get_default_graph
from ..graph.registry import define_op
from ..graph.shape import as_shape
from ..graph.validation import bounded_repr
from ._helpers import out

_DEFAULT_GRAPH_SEED = 87654321


def get_seed(op_seed):
    """(graph seed, op seed) as TF1 derives them."""
    graph = get_default_graph()
    if graph.seed is not None:
        return graph.seed, op_seed if op_seed is not None else graph._next_op_seed()
    if op_seed is not None:
        return _DEFAULT_GRAPH_SEED, op_seed
    return None, None


def _random_kernel(draw):
    def build(ctx):
        rng, xp, dtype = ctx.state.rng(ctx.op), ctx.xp, ctx.out_dtype()
        shape, attrs = ctx.attrs["shape"], ctx.attrs
        return lambda: xp.asarray(draw(rng, shape, attrs).astype(dtype, copy=False))
    return build


def _truncated(rng, shape, attrs):
    values = rng.standard_normal(shape)
    bad = abs(values) > 2
    while bad.any():  # redraw outside two standard deviations, as TF1 does
        values[bad] = rng.standard_normal(int(bad.sum()))
        bad = abs(values) > 2
    return values * attrs["stddev"] + attrs["mean"]


_DRAWS = {
    "RandomStandardNormal": lambda rng, shape, a: rng.standard_normal(shape) * a["stddev"] + a["mean"],
    "RandomUniform": lambda rng, shape, a: rng.uniform(a["minval"], a["maxval"], shape),
    "TruncatedNormal": _truncated,
}
for _type, _draw in _DRAWS.items():
    define_op(_type, lambda i, a: [(a["dtype"], a["shape"])], {"any": _random_kernel(_draw)},
              stateful=True, differentiable=False)


def _random(op_type, shape, dtype, seed, name, default_name, **params):
    dims = as_shape(shape)
    if dims is None or None in dims:
        raise ValueError(f"{default_name} needs a fully defined shape, got {bounded_repr(shape)}")
    graph_seed, op_seed = get_seed(seed)
    attrs = dict(params, shape=dims, dtype=as_dtype(dtype), seed=graph_seed, seed2=op_seed)
    return out(op_type, [], attrs, name=name, default_name=default_name)


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
