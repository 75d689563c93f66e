"""Keras 2 layer wrappers: TimeDistributed (one layer applied to every time step, weights shared)."""
from __future__ import annotations

import inspect

import gpunet as gn

from .base import Layer, shape_tuple

__all__ = ["TimeDistributed"]


def _serialize(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def _deserialize(spec):
    """A layer of ``gn.layers`` from ``{'class_name', 'config'}`` (the registry ``load_model`` uses)."""
    from gpunet import layers as package  # the package imports this module: look it up when needed
    name = spec["class_name"]
    cls = getattr(package, name, None) if name in package.__all__ else None
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise ValueError(f"Unknown layer: {name}. Please ensure this object is passed to the `custom_objects` "
                         f"argument.")
    return cls.from_config(spec["config"])


class TimeDistributed(Layer):
    """Applies ``layer`` to every time step of inputs ``(batch, timesteps, ...)``: the batch and time axes are
    merged, ``layer`` runs once on ``(batch * timesteps, ...)`` and the result is split again (Keras's path for
    layers without state), so one set of weights serves every step and ``timesteps`` may be unknown."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `TimeDistributed` layer with a `tf.keras.layers.Layer` instance. "
                             f"Received: {layer}")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(f"`TimeDistributed` Layer should be passed an `input_shape ` with at least 3 "
                             f"dimensions, received: {tuple(input_shape)}")

    def call(self, inputs, training=None):
        dynamic = gn.shape(inputs)
        merged = gn.reshape(inputs, gn.concat([[-1], dynamic[2:]], 0))
        merged.set_shape((None,) + shape_tuple(inputs)[2:])
        accepts_training = "training" in inspect.signature(self.layer.call).parameters
        inner = self.layer(merged, training=training) if accepts_training else self.layer(merged)
        out = gn.reshape(inner, gn.concat([dynamic[:2], gn.shape(inner)[1:]], 0))
        out.set_shape(self.compute_output_shape(shape_tuple(inputs)))
        return out

    def compute_output_shape(self, input_shape):
        inner = self.layer.compute_output_shape((input_shape[0],) + tuple(input_shape[2:]))
        return (inner[0], input_shape[1]) + tuple(inner[1:])

    def get_config(self):
        return {**super().get_config(), "layer": _serialize(self.layer)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(_deserialize(config.pop("layer")), **config)
