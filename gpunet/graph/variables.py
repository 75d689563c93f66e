"""Variables: a VariableV2 op with its initializer, read and update ops, all colocated."""
from __future__ import annotations

import numpy as np

from .core_ops import convert_to_tensor, group
from .dtypes import as_dtype
from .graph import Tensor, get_default_graph
from .registry import apply_op, define_op
from .shape import TensorShape, compatible
from .validation import bounded_repr

__all__ = ["GraphKeys", "Variable", "assert_variables_initialized", "assign", "assign_add", "assign_sub",
           "global_variables", "global_variables_initializer", "is_variable_initialized", "local_variables",
           "local_variables_initializer", "report_uninitialized_variables", "trainable_variables", "variable_of",
           "variables_initializer"]


class GraphKeys:
    """TF1's standard collection names (``gn.get_collection(gn.GraphKeys.TRAINABLE_VARIABLES)``)."""

    GLOBAL_VARIABLES = "variables"
    VARIABLES = GLOBAL_VARIABLES  # TF 0.x's name
    LOCAL_VARIABLES = "local_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    MODEL_VARIABLES = "model_variables"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    REGULARIZATION_LOSSES = "regularization_losses"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    SUMMARIES = "summaries"
    QUEUE_RUNNERS = "queue_runners"
    TRAIN_OP = "train_op"
    GLOBAL_STEP = "global_step"
    INIT_OP = "init_op"


