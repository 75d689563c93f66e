"""Scopes on the default graph: device, name, control dependencies, colocation."""
from .graph import get_default_graph

__all__ = ["add_to_collection", "add_to_collections", "colocate_with", "control_dependencies", "device",
           "get_collection", "get_collection_ref", "name_scope", "set_random_seed"]


def device(device_name_or_function):
    """``with gn.device('/gpu:1'):`` — a string, DeviceSpec, None (clears) or ``fn(op) -> str``."""
    return get_default_graph().device(device_name_or_function)


def name_scope(name, default_name=None, values=None):
    """``with gn.name_scope('layer') as scope:`` — ops created inside are named ``layer/...``.

    ``name`` None uses ``default_name``; a name ending in '/' reopens that scope exactly; otherwise the name is
    made unique (``layer_1``). ``scope`` is the scope string, ending in '/' ('' at the root). ``values`` is
    accepted for TF1 compatibility.
    """
    return get_default_graph().name_scope(name if name is not None or default_name is None else default_name)


def control_dependencies(control_inputs):
    """``with gn.control_dependencies([ops or tensors]):`` — ops created inside run after them.

    ``control_dependencies(None)`` clears the outer ones inside its block.
    """
    return get_default_graph().control_dependencies(control_inputs)


def colocate_with(op, ignore_existing=False):
    """``with gn.colocate_with(op):`` — ops created inside go on ``op``'s device, whatever the device scopes say.

    ``colocate_with(None, ignore_existing=True)`` drops the outer colocation and device scopes.
    """
    return get_default_graph().colocate_with(op, ignore_existing)


def add_to_collection(name, value):
    """Append ``value`` to the default graph's collection ``name``."""
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value):
    """Append ``value`` to each of the default graph's collections ``names``."""
    for name in names:
        get_default_graph().add_to_collection(name, value)


def get_collection(key, scope=None):
    """A copy of the default graph's collection ``key`` (items whose name matches the regex ``scope``, if given)."""
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key):
    """The default graph's collection ``key`` itself (a list; created empty if missing): changes to it stay."""
    return get_default_graph().get_collection_ref(key)


def set_random_seed(seed):
    """The graph-level seed: with it, random ops are reproducible across sessions and runs."""
    get_default_graph().seed = None if seed is None else int(seed)
