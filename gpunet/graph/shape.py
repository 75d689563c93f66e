"""Static shapes: TF1's ``Dimension`` and ``TensorShape``; internally a tuple of ints where a dim
may be None (unknown), and None for an unknown rank."""
from __future__ import annotations

import operator

from .validation import static_dim

__all__ = ["Dimension", "TensorShape", "as_dimension", "as_shape", "as_tensor_shape", "broadcast", "compatible",
           "dimension_value"]


class Dimension:
    """One dimension of a static shape: ``.value`` is an int, or None when unknown. As in TF1,
    arithmetic with an unknown dimension is unknown and comparisons with one answer None."""

    __slots__ = ("_value",)

    def __init__(self, value):
        if isinstance(value, Dimension):
            value = value.value
        if value is not None:
            if isinstance(value, bool) or not hasattr(value, "__index__"):
                raise TypeError(f"Dimension value must be integer or None or have an __index__ method, "
                                f"got value {value!r} with type {type(value)}")
            value = operator.index(value)
            if value < 0:
                raise ValueError(f"Dimension {value} must be >= 0")
        self._value = value

    @property
    def value(self):
        """The size as an int, or None when unknown."""
        return self._value

    def __repr__(self):
        return f"Dimension({self._value})"

    def __str__(self):
        return "?" if self._value is None else str(self._value)

    def __int__(self):
        if self._value is None:
            raise TypeError("int() of an unknown Dimension (None) is not defined")
        return self._value

    __index__ = __int__

    def __float__(self):
        return float(int(self))

    def __hash__(self):
        return hash(self._value)

    def is_compatible_with(self, other) -> bool:
        """Whether both could be the same size (equal, or either unknown)."""
        other = as_dimension(other)
        return self._value is None or other.value is None or self._value == other.value

    def merge_with(self, other) -> Dimension:
        """The known one of two compatible dimensions; ValueError if they differ."""
        other = as_dimension(other)
        if not self.is_compatible_with(other):
            raise ValueError(f"Dimensions {self} and {other} are not compatible")
        return self if self._value is not None else other

    def _compare(self, other, test):
        try:
            other = as_dimension(other)
        except (TypeError, ValueError):
            return NotImplemented
        if self._value is None or other.value is None:
            return None
        return test(self._value, other.value)

    def __eq__(self, other):
        return self._compare(other, operator.eq)

    def __ne__(self, other):
        return self._compare(other, operator.ne)

    def __lt__(self, other):
        return self._compare(other, operator.lt)

    def __le__(self, other):
        return self._compare(other, operator.le)

    def __gt__(self, other):
        return self._compare(other, operator.gt)

    def __ge__(self, other):
        return self._compare(other, operator.ge)


def _arithmetic(fn, reflected=False):
    """A Dimension operator: with ints or Dimensions it gives a Dimension (unknown if either is);
    with floats (``d / 2``, ``d * 0.5``) it works on the known value, as plain numbers do."""
    def method(self, other):
        if isinstance(other, float):
            return fn(other, float(self)) if reflected else fn(float(self), other)
        try:
            other = as_dimension(other)
        except (TypeError, ValueError):
            return NotImplemented
        a, b = (other, self) if reflected else (self, other)
        if a.value is None or b.value is None:
            return Dimension(None)
        return Dimension(fn(a.value, b.value))
    return method


