"""Graph: a pure description of a computation (its Operations and Tensors are in nodes.py),
recorded under scopes; and the default graph."""
from __future__ import annotations

import contextlib
import re
import threading

from ..device import DeviceSpec
from .nodes import Operation, Tensor, _as_op
from .validation import bounded_repr

__all__ = ["Graph", "assert_same_graph", "get_default_graph", "reset_default_graph"]


class Graph:
    """Ops, names, scopes and collections. Graphs hold no values: sessions do."""

    def __repr__(self):
        return f"<gn.Graph at {id(self):#x}>"

    def __init__(self):
        self._ops = []
        self._by_name = {}
        self._names_in_use = {}
        self._name_stack = ""
        self._device_stack = []       # DeviceSpec | None | callable, innermost last
        self._control_stack = []      # lists of ops; None entry clears outer ones
        self._colocation_stack = []   # ops
        self._collections = {}
        self._finalized = False
        self.seed = None
        self._op_seed_counter = 0
        self._local = {}              # per-graph state of higher layers (variable scopes, layers)
        self._version = 0

    # -- building ---------------------------------------------------------------------------
    def _create_op(self, op_def, inputs, attrs, name, outputs) -> Operation:
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified.")
        for t in inputs:
            if t.graph is not self:
                raise ValueError(f"Tensor {t.name} must be from the same graph as the op {name!r} being created "
                                 f"(graphs are {t.graph!r} and {self!r}).")
        if not _VALID_OP_NAME.match(name):
            raise ValueError(f"{name!r} is not a valid node name")
        name = name[:-1] if name.endswith("/") else self.unique_name(name)  # 'scope/' names exactly
        if name in self._by_name:
            raise ValueError(f"Duplicate node name in graph: {name!r}")
        control = [c for c in self._current_control_inputs() if c not in {t.op for t in inputs}]
        colocation = [_group_root(self._colocation_stack[-1])] if self._colocation_stack else []
        op = Operation(self, op_def, name, inputs, attrs, outputs, "", control, colocation)
        op.device = self._requested_device(op)
        self._ops.append(op)
        self._by_name[name] = op
        self._version += 1
        return op

    def _requested_device(self, op) -> str:
        """TF1's rules: scopes apply innermost first, each string scope filling only the fields
        still unset; a device function replaces the device so far (it sees it as ``op.device``);
        ``device(None)`` stops the walk. A colocation target's device then overrides all of it."""
        spec = DeviceSpec()
        for entry in reversed(self._device_stack):
            if entry is None:
                break
            if isinstance(entry, DeviceSpec):
                spec = entry.merge(spec)
                continue
            op.device = spec.canonical()
            result = entry(op)
            if not isinstance(result, (str, DeviceSpec)):
                raise TypeError(f"A device function must return a device string or DeviceSpec, "
                                f"got {result!r} for op {op.name!r}")
            spec = result if isinstance(result, DeviceSpec) else DeviceSpec.from_string(result)
        target = self._colocation_stack[-1] if self._colocation_stack else None
        if target is not None and target.device:
            return target.device
        return spec.canonical()

    def _current_control_inputs(self):
        ops = []
        for entry in self._control_stack:
            if entry is None:
                ops = []
            else:
                ops.extend(o for o in entry if o not in ops)
        return ops

    def unique_name(self, name: str, mark_as_used: bool = True) -> str:
        """TF1 rules: ``add``, ``add_1``, ``add_2``; names are compared case-insensitively."""
        if self._name_stack:
            name = f"{self._name_stack}/{name}"
        key = name.lower()
        i = self._names_in_use.get(key, 0)
        if mark_as_used:
            self._names_in_use[key] = i + 1
        if i > 0:
            base = key
            while key in self._names_in_use:
                key = f"{base}_{i}"
                i += 1
            if mark_as_used:
                self._names_in_use[key] = 1
            name = f"{name}_{i - 1}"
        return name

    # -- scopes -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def name_scope(self, name):
        """Open a name scope; yields the scope string ending in '/' ('' at the root)."""
        old = self._name_stack
        if name and not _VALID_SCOPE_NAME.match(name):
            raise ValueError(f"{name!r} is not a valid scope name")
        if not name:  # None and '' both reset to the root, as in TF1
            new = ""
        elif name.endswith("/"):
            new = name[:-1]
        else:
            new = self.unique_name(name)
        self._name_stack = new
        try:
            yield new + "/" if new else ""
        finally:
            self._name_stack = old

    def get_name_scope(self) -> str:
        return self._name_stack

    @contextlib.contextmanager
    def device(self, device_name_or_function):
        entry = _device_entry(device_name_or_function)
        self._device_stack.append(entry)
        try:
            yield
        finally:
            self._device_stack.pop()

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs):
        entry = None if control_inputs is None else [_as_op(c) for c in control_inputs]
        for op in entry or ():
            self._check_own(op, "control_dependencies")
        self._control_stack.append(entry)
        try:
            yield
        finally:
            self._control_stack.pop()

    @contextlib.contextmanager
    def colocate_with(self, op, ignore_existing=False):
        """Ops created inside share ``op``'s device, whatever the device scopes say (as in TF1).
        ``colocate_with(None, ignore_existing=True)`` drops the outer colocation and device scopes."""
        if op is None and not ignore_existing:
            raise ValueError("Trying to reset colocation (op is None) but ignore_existing is not True")
        saved = self._device_stack, self._colocation_stack
        self._device_stack = []  # colocation overrides device scopes, as in TF1
        self._colocation_stack = [] if ignore_existing else list(self._colocation_stack)
        if op is not None and not isinstance(op, _PendingOp):
            op = _as_op(op)
            self._check_own(op, "colocate_with")
        if op is not None:
            self._colocation_stack.append(op)
        try:
            yield
        finally:
            self._device_stack, self._colocation_stack = saved

    def _check_own(self, op, what):
        """ValueError unless ``op`` is in this graph (scopes cannot tie ops of two graphs)."""
        if op.graph is not self:
            raise ValueError(f"{what}: {op!r} must be from the same graph as the ops created in this scope "
                             f"(graphs are {op.graph!r} and {self!r}).")

    def _colocate_with_future_op(self, name):
        """Colocate with an op named ``name`` that is about to be created (a variable's
        initializer is built before the variable op itself)."""
        return self.colocate_with(_PendingOp(name))

    @contextlib.contextmanager
    def as_default(self):
        _default_stack().append(self)
        try:
            yield self
        finally:
            _default_stack().pop()

    # -- lookup -----------------------------------------------------------------------------
    def get_operations(self):
        return list(self._ops)

    def get_operation_by_name(self, name: str) -> Operation:
        if not isinstance(name, str):
            raise TypeError(f"Operation names are strings, got {type(name).__name__}")
        if name not in self._by_name:
            raise KeyError(f"The name {name!r} refers to an Operation not in the graph.")
        return self._by_name[name]

    def get_tensor_by_name(self, name: str) -> Tensor:
        if not isinstance(name, str):
            raise TypeError(f"Tensor names are strings, got {type(name).__name__}")
        op_name, sep, index = name.rpartition(":")
        if not sep or not index.isdigit():
            raise ValueError(f"The name {name!r} looks like an (invalid) Operation name, not a Tensor. "
                             "Tensor names must be of the form \"<op_name>:<output_index>\".")
        if op_name not in self._by_name:
            raise KeyError(f"The name {name!r} refers to a Tensor which does not exist. "
                           f"The operation, {op_name!r}, does not exist in the graph.")
        op = self._by_name[op_name]
        if int(index) >= len(op.outputs):
            raise KeyError(f"The name {name!r} refers to a Tensor which does not exist: "
                           f"the operation {op_name!r} has {len(op.outputs)} outputs.")
        return op.outputs[int(index)]

    def as_graph_element(self, obj, allow_tensor=True, allow_operation=True):
        if isinstance(obj, str):
            return self.get_tensor_by_name(obj) if ":" in obj else self.get_operation_by_name(obj)
        element = getattr(obj, "_as_graph_element", lambda: obj)()
        if isinstance(element, (Tensor, Operation)):
            if element.graph is not self:
                raise ValueError(f"{bounded_repr(element)} is not an element of this graph.")
            return element
        raise TypeError(f"Can not convert a {type(obj).__name__} into a Tensor or Operation.")

    # -- collections ------------------------------------------------------------------------
    def add_to_collection(self, name, value):
        self._collections.setdefault(name, []).append(value)

    def get_collection(self, name, scope=None):
        items = self._collections.get(name, [])
        if scope is None:
            return list(items)
        pattern = re.compile(scope)
        return [i for i in items if isinstance(getattr(i, "name", None), str) and pattern.match(i.name)]

    def get_collection_ref(self, name):
        return self._collections.setdefault(name, [])

    def get_all_collection_keys(self):
        return list(self._collections)

    def finalize(self):
        self._finalized = True

    @property
    def finalized(self):
        return self._finalized

    @property
    def version(self):
        return self._version

    def _next_op_seed(self):
        self._op_seed_counter += 1
        return self._op_seed_counter


