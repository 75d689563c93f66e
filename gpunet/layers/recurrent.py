"""LSTM (tf_keras's gates and defaults) on ``gn.while_loop``: the number of time steps may be unknown."""
from __future__ import annotations

import gpunet as gn

from . import activations
from .rnn_base import RecurrentBase

__all__ = ["LSTM"]


class LSTM(RecurrentBase):
    """Long short-term memory over inputs ``(batch, timesteps, features)`` (``timesteps`` may be None: the
    steps run in a ``gn.while_loop``); gates i, f, c, o; recurrent activation sigmoid; the forget-gate bias
    starts at 1 (``unit_forget_bias``). ``layer(x, initial_state=[h, c])`` records the states as inputs of
    the call; ``go_backwards`` reads the sequence last step first (and returns outputs in that order)."""

    _gates = 4
    _state_names = ("h", "c")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, dropout=0.0, recurrent_dropout=0.0, return_sequences=False,
                 return_state=False, go_backwards=False, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         dropout, recurrent_dropout, return_sequences, return_state, go_backwards, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units = self.units

        def forget_bias_one(shape, dtype=gn.float32):
            return gn.concat([gn.zeros([units], dtype), gn.ones([units], dtype), gn.zeros([2 * units], dtype)], 0)
        return forget_bias_one

    def _step(self, x_part, states, recurrent_mask, recurrent_kernel):
        h, c = states
        if recurrent_mask is not None:
            h = h * recurrent_mask
        z = x_part + gn.matmul(h, recurrent_kernel)
        u = self.units
        i, f = self.recurrent_activation(z[:, :u]), self.recurrent_activation(z[:, u:2 * u])
        candidate, o = self.activation(z[:, 2 * u:3 * u]), self.recurrent_activation(z[:, 3 * u:])
        c = f * c + i * candidate
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": activations.serialize(self.recurrent_activation),
                "unit_forget_bias": self.unit_forget_bias}