for _name, _fn in (("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
                   ("floordiv", operator.floordiv), ("mod", operator.mod)):
    setattr(Dimension, f"__{_name}__", _arithmetic(_fn))
    setattr(Dimension, f"__r{_name}__", _arithmetic(_fn, reflected=True))


def _true_divide(a, b):
    return float(a) / float(b)


Dimension.__truediv__ = lambda self, other: _true_divide(self, other)
Dimension.__rtruediv__ = lambda self, other: _true_divide(other, self)


def as_dimension(value) -> Dimension:
    """``value`` (int, None or Dimension) as a Dimension."""
    return value if isinstance(value, Dimension) else Dimension(value)


def dimension_value(dimension):
    """The int (or None) of a Dimension, an int or None — TF1's ``tf.dimension_value``."""
    return dimension.value if isinstance(dimension, Dimension) else dimension


class TensorShape:
    """What ``Tensor.shape`` returns: indexing gives a ``Dimension`` (``.value``, ``int()``),
    ``as_list()`` ints and None; compares equal to tuples and lists of the same dims."""

    __slots__ = ("_dims",)

    def __init__(self, dims):
        if isinstance(dims, TensorShape):
            dims = dims._dims
        elif dims is not None and not isinstance(dims, (list, tuple)) and hasattr(dims, "__index__"):
            dims = (dims,)
        self._dims = None if dims is None else tuple(as_dimension(d).value for d in dims)

    @property
    def dims(self):
        """The dimensions as a list of ``Dimension`` (None for an unknown rank)."""
        return None if self._dims is None else [Dimension(d) for d in self._dims]

    @property
    def ndims(self):
        """The rank, or None when unknown."""
        return None if self._dims is None else len(self._dims)

    rank = ndims

    def as_list(self):
        """The dims as Python ints and None; ValueError for an unknown rank."""
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def is_fully_defined(self) -> bool:
        """Whether the rank and every dim are known."""
        return self._dims is not None and None not in self._dims

    def is_compatible_with(self, other) -> bool:
        """Whether both could describe the same value's shape."""
        return compatible(self._dims, as_tensor_shape(other)._dims)

    def merge_with(self, other) -> TensorShape:
        """The shape with every dim known in either; ValueError if they are incompatible."""
        other = as_tensor_shape(other)
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {other} are not compatible")
        if self._dims is None or other._dims is None:
            return self if other._dims is None else other
        return TensorShape([a if a is not None else b for a, b in zip(self._dims, other._dims, strict=True)])

    def concatenate(self, other) -> TensorShape:
        """This shape's dims followed by ``other``'s."""
        other = as_tensor_shape(other)
        if self._dims is None or other._dims is None:
            return TensorShape(None)
        return TensorShape(self._dims + other._dims)

    def with_rank(self, rank) -> TensorShape:
        """This shape if it has rank ``rank`` (unknown dims if its rank is unknown); else ValueError."""
        if self._dims is not None and len(self._dims) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")
        return self if self._dims is not None else TensorShape([None] * rank)

    def assert_is_compatible_with(self, other):
        """ValueError unless compatible with ``other``."""
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {as_tensor_shape(other)} are incompatible")

    def num_elements(self):
        """The product of the dims, or None unless fully defined."""
        if not self.is_fully_defined():
            return None
        n = 1
        for d in self._dims:
            n *= d
        return n

    def __len__(self):
        if self._dims is None:
            raise ValueError("Cannot take the length of a shape with unknown rank.")
        return len(self._dims)

    def __bool__(self):
        return self._dims is not None

    def __iter__(self):
        if self._dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return iter(self.dims)

    def __getitem__(self, key):
        if self._dims is None:
            return TensorShape(None) if isinstance(key, slice) else Dimension(None)
        return TensorShape(self._dims[key]) if isinstance(key, slice) else Dimension(self._dims[key])

    def __eq__(self, other):
        if isinstance(other, (tuple, list)):
            other = tuple(dimension_value(d) for d in other)
            return self._dims == other
        if isinstance(other, TensorShape):
            return self._dims == other._dims
        return NotImplemented

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self):
        return hash(self._dims)

    def __repr__(self):
        if self._dims is None:
            return "TensorShape(None)"
        return f"TensorShape({list(self._dims)})"

    def __str__(self):
        """``(None, 3)``: TF1 prints ``(?, 3)``; gpunet's messages keep Python's None."""
        if self._dims is None:
            return "<unknown>"
        text = ", ".join(str(d) for d in self._dims)
        return f"({text},)" if len(self._dims) == 1 else f"({text})"


def as_tensor_shape(value) -> TensorShape:
    """``value`` (list, tuple, int, None or TensorShape) as a TensorShape."""
    return value if isinstance(value, TensorShape) else TensorShape(value)


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
        return value._dims
    if isinstance(value, (int, Dimension)):
        value = (value,)
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"A shape must be a list or tuple of dimensions (ints or None), got "
                        f"{type(value).__name__}: {value!r:.100}")
    return tuple(static_dim(dimension_value(d)) for d in value)


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
