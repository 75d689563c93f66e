"""Keras 2 weight regularizers: ``l1``, ``l2``, ``l1_l2`` (a penalty tensor added to the model loss)."""
from __future__ import annotations

import gpunet as gn

from ._class_config import from_class_config

__all__ = ["L1L2", "get", "l1", "l1_l2", "l2", "serialize"]


class L1L2:
    """``l1 * sum(|w|) + l2 * sum(w ** 2)``."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, weight):
        penalty = gn.constant(0.0, dtype=weight.dtype)
        if self.l1:
            penalty = penalty + self.l1 * gn.reduce_sum(gn.abs(weight))
        if self.l2:
            penalty = penalty + self.l2 * gn.reduce_sum(gn.square(weight))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


def l1(value=0.01):
    """An L1 penalty ``value * sum(|w|)``."""
    return L1L2(l1=value)


def l2(value=0.01):
    """An L2 penalty ``value * sum(w ** 2)``."""
    return L1L2(l2=value)


def l1_l2(l1=0.01, l2=0.01):  # noqa: E741 (Keras's names)
    """L1 and L2 penalties together."""
    return L1L2(l1=l1, l2=l2)


_BY_CLASS = {"L1L2": L1L2, "L1": lambda l1=0.01: L1L2(l1=l1), "L2": lambda l2=0.01: L1L2(l2=l2)}
# tf_keras 2's names: its functions (``'l1_l2'`` is 0.01 of each, unlike ``L1L2()``) and its classes with their
# defaults
_BY_NAME = {"l1": l1, "l2": l2, "l1_l2": l1_l2, **_BY_CLASS}


def get(identifier):
    """A regularizer from None, a name (``'l2'``: 0.01 as in tf_keras; ``'l1'``, ``'l1_l2'``, ``'L1L2'``...), a
    tf_keras config dict (``{'class_name': 'L2', 'config': {'l2': 0.01}}``), the ``{'l1': ..., 'l2': ...}`` dict
    older gpunet configs hold, or a callable ``weight -> penalty`` (returned as is)."""
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, str):
        if identifier not in _BY_NAME:
            raise ValueError(f"Unknown regularizer: {identifier!r}; known: {sorted(_BY_NAME)}")
        return _BY_NAME[identifier]()
    if isinstance(identifier, dict) and "class_name" in identifier:
        return from_class_config(identifier, _BY_CLASS, "regularizer")
    if isinstance(identifier, dict):
        return L1L2(**identifier)
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")


def serialize(regularizer):
    """``{'class_name': 'L1L2', 'config': {'l1': ..., 'l2': ...}}`` as tf_keras writes it (None stays None); a
    regularizer given as a plain callable has no config."""
    if regularizer is None:
        return None
    if not isinstance(regularizer, L1L2):
        raise ValueError(f"Only gn.layers.regularizers objects can be saved in a config, got {regularizer!r}")
    return {"class_name": "L1L2", "config": regularizer.get_config()}
