"""The global step: a scalar int64 variable ``global_step`` in the GLOBAL_STEP and GLOBAL_VARIABLES
collections, not trainable; ``apply_gradients(..., global_step=)`` increments it."""
from __future__ import annotations

import logging

from ..graph.dtypes import int64
from ..graph.graph import Tensor, get_default_graph
from ..graph.variables import GraphKeys, Variable
from ..ops.init_ops import zeros_initializer
from ..ops.variable_scope import get_variable

__all__ = ["assert_global_step", "create_global_step", "get_global_step", "get_or_create_global_step", "global_step"]

_log = logging.getLogger("gpunet.train")


def get_global_step(graph=None):
    """The global step variable of ``graph`` (default graph), or None when there is none."""
    graph = graph or get_default_graph()
    found = graph.get_collection(GraphKeys.GLOBAL_STEP)
    if len(found) > 1:
        _log.error("Multiple tensors in global_step collection.")
        return None
    if not found:
        found = [v for v in graph.get_collection(GraphKeys.GLOBAL_VARIABLES) if v.op.name == "global_step"]
        if not found:
            return None
    assert_global_step(found[0])
    return found[0]


def create_global_step(graph=None):
    """Create the global step; ``ValueError`` if the graph already has one."""
    graph = graph or get_default_graph()
    if get_global_step(graph) is not None:
        raise ValueError('"global_step" already exists.')
    with graph.as_default(), graph.name_scope(None):
        return get_variable(GraphKeys.GLOBAL_STEP, shape=[], dtype=int64, initializer=zeros_initializer(),
                            trainable=False, collections=[GraphKeys.GLOBAL_VARIABLES, GraphKeys.GLOBAL_STEP])


def get_or_create_global_step(graph=None):
    """The global step of ``graph`` (default graph), created (a 0 int64 scalar variable) if there is none."""
    graph = graph or get_default_graph()
    found = get_global_step(graph)
    return create_global_step(graph) if found is None else found


def assert_global_step(global_step_tensor):
    """``TypeError`` unless ``global_step_tensor`` is a scalar integer Variable or Tensor."""
    if not isinstance(global_step_tensor, (Variable, Tensor)):
        raise TypeError(f"Existing \"global_step\" must be a Variable or Tensor: {global_step_tensor}.")
    if not global_step_tensor.dtype.is_integer:
        raise TypeError(f"Existing \"global_step\" does not have integer type: {global_step_tensor.dtype.name}")
    if global_step_tensor.shape.ndims != 0:
        raise TypeError(f"Existing \"global_step\" is not scalar: {global_step_tensor.shape}")


def global_step(sess, global_step_tensor):
    """The global step's current value as a Python int."""
    return int(sess.run(global_step_tensor))
