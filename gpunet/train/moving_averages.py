"""TF1's ``ExponentialMovingAverage``: a shadow variable ``<var>/ExponentialMovingAverage`` per
averaged variable, colocated with it, updated by ``apply``'s op as
``shadow -= (shadow - value) * (1 - decay)``."""
from __future__ import annotations

import numpy as np

from ..graph.core_ops import convert_to_tensor, group
from ..graph.dtypes import float32
from ..graph.graph import Tensor, get_default_graph
from ..graph.variables import GraphKeys, Variable, global_variables, trainable_variables
from ..ops import math_ops

__all__ = ["ExponentialMovingAverage"]


class ExponentialMovingAverage:
    """Moving averages of variables (or tensors). With ``num_updates`` (usually the global step)
    the decay is ``min(decay, (1 + num_updates) / (10 + num_updates))``, so early averages move
    faster. ``zero_debias`` applies to averaged tensors, whose shadows start at zero (a
    variable's shadow starts at the variable's initial value)."""

    def __init__(self, decay, num_updates=None, zero_debias=False, name="ExponentialMovingAverage"):
        self._decay = decay
        self._num_updates = num_updates
        self._zero_debias = zero_debias
        self._name = name
        self._averages = {}
        self._debias = {}  # averaged tensor -> (biased, local_step) variables, with zero_debias

    @property
    def name(self):
        """The name of the shadow variables' suffix and of the apply op's scope."""
        return self._name

    def apply(self, var_list=None):
        """Create the shadow variables of ``var_list`` (default: the trainable variables) and
        return the op that updates all of them once."""
        var_list = trainable_variables() if var_list is None else list(var_list)
        for var in var_list:
            self._create_shadow(var)
        graph = var_list[0].graph if var_list else get_default_graph()
        with graph.as_default(), graph.name_scope(self._name) as scope:
            decay = self._current_decay()
            updates = [self._update(var, decay) for var in var_list]
            return group(*updates, name=scope)

    def average(self, var):
        """The shadow variable of ``var`` (None if it is not averaged)."""
        return self._averages.get(var)

    def average_name(self, var):
        """The name of ``var``'s shadow variable: ``<var op name>/<this object's name>``."""
        return f"{var.op.name}/{self._name}"

    def variables_to_restore(self, moving_avg_variables=None):
        """``{name: variable}`` for a ``Saver`` that loads each shadow value into its variable
        (the averaged variables under their shadows' names, the others under their own)."""
        if moving_avg_variables is None:
            graph = get_default_graph()
            moving_avg_variables = trainable_variables() + graph.get_collection(GraphKeys.MOVING_AVERAGE_VARIABLES)
        averaged = list(dict.fromkeys(moving_avg_variables))
        name_map = {self.average_name(v): v for v in averaged}
        averaged_names = {v.name for v in averaged}
        for v in global_variables():
            if v.name not in averaged_names and v.op.name not in name_map:
                name_map[v.op.name] = v
        return name_map

    # -- building ----------------------------------------------------------------------------------
    def _create_shadow(self, var):
        if not var.dtype.is_floating:
            raise TypeError(f"The variables must be half, float, or double: {var.name}")
        if var in self._averages:
            raise ValueError(f"Moving average already computed for: {var.op.name}")
        graph = var.graph
        with graph.as_default(), graph.name_scope(None), graph.control_dependencies(None), \
                graph.colocate_with(var.op):
            if isinstance(var, Variable):
                shadow = Variable(var.initialized_value, name=self.average_name(var), trainable=False)
            else:
                shadow = Variable(_zeros_of(var), name=self.average_name(var), trainable=False)
                if self._zero_debias:
                    self._debias[var] = (Variable(_zeros_of(var), name=f"{shadow.op.name}/biased", trainable=False),
                                         Variable(0.0, name=f"{shadow.op.name}/local_step", trainable=False,
                                                  dtype=var.dtype))
        self._averages[var] = shadow
        if isinstance(var, Variable):  # as TF1: averaged tensors stay out of the collection
            graph.add_to_collection(GraphKeys.MOVING_AVERAGE_VARIABLES, var)

    def _current_decay(self):
        decay = convert_to_tensor(self._decay, dtype=float32 if not isinstance(self._decay, Tensor) else None,
                                  name="decay")
        if self._num_updates is None:
            return decay
        n = math_ops.cast(self._num_updates, decay.dtype, name="num_updates")
        return math_ops.minimum(decay, math_ops.divide(math_ops.add(1.0, n), math_ops.add(10.0, n)))

    def _update(self, var, decay):
        shadow, value = self._averages[var], convert_to_tensor(var)
        graph = shadow.graph
        with graph.name_scope("AssignMovingAvg"), graph.colocate_with(shadow.op):
            one_minus_decay = math_ops.subtract(1.0, math_ops.cast(decay, shadow.dtype))
            debias = self._debias.get(var)
            if debias is None:
                return shadow.assign_sub(math_ops.multiply(math_ops.subtract(shadow, value), one_minus_decay))
            biased, local_step = debias
            biased_value = biased.assign_sub(math_ops.multiply(math_ops.subtract(biased, value), one_minus_decay))
            steps = local_step.assign_add(1.0)
            bias_factor = math_ops.subtract(1.0, math_ops.pow(math_ops.subtract(1.0, one_minus_decay), steps))
            return shadow.assign(math_ops.divide(biased_value, bias_factor))


def _zeros_of(tensor):
    shape = tensor._shape
    if shape is None or None in shape:
        raise ValueError(f"ExponentialMovingAverage needs a fully defined shape to average {tensor.name}, "
                         f"got {tensor.shape}")
    return np.zeros(shape, dtype=tensor.dtype.np)
