"""TF1's ``tf.nn.rnn_cell``: BasicRNNCell, BasicLSTMCell, LSTMCell, GRUCell, MultiRNNCell.

Composites of public ops. Variable names, shapes, gate order and ``forget_bias`` are TF1's, so
weights copied from TensorFlow give TensorFlow's outputs: a cell makes its variables on its first
call under ``<current variable scope>/<name>`` (``basic_lstm_cell``, ``basic_lstm_cell_1``, ... as
TF1's layers uniquify them) and reuses them on every later call.
"""
from __future__ import annotations

import collections

from ..graph.core_ops import convert_to_tensor
from . import init_ops, math_ops
from .concat_ops import concat, split, stack
from .creation_ops import zeros
from .dropout_ops import dropout
from .linalg_ops import matmul
from .nn_ops import sigmoid, tanh
from .variable_scope import get_variable, variable_scope

__all__ = ["BasicLSTMCell", "BasicRNNCell", "DropoutWrapper", "GRUCell", "LSTMCell", "LSTMStateTuple", "MultiRNNCell",
           "RNNCell"]


class LSTMStateTuple(collections.namedtuple("LSTMStateTuple", ("c", "h"))):
    """An LSTM's state: ``c`` the cell state, ``h`` the output (TF1's tuple, in that order)."""

    __slots__ = ()

    @property
    def dtype(self):
        """The dtype of ``c`` and ``h`` (they must agree)."""
        if self.c.dtype != self.h.dtype:
            raise TypeError(f"Inconsistent internal state: {self.c.dtype} vs {self.h.dtype}")
        return self.c.dtype


def _zeros_for(size, batch_size, dtype):
    if isinstance(size, tuple):
        return type(size)(*(_zeros_for(s, batch_size, dtype) for s in size)) if hasattr(size, "_fields") \
            else tuple(_zeros_for(s, batch_size, dtype) for s in size)
    if isinstance(batch_size, int):
        return zeros([batch_size, size], dtype=dtype)
    return zeros(stack([convert_to_tensor(batch_size), size]), dtype=dtype)


class RNNCell:
    """Base of the cells: ``cell(inputs, state) -> (output, new_state)``. A subclass defines
    ``state_size``, ``output_size`` and ``call(inputs, state)`` (as TF1's), and may make its
    variables in ``_build(input_depth, dtype)`` with ``add_variable``."""

    _base_name = "rnn_cell"

    def __init__(self, name=None, dtype=None):
        self._name = name or self._base_name
        self._dtype = dtype
        self._scope = None

    @property
    def state_size(self):
        """The size of the state: an int, or a (named) tuple of them."""
        raise NotImplementedError

    @property
    def output_size(self):
        """The size of one step's output."""
        raise NotImplementedError

    @property
    def trainable_variables(self):
        """The cell's variables (empty before its first call)."""
        return list(getattr(self, "_variables", []))

    variables = trainable_variables

    def zero_state(self, batch_size, dtype):
        """All-zero state of ``batch_size`` rows (an int or a scalar int32 tensor)."""
        return _zeros_for(self.state_size, batch_size, dtype)

    def __call__(self, inputs, state, scope=None):
        """One step: ``(output, new_state)``; the first call makes the variables."""
        inputs = convert_to_tensor(inputs)
        if self._scope is None:
            with variable_scope(scope, default_name=self._name) as vs:
                self._scope = vs
                self._variables = []
                depth = inputs.shape.as_list()[-1]
                if depth is None:
                    raise ValueError(f"{self._name}: the last dimension of the inputs must be known, got "
                                     f"shape {inputs.shape}")
                self._build(depth, self._dtype or inputs.dtype)
                return self.call(inputs, state)
        with variable_scope(self._scope, reuse=True):
            return self.call(inputs, state)

    def _build(self, depth, dtype):
        """Make the variables for inputs of ``depth`` features (none by default)."""

    def call(self, inputs, state):
        """One step's ``(output, new_state)``; its variables come from ``_build`` or ``get_variable``."""
        raise NotImplementedError

    def add_variable(self, name, shape, dtype=None, initializer=None):
        """The cell's variable ``<cell scope>/name`` (TF1's ``add_variable``), tracked in ``variables``."""
        var = get_variable(name, shape, dtype=dtype, initializer=initializer)
        self._variables.append(var)
        return var

    add_weight = add_variable
    _variable = add_variable


