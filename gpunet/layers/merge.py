"""Keras 2 merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot) and their
lowercase functions (``add(inputs)`` is ``Add()(inputs)``)."""
from __future__ import annotations

import functools

import gpunet as gn

from .base import Layer

__all__ = ["Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract", "add", "average",
           "concatenate", "dot", "maximum", "minimum", "multiply", "subtract"]


class _Merge(Layer):
    """A layer joining a list of inputs; the output's mask is true where every input's mask is (tf_keras's rule:
    inputs without a mask count as all true)."""

    supports_masking = True

    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) < 2:
            raise ValueError(f"A merge layer ({self.name}) should be called on a list of at least 2 inputs. "
                             f"Got {len(input_shape) if isinstance(input_shape, list) else 1} input(s).")

    def compute_mask(self, inputs, mask=None):
        """The AND of the inputs' masks (None when no input has one)."""
        if mask is None:
            return None
        _check_mask_list(inputs, mask)
        given = [m for m in mask if m is not None]
        return functools.reduce(gn.logical_and, given) if given else None


def _check_mask_list(inputs, mask):
    if not isinstance(mask, (list, tuple)):
        raise ValueError(f"`mask` should be a list. Received: mask={mask}")
    if not isinstance(inputs, (list, tuple)):
        raise ValueError(f"`inputs` should be a list. Received: inputs={inputs}")
    if len(mask) != len(inputs):
        raise ValueError(f"The lists `inputs` and `mask` should have the same length. Received: inputs={inputs} "
                         f"of length {len(inputs)}, and mask={mask} of length {len(mask)}")


class _Elementwise(_Merge):
    """A merge of inputs whose shapes broadcast (Keras's rules: aligned on the right for the check,
    lower-rank inputs get new axes after the batch axis at call time)."""

    def build(self, input_shape):
        super().build(input_shape)
        batch_sizes = {s[0] for s in input_shape if s is not None and s[0] is not None}
        if len(batch_sizes) > 1:
            raise ValueError(f"Cannot merge tensors with different batch sizes. Got tensors with shapes {input_shape}")
        self._output_shape = _broadcast_all(input_shape)

    def call(self, inputs):
        ranks = [t.shape.ndims for t in inputs]
        if None not in ranks:
            inputs = [_expand_after_batch(t, max(ranks) - rank) for t, rank in zip(inputs, ranks)]
        return self._merge(list(inputs))

    def _merge(self, inputs):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return _broadcast_all(input_shape)


def _expand_after_batch(tensor, count):
    for _ in range(count):
        tensor = gn.expand_dims(tensor, 1)
    return tensor


def _broadcast_all(input_shapes):
    """The output shape of an elementwise merge (batch axis first), or None when a rank is unknown."""
    if any(s is None for s in input_shapes):
        return None
    out = tuple(input_shapes[0][1:])
    for shape in input_shapes[1:]:
        out = _broadcast_pair(out, tuple(shape[1:]))
    batch = {s[0] for s in input_shapes} - {None}
    return (batch.pop() if len(batch) == 1 else None,) + out


def _broadcast_pair(shape1, shape2):
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    if not shape2:
        return shape1
    out = list(shape1[:-len(shape2)])
    for i, j in zip(shape1[-len(shape2):], shape2):
        if i is None or j is None:
            out.append(None)
        elif i == 1 or j == 1:
            out.append(j if i == 1 else i)
        elif i != j:
            raise ValueError(f"Inputs have incompatible shapes. Received shapes {shape1} and {shape2}")
        else:
            out.append(i)
    return tuple(out)


class Subtract(_Elementwise):
    """The difference of exactly two inputs, ``inputs[0] - inputs[1]``."""

    def build(self, input_shape):
        if isinstance(input_shape, list) and len(input_shape) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs. "
                             f"Received: input_shape={input_shape}")
        super().build(input_shape)

    def _merge(self, inputs):
        return gn.subtract(inputs[0], inputs[1])


class Multiply(_Elementwise):
    """The elementwise product of its inputs."""

    def _merge(self, inputs):
        return functools.reduce(gn.multiply, inputs)


class Average(_Elementwise):
    """The elementwise mean of its inputs."""

    def _merge(self, inputs):
        return functools.reduce(gn.add, inputs) / len(inputs)


class Maximum(_Elementwise):
    """The elementwise maximum of its inputs."""

    def _merge(self, inputs):
        return functools.reduce(gn.maximum, inputs)


class Minimum(_Elementwise):
    """The elementwise minimum of its inputs."""

    def _merge(self, inputs):
        return functools.reduce(gn.minimum, inputs)


class Add(_Elementwise):
    """The elementwise sum of its inputs (their shapes broadcast, as Keras's)."""

    def _merge(self, inputs):
        shapes = {tuple(t.shape.as_list()) if t.shape.ndims is not None else None for t in inputs}
        if len(shapes) == 1 and None not in shapes and None not in next(iter(shapes))[1:]:
            return gn.add_n(inputs)  # one op for inputs of one known shape
        return functools.reduce(gn.add, inputs)


