"""Embedding: integer indices to dense vectors."""
from __future__ import annotations

import gpunet as gn

from . import constraints, regularizers
from .base import Layer

__all__ = ["Embedding"]


class Embedding(Layer):
    """Row ``i`` of an ``(input_dim, output_dim)`` table for each index ``i`` of the input. With ``mask_zero=True``
    index 0 means padding: the output carries a mask, false where the index is 0, for the layers after it (the
    table still has ``input_dim`` rows, so the vocabulary holds ``input_dim - 1`` real indices, as in Keras 2)."""

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", input_length=None,
                 embeddings_constraint=None, mask_zero=False, embeddings_regularizer=None, **kwargs):
        if input_length is not None and "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length,)
        if input_dim <= 0 or output_dim <= 0:
            raise ValueError(f"Both `input_dim` and `output_dim` should be positive, Received input_dim = "
                             f"{input_dim} and output_dim = {output_dim}")
        super().__init__(**kwargs)
        self.input_dim, self.output_dim, self.input_length = int(input_dim), int(output_dim), input_length
        self.mask_zero = bool(mask_zero)
        self.embeddings_initializer = embeddings_initializer
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)

    def call(self, inputs):
        if inputs.dtype.is_floating:
            inputs = gn.cast(inputs, gn.int32)
        return gn.gather(self.embeddings.value(), inputs)

    def compute_mask(self, inputs, mask=None):
        """With ``mask_zero``: true where the index is not 0; else None."""
        return gn.not_equal(inputs, gn.cast(0, inputs.dtype)) if self.mask_zero else None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": self.embeddings_initializer, "input_length": self.input_length,
                "mask_zero": self.mask_zero,
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "embeddings_constraint": constraints.serialize(self.embeddings_constraint)}
