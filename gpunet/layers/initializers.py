"""Keras 2 initializer names mapped onto gn's initializers (``'glorot_uniform'``, ``'zeros'``, …)."""
from __future__ import annotations

import numpy as np

import gpunet as gn

from ._class_config import from_class_config

__all__ = ["Orthogonal", "get", "serialize"]


class Orthogonal:
    """A (semi-)orthogonal matrix from the QR decomposition of a normal sample, times ``gain``."""

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        self._rng = np.random.default_rng(seed)

    def __call__(self, shape, dtype=gn.float32):
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        sample = self._rng.standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(sample)
        q = q * np.sign(np.diag(r))
        q = q if rows >= cols else q.T
        return gn.constant((self.gain * q).reshape(shape), dtype=dtype)


_BY_NAME = {
    "glorot_uniform": gn.glorot_uniform_initializer,
    "glorot_normal": gn.glorot_normal_initializer,
    "he_normal": gn.he_normal,
    "he_uniform": gn.he_uniform,
    "zeros": gn.zeros_initializer,
    "ones": gn.ones_initializer,
    "orthogonal": Orthogonal,
    "random_normal": lambda: gn.random_normal_initializer(stddev=0.05),
    "random_uniform": lambda: gn.random_uniform_initializer(-0.05, 0.05),
    "uniform": lambda: gn.random_uniform_initializer(-0.05, 0.05),
    "truncated_normal": lambda: gn.truncated_normal_initializer(stddev=0.05),
    "normal": lambda: gn.random_normal_initializer(stddev=0.05),
    "constant": gn.constant_initializer, "one": gn.ones_initializer, "zero": gn.zeros_initializer,
    "variance_scaling": gn.variance_scaling_initializer,
}


def _variance_scaling(scale, mode, distribution):
    def make(seed=None):
        return gn.variance_scaling_initializer(scale, mode, distribution, seed)
    return make


# tf_keras 2's initializer classes (``{'class_name': 'RandomNormal', 'config': {...}}`` in configs), each made from
# its config's arguments (tf_keras's defaults where absent) by the gn initializer that draws the same distribution
_BY_CLASS = {
    "GlorotUniform": _variance_scaling(1.0, "fan_avg", "uniform"),
    "GlorotNormal": _variance_scaling(1.0, "fan_avg", "truncated_normal"),
    "HeNormal": _variance_scaling(2.0, "fan_in", "truncated_normal"),
    "HeUniform": _variance_scaling(2.0, "fan_in", "uniform"),
    "LecunNormal": _variance_scaling(1.0, "fan_in", "truncated_normal"),
    "LecunUniform": _variance_scaling(1.0, "fan_in", "uniform"),
    "VarianceScaling": gn.variance_scaling_initializer,
    "Zeros": gn.zeros_initializer, "Ones": gn.ones_initializer, "Constant": gn.constant_initializer,
    "RandomNormal": lambda mean=0.0, stddev=0.05, seed=None: gn.random_normal_initializer(mean, stddev, seed),
    "RandomUniform": lambda minval=-0.05, maxval=0.05, seed=None: gn.random_uniform_initializer(minval, maxval, seed),
    "TruncatedNormal": lambda mean=0.0, stddev=0.05, seed=None: gn.truncated_normal_initializer(mean, stddev, seed),
    "Orthogonal": Orthogonal,
}
_BY_NAME.update(lecun_normal=_BY_CLASS["LecunNormal"], lecun_uniform=_BY_CLASS["LecunUniform"])


def get(identifier):
    """An initializer callable ``(shape, dtype=) -> tensor`` from None (None), a tf_keras name (``'he_normal'``,
    ``'lecun_uniform'``, ...) or class name (``'GlorotUniform'``: its defaults), a tf_keras config dict
    (``{'class_name': 'RandomNormal', 'config': {'stddev': 0.1}}``), a class (instantiated) or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return from_class_config(identifier, _BY_CLASS, "initializer")
    if isinstance(identifier, str):
        return _by_name(identifier)
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret initializer identifier: {identifier!r}")


def _by_name(name):
    make = _BY_NAME.get(name.lower()) or _BY_CLASS.get(name)
    if make is None:
        raise ValueError(f"Unknown initializer: {name!r}; known: {sorted(_BY_NAME)} and {sorted(_BY_CLASS)}")
    return make()


def serialize(identifier):
    """The name or tf_keras config dict an initializer was given as (configs keep only those two forms)."""
    if isinstance(identifier, str):
        return identifier
    if isinstance(identifier, dict):
        return {"class_name": identifier["class_name"], "config": dict(identifier.get("config") or {})}
    raise ValueError(f"Only initializers given by name can be saved in a config, got {identifier!r}")