class Concatenate(_Merge):
    """Its inputs joined along ``axis``."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def build(self, input_shape):
        super().build(input_shape)
        rank = len(input_shape[0])
        axis = self.axis % rank
        rest = {tuple(d for i, d in enumerate(s) if i not in (0, axis)) for s in input_shape}
        if len(rest) > 1 or any(len(s) != rank for s in input_shape):
            raise ValueError(f"A Concatenate layer requires inputs with matching shapes except for the concat axis. "
                             f"Got inputs shapes: {input_shape}")

    def call(self, inputs):
        return gn.concat(list(inputs), self.axis)

    def compute_mask(self, inputs, mask=None):
        """Joined along the last axis: the AND of the masks; along another axis: the masks joined along it (an
        input without a mask counts as all true)."""
        if mask is None or all(m is None for m in mask):
            return None
        _check_mask_list(inputs, mask)
        rank = inputs[0].shape.ndims
        if self.axis % rank == rank - 1:
            return super().compute_mask(inputs, mask)
        full = [m if m is not None else gn.ones_like(x[..., 0], dtype=gn.bool) for x, m in zip(inputs, mask)]
        return gn.concat(full, self.axis % rank)

    def compute_output_shape(self, input_shape):
        axis = self.axis % len(input_shape[0])
        sizes = [s[axis] for s in input_shape]
        out = list(input_shape[0])
        out[axis] = None if None in sizes else sum(sizes)
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """Batchwise dot product of two inputs over ``axes`` (an int for both, or one per input; negative axes
    count from the end); with ``normalize=True`` both are l2-normalized along those axes first (cosine)."""

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(f"Invalid type for argument `axes`: it should be a list or an int. Received: "
                                f"axes={axes}")
            if len(axes) != 2:
                raise ValueError(f"Invalid format for argument `axes`: it should contain two elements. Received: "
                                 f"axes={axes}")
            if not isinstance(axes[0], int) or not isinstance(axes[1], int):
                raise ValueError(f"Invalid format for argument `axes`: list elements should be integers. "
                                 f"Received: axes={axes}")
            axes = list(axes)
        self.axes = axes
        self.normalize = normalize

    def _resolved_axes(self, rank1, rank2):
        axes = [self.axes] * 2 if isinstance(self.axes, int) else self.axes
        return [axes[0] % rank1 if axes[0] < 0 else axes[0], axes[1] % rank2 if axes[1] < 0 else axes[1]]

    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) != 2:
            raise ValueError(f"A `Dot` layer should be called on a list of 2 inputs. Received: "
                             f"input_shape={input_shape}")
        shape1, shape2 = input_shape
        if shape1 is None or shape2 is None:
            return
        axes = self._resolved_axes(len(shape1), len(shape2))
        if 0 in axes or axes[0] >= len(shape1) or axes[1] >= len(shape2):
            raise ValueError(f"Dot layer {self.name}: cannot take the dot product over axes {axes} of inputs of "
                             f"shapes {shape1}, {shape2} (axis 0 is the batch axis)")
        if shape1[axes[0]] != shape2[axes[1]]:
            raise ValueError(f"Incompatible input shapes: axis values {shape1[axes[0]]} (at axis {axes[0]}) != "
                             f"{shape2[axes[1]]} (at axis {axes[1]}). Full input shapes: {shape1}, {shape2}")

    def call(self, inputs):
        x1, x2 = inputs
        axes = self._resolved_axes(x1.shape.ndims, x2.shape.ndims)
        if self.normalize:
            x1 = gn.nn.l2_normalize(x1, axis=axes[0])
            x2 = gn.nn.l2_normalize(x2, axis=axes[1])
        return _batch_dot(x1, x2, axes)

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 2:
            raise ValueError(f"A `Dot` layer should be called on a list of 2 inputs. Received: "
                             f"input_shape={input_shape}")
        shape1, shape2 = list(input_shape[0]), list(input_shape[1])
        axes = self._resolved_axes(len(shape1), len(shape2))
        shape1.pop(axes[0])
        shape2.pop(axes[1])
        shape2.pop(0)
        out = shape1 + shape2
        return tuple(out + [1] if len(out) == 1 else out)

    def compute_mask(self, inputs, mask=None):
        """None: a dot product's output carries no mask (tf_keras)."""
        return None

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _batch_dot(x1, x2, axes):
    """Keras's ``batch_dot`` as an einsum: batch axis shared, ``axes`` contracted, the rest kept in order."""
    letters = iter("abcdefghijklmnopqrstuvwxyz")
    batch, summed = next(letters), next(letters)
    sub1 = [batch] + [summed if i == axes[0] else next(letters) for i in range(1, x1.shape.ndims)]
    sub2 = [batch] + [summed if i == axes[1] else next(letters) for i in range(1, x2.shape.ndims)]
    kept = [c for c in sub1 if c != summed] + [c for c in sub2[1:] if c != summed]
    out = gn.einsum(f"{''.join(sub1)},{''.join(sub2)}->{''.join(kept)}", x1, x2)
    return gn.expand_dims(out, 1) if len(kept) == 1 else out


def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``."""
    return Add(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """``Concatenate(axis, **kwargs)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``."""
    return Minimum(**kwargs)(inputs)


def dot(inputs, axes, normalize=False, **kwargs):
    """``Dot(axes, normalize, **kwargs)(inputs)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