_VALID_OP_NAME = re.compile(r"^[A-Za-z0-9._][A-Za-z0-9_.\\/>-]*$")  # TF1's, plus a leading '_'
_VALID_SCOPE_NAME = re.compile(r"^[A-Za-z0-9_.\\/>-]*$")


class _PendingOp:
    """Stands for an op that does not exist yet in a colocation scope: its name is known."""

    device = ""
    colocation = ()

    def __init__(self, name):
        self.name = name


def assert_same_graph(items):
    """TF1's check for ops, tensors or variables that one op or one call ties together:
    ``ValueError: <b> must be from the same graph as <a> (graphs are ... and ...)``."""
    first = None
    for item in items:
        element = item._as_graph_element() if hasattr(item, "_as_graph_element") else item
        graph = getattr(element, "graph", None)
        if graph is None:
            continue
        if first is None:
            first = element
        elif graph is not first.graph:
            raise ValueError(f"{element!r} must be from the same graph as {first!r} "
                             f"(graphs are {graph!r} and {first.graph!r}).")


def _group_root(op) -> str:
    return op.colocation[0] if op.colocation else op.name


def _device_entry(value):
    if value is None or isinstance(value, DeviceSpec):
        return value
    if isinstance(value, str):
        return DeviceSpec.from_string(value)  # parse errors surface at scope entry
    if callable(value):
        return value
    raise TypeError(f"A device must be a string, DeviceSpec, None or a function, got {type(value).__name__}")


# -- default graph ---------------------------------------------------------------------------
_thread = threading.local()
_global = {"graph": None}


def _default_stack():
    if not hasattr(_thread, "stack"):
        _thread.stack = []
    return _thread.stack


def get_default_graph() -> Graph:
    """The innermost ``with graph.as_default():`` graph of this thread, else the global default graph."""
    stack = _default_stack()
    if stack:
        return stack[-1]
    if _global["graph"] is None:
        _global["graph"] = Graph()
    return _global["graph"]


def reset_default_graph():
    """Replace the global default graph with a new, empty one (AssertionError inside ``as_default()``)."""
    if _default_stack():
        raise AssertionError("Do not use reset_default_graph() inside a `with graph.as_default():` block "
                             "or while another graph is the default.")
    _global["graph"] = Graph()
