"""Loop variables that are several tensors (gn.TensorArray): gn.while_loop carries their tensors
(``_loop_tensors()``) as plain loop variables and hands ``cond`` and ``body`` the composites rebuilt
(``_from_loop_tensors``), so the loop machinery and its gradients see only tensors."""
from __future__ import annotations

from ..graph.core_ops import convert_to_tensor
from ..graph.registry import as_value
from ..graph.shape import TensorShape
from . import nest

__all__: list = []


def has_composites(loop_vars) -> bool:
    """Whether any leaf of ``loop_vars`` is a composite (a gn.TensorArray)."""
    return nest.is_sequence(loop_vars) and any(_is_composite(v) for v in nest.flatten(loop_vars))


def _is_composite(value) -> bool:
    return hasattr(value, "_loop_tensors")


def run(while_loop, cond, body, loop_vars, shape_invariants, return_same_structure, **options):
    """``while_loop`` over the tensors of ``loop_vars``, calling ``cond`` and ``body`` with composites."""
    templates = [v if _is_composite(v) else as_value(convert_to_tensor(v)) for v in nest.flatten(loop_vars)]
    invariants = _invariants(templates, None if shape_invariants is None else nest.flatten(shape_invariants))

    def rebuild(tensors):
        return _call_args(loop_vars, nest.pack_as(loop_vars, _collapse(templates, tensors)))

    def flat_body(*tensors):
        return _expand(templates, _body_leaves(loop_vars, templates, body(*rebuild(tensors))))

    outputs = while_loop(lambda *tensors: cond(*rebuild(tensors)), flat_body, _expand(templates, templates),
                         shape_invariants=invariants, return_same_structure=True, **options)
    packed = nest.pack_as(loop_vars, _collapse(templates, outputs))
    if not return_same_structure and isinstance(loop_vars, (list, tuple)) and len(templates) == 1:
        return packed[0]
    return packed


def _expand(templates, leaves) -> list:
    flat = []
    for template, leaf in zip(templates, leaves):
        if _is_composite(template) != _is_composite(leaf):
            raise TypeError(f"The while_loop body must return a {type(template).__name__} where loop_vars has one, "
                            f"got {type(leaf).__name__}")
        flat += leaf._loop_tensors() if _is_composite(leaf) else [leaf]
    return flat


def _collapse(templates, tensors) -> list:
    leaves, tensors = [], list(tensors)
    for template in templates:
        if _is_composite(template):
            count = len(template._loop_tensors())
            leaves.append(template._from_loop_tensors(tensors[:count]))
            tensors = tensors[count:]
        else:
            leaves.append(tensors.pop(0))
    return leaves


def _invariants(templates, given) -> list:
    given = given or [None if _is_composite(t) else t._shape for t in templates]
    result = []
    for template, shape in zip(templates, given):
        result += [None] * len(template._loop_tensors()) if _is_composite(template) else [shape]
    return [TensorShape(shape) for shape in result]  # a tuple would read as a nested structure


def _call_args(structure, packed):
    return list(packed) if isinstance(structure, (list, tuple)) else [packed]


def _body_leaves(structure, templates, result) -> list:
    expected = _call_args(structure, nest.pack_as(structure, templates))
    if len(expected) == 1 and not (isinstance(result, (list, tuple)) and len(result) == 1):
        result = [result]
    nest.assert_same_structure(expected, list(result) if isinstance(result, (list, tuple)) else result,
                               "The while_loop body must return the structure of loop_vars")
    return nest.flatten(list(result) if isinstance(result, (list, tuple)) else result)
