"""Keras 2 layer wrappers: TimeDistributed (one layer applied to every time step, weights shared) and
Bidirectional (a recurrent layer run forwards and backwards, outputs merged)."""
from __future__ import annotations

import inspect

import gpunet as gn

from . import keras_config
from .base import Layer, shape_tuple

__all__ = ["Bidirectional", "TimeDistributed"]

_MERGES = {"concat": lambda a, b: gn.concat([a, b], -1), "sum": lambda a, b: a + b,
           "ave": lambda a, b: (a + b) / 2, "mul": lambda a, b: a * b}


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
    return cls.from_config(keras_config.from_keras(cls, spec)["config"])


class TimeDistributed(Layer):
    """Applies ``layer`` to every time step of inputs ``(batch, timesteps, ...)``: the batch and time axes are
    merged, ``layer`` runs once on ``(batch * timesteps, ...)`` and the result is split again (Keras's path for
    layers without state), so one set of weights serves every step and ``timesteps`` may be unknown."""

    supports_masking = True

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

    def _merge_steps(self, tensor):
        """``(batch, timesteps, ...)`` as ``(batch * timesteps, ...)``."""
        merged = gn.reshape(tensor, gn.concat([[-1], gn.shape(tensor)[2:]], 0))
        merged.set_shape((None,) + shape_tuple(tensor)[2:])
        return merged

    @staticmethod
    def _split_steps(tensor, like):
        """``(batch * timesteps, ...)`` back to ``(batch, timesteps, ...)`` as the steps of ``like``."""
        return gn.reshape(tensor, gn.concat([gn.shape(like)[:2], gn.shape(tensor)[1:]], 0))

    def call(self, inputs, training=None, mask=None):
        kwargs = {}
        if "training" in inspect.signature(self.layer.call).parameters:
            kwargs["training"] = training
        if mask is not None and "mask" in inspect.signature(self.layer.call).parameters:
            kwargs["mask"] = self._merge_steps(mask)  # one mask row per step (Keras 2 does the same)
        inner = self.layer(self._merge_steps(inputs), **kwargs)
        out = self._split_steps(inner, inputs)
        out.set_shape(self.compute_output_shape(shape_tuple(inputs)))
        return out

    def compute_mask(self, inputs, mask=None):
        """The wrapped layer's mask of each step, as ``(batch, timesteps, ...)``; the input mask when the wrapped
        layer gives none (or does not handle masks)."""
        if not self.layer._handles_masks() or (mask is None and type(self.layer).compute_mask is Layer.compute_mask):
            return mask
        merged = None if mask is None else self._merge_steps(mask)
        inner = self.layer.compute_mask(self._merge_steps(inputs), merged)
        if inner is None:
            return mask
        out = self._split_steps(inner, inputs)
        out.set_shape(shape_tuple(inputs)[:2] + shape_tuple(inner)[1:])
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


class Bidirectional(Layer):
    """Runs a recurrent layer (SimpleRNN, GRU, LSTM) over the sequence forwards and a copy of it (its own weights,
    ``go_backwards`` flipped) backwards, then merges the outputs (``merge_mode`` ``'concat'``, ``'sum'``,
    ``'ave'``, ``'mul'``, or None for both as a list); backward sequences are flipped back into time order.
    Weights: the forward layer's, then the backward layer's (tf_keras's order). ``initial_state`` takes the forward
    layer's states followed by the backward layer's."""

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `Bidirectional` layer with a `tf.keras.layers.Layer` instance. "
                             f"Received: {layer}")
        if not hasattr(layer, "go_backwards"):
            raise ValueError(f"`Bidirectional` needs a recurrent layer (with `go_backwards`), got "
                             f"{type(layer).__name__} {layer.name}")
        if merge_mode not in ["sum", "mul", "ave", "concat", None]:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode}. Merge mode should be one of "
                             f'{{"sum", "mul", "ave", "concat", None}}')
        super().__init__(**kwargs)
        self.merge_mode = merge_mode
        self._layer_spec = _serialize(layer)
        config = layer.get_config()
        self.forward_layer = type(layer).from_config({**config, "name": f"forward_{layer.name}"})
        self.backward_layer = type(layer).from_config({**config, "name": f"backward_{layer.name}",
                                                       "go_backwards": not config["go_backwards"]})
        self.return_sequences, self.return_state = layer.return_sequences, layer.return_state
        # tf_keras: inside Bidirectional, masked steps of the output sequences are zeros
        self.forward_layer._zero_output_for_mask = self.backward_layer._zero_output_for_mask = self.return_sequences

    def __call__(self, inputs, initial_state=None, **kwargs):
        if initial_state is None:
            return super().__call__(inputs, **kwargs)
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) % 2:
            raise ValueError(f"When passing `initial_state` to a Bidirectional RNN, the state should be a list "
                             f"containing the states of the underlying RNNs. Received: {states}")
        return super().__call__([inputs] + states, **kwargs)

    def build(self, input_shape):
        shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        if len(shape) != 3:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected ndim=3, "
                             f"found ndim={len(shape)}. Full shape received: {tuple(shape)}")

    def _run(self, layer, inputs, states, mask, training):
        masks = None if mask is None else [mask] + [None] * len(states) if states else mask
        outputs = layer(inputs, initial_state=states or None, training=training, mask=masks)
        return (outputs[0], outputs[1:]) if self.return_state else (outputs, [])

    def call(self, inputs, mask=None, training=None):
        inputs, states = (inputs[0], list(inputs[1:])) if isinstance(inputs, list) else (inputs, [])
        mask = mask[0] if isinstance(mask, list) else mask
        half = len(states) // 2
        forward, forward_states = self._run(self.forward_layer, inputs, states[:half], mask, training)
        backward, backward_states = self._run(self.backward_layer, inputs, states[half:], mask, training)
        if self.return_sequences:
            backward = gn.reverse(backward, [1])
        merged = [forward, backward] if self.merge_mode is None else [_MERGES[self.merge_mode](forward, backward)]
        outputs = merged + forward_states + backward_states
        return outputs if len(outputs) > 1 else outputs[0]

    def compute_mask(self, inputs, mask=None):
        """The input mask on each output sequence with ``return_sequences`` (None on the states), else None."""
        mask = mask[0] if isinstance(mask, list) else mask
        out = mask if self.return_sequences else None
        masks = [out, out] if self.merge_mode is None else [out]
        states = 2 * len(self.forward_layer._state_names) if self.return_state else 0
        masks = masks + [None] * states
        return masks if len(masks) > 1 else masks[0]

    def compute_output_shape(self, input_shape):
        shapes = self.forward_layer.compute_output_shape(input_shape)
        out, states = (shapes[0], list(shapes[1:])) if self.return_state else (shapes, [])
        if self.merge_mode == "concat":
            out = tuple(out[:-1]) + (2 * out[-1],)
        merged = [out, out] if self.merge_mode is None else [out]
        shapes = merged + states + states
        return shapes if len(shapes) > 1 else shapes[0]

    def get_config(self):
        return {**super().get_config(), "layer": self._layer_spec, "merge_mode": self.merge_mode}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(_deserialize(config.pop("layer")), **config)
