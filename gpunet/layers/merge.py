"""Merge layers: Concatenate and Add, and their functions ``concatenate`` and ``add``."""
from __future__ import annotations

import gpunet as gn

from .base import Layer

__all__ = ["Add", "Concatenate", "add", "concatenate"]


class _Merge(Layer):
    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) < 2:
            raise ValueError(f"A merge layer ({self.name}) should be called on a list of at least 2 inputs. "
                             f"Got {len(input_shape) if isinstance(input_shape, list) else 1} input(s).")


class Add(_Merge):
    """The elementwise sum of its inputs (all of one shape)."""

    def build(self, input_shape):
        super().build(input_shape)
        shapes = {tuple(s[1:]) for s in input_shape}
        if len(shapes) > 1:
            raise ValueError(f"Add layer {self.name}: inputs must have the same shape, got {input_shape}")

    def call(self, inputs):
        return gn.add_n(list(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape[0]


class Concatenate(_Merge):
    """Its inputs joined along ``axis``."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape):
        super().build(input_shape)
        rank = len(input_shape[0])
        axis = self.axis % rank
        rest = {tuple(d for i, d in enumerate(s) if i not in (0, axis)) for s in input_shape}
        if len(rest) > 1 or any(len(s) != rank for s in input_shape):
            raise ValueError(f"A Concatenate layer requires inputs with matching shapes except for the concat axis. "
                             f"Got inputs shapes: {input_shape}")

    def call(self, inputs):
        return gn.concat(list(inputs), self.axis)

    def compute_output_shape(self, input_shape):
        axis = self.axis % len(input_shape[0])
        sizes = [s[axis] for s in input_shape]
        out = list(input_shape[0])
        out[axis] = None if None in sizes else sum(sizes)
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``."""
    return Add(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis, **kwargs)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)
