"""LSTM (tf_keras's gates and defaults) on ``gn.while_loop``: the number of time steps may be unknown."""
from __future__ import annotations

import gpunet as gn
from gpunet import backend as K

from . import activations
from .base import Layer, shape_tuple

__all__ = ["LSTM"]


class LSTM(Layer):
    """Long short-term memory over inputs ``(batch, timesteps, features)`` (``timesteps`` may be None: the
    steps run in a ``gn.while_loop``); gates i, f, c, o; recurrent activation sigmoid; the forget-gate bias
    starts at 1 (``unit_forget_bias``). ``layer(x, initial_state=[h, c])`` records the states as inputs of
    the call; ``go_backwards`` reads the sequence last step first (and returns outputs in that order)."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, dropout=0.0, recurrent_dropout=0.0, return_sequences=False,
                 return_state=False, go_backwards=False, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation, self.recurrent_activation = activations.get(activation), activations.get(recurrent_activation)
        self.use_bias, self.unit_forget_bias = use_bias, unit_forget_bias
        self.kernel_initializer, self.recurrent_initializer = kernel_initializer, recurrent_initializer
        self.bias_initializer = bias_initializer
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.return_sequences, self.return_state, self.go_backwards = return_sequences, return_state, go_backwards

    def __call__(self, inputs, initial_state=None, **kwargs):
        if initial_state is None:
            return super().__call__(inputs, **kwargs)
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) != 2:
            raise ValueError(f"LSTM {self.name} expects initial_state=[h, c] (2 tensors), got {len(states)}")
        # the states become inputs of the call, so functional models record, replay and save them
        return super().__call__([inputs] + states, **kwargs)

    def build(self, input_shape):
        input_shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        if len(input_shape) != 3 or input_shape[2] is None:
            raise ValueError(f"LSTM {self.name} needs inputs (batch, timesteps, features) with known features, "
                             f"got {input_shape}")
        units = self.units
        self.kernel = self.add_weight("kernel", (input_shape[2], 4 * units), initializer=self.kernel_initializer)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (units, 4 * units),
                                                initializer=self.recurrent_initializer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (4 * units,), initializer=self._bias_initializer())

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units = self.units

        def forget_bias_one(shape, dtype=gn.float32):
            return gn.concat([gn.zeros([units], dtype), gn.ones([units], dtype), gn.zeros([2 * units], dtype)], 0)
        return forget_bias_one

    def _mask(self, like, rate, training):
        if not rate:
            return None
        return K.in_train_phase(lambda: gn.nn.dropout(gn.ones_like(like), rate=rate), lambda: gn.ones_like(like),
                                training)

    def _step(self, x_part, h, c, recurrent_mask):
        if recurrent_mask is not None:
            h = h * recurrent_mask
        z = x_part + gn.matmul(h, self.recurrent_kernel.value())
        u = self.units
        i, f = self.recurrent_activation(z[:, :u]), self.recurrent_activation(z[:, u:2 * u])
        candidate, o = self.activation(z[:, 2 * u:3 * u]), self.recurrent_activation(z[:, 3 * u:])
        c = f * c + i * candidate
        return o * self.activation(c), c

    def _time_major_projection(self, inputs, training):
        """``inputs @ kernel + bias`` (after the input dropout) as ``(timesteps, batch, 4 * units)``."""
        mask = self._mask(inputs[:, 0, :], self.dropout, training)
        x = inputs * gn.expand_dims(mask, 1) if mask is not None else inputs
        projected = gn.tensordot(gn.transpose(x, [1, 0, 2]), self.kernel.value(), [[2], [0]])
        return projected + self.bias.value() if self.use_bias else projected

    def call(self, inputs, training=None):
        inputs, states = (inputs[0], inputs[1:]) if isinstance(inputs, list) else (inputs, None)
        projected = self._time_major_projection(inputs, training)
        steps = gn.shape(projected)[0]
        if states is None:
            zeros = gn.zeros_like(projected[0, :, :self.units])
            states = [zeros, zeros]
        recurrent_mask = self._mask(states[0], self.recurrent_dropout, training)
        no_outputs = gn.zeros_like(projected[:0, :, :self.units])

        def body(t, h, c, outputs):
            x_t = gn.gather(projected, steps - 1 - t if self.go_backwards else t)
            h, c = self._step(x_t, h, c, recurrent_mask)
            if self.return_sequences:
                outputs = gn.concat([outputs, gn.expand_dims(h, 0)], 0)
            return t + 1, h, c, outputs
        loop_vars = (gn.constant(0), states[0], states[1], no_outputs)
        invariants = (gn.TensorShape([]), gn.TensorShape([None, self.units]), gn.TensorShape([None, self.units]),
                      gn.TensorShape([None, None, self.units]))
        _, h, c, outputs = gn.while_loop(lambda t, *_: t < steps, body, loop_vars, shape_invariants=invariants)
        out = gn.transpose(outputs, [1, 0, 2]) if self.return_sequences else h
        shapes = self.compute_output_shape(shape_tuple(inputs))
        for tensor, shape in zip([out, h, c], shapes if self.return_state else [shapes]):
            tensor.set_shape(shape)  # the loop's invariants are looser than what is known statically
        return [out, h, c] if self.return_state else out

    def compute_output_shape(self, input_shape):
        input_shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        batch, state = input_shape[0], (input_shape[0], self.units)
        out = (batch, input_shape[1], self.units) if self.return_sequences else state
        return [out, state, state] if self.return_state else out

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": activations.serialize(self.activation),
                "recurrent_activation": activations.serialize(self.recurrent_activation), "use_bias": self.use_bias,
                "kernel_initializer": self.kernel_initializer, "recurrent_initializer": self.recurrent_initializer,
                "bias_initializer": self.bias_initializer, "unit_forget_bias": self.unit_forget_bias,
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
                "return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards}
