"""Keras 2 weight constraints: projections an optimizer applies to a variable right after updating it
(``Variable(constraint=fn)``, ``add_weight(constraint=...)``, ``Dense(kernel_constraint=...)``). Formulas,
epsilon (1e-7) and names are tf_keras 2's."""
from __future__ import annotations

import numpy as np

import gpunet as gn

__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "RadialConstraint", "UnitNorm", "deserialize", "get",
           "max_norm", "min_max_norm", "non_neg", "radial_constraint", "serialize", "unit_norm"]

_EPSILON = 1e-7  # tf_keras's backend.epsilon()


class Constraint:
    """Base class: ``constraint(w)`` is the projected tensor (the identity here)."""

    def __call__(self, w):
        return w

    def get_config(self):
        """The constructor arguments (``{}`` for a constraint without any)."""
        return {}

    @classmethod
    def from_config(cls, config):
        """The constraint ``get_config`` describes."""
        return cls(**config)


def _norms(w, axis):
    return gn.sqrt(gn.reduce_sum(gn.square(w), axis=axis, keepdims=True))


def _clip(x, low, high):
    # tf_keras's backend.clip: a maximum below the minimum becomes the minimum
    return gn.clip_by_value(x, low, max(low, high))


class MaxNorm(Constraint):
    """Rescales the slices along ``axis`` whose L2 norm exceeds ``max_value``:
    ``w * clip(norms, 0, max_value) / (epsilon + norms)``."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        return w * (_clip(norms, 0.0, self.max_value) / (_EPSILON + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Zeroes the negative entries: ``w * (w >= 0)``."""

    def __call__(self, w):
        return w * gn.cast(gn.greater_equal(w, 0.0), w.dtype)


class UnitNorm(Constraint):
    """Unit L2 norm along ``axis``: ``w / (epsilon + norms)``."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return w / (_EPSILON + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Norms along ``axis`` moved towards ``[min_value, max_value]`` at ``rate``:
    ``w * (rate * clip(norms, min, max) + (1 - rate) * norms) / (epsilon + norms)``."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = self.rate * _clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (_EPSILON + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


class RadialConstraint(Constraint):
    """Makes each ``(height, width)`` slice of a rank-4 square conv kernel radially constant, each ring taking
    the value tf_keras's RadialConstraint gives it (one entry on the diagonal, see ``_ring_sources``)."""

    def __call__(self, w):
        shape = w.shape.as_list() if w.shape.ndims is not None else None
        if shape is None or len(shape) != 4:
            raise ValueError(f"The weight tensor must have rank 4. Received weight tensor with shape: {w.shape}")
        height, width, channels, kernels = shape
        if None in shape or height != width:
            raise ValueError(f"RadialConstraint needs a square kernel of known shape, got {w.shape}")
        flat = gn.reshape(w, (height * width, channels * kernels))
        projected = gn.gather(flat, _ring_sources(height).reshape(-1))
        return gn.reshape(projected, (height, width, channels, kernels))


def _ring_sources(size):
    """For each position of a ``size x size`` kernel, the flat index of the diagonal entry whose value its ring
    takes in tf_keras: the central ring (1x1 or 2x2) takes ``[start - 1, start - 1]``, ring ``k`` takes
    ``[start + k - 1]`` (odd size) or ``[start + k]`` (even size) on the diagonal, ``start = size // 2``."""
    start, odd = size // 2, size % 2
    centre = (size - 1) / 2.0
    grid = np.arange(size)
    ring = np.ceil(np.maximum(np.abs(grid[:, None] - centre), np.abs(grid[None, :] - centre)) - 0.5).astype(int)
    diagonal = np.where(ring == 0, start - 1, start + ring - odd)
    return (diagonal * size + diagonal).astype(np.int32)


max_norm, non_neg, unit_norm, min_max_norm, radial_constraint = MaxNorm, NonNeg, UnitNorm, MinMaxNorm, RadialConstraint

_BY_NAME = {cls.__name__: cls for cls in (Constraint, MaxNorm, MinMaxNorm, NonNeg, RadialConstraint, UnitNorm)}
_BY_NAME.update({"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm,
                 "radial_constraint": RadialConstraint, "maxnorm": MaxNorm, "nonneg": NonNeg, "unitnorm": UnitNorm})


def serialize(constraint):
    """``{'class_name': 'MaxNorm', 'config': {...}}`` (None stays None)."""
    if constraint is None:
        return None
    if not isinstance(constraint, Constraint):
        raise ValueError(f"Only gn.layers.constraints objects can be saved in a config, got {constraint!r}")
    return {"class_name": type(constraint).__name__, "config": constraint.get_config()}


def deserialize(config):
    """The constraint a ``serialize`` dict (or a name such as ``'max_norm'``) describes."""
    name = config if isinstance(config, str) else config.get("class_name")
    if name not in _BY_NAME:
        raise ValueError(f"Unknown constraint: {name!r}; known: {sorted(_BY_NAME)}")
    return _BY_NAME[name]() if isinstance(config, str) else _BY_NAME[name].from_config(config.get("config", {}))


def get(identifier):
    """A constraint from None, a name (``'max_norm'``), a ``serialize`` dict or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret constraint function identifier: {identifier}")
