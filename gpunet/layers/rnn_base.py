"""The part every Keras 2 recurrent layer shares: weights ``kernel (features, gates * units)``,
``recurrent_kernel (units, gates * units)`` and a bias; the input projection done once for all steps; a
``gn.while_loop`` over the time steps (their number may be unknown) that runs the subclass's ``_step``;
``return_sequences`` / ``return_state`` / ``go_backwards``; input and recurrent dropout; ``initial_state``."""
from __future__ import annotations

import gpunet as gn
from gpunet import backend as K

from . import activations, constraints, regularizers
from .base import Layer, shape_tuple

__all__ = ["RecurrentBase"]


class RecurrentBase(Layer):
    """Base of SimpleRNN, GRU and LSTM. Subclasses set ``_gates`` (blocks of ``units`` in the kernels) and
    ``_state_names``, and implement ``_step(x_t, states, recurrent_mask) -> (output, states)`` where ``x_t`` is
    the step's input projection ``x @ kernel + input bias``."""

    supports_masking = True

    _gates = 1
    _state_names = ("h",)
    _zero_output_for_mask = False  # True: a masked step outputs zeros instead of repeating (Bidirectional's way)

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.units = int(units)
        if self.units <= 0:
            raise ValueError(f"Received an invalid value for argument `units`, expected a positive integer, got "
                             f"{units}.")
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.recurrent_initializer = kernel_initializer, recurrent_initializer
        self.bias_initializer = bias_initializer
        self.dropout = float(min(1.0, max(0.0, dropout)))
        self.recurrent_dropout = float(min(1.0, max(0.0, recurrent_dropout)))
        self.return_sequences, self.return_state, self.go_backwards = return_sequences, return_state, go_backwards

    def __call__(self, inputs, initial_state=None, **kwargs):
        if initial_state is None:
            return super().__call__(inputs, **kwargs)
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        wanted = len(self._state_names)
        if len(states) != wanted:
            plural = "tensor" if wanted == 1 else "tensors"
            raise ValueError(f"{type(self).__name__} {self.name} expects initial_state=[{', '.join(self._state_names)}]"
                             f" ({wanted} {plural}), got {len(states)}")
        # the states become inputs of the call, so functional models record, replay and save them
        return super().__call__([inputs] + states, **kwargs)

    # -- weights ------------------------------------------------------------------------------------
    def build(self, input_shape):
        input_shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        if len(input_shape) != 3:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected ndim=3, "
                             f"found ndim={len(input_shape)}. Full shape received: {tuple(input_shape)}")
        if input_shape[2] is None:
            raise ValueError(f"{type(self).__name__} {self.name} needs inputs (batch, timesteps, features) with "
                             f"known features, got {input_shape}")
        width = self._gates * self.units
        self.kernel = self.add_weight("kernel", (input_shape[2], width), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, width),
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", self._bias_shape(), initializer=self._bias_initializer(),
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def _input_bias(self):
        return self.bias.value()

    def _step_weights(self):
        """The weights the steps use, read once before the loop (also works around gn.while_loop's gradient, which
        doubles the outside reads' gradient of a variable read both outside the loop and inside its body)."""
        return self.recurrent_kernel.value()

    # -- the loop -----------------------------------------------------------------------------------
    def _mask(self, like, rate, training):
        if not rate:
            return None
        return K.in_train_phase(lambda: gn.nn.dropout(gn.ones_like(like), rate=rate), lambda: gn.ones_like(like),
                                training)

    def _time_major_projection(self, inputs, training):
        """``inputs @ kernel + input bias`` (after the input dropout) as ``(timesteps, batch, gates * units)``."""
        mask = self._mask(inputs[:, 0, :], self.dropout, training)
        x = inputs * gn.expand_dims(mask, 1) if mask is not None else inputs
        projected = gn.tensordot(gn.transpose(x, [1, 0, 2]), self.kernel.value(), [[2], [0]])
        return projected + self._input_bias() if self.use_bias else projected

    def call(self, inputs, mask=None, training=None):
        inputs, states = (inputs[0], list(inputs[1:])) if isinstance(inputs, list) else (inputs, None)
        mask = mask[0] if isinstance(mask, list) else mask
        projected = self._time_major_projection(inputs, training)
        if states is None:
            states = [gn.zeros_like(projected[0, :, :self.units])] * len(self._state_names)
        last, states, outputs = self._loop(projected, states, mask, training)
        out = gn.transpose(outputs, [1, 0, 2]) if self.return_sequences else last
        results = [out] + states if self.return_state else [out]
        shapes = self.compute_output_shape(shape_tuple(inputs))
        for tensor, shape in zip(results, shapes if self.return_state else [shapes]):
            tensor.set_shape(shape)  # the loop's invariants are looser than what is known statically
        return results if self.return_state else out

    def _loop(self, projected, states, mask, training):
        """Runs the steps; the last output, the final states and the time-major outputs. At a step masked out
        (``mask`` false for a row) that row keeps its states and repeats its previous output (zeros before the
        first kept step; zeros at every masked step with ``_zero_output_for_mask``), as tf_keras does."""
        steps = gn.shape(projected)[0]
        recurrent_mask = self._mask(states[0], self.recurrent_dropout, training)
        zero_output = gn.zeros_like(projected[0, :, :self.units])
        keep = None if mask is None else gn.transpose(gn.cast(mask, gn.bool), [1, 0])  # (timesteps, batch)
        weights = self._step_weights()

        def body(t, *loop_vars):
            index = steps - 1 - t if self.go_backwards else t
            old_states, previous, outputs = list(loop_vars[:-2]), loop_vars[-2], loop_vars[-1]
            output, new_states = self._step(gn.gather(projected, index), old_states, recurrent_mask, weights)
            if keep is not None:
                keep_t = gn.gather(keep, index)
                output = gn.where(keep_t, output, zero_output if self._zero_output_for_mask else previous)
                new_states = [gn.where(keep_t, new, old) for new, old in zip(new_states, old_states)]
            if self.return_sequences:
                outputs = gn.concat([outputs, gn.expand_dims(output, 0)], 0)
            return (t + 1, *new_states, output, outputs)
        state_shape = gn.TensorShape([None, self.units])
        invariants = (gn.TensorShape([]), *[state_shape] * (len(states) + 1), gn.TensorShape([None, None, self.units]))
        no_outputs = gn.zeros_like(projected[:0, :, :self.units])
        _, *states, last, outputs = gn.while_loop(lambda t, *_: t < steps, body,
                                                  (gn.constant(0), *states, zero_output, no_outputs),
                                                  shape_invariants=invariants)
        return last, states, outputs

    def compute_mask(self, inputs, mask=None):
        """The input mask on the output sequence with ``return_sequences`` (None on the states), else None."""
        mask = mask[0] if isinstance(mask, list) else mask
        out = mask if self.return_sequences else None
        return [out] + [None] * len(self._state_names) if self.return_state else out

    def compute_output_shape(self, input_shape):
        input_shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        batch, state = input_shape[0], (input_shape[0], self.units)
        out = (batch, input_shape[1], self.units) if self.return_sequences else state
        return [out] + [state] * len(self._state_names) if self.return_state else out

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias, "kernel_initializer": self.kernel_initializer,
                "recurrent_initializer": self.recurrent_initializer, "bias_initializer": self.bias_initializer,
                "dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
                "return_sequences": self.return_sequences, "return_state": self.return_state,
                "go_backwards": self.go_backwards, "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer)}
