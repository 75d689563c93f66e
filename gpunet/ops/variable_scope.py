"""variable_scope / get_variable with TF1's sharing rules and messages."""
from __future__ import annotations

import contextlib

import numpy as np

from ..graph.dtypes import as_dtype, float32
from ..graph.graph import get_default_graph
from ..graph.shape import TensorShape, as_shape, compatible
from ..graph.variables import GraphKeys, Variable
from . import init_ops

__all__ = ["AUTO_REUSE", "VariableScope", "get_variable", "get_variable_scope", "variable_scope"]

AUTO_REUSE = "AUTO_REUSE"


class VariableScope:
    """A named scope for get_variable: its ``reuse`` flag and default ``initializer``."""

    def __init__(self, reuse, name="", initializer=None, dtype=float32, name_scope=""):
        self._name = name
        self._reuse = reuse
        self._initializer = initializer
        self._dtype = as_dtype(dtype)
        self._name_scope = name_scope

    @property
    def name(self):
        return self._name

    @property
    def original_name_scope(self):
        return self._name_scope

    @property
    def reuse(self):
        return self._reuse

    @property
    def initializer(self):
        return self._initializer

    @property
    def dtype(self):
        return self._dtype

    def reuse_variables(self):
        """From now on, get_variable in this scope returns existing variables."""
        self._reuse = True

    def set_initializer(self, initializer):
        self._initializer = initializer

    def get_variable(self, name, shape=None, dtype=None, initializer=None, trainable=True, collections=None):
        return _get_or_create(self, name, shape, dtype, initializer, trainable, collections)

    def __repr__(self):
        return f"<VariableScope {self._name!r} reuse={self._reuse}>"


def _graph_state(graph):
    state = graph._local.setdefault("variable_scope", {})
    if "current" not in state:
        state.update(current=VariableScope(False), store={}, counts={})
    return state


def get_variable_scope() -> VariableScope:
    """The current VariableScope of the default graph (the root scope, name '', outside any)."""
    return _graph_state(get_default_graph())["current"]


@contextlib.contextmanager
def variable_scope(name_or_scope, default_name=None, values=None, initializer=None, reuse=None, dtype=None,
                   auxiliary_name_scope=True):
    """Open a variable scope (and a name scope). ``reuse=True`` is inherited by inner scopes."""
    graph = get_default_graph()
    state = _graph_state(graph)
    parent = state["current"]
    if reuse is False:
        reuse = None  # False never undoes an inherited reuse=True, as in TF1
    if isinstance(name_or_scope, VariableScope):
        scope = VariableScope(reuse if reuse is not None else name_or_scope.reuse, name_or_scope.name,
                              name_or_scope.initializer if initializer is None else initializer,
                              dtype or name_or_scope.dtype, name_or_scope.original_name_scope)
        name_scope = name_or_scope.name.split("/")[-1]  # ops get a new name scope here, as in TF1
    else:
        if name_or_scope is None:
            if default_name is None:
                raise TypeError("If default_name is None then name_or_scope is required")
            name_or_scope = _unique_scope_name(state, parent, default_name)
        elif not isinstance(name_or_scope, str):
            raise TypeError(f"VariableScope: name_or_scope must be a string or VariableScope, got {name_or_scope!r}")
        full = f"{parent.name}/{name_or_scope}" if parent.name else name_or_scope
        scope = VariableScope(True if reuse is True or parent.reuse is True else (reuse or parent.reuse), full,
                              parent.initializer if initializer is None else initializer, dtype or parent.dtype)
        name_scope = name_or_scope
    _count_scope(state, scope.name)
    state["current"] = scope
    try:
        if auxiliary_name_scope and name_scope:
            with graph.name_scope(name_scope) as ns:
                if not scope._name_scope:
                    scope._name_scope = ns
                yield scope
        else:
            yield scope
    finally:
        state["current"] = parent


