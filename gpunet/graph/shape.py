"""Static shapes: a tuple of dims where a dim may be None (unknown); None for unknown rank."""
from __future__ import annotations

from .validation import static_dim


class TensorShape:
    """What ``Tensor.shape`` returns: compares equal to tuples and lists, ``None`` dims unknown."""

    __slots__ = ("dims",)

    def __init__(self, dims):
        if isinstance(dims, TensorShape):
            dims = dims.dims
        self.dims = None if dims is None else tuple(None if d is None else int(d) for d in dims)

    @property
    def ndims(self):
        return None if self.dims is None else len(self.dims)

    rank = ndims

    def as_list(self):
        if self.dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self.dims)

    def is_fully_defined(self) -> bool:
        return self.dims is not None and None not in self.dims

    def is_compatible_with(self, other) -> bool:
        return compatible(self.dims, TensorShape(other).dims)

    def num_elements(self):
        if not self.is_fully_defined():
            return None
        n = 1
        for d in self.dims:
            n *= d
        return n

    def __len__(self):
        if self.dims is None:
            raise ValueError("Cannot take the length of a shape with unknown rank.")
        return len(self.dims)

    def __iter__(self):
        if self.dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return iter(self.dims)

    def __getitem__(self, key):
        if self.dims is None:
            return None if isinstance(key, int) else TensorShape(None)
        return TensorShape(self.dims[key]) if isinstance(key, slice) else self.dims[key]

    def __eq__(self, other):
        if isinstance(other, TensorShape):
            return self.dims == other.dims
        if isinstance(other, (tuple, list)):
            return self.dims == tuple(other)
        return NotImplemented

    def __hash__(self):
        return hash(self.dims)

    def __repr__(self):
        if self.dims is None:
            return "<unknown>"
        return "(" + ", ".join(str(d) for d in self.dims) + ("," if len(self.dims) == 1 else "") + ")"


def compatible(a, b) -> bool:
    """Whether two static shapes (tuples with None dims, or None) could describe the same value."""
    if a is None or b is None:
        return True
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def as_shape(value):
    """Normalise user input (list, tuple, TensorShape, None, int) to a tuple or None."""
    if value is None:
        return None
    if isinstance(value, TensorShape):
        return value.dims
    if isinstance(value, int):
        return (static_dim(value),)
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"A shape must be a list or tuple of dimensions (ints or None), got "
                        f"{type(value).__name__}: {value!r:.100}")
    return tuple(static_dim(d) for d in value)


def broadcast(a, b):
    """Static NumPy broadcasting of two shapes (None where unknown)."""
    if a is None or b is None:
        return None
    out = []
    for x, y in zip((1,) * (len(b) - len(a)) + a, (1,) * (len(a) - len(b)) + b):
        if x == 1:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif x is None or y is None:
            out.append(x if y is None else y)
        elif x != y:
            raise ValueError(f"Dimensions must be equal, but are {x} and {y} for shapes {a} and {b}")
        else:
            out.append(x)
    return tuple(out)