def _linear(args, kernel, bias):
    return math_ops.add(matmul(concat(args, 1), kernel), bias)


class BasicRNNCell(RNNCell):
    """``output = new_state = activation(W [inputs, state] + b)`` (TF1's BasicRNNCell)."""

    _base_name = "basic_rnn_cell"

    def __init__(self, num_units, activation=None, reuse=None, name=None, dtype=None):
        super().__init__(name, dtype)
        self._num_units = num_units
        self._activation = activation or tanh

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def _build(self, depth, dtype):
        self._kernel = self._variable("kernel", [depth + self._num_units, self._num_units], dtype)
        self._bias = self._variable("bias", [self._num_units], dtype, init_ops.zeros_initializer())

    def call(self, inputs, state):
        output = self._activation(_linear([inputs, state], self._kernel, self._bias))
        return output, output


class BasicLSTMCell(RNNCell):
    """TF1's BasicLSTMCell: gates ``i, j, f, o`` from one kernel; ``c = c * sigmoid(f + forget_bias)
    + sigmoid(i) * tanh(j)``, ``h = tanh(c) * sigmoid(o)``. State ``LSTMStateTuple(c, h)``, or
    ``[c, h]`` concatenated when ``state_is_tuple=False``."""

    _base_name = "basic_lstm_cell"

    def __init__(self, num_units, forget_bias=1.0, state_is_tuple=True, activation=None, reuse=None, name=None,
                 dtype=None):
        super().__init__(name, dtype)
        self._num_units = num_units
        self._forget_bias = forget_bias
        self._state_is_tuple = state_is_tuple
        self._activation = activation or tanh

    @property
    def state_size(self):
        n = self._num_units
        return LSTMStateTuple(n, n) if self._state_is_tuple else 2 * n

    @property
    def output_size(self):
        return self._num_units

    def _build(self, depth, dtype):
        n = self._num_units
        self._kernel = self._variable("kernel", [depth + n, 4 * n], dtype)
        self._bias = self._variable("bias", [4 * n], dtype, init_ops.zeros_initializer())

    def call(self, inputs, state):
        c, h = state if self._state_is_tuple else split(state, 2, axis=1)
        i, j, f, o = split(_linear([inputs, h], self._kernel, self._bias), 4, axis=1)
        new_c = math_ops.add(math_ops.multiply(c, sigmoid(math_ops.add(f, self._forget_bias))),
                             math_ops.multiply(sigmoid(i), self._activation(j)))
        new_h = math_ops.multiply(self._activation(new_c), sigmoid(o))
        return new_h, (LSTMStateTuple(new_c, new_h) if self._state_is_tuple else concat([new_c, new_h], 1))


