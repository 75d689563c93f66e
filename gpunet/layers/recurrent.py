"""LSTM (tf_keras's gates and defaults), unrolled over the static number of time steps."""
from __future__ import annotations

import gpunet as gn
from gpunet import backend as K

from . import activations
from .base import Layer

__all__ = ["LSTM"]


class LSTM(Layer):
    """Long short-term memory over inputs ``(batch, timesteps, features)``; gates i, f, c, o;
    recurrent activation sigmoid; the forget-gate bias starts at 1 (``unit_forget_bias``)."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, dropout=0.0, recurrent_dropout=0.0, return_sequences=False,
                 return_state=False, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation, self.recurrent_activation = activations.get(activation), activations.get(recurrent_activation)
        self.use_bias, self.unit_forget_bias = use_bias, unit_forget_bias
        self.kernel_initializer, self.recurrent_initializer = kernel_initializer, recurrent_initializer
        self.bias_initializer = bias_initializer
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.return_sequences, self.return_state = return_sequences, return_state

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[1] is None or input_shape[2] is None:
            raise ValueError(f"LSTM {self.name} needs inputs (batch, timesteps, features) with known timesteps and "
                             f"features (the loop is unrolled), got {input_shape}")
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
        ones = gn.ones_like(like)
        return K.in_train_phase(gn.nn.dropout(ones, rate=rate), ones, training)

    def _step(self, x_part, h, c, masks):
        if masks[1] is not None:
            h = h * masks[1]
        z = x_part + gn.matmul(h, self.recurrent_kernel.value())
        u = self.units
        i, f = self.recurrent_activation(z[:, :u]), self.recurrent_activation(z[:, u:2 * u])
        candidate, o = self.activation(z[:, 2 * u:3 * u]), self.recurrent_activation(z[:, 3 * u:])
        c = f * c + i * candidate
        return o * self.activation(c), c

    def call(self, inputs, initial_state=None, training=None):
        steps = inputs.shape.as_list()[1]
        first = inputs[:, 0, :]
        if initial_state is None:
            zeros = gn.matmul(gn.zeros_like(first), gn.zeros([inputs.shape.as_list()[2], self.units]))
            h, c = zeros, zeros
        else:
            h, c = initial_state
        masks = (self._mask(first, self.dropout, training), self._mask(h, self.recurrent_dropout, training))
        x = inputs * gn.expand_dims(masks[0], 1) if masks[0] is not None else inputs
        projected = gn.tensordot(x, self.kernel.value(), [[2], [0]])
        if self.use_bias:
            projected = projected + self.bias.value()
        outputs = []
        for t in range(steps):
            h, c = self._step(projected[:, t, :], h, c, masks)
            outputs.append(h)
        out = gn.stack(outputs, axis=1) if self.return_sequences else h
        return [out, h, c] if self.return_state else out

    def compute_output_shape(self, input_shape):
        out = (input_shape[0], input_shape[1], self.units) if self.return_sequences else (input_shape[0], self.units)
        return [out, (input_shape[0], self.units), (input_shape[0], self.units)] if self.return_state else out

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": activations.serialize(self.activation),
                "recurrent_activation": activations.serialize(self.recurrent_activation), "use_bias": self.use_bias,
                "kernel_initializer": self.kernel_initializer, "recurrent_initializer": self.recurrent_initializer,
                "bias_initializer": self.bias_initializer, "unit_forget_bias": self.unit_forget_bias,
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
                "return_sequences": self.return_sequences, "return_state": self.return_state}
