"""Nested structures (lists, tuples, namedtuples, dicts) as cond outputs, while loop variables and
input-pipeline elements: flatten, pack_as, assert_same_structure (as TF1's nest)."""
from __future__ import annotations

__all__ = ["assert_same_structure", "flatten", "is_sequence", "pack_as"]


def is_sequence(value) -> bool:
    return isinstance(value, (list, tuple, dict))


def flatten(structure, lists_nest: bool = True) -> list:
    """Leaves in order; dicts by sorted key, as TF1's nest does. ``lists_nest=False``: a list is one
    leaf, as tf.data takes it (a component to convert, not a structure)."""
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key], lists_nest)]
    if isinstance(structure, tuple) or (lists_nest and isinstance(structure, list)):
        return [leaf for item in structure for leaf in flatten(item, lists_nest)]
    return [structure]


def pack_as(structure, leaves, lists_nest: bool = True):
    """``structure`` with its leaves replaced, in order, by ``leaves`` (``lists_nest`` as in flatten)."""
    return _pack(structure, iter(leaves), lists_nest)


def _pack(structure, leaves, lists_nest):
    if isinstance(structure, dict):
        values = {key: _pack(structure[key], leaves, lists_nest) for key in sorted(structure)}
        return type(structure)((key, values[key]) for key in structure)
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*[_pack(item, leaves, lists_nest) for item in structure])
    if isinstance(structure, tuple) or (lists_nest and isinstance(structure, list)):
        return type(structure)(_pack(item, leaves, lists_nest) for item in structure)
    return next(leaves)


def assert_same_structure(a, b, what: str):
    """ValueError naming both structures when they differ in kind, length or dict keys."""
    if not _same(a, b):
        raise ValueError(f"{what}: the two structures don't have the same nested structure.\n\n"
                         f"First structure: {_describe(a)}\n\nSecond structure: {_describe(b)}")


def _same(a, b) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and sorted(a) == sorted(b) and all(
            _same(a[k], b[k]) for k in a)
    if is_sequence(a) or is_sequence(b):
        return (is_sequence(a) and is_sequence(b) and _kind(a) == _kind(b) and len(a) == len(b)
                and all(_same(x, y) for x, y in zip(a, b)))
    return True


def _kind(value):
    return type(value) if hasattr(value, "_fields") else list if isinstance(value, (list, tuple)) else dict


def _describe(structure) -> str:
    if isinstance(structure, dict):
        return "{" + ", ".join(f"{k!r}: {_describe(v)}" for k, v in structure.items()) + "}"
    if isinstance(structure, (list, tuple)):
        inner = ", ".join(_describe(v) for v in structure)
        return f"[{inner}]" if isinstance(structure, list) else f"({inner}{',' if len(structure) == 1 else ''})"
    return getattr(structure, "name", None) or repr(structure)