class LSTMCell(RNNCell):
    """TF1's LSTMCell: BasicLSTMCell's gates plus optional peepholes (``w_i_diag``, ``w_f_diag``,
    ``w_o_diag``), ``cell_clip`` on ``c``, and a projection of ``h`` to ``num_proj`` units."""

    _base_name = "lstm_cell"

    def __init__(self, num_units, use_peepholes=False, cell_clip=None, initializer=None, num_proj=None,
                 proj_clip=None, forget_bias=1.0, state_is_tuple=True, activation=None, reuse=None, name=None,
                 dtype=None):
        super().__init__(name, dtype)
        self._num_units, self._use_peepholes, self._cell_clip = num_units, use_peepholes, cell_clip
        self._initializer, self._num_proj, self._proj_clip = initializer, num_proj, proj_clip
        self._forget_bias, self._state_is_tuple = forget_bias, state_is_tuple
        self._activation = activation or tanh

    @property
    def state_size(self):
        n, m = self._num_units, self._num_proj or self._num_units
        return LSTMStateTuple(n, m) if self._state_is_tuple else n + m

    @property
    def output_size(self):
        return self._num_proj or self._num_units

    def _build(self, depth, dtype):
        n, m = self._num_units, self._num_proj or self._num_units
        self._kernel = self._variable("kernel", [depth + m, 4 * n], dtype, self._initializer)
        self._bias = self._variable("bias", [4 * n], dtype, init_ops.zeros_initializer())
        if self._use_peepholes:
            self._diag = {g: self._variable(f"w_{g}_diag", [n], dtype, self._initializer) for g in "fio"}
        if self._num_proj is not None:
            with variable_scope("projection"):
                self._projection = self._variable("kernel", [n, self._num_proj], dtype, self._initializer)

    def _peep(self, gate, x, c):
        return math_ops.add(x, math_ops.multiply(self._diag[gate], c)) if self._use_peepholes else x

    def call(self, inputs, state):
        n = self._num_units
        c, h = state if self._state_is_tuple else split(state, [n, self.output_size], axis=1)
        i, j, f, o = split(_linear([inputs, h], self._kernel, self._bias), 4, axis=1)
        forget = sigmoid(math_ops.add(self._peep("f", f, c), self._forget_bias))
        new_c = math_ops.add(math_ops.multiply(forget, c),
                             math_ops.multiply(sigmoid(self._peep("i", i, c)), self._activation(j)))
        if self._cell_clip is not None:
            new_c = math_ops.clip_by_value(new_c, -self._cell_clip, self._cell_clip)
        new_h = math_ops.multiply(sigmoid(self._peep("o", o, new_c)), self._activation(new_c))
        if self._num_proj is not None:
            new_h = matmul(new_h, self._projection)
            if self._proj_clip is not None:
                new_h = math_ops.clip_by_value(new_h, -self._proj_clip, self._proj_clip)
        return new_h, (LSTMStateTuple(new_c, new_h) if self._state_is_tuple else concat([new_c, new_h], 1))


class GRUCell(RNNCell):
    """TF1's GRUCell: ``r, u = sigmoid(W_g [x, h] + b_g)`` (gate bias initialised to 1),
    ``c = tanh(W_c [x, r * h] + b_c)``, ``h' = u * h + (1 - u) * c``."""

    _base_name = "gru_cell"

    def __init__(self, num_units, activation=None, reuse=None, kernel_initializer=None, bias_initializer=None,
                 name=None, dtype=None):
        super().__init__(name, dtype)
        self._num_units = num_units
        self._activation = activation or tanh
        self._kernel_initializer, self._bias_initializer = kernel_initializer, bias_initializer

    @property
    def state_size(self):
        return self._num_units

    @property
    def output_size(self):
        return self._num_units

    def _build(self, depth, dtype):
        n, k_init = self._num_units, self._kernel_initializer
        with variable_scope("gates"):
            self._gate_kernel = self._variable("kernel", [depth + n, 2 * n], dtype, k_init)
            self._gate_bias = self._variable("bias", [2 * n], dtype,
                                             self._bias_initializer or init_ops.constant_initializer(1.0))
        with variable_scope("candidate"):
            self._cand_kernel = self._variable("kernel", [depth + n, n], dtype, k_init)
            self._cand_bias = self._variable("bias", [n], dtype,
                                             self._bias_initializer or init_ops.zeros_initializer())

    def call(self, inputs, state):
        r, u = split(sigmoid(_linear([inputs, state], self._gate_kernel, self._gate_bias)), 2, axis=1)
        candidate = self._activation(_linear([inputs, math_ops.multiply(r, state)], self._cand_kernel,
                                             self._cand_bias))
        new_h = math_ops.add(math_ops.multiply(u, state), math_ops.multiply(math_ops.subtract(1.0, u), candidate))
        return new_h, new_h


