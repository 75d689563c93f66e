"""TF1's candidate samplers (``tf.nn.log_uniform_candidate_sampler``, ``uniform_candidate_sampler``)
as one op, ``CandidateSampler``, whose ``distribution`` attr is a :class:`_Distribution`.

Candidates are drawn on the host by the session's generator of the op (seeded as every random op:
graph seed + op seed) and copied to the op's device; the expected counts are computed on the
device. With ``unique=True`` draws repeat until ``num_sampled`` distinct candidates are found and an
expected count is ``1 - (1 - p) ** tries`` (TF1's formula); otherwise it is ``p * num_sampled``.
"""
from __future__ import annotations

import numpy as np

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import float32, int64
from ..graph.registry import define_op
from ._helpers import outs
from .random_ops import get_seed

__all__ = ["log_uniform_candidate_sampler", "uniform_candidate_sampler"]


class _Distribution:
    """A sampling distribution over [0, range_max): draws on the host, probabilities with ``xp``."""

    def __init__(self, name, draw, probability):
        self.name = name
        self.draw = draw                  # (generator, range_max, n) -> int64 array of n classes
        self.probability = probability    # (xp, classes as float64, range_max) -> probabilities


def _log_uniform_draw(rng, range_max, n):
    # TF1's LogUniformSampler: exp(u * log(range_max + 1)) - 1, floored, P(k) = log((k + 2) / (k + 1)) / log(max + 1)
    values = np.floor(np.exp(rng.random(n) * np.log(range_max + 1.0))).astype(np.int64) - 1
    return np.minimum(values, range_max - 1)


LOG_UNIFORM = _Distribution(
    "log_uniform", _log_uniform_draw,
    lambda xp, k, range_max: xp.log((k + 2.0) / (k + 1.0)) / np.log(range_max + 1.0))
UNIFORM = _Distribution(
    "uniform", lambda rng, range_max, n: rng.integers(0, range_max, n, dtype=np.int64),
    lambda xp, k, range_max: xp.full(k.shape, 1.0 / range_max))


def _draw(rng, distribution, num_sampled, range_max, unique):
    """The candidates and the number of draws it took."""
    if not unique:
        return distribution.draw(rng, range_max, num_sampled), num_sampled
    found, tries = {}, 0
    while len(found) < num_sampled:
        batch = distribution.draw(rng, range_max, 2 * (num_sampled - len(found)))
        for value in batch.tolist():
            tries += 1
            found.setdefault(value, None)
            if len(found) == num_sampled:
                break
    return np.fromiter(found, np.int64, num_sampled), tries


def _expected(xp, distribution, classes, range_max, num_sampled, tries, unique):
    p = distribution.probability(xp, classes.astype(np.float64), range_max)
    counts = -xp.expm1(tries * xp.log1p(-p)) if unique else p * num_sampled
    return counts.astype(np.float32)


def _sampler_kernel(ctx):
    attrs, xp, op = ctx.attrs, ctx.xp, ctx.op
    distribution, n, range_max, unique = attrs["distribution"], attrs["num_sampled"], attrs["range_max"], \
        attrs["unique"]

    def run(true_classes):
        if true_classes.ndim != 2 or true_classes.shape[1] != attrs["num_true"]:
            raise errors.InvalidArgumentError(None, op, f"{op.name}: true_classes must be a matrix with "
                                                        f"num_true={attrs['num_true']} columns, got shape "
                                                        f"{list(true_classes.shape)}")
        sampled, tries = _draw(ctx.state.rng(op), distribution, n, range_max, unique)
        sampled = xp.asarray(sampled)  # host to device (a copy on a CuPy GPU)
        return (sampled, _expected(xp, distribution, true_classes, range_max, n, tries, unique),
                _expected(xp, distribution, sampled, range_max, n, tries, unique))
    return run


def _sampler_infer(inputs, attrs):
    true_classes = inputs[0]
    if not true_classes.dtype.is_integer:
        raise TypeError(f"true_classes must be int64 (or int32), got {true_classes.dtype.name}")
    if true_classes._shape is not None and len(true_classes._shape) != 2:
        raise ValueError(f"true_classes must be a matrix [batch_size, num_true], got shape {true_classes.shape}")
    batch = None if true_classes._shape is None else true_classes._shape[0]
    return [(int64, (attrs["num_sampled"],)), (float32, (batch, attrs["num_true"])),
            (float32, (attrs["num_sampled"],))]


define_op("CandidateSampler", _sampler_infer, {"any": _sampler_kernel}, stateful=True, differentiable=False,
          doc="Candidates drawn from a distribution over [0, range_max), with their expected counts.")


def _check_counts(num_true, num_sampled, range_max, unique):
    for label, value in (("num_true", num_true), ("num_sampled", num_sampled), ("range_max", range_max)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{label} must be a positive integer, got {value!r}")
    if unique and num_sampled > range_max:
        raise ValueError(f"num_sampled ({num_sampled}) cannot exceed range_max ({range_max}) when unique=True")


def _candidate_sampler(distribution, true_classes, num_true, num_sampled, unique, range_max, seed, name):
    _check_counts(num_true, num_sampled, range_max, unique)
    graph_seed, op_seed = get_seed(seed)
    attrs = dict(distribution=distribution, num_true=int(num_true), num_sampled=int(num_sampled),
                 range_max=int(range_max), unique=bool(unique), seed=graph_seed, seed2=op_seed)
    sampled, true_expected, sampled_expected = outs("CandidateSampler", [convert_to_tensor(true_classes)], attrs,
                                                    name=name, default_name=f"{distribution.name}_candidate_sampler")
    return sampled, true_expected, sampled_expected


def log_uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None):
    """``(sampled_candidates, true_expected_count, sampled_expected_count)`` drawn from TF1's
    log-uniform (Zipfian) distribution ``P(k) = log((k + 2) / (k + 1)) / log(range_max + 1)``:
    ``num_sampled`` int64 classes (distinct when ``unique``), float32 expected counts of the true
    classes ([batch, num_true]) and of the sampled ones."""
    return _candidate_sampler(LOG_UNIFORM, true_classes, num_true, num_sampled, unique, range_max, seed, name)


def uniform_candidate_sampler(true_classes, num_true, num_sampled, unique, range_max, seed=None, name=None):
    """As :func:`log_uniform_candidate_sampler` with every class equally likely (``1 / range_max``)."""
    return _candidate_sampler(UNIFORM, true_classes, num_true, num_sampled, unique, range_max, seed, name)

