"""Dataset functions (map, filter, interleave) traced into a private graph of gpunet ops.

The function is called once, at pipeline build time, on placeholders of the element's dtypes and
shapes; each element then runs the traced ops in a private CPU session of the iterator (a
function that needs Python on NumPy values wraps that part in ``gn.py_func``, as in TF1).

A tensor of another graph that the function uses (``ds.map(lambda x: x * scale)``) is *captured*:
inside the private graph it is a placeholder, and outside it becomes a capture of the dataset, so
its value is computed (or fed) by the run that initializes the iterator — as TF1 does for
placeholders, constants and (reference) variables, whose value is read at initialization.
"""
from __future__ import annotations

from .. import graph as _graph
from .structure import Structure, flatten


def call_with_element(fn, element):
    """TF1's convention: a tuple element is passed as separate arguments, anything else as one."""
    return fn(*element) if isinstance(element, tuple) and not hasattr(element, "_fields") else fn(element)


class FunctionGraph(_graph.Graph):
    """A dataset function's graph: another graph's tensor used by an op here becomes a placeholder."""

    captures_outer_tensors = True  # apply_op creates ops here even when their first input is outer

    def __init__(self):
        super().__init__()
        self.captured = {}  # outer tensor -> its placeholder here, in the order first used

    def _create_op(self, op_def, inputs, attrs, name, outputs):
        inputs = [t if t.graph is self else self.local(t) for t in inputs]
        return super()._create_op(op_def, inputs, attrs, name, outputs)

    def local(self, tensor):
        """``tensor`` if it is of this graph, else the placeholder standing for it here."""
        if tensor.graph is self:
            return tensor
        if tensor not in self.captured:
            with self.as_default(), self.control_dependencies(None), self.device(None):
                self.captured[tensor] = _graph.placeholder(tensor.dtype, tensor.shape,
                                                           name=f"captured_{tensor.op.name.replace('/', '_')}")
        return self.captured[tensor]


class TracedFunction:
    """``fn`` on elements of ``structure``, as graph ops; ``output`` is what ``fn`` returned
    (tensors, or a Dataset for interleave); ``captures`` the outer tensors it uses."""

    def __init__(self, fn, structure: Structure, what):
        self.graph = FunctionGraph()
        with self.graph.as_default():
            self.inputs = [_graph.placeholder(d, s) for d, s in zip(structure.flat_dtypes, structure.flat_shapes)]
            try:
                output = call_with_element(fn, structure.pack(self.inputs))
                self.output = tuple(output) if isinstance(output, list) else output  # TF1: lists are tuples
            except TypeError as exc:
                raise TypeError(f"{what}: the function could not be traced into graph ops ({exc}); wrap code "
                                "that needs NumPy values in gn.py_func") from exc
        self.what = what

    @property
    def captures(self) -> list:
        """The outer tensors the function uses (the dataset's captures)."""
        return list(self.graph.captured)

    def output_structure(self) -> Structure:
        """The structure of the function's results (Python values become constants of the graph)."""
        with self.graph.as_default():
            self.fetches = [self.graph.local(_graph.convert_to_tensor(leaf)) for leaf in flatten(self.output)]
            structure = Structure.of_tensors(self.output)
        return structure

    def runner(self, env, fetches=None):
        """``run(flat_values) -> flat results`` in a CPU session closed with ``env``; the captured
        tensors are fed the values ``env`` has for them (computed when the iterator was initialized)."""
        fetches = self.fetches if fetches is None else fetches
        if not fetches:
            return lambda values: []
        config = _graph.ConfigProto(device_count={"GPU": 0})
        session = _graph.Session(graph=self.graph, config=config)
        env.closers.append(session.close)
        captured = {placeholder: env.values[outer] for outer, placeholder in self.graph.captured.items()}
        inputs = self.inputs

        def run(values):
            feeds = dict(zip(inputs, values))
            feeds.update(captured)
            return session.run(fetches, feeds)
        return run
