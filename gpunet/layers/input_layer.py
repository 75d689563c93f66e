"""``InputLayer`` and ``Input``: the placeholder a functional model starts from."""
from __future__ import annotations

import numbers

import gpunet as gn
from gpunet import backend as K

from .base import Layer

__all__ = ["Input", "InputLayer"]


class InputLayer(Layer):
    """Holds one placeholder of shape ``batch_input_shape`` (or wraps a given ``input_tensor``)."""

    def __init__(self, input_shape=None, batch_size=None, dtype=None, input_tensor=None, name=None,
                 batch_input_shape=None, sparse=False):
        if sparse:
            raise ValueError("gpunet has no sparse tensors: an InputLayer with sparse=True is not supported")
        name = name or K.unique_object_name("input", zero_based=False)
        if batch_input_shape is None and input_shape is not None:
            batch_input_shape = (batch_size,) + tuple(input_shape)
        if input_tensor is not None and batch_input_shape is None:
            batch_input_shape = tuple(input_tensor.shape.as_list())
        if batch_input_shape is None:
            raise ValueError("An InputLayer needs input_shape, batch_input_shape or input_tensor")
        super().__init__(name=name, dtype=dtype, batch_input_shape=batch_input_shape)
        if input_tensor is None:
            input_tensor = gn.placeholder(self.dtype, shape=self._batch_input_shape, name=name)
        self.built = True
        self._record_node([], input_tensor, {})

    def get_config(self):
        return {"batch_input_shape": list(self._batch_input_shape), "dtype": self.dtype, "name": self._name}


def Input(shape=None, batch_size=None, name=None, dtype=None, tensor=None, batch_shape=None):  # noqa: N802
    """A placeholder tensor of shape ``(batch_size,) + shape`` that functional models start from."""
    if shape is None and batch_shape is None and tensor is None:
        raise ValueError("Please provide to Input either a `shape` or a `batch_shape` argument.")
    if shape is not None and batch_shape is not None:
        raise ValueError("Only provide the `shape` OR `batch_shape` argument to Input, not both at the same time.")
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):  # tf_keras reads shape=3 as (3,)
        shape = (int(shape),)
    if shape is not None and not hasattr(shape, "__iter__"):
        raise TypeError(f"Input: `shape` must be a tuple of integers or None, got {shape!r} of type "
                        f"{type(shape).__name__}")
    layer = InputLayer(input_shape=shape, batch_size=batch_size, name=name, dtype=dtype, input_tensor=tensor,
                       batch_input_shape=batch_shape)
    return layer.output
