"""The Optimizer base class: compute_gradients / apply_gradients / minimize with TF1's semantics,
slot variables beside each variable, non-slot variables (Adam's beta powers)."""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from ..graph.core_ops import constant, convert_to_tensor, group
from ..graph.dtypes import int64
from ..graph.graph import Tensor, get_default_graph
from ..graph.variables import GraphKeys, Variable, trainable_variables
from ..ops.gradients_impl import gradients
from ..ops.indexed_slices import IndexedSlices
from ..ops.array_ops import reshape
from ..ops.concat_ops import concat
from ..ops.math_ops import cast, multiply, ones_like, zeros_like

__all__ = ["Optimizer", "create_slot"]

_VALID_DTYPES = ("float16", "float32", "float64")


class Optimizer(ABC):
    """Subclasses implement ``_create_slots(var_list)``, ``_apply_dense(grad, var)`` (one update op,
    built inside ``colocate_with(var.op)``) and may override ``_finish(update_ops, name)``.
    ``gate_gradients`` and ``aggregation_method`` are accepted for TF1 compatibility; gradients
    are always summed with AddN and each update runs once all its inputs are ready.

    A subclass with ``_sparse_updates = True`` also implements ``_apply_sparse(values, indices, var)``:
    it receives a gradient that is only ``gather``/``embedding_lookup`` rows of the variable (TF1's
    IndexedSlices) as those rows, and updates only them, as TF1's optimizers do; so does a
    ``gn.IndexedSlices`` given to ``apply_gradients`` (other optimizers make it dense).

    ``use_locking=True`` makes each update op hold its variable's lock, so threads running the
    training op in one session serialise their updates of a variable; by default (False) the
    updates are lock-free, TF1's "Hogwild" training, where concurrent updates may interleave."""

    GATE_NONE, GATE_OP, GATE_GRAPH = 0, 1, 2
    _sparse_updates = False

    def __init__(self, use_locking, name):
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking
        self._name = name
        self._slots = {}       # slot name -> {variable: slot variable}
        self._non_slots = {}   # (name, graph) -> variable

    def get_name(self):
        return self._name

    # -- the three steps ----------------------------------------------------------------------
    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=GATE_OP, aggregation_method=None,
                 colocate_gradients_with_ops=False, name=None, grad_loss=None):
        """compute_gradients then apply_gradients; returns the training op."""
        grads_and_vars = self.compute_gradients(loss, var_list, gate_gradients, aggregation_method,
                                                colocate_gradients_with_ops, grad_loss)
        if all(g is None for g, _ in grads_and_vars):
            raise ValueError(f"No gradients provided for any variable, check your graph for ops that do not "
                             f"support gradients, between variables {[str(v) for _, v in grads_and_vars]} "
                             f"and loss {loss}.")
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(self, loss, var_list=None, gate_gradients=GATE_OP, aggregation_method=None,
                          colocate_gradients_with_ops=False, grad_loss=None):
        """``[(gradient or None, variable)]`` for the trainable variables (or ``var_list``)."""
        loss = convert_to_tensor(loss() if callable(loss) else loss)
        _check_dtypes([loss])
        var_list = trainable_variables() if var_list is None else list(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        for v in var_list:
            if not isinstance(v, Variable):
                raise TypeError(f"Trying to optimize {v!r}, which is not a gn.Variable")
        grads = gradients(loss, [v._ref for v in var_list], grad_ys=grad_loss,
                          colocate_gradients_with_ops=colocate_gradients_with_ops)
        # as TF1: only variables the loss reaches must be floats (an int counter left trainable is fine)
        _check_dtypes([v for g, v in zip(grads, var_list) if g is not None])
        return list(zip(grads, var_list))

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """One update op per variable with a gradient, then (optionally) ``global_step += 1``."""
        pairs = [_check_pair(pair) for pair in grads_and_vars]
        if not pairs:
            raise ValueError("No variables provided.")
        updates = [(g, v) for g, v in pairs if g is not None]
        if not updates:
            raise ValueError(f"No gradients provided for any variable: {[str(v) for _, v in pairs]}.")
        if global_step is not None and not isinstance(global_step, Variable):
            raise TypeError(f"global_step must be a gn.Variable (see gn.train.get_or_create_global_step()), "
                            f"got {global_step!r}")
        graph = updates[0][1].graph
        with graph.as_default():
            with graph.control_dependencies(None):  # slots initialise independently of the step
                self._create_slots([v for _, v in updates])
            with graph.name_scope(name or self._name) as scope:
                update_ops = []
                for grad, var in updates:
                    with graph.name_scope(f"update_{var.op.name}"), graph.colocate_with(var.op):
                        update_ops.append(_constrained(var, _as_op(self._apply_gradient(grad, var))))
                if global_step is None:
                    train_op = self._finish(update_ops, scope)
                else:
                    with graph.control_dependencies([self._finish(update_ops, "update")]):
                        train_op = global_step.assign_add(1, name=scope, read_value=False)
        train_ops = graph.get_collection_ref(GraphKeys.TRAIN_OP)
        if train_op not in train_ops:
            train_ops.append(train_op)
        return train_op

    def _apply_gradient(self, grad, var):
        if isinstance(grad, IndexedSlices):  # given by the caller: sparse where this optimizer has a sparse update
            rows = _slices_rows(grad, var) if self._sparse_updates else None
            grad = convert_to_tensor(grad) if rows is None else grad
        else:
            rows = _gathered_rows(grad, var) if self._sparse_updates else None
        return self._apply_dense(grad, var) if rows is None else self._apply_sparse(*rows, var)

    # -- hooks for subclasses ---------------------------------------------------------------------
    def _create_slots(self, var_list):  # noqa: B027  (optional: plain SGD has no slots)
        pass

    @abstractmethod
    def _apply_dense(self, grad, var):
        """The update op (or its output tensor) applying ``grad`` to ``var``."""

    def _finish(self, update_ops, name_scope):
        return group(*update_ops, name=name_scope)

    def _hyper(self, value, var, name):
        """A hyperparameter as a scalar of the variable's dtype, beside the update (no float64
        upcasts, no per-step copies): Python numbers become constants, tensors are cast."""
        if callable(value):
            value = value()
        if isinstance(value, (Tensor, Variable)):
            tensor = cast(convert_to_tensor(value), var.dtype)
            if tensor._shape is not None and tensor._shape != ():
                raise ValueError(f"{self._name}: {name} must be a scalar, got {tensor.name} of shape {tensor.shape}")
            return tensor
        return constant(value, dtype=var.dtype, name=name)

    # -- slots ----------------------------------------------------------------------------------
    def get_slot_names(self):
        return sorted(self._slots)

    def get_slot(self, var, name):
        return self._slots.get(name, {}).get(var)

    def variables(self):
        """The slot and non-slot variables of this optimizer in the default graph, sorted by name."""
        graph = get_default_graph()
        found = [v for slots in self._slots.values() for v in slots.values() if v.graph is graph]
        found += [v for (_, g), v in self._non_slots.items() if g is graph]
        return sorted(found, key=lambda v: v.name)

    def _zeros_slot(self, var, slot_name, op_name):
        return self._get_or_make_slot(var, 0.0, slot_name, op_name)

    def _get_or_make_slot(self, var, fill_value, slot_name, op_name):
        slots = self._slots.setdefault(slot_name, {})
        if var not in slots:
            slots[var] = create_slot(var, fill_value, op_name)
        return slots[var]

    def _get_non_slot_variable(self, name, graph=None):
        return self._non_slots.get((name, graph or get_default_graph()))

    def _create_non_slot_variable(self, initial_value, name, colocate_with):
        """A variable of the optimizer (not of one variable), created once per graph in the
        current name scope and colocated with ``colocate_with``."""
        graph = colocate_with.graph
        key = (name, graph)
        if key not in self._non_slots:
            with graph.as_default(), graph.control_dependencies(None), graph.colocate_with(colocate_with.op):
                self._non_slots[key] = Variable(initial_value, name=name, trainable=False)
        return self._non_slots[key]


def create_slot(var, fill_value, op_name):
    """A non-trainable variable ``<var>/<op_name>`` (``_1``, ``_2`` for further slots) of var's
    shape and dtype, filled with ``fill_value`` and colocated with ``var``."""
    graph, shape, dtype = var.graph, var._ref._shape, var.dtype
    with graph.as_default(), graph.name_scope(None), graph.control_dependencies(None), \
            graph.colocate_with(var.op):
        if shape is not None and None not in shape:
            initial = lambda: constant(np.full(shape, fill_value, dtype=dtype.np), dtype)  # noqa: E731
        else:
            initial = lambda: _filled_like(var.initialized_value(), fill_value)  # noqa: E731
        return Variable(initial, name=f"{var.op.name}/{op_name}", trainable=False, dtype=dtype)


def _filled_like(tensor, value):
    if value == 0:
        return zeros_like(tensor)
    ones = ones_like(tensor)
    return ones if value == 1 else multiply(ones, value)


def _gathered_rows(grad, var):
    """``(values, indices)`` when ``grad`` is only rows gathered from ``var`` (the gradients of
    ``gather(var, ids)`` along axis 0, summed), else None: TF1's IndexedSlices gradient."""
    parts = list(grad.op.inputs) if grad.op.type == "AddN" else [grad]
    shape = var._ref._shape
    if shape is None or not shape or None in shape[1:] or \
            not all(p.op.type == "GatherGrad" and p.op.attrs["axis"] == 0 for p in parts):
        return None
    values = [reshape(p.op.inputs[0], [-1, *shape[1:]]) for p in parts]
    indices = [reshape(p.op.inputs[1], [-1]) for p in parts]
    if len({i.dtype for i in indices}) > 1:
        indices = [cast(i, int64) for i in indices]
    if len(parts) == 1:
        return values[0], indices[0]
    return concat(values, 0), concat(indices, 0)


def _slices_rows(grad, var):
    """``(values, indices)`` of an IndexedSlices gradient, as rows of ``var``"""
    shape = var._ref._shape
    if shape is None or not shape or None in shape[1:]:
        return None
    return reshape(grad.values, [-1, *shape[1:]]), reshape(grad.indices, [-1])


def _check_pair(pair):
    try:
        grad, var = pair
    except (TypeError, ValueError):
        raise TypeError(f"grads_and_vars must hold (gradient, variable) pairs, got {pair!r}") from None
    if not isinstance(var, Variable):
        raise TypeError(f"Trying to update {var!r}, which is not a gn.Variable")
    if grad is not None and not isinstance(grad, IndexedSlices):
        try:
            grad = convert_to_tensor(grad)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"Gradient must be convertible to a Tensor or None: {grad!r} ({exc})") from None
    return grad, var


def _check_dtypes(tensors):
    for t in tensors:
        if t.dtype.name not in _VALID_DTYPES:
            raise ValueError(f"Invalid type {t.dtype.name} for {t.name}, expected: {list(_VALID_DTYPES)}.")


def _constrained(var, update_op):
    """TF1: ``var.constraint`` (if any) projects the variable once its update has run, in the same train op."""
    if var.constraint is None:
        return update_op
    with var.graph.control_dependencies([update_op]):
        return var.assign(var.constraint(var.value()), read_value=False)


def _as_op(value):
    return value.op if isinstance(value, Tensor) else value
