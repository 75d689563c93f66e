"""TF1's ``tf.nn.dynamic_rnn`` (on gn.while_loop) and ``tf.nn.static_rnn`` (unrolled).

``sequence_length`` masks as TF1: past the end of sequence ``b`` its outputs are zero and its state
is carried unchanged, so the final state is the state at each sequence's last step.
"""
from __future__ import annotations

from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import int32
from ..graph.graph import Tensor
from . import math_ops, nest
from .array_ops import expand_dims, reshape, transpose
from .array_ops import shape as shape_of
from .concat_ops import stack
from .control_flow_ops import while_loop
from .creation_ops import range as range_
from .creation_ops import zeros, zeros_like
from .indexing_ops import gather
from .nd_indexing_ops import gather_nd
from .logic_ops import equal, less, where
from .variable_scope import variable_scope

__all__ = ["bidirectional_dynamic_rnn", "dynamic_rnn", "static_rnn"]


def _initial_state(cell, initial_state, batch_size, dtype):
    if initial_state is not None:
        return nest.pack_as(initial_state, [convert_to_tensor(s) for s in nest.flatten(initial_state)])
    if dtype is None:
        raise ValueError("If there is no initial_state, you must give a dtype.")
    return cell.zero_state(batch_size, dtype)


def _sequence_length(sequence_length):
    if sequence_length is None:
        return None
    lengths = math_ops.cast(convert_to_tensor(sequence_length), int32)
    if lengths.shape.ndims not in (None, 1):
        raise ValueError(f"sequence_length must be a vector of length batch_size, but saw shape: {lengths.shape}")
    return lengths


def _masked(lengths, time, output, new_state, state):
    """Zero output and carried state for the sequences that ended before ``time``."""
    if lengths is None:
        return output, new_state
    alive = less(time, lengths)
    output = where(alive, output, zeros_like(output))
    kept = [where(alive, new, old) for new, old in zip(nest.flatten(new_state), nest.flatten(state))]
    return output, nest.pack_as(new_state, kept)


def _one_input(inputs):
    if isinstance(inputs, (list, tuple)) and any(isinstance(x, Tensor) for x in nest.flatten(inputs)):
        raise ValueError("dynamic_rnn: nested inputs (a list or tuple of tensors) are not supported; pass one "
                         "[batch, time, depth] tensor (static_rnn takes a list of [batch, depth] tensors)")
    return convert_to_tensor(inputs)


def _dim(tensor, axis):
    static = tensor.shape.as_list()[axis]
    return static if static is not None else shape_of(tensor)[axis]


def dynamic_rnn(cell, inputs, sequence_length=None, initial_state=None, dtype=None, parallel_iterations=None,
                swap_memory=False, time_major=False, scope=None):
    """Run ``cell`` over the time axis of ``inputs`` ([batch, time, depth], or [time, batch, depth]
    when ``time_major``) in one gn.while_loop: ``(outputs, final_state)`` with outputs laid out as
    the inputs. Variables live under ``scope`` (default ``rnn``), e.g. ``rnn/basic_lstm_cell/kernel``."""
    with variable_scope(scope or "rnn"):
        inputs = _one_input(inputs)
        if inputs.shape.ndims is not None and inputs.shape.ndims != 3:
            raise ValueError(f"dynamic_rnn: inputs must have rank 3 ([batch, time, depth]), got shape {inputs.shape}")
        steps_major = inputs if time_major else transpose(inputs, [1, 0, 2])
        n_steps, batch = _dim(steps_major, 0), _dim(steps_major, 1)
        state = _initial_state(cell, initial_state, batch, dtype)
        lengths = _sequence_length(sequence_length)
        outputs = zeros(_stacked_shape(n_steps, batch, cell.output_size), dtype=steps_major.dtype)
        step_numbers = range_(n_steps)  # a step's output lands where step_numbers == time (n_steps may be dynamic)

        def body(time, outputs, state):
            output, new_state = cell(gather(steps_major, time), state)
            output, new_state = _masked(lengths, time, output, new_state, state)
            at_time = reshape(math_ops.cast(equal(step_numbers, time), output.dtype), [-1, 1, 1])
            return time + 1, math_ops.add(outputs, math_ops.multiply(at_time, output)), new_state

        _, outputs, final_state = while_loop(lambda time, *_: less(time, n_steps), body,
                                             (convert_to_tensor(0), outputs, state),
                                             parallel_iterations=parallel_iterations or 32)
        return (outputs if time_major else transpose(outputs, [1, 0, 2])), final_state


