"""Operation and Tensor: the nodes of a Graph and the values they output (known only in a session)."""
from __future__ import annotations

from .shape import TensorShape, as_shape, compatible
from .validation import bounded_repr

__all__ = ["Operation", "Tensor"]


class Tensor:
    """One output of an Operation: ``name`` is ``'op:index'``; ``shape`` is static."""

    __array_priority__ = 100  # numpy_array + tensor builds an op instead of converting

    def __init__(self, op, index, dtype, shape):
        self.op = op
        self.value_index = index
        self.dtype = dtype
        self._shape = shape
        self._consumers = []

    @property
    def name(self) -> str:
        return f"{self.op.name}:{self.value_index}"

    @property
    def graph(self):
        return self.op.graph

    @property
    def device(self) -> str:
        return self.op.device

    @property
    def shape(self) -> TensorShape:
        return TensorShape(self._shape)

    def get_shape(self) -> TensorShape:
        return self.shape

    def set_shape(self, shape):
        new = as_shape(shape)
        if not compatible(self._shape, new):
            raise ValueError(f"Shapes {self.shape} and {TensorShape(new)} are incompatible for {self.name}")
        if self._shape is None:
            self._shape = new
        elif new is not None:
            self._shape = tuple(a if a is not None else b for a, b in zip(self._shape, new))

    def consumers(self):
        return list(self._consumers)

    def eval(self, feed_dict=None, session=None):
        return _session_for(self.graph, session).run(self, feed_dict)

    def __repr__(self):
        return f'<gn.Tensor "{self.name}" shape={self.shape} dtype={self.dtype.name}>'

    def __hash__(self):
        return id(self)

    def __bool__(self):
        raise TypeError("Using a gn.Tensor as a Python bool is not allowed: the value is only known "
                        "when a session runs it. Use gn.where / gn.cond-style ops, or sess.run it first.")

    def __iter__(self):
        raise TypeError(f"Tensor {self.name} is not iterable: its value exists only inside a session run.")

    def __len__(self):
        raise TypeError(f"len() of Tensor {self.name} is not defined; use tensor.shape[0] or gn.shape().")


def _session_for(graph, session):
    from .session import get_default_session
    session = session or get_default_session()
    if session is None:
        raise ValueError("Cannot evaluate a tensor without a session: pass session= or use "
                         "`with gn.Session() as sess:` (or gn.InteractiveSession()).")
    if session.graph is not graph:
        raise ValueError("The session's graph is not the graph of this tensor.")
    return session


class Operation:
    """A node: ``type`` names its OpDef; ``device`` is the requested device (canonical, or '')."""

    def __init__(self, graph, op_def, name, inputs, attrs, outputs, device, control_inputs, colocation):
        self.graph = graph
        self.op_def = op_def
        self.name = name
        self.type = op_def.type
        self.inputs = tuple(inputs)
        self.attrs = attrs
        self.device = device
        self.control_inputs = list(control_inputs)
        self.colocation = colocation  # names of ops this op must share a device with
        self._id = len(graph._ops)
        self.outputs = [Tensor(self, i, d, s) for i, (d, s) in enumerate(outputs)]
        for t in self.inputs:
            t._consumers.append(self)

    def get_attr(self, name):
        return self.attrs[name]

    def colocation_groups(self):
        """TF1's form of the colocation constraint: ``[b'loc:@<group root>']``."""
        return [f"loc:@{self.colocation[0] if self.colocation else self.name}".encode()]

    def run(self, feed_dict=None, session=None):
        _session_for(self.graph, session).run(self, feed_dict)

    def __repr__(self):
        return f'<gn.Operation "{self.name}" type={self.type}>'


def _as_op(obj):
    element = getattr(obj, "_as_graph_element", lambda: obj)()
    if isinstance(element, Tensor):
        return element.op
    if isinstance(element, Operation):
        return element
    raise TypeError(f"Expected an Operation or Tensor, got {type(obj).__name__}: {bounded_repr(obj)}")