class Variable:
    """A graph variable. Its value lives in each session, on the device it is placed on."""

    def __init__(self, initial_value=None, trainable=True, collections=None, validate_shape=True,
                 name=None, dtype=None, expected_shape=None, constraint=None):
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        if constraint is not None and not callable(constraint):
            raise ValueError("The `constraint` argument must be a callable.")
        # TF1: a projection an Optimizer applies to the variable right after updating it
        self._constraint = constraint
        graph = get_default_graph()
        with graph.name_scope(name or "Variable") as scope:
            base = scope[:-1]
            if callable(initial_value):
                # built before the variable op exists, but placed with it (as in TF1)
                with graph.name_scope("Initializer"), graph._colocate_with_future_op(base):
                    initial = convert_to_tensor(initial_value(), dtype=dtype, name="initial_value")
            else:
                initial = convert_to_tensor(initial_value, dtype=dtype, name="initial_value")
            shape = initial._shape if validate_shape else None
            self._variable = apply_op("VariableV2", [], {"dtype": initial.dtype, "shape": shape},
                                      f"{base}/")  # trailing '/' = use the scope name as the op name
            self._variable._variable_object = self  # tf.assign('w:0' tensor, ...) finds the variable
            with graph.colocate_with(self._variable):
                self._initializer_op = apply_op("Assign", [self._ref, initial],
                                                {"validate_shape": validate_shape}, "Assign")
                self._snapshot = apply_op("ReadVariable", [self._ref], {}, "read").outputs[0]
        self._initial_value = initial
        self._trainable = trainable
        # collections=[]: in no collection but TRAINABLE_VARIABLES when trainable (as TF1)
        collections = [GraphKeys.GLOBAL_VARIABLES] if collections is None else list(collections)
        if trainable and GraphKeys.TRAINABLE_VARIABLES not in collections:
            collections.append(GraphKeys.TRAINABLE_VARIABLES)
        for key in collections:
            graph.add_to_collection(key, self)

    # -- identity -----------------------------------------------------------------------------
    @property
    def _ref(self):
        return self._variable.outputs[0]

    @property
    def op(self):
        return self._variable

    @property
    def name(self) -> str:
        return f"{self._variable.name}:0"

    @property
    def device(self) -> str:
        return self._variable.device

    @property
    def graph(self):
        return self._variable.graph

    @property
    def dtype(self):
        return self._ref.dtype

    @property
    def shape(self) -> TensorShape:
        return self._ref.shape

    def get_shape(self) -> TensorShape:
        return self.shape

    @property
    def trainable(self):
        return self._trainable

    @property
    def constraint(self):
        """The projection an Optimizer applies after each update (``constraint=``), or None."""
        return self._constraint

    @property
    def initializer(self):
        return self._initializer_op

    @property
    def initial_value(self):
        return self._initial_value

    def _as_tensor(self):
        return self._snapshot

    def _as_graph_element(self):
        """The variable's own tensor ``'<name>:0'``, as in TF1: fetching it gives the value,
        feeding it overrides every read of the variable in that run."""
        return self._ref

    def value(self):
        """The variable's value tensor (``<name>/read:0``); gradients flow through it to the variable."""
        return self._snapshot

    def read_value(self):
        """A new read of the variable (ordered by the ops it depends on); differentiable like ``value()``."""
        with self.graph.colocate_with(self._variable):
            return apply_op("ReadVariable", [self._ref], {}, "read").outputs[0]

    def initialized_value(self):
        """This variable's value if it is initialized, else its initial value (nothing is
        assigned): what initializing another variable from this one needs, in any order."""
        with self.graph.colocate_with(self._variable):
            return apply_op("InitializedValue", [self._ref, self._initial_value], {},
                            "initialized_value").outputs[0]

    def is_variable_initialized(self):
        with self.graph.colocate_with(self._variable):
            return apply_op("IsVariableInitialized", [self._ref], {}, "IsVariableInitialized").outputs[0]

    # -- updates ------------------------------------------------------------------------------
    def _update(self, op_type, value, name, use_locking=False, read_value=True):
        value = convert_to_tensor(value, dtype=self.dtype)
        if not compatible(value._shape, self._ref._shape):
            raise ValueError(f"Shapes {self.shape} and {value.shape} are incompatible for {op_type} "
                             f"to variable {self._variable.name}")
        with self.graph.colocate_with(self._variable):
            attrs = {"validate_shape": True, "use_locking": bool(use_locking)}
            op = apply_op(op_type, [self._ref, value], attrs, name or op_type)
        return op.outputs[0] if read_value else op

    def assign(self, value, use_locking=False, name=None, read_value=True):
        """Set the variable to ``value``; returns its new value (the op with ``read_value=False``).
        ``use_locking=True`` serialises this update with the variable's other locked updates
        across threads running the session; by default updates are lock-free (TF1's Hogwild)."""
        return self._update("Assign", value, name, use_locking, read_value)

    def assign_add(self, delta, use_locking=False, name=None, read_value=True):
        """Add ``delta`` in place; ``use_locking`` as for ``assign``."""
        return self._update("AssignAdd", delta, name, use_locking, read_value)

    def assign_sub(self, delta, use_locking=False, name=None, read_value=True):
        """Subtract ``delta`` in place; ``use_locking`` as for ``assign``."""
        return self._update("AssignSub", delta, name, use_locking, read_value)

    def eval(self, session=None):
        return self._snapshot.eval(session=session)

    def load(self, value, session=None):
        from .nodes import _session_for
        _session_for(self.graph, session)._load_variable(self, value)

    def __repr__(self):
        return f"<gn.Variable '{self.name}' shape={self.shape} dtype={self.dtype.name}>"

    def __hash__(self):
        return id(self)


def assign(ref, value, validate_shape=None, use_locking=None, name=None):
    """TF1's ``gn.assign(variable, value)``: the variable's value after the assignment. As TF1's
    Assign op, it locks by default (``use_locking=None`` means True)."""
    return _as_variable(ref, "assign").assign(value, True if use_locking is None else use_locking, name)


def assign_add(ref, value, use_locking=None, name=None):
    """TF1's ``gn.assign_add(variable, delta)``: lock-free unless ``use_locking=True``."""
    return _as_variable(ref, "assign_add").assign_add(value, use_locking, name)


def assign_sub(ref, value, use_locking=None, name=None):
    """TF1's ``gn.assign_sub(variable, delta)``: lock-free unless ``use_locking=True``."""
    return _as_variable(ref, "assign_sub").assign_sub(value, use_locking, name)