def _stacked_shape(n_steps, batch, size):
    if isinstance(n_steps, int) and isinstance(batch, int):
        return [n_steps, batch, size]
    return stack([convert_to_tensor(n_steps), convert_to_tensor(batch), size])


def static_rnn(cell, inputs, initial_state=None, dtype=None, sequence_length=None, scope=None):
    """Run ``cell`` over a Python list of [batch, depth] inputs, unrolled: ``(outputs list,
    final_state)``; variables under ``scope`` (default ``rnn``) shared across steps."""
    if not isinstance(inputs, (list, tuple)):
        raise TypeError("inputs must be a sequence")
    if not inputs:
        raise ValueError("inputs must not be empty")
    with variable_scope(scope or "rnn"):
        inputs = [convert_to_tensor(x) for x in inputs]
        state = _initial_state(cell, initial_state, _dim(inputs[0], 0), dtype)
        lengths = _sequence_length(sequence_length)
        outputs = []
        for time, x in enumerate(inputs):
            output, new_state = cell(x, state)
            output, state = _masked(lengths, time, output, new_state, state)
            outputs.append(output)
        return outputs, state



def _reversed_in_time(steps_major, lengths):
    """[time, batch, ...] with each sequence's first ``lengths[b]`` steps reversed and the rest left
    in place (TF1's reverse_sequence); the whole time axis when ``lengths`` is None."""
    n_steps, batch = _dim(steps_major, 0), _dim(steps_major, 1)
    steps = expand_dims(range_(n_steps), 1)                                        # [time, 1]
    if lengths is None:
        lengths = math_ops.add(zeros_like(range_(batch)), n_steps)
    ends = expand_dims(lengths, 0)                                                  # [1, batch]
    source = where(less(steps, ends), ends - 1 - steps, steps + zeros_like(ends))   # [time, batch]
    batch_index = expand_dims(range_(batch), 0) + zeros_like(steps)
    return gather_nd(steps_major, stack([source, batch_index], axis=2))


def bidirectional_dynamic_rnn(cell_fw, cell_bw, inputs, sequence_length=None, initial_state_fw=None,
                              initial_state_bw=None, dtype=None, parallel_iterations=None, swap_memory=False,
                              time_major=False, scope=None):
    """``cell_fw`` over ``inputs`` and ``cell_bw`` over them reversed in time (each sequence within
    its ``sequence_length``), as TF1: ``((outputs_fw, outputs_bw), (state_fw, state_bw))``, the
    backward outputs reversed back into input order. Variables under ``scope`` (default
    ``bidirectional_rnn``) ``/fw`` and ``/bw``."""
    with variable_scope(scope or "bidirectional_rnn"):
        inputs = convert_to_tensor(inputs)
        steps_major = inputs if time_major else transpose(inputs, [1, 0, 2])
        lengths = _sequence_length(sequence_length)
        with variable_scope("fw") as fw_scope:
            out_fw, state_fw = dynamic_rnn(cell_fw, steps_major, lengths, initial_state_fw, dtype,
                                           parallel_iterations, time_major=True, scope=fw_scope)
        with variable_scope("bw") as bw_scope:
            out_bw, state_bw = dynamic_rnn(cell_bw, _reversed_in_time(steps_major, lengths), lengths,
                                           initial_state_bw, dtype, parallel_iterations, time_major=True,
                                           scope=bw_scope)
        out_bw = _reversed_in_time(out_bw, lengths)
        if not time_major:
            out_fw, out_bw = transpose(out_fw, [1, 0, 2]), transpose(out_bw, [1, 0, 2])
        return (out_fw, out_bw), (state_fw, state_bw)
