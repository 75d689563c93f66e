"""Keras 2 initializer names mapped onto gn's initializers (``'glorot_uniform'``, ``'zeros'``, …)."""
from __future__ import annotations

import numpy as np

import gpunet as gn

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
}


def get(identifier):
    """An initializer callable ``(shape, dtype=) -> tensor`` from a Keras name or a callable."""
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in _BY_NAME:
            raise ValueError(f"Unknown initializer: {identifier!r}; known: {sorted(_BY_NAME)}")
        return _BY_NAME[key]()
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret initializer identifier: {identifier!r}")


def serialize(identifier):
    """The name of an initializer given by name (configs only keep initializers given by name)."""
    if isinstance(identifier, str):
        return identifier
    raise ValueError(f"Only initializers given by name can be saved in a config, got {identifier!r}")
