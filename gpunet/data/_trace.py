"""Dataset functions (map, filter, interleave) traced into a private graph of gpunet ops.

The function is called once, at pipeline build time, on placeholders of the element's dtypes and
shapes; each element then runs the traced ops in a private CPU session of the iterator (a
function that needs Python on NumPy values wraps that part in ``gn.py_func``, as in TF1).
"""
from __future__ import annotations

from .. import graph as _graph
from .structure import Structure, flatten


def call_with_element(fn, element):
    """TF1's convention: a tuple element is passed as separate arguments, anything else as one."""
    return fn(*element) if isinstance(element, tuple) and not hasattr(element, "_fields") else fn(element)


class TracedFunction:
    """``fn`` on elements of ``structure``, as graph ops; ``output`` is what ``fn`` returned
    (tensors, or a Dataset for interleave)."""

    def __init__(self, fn, structure: Structure, what):
        self.graph = _graph.Graph()
        with self.graph.as_default():
            self.inputs = [_graph.placeholder(d, s) for d, s in zip(structure.flat_dtypes, structure.flat_shapes)]
            try:
                output = call_with_element(fn, structure.pack(self.inputs))
                self.output = tuple(output) if isinstance(output, list) else output  # TF1: lists are tuples
            except TypeError as exc:
                raise TypeError(f"{what}: the function could not be traced into graph ops ({exc}); wrap code "
                                "that needs NumPy values in gn.py_func") from exc
        self.what = what

    def output_structure(self) -> Structure:
        """The structure of the function's results (Python values become constants of the graph)."""
        with self.graph.as_default():
            structure = Structure.of_tensors(self.output)
            self.fetches = [_graph.convert_to_tensor(leaf) for leaf in flatten(self.output)]
        return structure

    def runner(self, closers, fetches=None):
        """``run(flat_values) -> flat results`` in a CPU session closed by ``closers``."""
        fetches = self.fetches if fetches is None else fetches
        if not fetches:
            return lambda values: []
        config = _graph.ConfigProto(device_count={"GPU": 0})
        session = _graph.Session(graph=self.graph, config=config)
        closers.append(session.close)
        inputs = self.inputs

        def run(values):
            return session.run(fetches, dict(zip(inputs, values)))
        return run

