"""Objects from tf_keras's ``{'class_name': ..., 'config': {...}}`` dicts (initializers, regularizers)."""
from __future__ import annotations

__all__ = ["from_class_config"]


def from_class_config(identifier, by_class, kind):
    """``by_class[class_name](**config)``; an unknown class or a config it cannot take is a ValueError
    naming the ``kind`` ('initializer', 'regularizer') and the config."""
    name, config = identifier.get("class_name"), identifier.get("config") or {}
    if name not in by_class:
        raise ValueError(f"Unknown {kind}: {name!r} (in {identifier!r}); known: {sorted(by_class)}")
    try:
        return by_class[name](**config)
    except TypeError as e:
        raise ValueError(f"{kind.capitalize()} {name} cannot take the config {config!r}: {e}") from e