def _unique_scope_name(state, parent, base):
    prefix = f"{parent.name}/" if parent.name else ""
    name, i = base, 0
    while state["counts"].get(prefix + name, 0):
        i += 1
        name = f"{base}_{i}"
    return name


def _count_scope(state, full_name):
    state["counts"][full_name] = state["counts"].get(full_name, 0) + 1


def get_variable(name, shape=None, dtype=None, initializer=None, regularizer=None, trainable=True,
                 collections=None, validate_shape=True, constraint=None):
    """The variable ``<scope>/name``: created, or shared when the scope reuses (TF1 rules). ``constraint``
    (a new variable's): a projection optimizers apply after each update."""
    return _get_or_create(get_variable_scope(), name, shape, dtype, initializer, trainable, collections,
                          regularizer, constraint)


def _get_or_create(scope, name, shape, dtype, initializer, trainable, collections, regularizer=None,
                   constraint=None):
    graph = get_default_graph()
    store = _graph_state(graph)["store"]
    full = f"{scope.name}/{name}" if scope.name else name
    shape = as_shape(shape)
    if full in store:
        if scope.reuse is not True and scope.reuse != AUTO_REUSE:
            raise ValueError(f"Variable {full} already exists, disallowed. Did you mean to set reuse=True or "
                             f"reuse=gn.AUTO_REUSE in VarScope?")
        found = store[full]
        if not compatible(shape, found._ref._shape):
            raise ValueError(f"Trying to share variable {full}, but specified shape {TensorShape(shape)} and "
                             f"found shape {found.shape}.")
        if dtype is not None and as_dtype(dtype) != found.dtype:
            raise ValueError(f"Trying to share variable {full}, but specified dtype {as_dtype(dtype).name} and "
                             f"found dtype {found.dtype.name}.")
        return found
    if scope.reuse is True:
        raise ValueError(f"Variable {full} does not exist, or was not created with gn.get_variable(). "
                         f"Did you mean to set reuse=gn.AUTO_REUSE in VarScope?")
    variable = _create(graph, full, shape, as_dtype(dtype) if dtype is not None else scope.dtype,
                       scope.initializer if initializer is None else initializer, trainable, collections,
                       constraint)
    store[full] = variable
    if regularizer is not None:
        with graph.name_scope(f"{full}/Regularizer/"):
            loss = regularizer(variable)
        if loss is not None:
            graph.add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss)
    return variable


def _create(graph, full, shape, dtype, initializer, trainable, collections, constraint):
    if initializer is None and shape is None:
        raise ValueError(f"Variable {full} did not get an initializer, so its `shape` argument must be specified.")
    if initializer is None:
        initializer = init_ops.glorot_uniform_initializer() if dtype.is_floating else init_ops.Zeros()
    if callable(initializer):
        if shape is None or None in shape:
            raise ValueError(f"Shape of a new variable ({full}) must be fully defined, but instead was "
                             f"{TensorShape(shape)}.")
        if isinstance(initializer, type):
            initializer = initializer()
        initial = lambda: _check_initializer_shape(full, shape, initializer(shape, dtype=dtype))  # noqa: E731
    else:
        initial = initializer  # a tensor or array: its shape is the variable's
        _check_initializer_shape(full, shape, initial)
    with graph.name_scope(None):
        return Variable(initial, name=full, trainable=trainable, collections=collections, dtype=dtype,
                        constraint=constraint)


def _check_initializer_shape(full, shape, initial):
    """A given shape must agree with the initializer's value (TF1 refuses any shape with a constant
    initializer); returns the value."""
    given = getattr(initial, "shape", None)
    if given is None and not hasattr(initial, "_as_tensor"):
        given = np.shape(initial)
    if shape is not None and given is not None and not compatible(shape, TensorShape(given).dims):
        raise ValueError(f"Variable {full}: the initializer has shape {TensorShape(given)}, which disagrees "
                         f"with the shape {TensorShape(shape)} asked for (if initializer is a constant, "
                         f"do not specify shape)")
    return initial
