"""Scopes on the default graph: device, name, control dependencies, colocation."""
from .graph import get_default_graph

__all__ = ["add_to_collection", "add_to_collections", "colocate_with", "control_dependencies", "device",
           "get_collection", "get_collection_ref", "name_scope", "set_random_seed"]


def device(device_name_or_function):
    """``with gn.device('/gpu:1'):`` — a string, DeviceSpec, None (clears) or ``fn(op) -> str``."""
    return get_default_graph().device(device_name_or_function)


def name_scope(name, default_name=None, values=None):
    return get_default_graph().name_scope(name if name is not None or default_name is None else default_name)


def control_dependencies(control_inputs):
    return get_default_graph().control_dependencies(control_inputs)


def colocate_with(op, ignore_existing=False):
    return get_default_graph().colocate_with(op, ignore_existing)


def add_to_collection(name, value):
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value):
    for name in names:
        get_default_graph().add_to_collection(name, value)


def get_collection(key, scope=None):
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key):
    return get_default_graph().get_collection_ref(key)


def set_random_seed(seed):
    """The graph-level seed: with it, random ops are reproducible across sessions and runs."""
    get_default_graph().seed = None if seed is None else int(seed)