class MultiRNNCell(RNNCell):
    """Cells stacked: cell ``k`` runs under ``multi_rnn_cell/cell_k`` on the previous cell's output;
    the state is the tuple of the cells' states."""

    _base_name = "multi_rnn_cell"

    def __init__(self, cells, state_is_tuple=True):
        super().__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        if not state_is_tuple:
            raise ValueError("MultiRNNCell: state_is_tuple=False is not supported")
        self._cells = list(cells)

    @property
    def state_size(self):
        return tuple(cell.state_size for cell in self._cells)

    @property
    def output_size(self):
        return self._cells[-1].output_size

    @property
    def trainable_variables(self):
        return [v for cell in self._cells for v in cell.trainable_variables]

    variables = trainable_variables

    def __call__(self, inputs, state, scope=None):
        """One step of every cell in turn: ``(last output, tuple of new states)``."""
        if self._scope is None:
            with variable_scope(scope, default_name=self._name) as vs:
                self._scope = vs
                return self.call(inputs, state)
        with variable_scope(self._scope, reuse=True):
            return self.call(inputs, state)

    def call(self, inputs, state):
        new_states = []
        for k, cell in enumerate(self._cells):
            with variable_scope(f"cell_{k}"):
                inputs, new_state = cell(inputs, state[k])
            new_states.append(new_state)
        return inputs, tuple(new_states)



class DropoutWrapper(RNNCell):
    """``cell`` with dropout on its inputs, outputs and new state (``*_keep_prob``, floats or
    scalar tensors; 1.0 leaves that side untouched), as TF1's DropoutWrapper without
    ``variational_recurrent``. As TF1's default state filter, the ``c`` of an LSTMStateTuple is
    never dropped. The wrapped cell's variables keep their names."""

    def __init__(self, cell, input_keep_prob=1.0, output_keep_prob=1.0, state_keep_prob=1.0,
                 variational_recurrent=False, input_size=None, dtype=None, seed=None):
        super().__init__()
        if variational_recurrent:
            raise ValueError("DropoutWrapper: variational_recurrent=True is not supported")
        for label, keep in (("input", input_keep_prob), ("output", output_keep_prob), ("state", state_keep_prob)):
            if isinstance(keep, (int, float)) and not 0 < keep <= 1:
                raise ValueError(f"Parameter {label}_keep_prob must be between 0 and 1: {keep}")
        self._cell, self._seed = cell, seed
        self._keep = (input_keep_prob, output_keep_prob, state_keep_prob)

    @property
    def state_size(self):
        return self._cell.state_size

    @property
    def output_size(self):
        return self._cell.output_size

    @property
    def trainable_variables(self):
        return self._cell.trainable_variables

    variables = trainable_variables

    def zero_state(self, batch_size, dtype):
        """The wrapped cell's zero state."""
        return self._cell.zero_state(batch_size, dtype)

    def _dropped(self, value, keep):
        if isinstance(keep, (int, float)) and keep == 1:
            return value
        rate = 1.0 - keep if isinstance(keep, (int, float)) else math_ops.subtract(1.0, keep)
        return dropout(value, rate=rate, seed=self._seed)

    def __call__(self, inputs, state, scope=None):
        """The wrapped cell's step on dropped-out inputs, its output and new state dropped out."""
        input_keep, output_keep, state_keep = self._keep
        output, new_state = self._cell(self._dropped(convert_to_tensor(inputs), input_keep), state, scope=scope)
        return self._dropped(output, output_keep), self._dropped_state(new_state, state_keep)

    def _dropped_state(self, state, keep):
        if isinstance(state, LSTMStateTuple):
            return LSTMStateTuple(state.c, self._dropped(state.h, keep))
        if isinstance(state, (list, tuple)):
            parts = [self._dropped_state(s, keep) for s in state]
            return type(state)(*parts) if hasattr(state, "_fields") else type(state)(parts)
        return self._dropped(state, keep)
