"""SimpleRNN and GRU (tf_keras 2's cells, weights layout and defaults) on the shared recurrent loop."""
from __future__ import annotations

import gpunet as gn

from . import activations
from .rnn_base import RecurrentBase

__all__ = ["GRU", "SimpleRNN"]


class SimpleRNN(RecurrentBase):
    """A fully connected recurrence ``h_t = activation(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel)``
    over inputs ``(batch, timesteps, features)`` (``timesteps`` may be None)."""

    def _step(self, x_part, states, recurrent_mask, recurrent_kernel):
        h = states[0] * recurrent_mask if recurrent_mask is not None else states[0]
        h = self.activation(x_part + gn.matmul(h, recurrent_kernel))
        return h, [h]


class GRU(RecurrentBase):
    """Gated recurrent unit as tf_keras 2 computes it: gates z (update), r (reset), h (candidate) in that
    order in the kernels. ``reset_after=True`` (the default, cuDNN's form) applies the reset gate after the
    recurrent matmul and keeps two biases, ``bias`` of shape ``(2, 3 * units)`` (input, recurrent);
    ``reset_after=False`` resets ``h`` before it and has one bias ``(3 * units,)``."""

    _gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 dropout=0.0, recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, reset_after=True, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         dropout, recurrent_dropout, return_sequences, return_state, go_backwards, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        return self.bias.value()[0] if self.reset_after else self.bias.value()

    def _step_weights(self):
        recurrent_bias = self.bias.value()[1] if self.use_bias and self.reset_after else None
        return self.recurrent_kernel.value(), recurrent_bias

    def _step(self, x_part, states, recurrent_mask, weights):
        h, (recurrent, recurrent_bias) = states[0], weights
        h_in = h * recurrent_mask if recurrent_mask is not None else h
        u = self.units
        if self.reset_after:
            inner = gn.matmul(h_in, recurrent)
            inner = inner + recurrent_bias if recurrent_bias is not None else inner
        else:
            inner = gn.matmul(h_in, recurrent[:, :2 * u])
        z = self.recurrent_activation(x_part[:, :u] + inner[:, :u])
        r = self.recurrent_activation(x_part[:, u:2 * u] + inner[:, u:2 * u])
        if self.reset_after:
            recurrent_h = r * inner[:, 2 * u:]
        else:
            recurrent_h = gn.matmul(r * h_in, recurrent[:, 2 * u:])
        candidate = self.activation(x_part[:, 2 * u:] + recurrent_h)
        h = z * h + (1 - z) * candidate
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": activations.serialize(self.recurrent_activation),
                "reset_after": self.reset_after}