def variable_of(value):
    """The Variable whose own tensor (``'w:0'``) ``value`` is; any other value as it is. TF1 takes
    either where it takes a variable (``assign``, ``Saver``)."""
    if isinstance(value, Tensor) and value.op.type == "VariableV2":
        return value.op._variable_object
    return value


def _as_variable(ref, what):
    ref = variable_of(ref)
    if not isinstance(ref, Variable):
        raise TypeError(f"gn.{what} needs a gn.Variable as its first argument, got {type(ref).__name__}: "
                        f"{bounded_repr(ref)}")
    return ref


def global_variables(scope=None):
    """The GLOBAL_VARIABLES collection of the default graph (names matching the regex ``scope``, if given)."""
    return get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES, scope)


def local_variables(scope=None):
    """The LOCAL_VARIABLES collection of the default graph (names matching the regex ``scope``, if given)."""
    return get_default_graph().get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def trainable_variables(scope=None):
    """The TRAINABLE_VARIABLES collection of the default graph (names matching the regex ``scope``, if given)."""
    return get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES, scope)


def variables_initializer(var_list, name="init"):
    """An op that runs the initializers of ``var_list`` (a NoOp when it is empty)."""
    if not var_list:
        return apply_op("NoOp", [], {}, name)
    return group(*[v.initializer for v in var_list], name=name)


def global_variables_initializer():
    """An op named ``init`` that initializes every global variable of the default graph."""
    return variables_initializer(global_variables(), name="init")


def local_variables_initializer():
    """An op named ``init`` that initializes every local variable of the default graph."""
    return variables_initializer(local_variables(), name="init")


def is_variable_initialized(variable):
    """A bool scalar: whether ``variable`` holds a value in the session that runs it."""
    return variable.is_variable_initialized()


def assert_variables_initialized(var_list=None):
    """TF1's: a tensor of the variables' ranks (a scalar for one variable, None for none), whose
    run raises ``FailedPreconditionError`` naming the first variable not initialized. Default:
    the global and local variables."""
    var_list = global_variables() + local_variables() if var_list is None else list(var_list)
    if not var_list:
        return None
    ranks = []
    for v in var_list:
        with v.graph.colocate_with(v.op):
            ranks.append(apply_op("VariableRank", [v._ref], {}, "Rank").outputs[0])
    if len(ranks) == 1:
        return ranks[0]
    return apply_op("AssertVariablesInitialized", ranks, {}, "assert_variables_initialized").outputs[0]


def report_uninitialized_variables(var_list=None, name="report_uninitialized_variables"):
    """A string tensor with the names of the variables not yet initialized."""
    var_list = global_variables() if var_list is None else var_list
    flags = [v.is_variable_initialized() for v in var_list]
    names = [v.op.name for v in var_list]
    return apply_op("ReportUninitialized", flags, {"names": names}, name).outputs[0]


def _report_kernel(ctx):
    names = ctx.attrs["names"]

    def report(*flags):
        return np.array([n.encode() for n, f in zip(names, flags) if not bool(f)], dtype=object)
    return report

def _rank_kernel(ctx):
    xp = ctx.xp
    return lambda slot: xp.asarray(slot.get().ndim, dtype=np.int32)  # reading it checks it is initialized


def _stack_kernel(ctx):
    return lambda *ranks: ctx.xp.stack(ranks)


_int32 = as_dtype("int32")
define_op("VariableRank", lambda i, a: [(_int32, ())], {"any": _rank_kernel}, stateful=True, differentiable=False,
          takes_refs=True)
define_op("AssertVariablesInitialized", lambda i, a: [(_int32, (len(i),))], {"any": _stack_kernel},
          differentiable=False)
define_op("ReportUninitialized", lambda i, a: [(as_dtype("string"), (None,))],
          {"CPU": _report_kernel}, stateful=True, differentiable=False)
