"""Reshaping layers (Keras 2): ZeroPadding1D/2D, Cropping1D/2D, UpSampling1D/2D, RepeatVector, Permute."""
from __future__ import annotations

import numpy as np

import gpunet as gn

from .base import Layer
from .pooling import normalize_data_format, require_ndim

__all__ = ["Cropping1D", "Cropping2D", "Permute", "RepeatVector", "UpSampling1D", "UpSampling2D", "ZeroPadding1D",
           "ZeroPadding2D"]

_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")


def _int_tuple(value, n, what, minimum=0):
    """``value`` (an int, or a sequence of ``n`` ints) as an ``n``-tuple of ints ``>= minimum``."""
    items = (value,) * n if isinstance(value, int) else tuple(value) if isinstance(value, (tuple, list)) else None
    if items is None or len(items) != n or not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        raise ValueError(f"The `{what}` argument must be a tuple of {n} integers. Received: {value!r}")
    if any(v < minimum for v in items):
        bad = {v for v in items if v < minimum}
        raise ValueError(f"The `{what}` argument must be a tuple of {n} integers. Received: {value!r} including "
                         f"{bad} that does not satisfy the requirement `>= {minimum}`.")
    return items


def _pairs_2d(value, what):
    """``((top, bottom), (left, right))`` from an int, 2 ints (symmetric) or 2 pairs, as Keras 2 reads them."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (_int_tuple(value, 2, what),) * 2
    if not isinstance(value, (tuple, list)):
        raise ValueError(f"`{what}` should be either an int, a tuple of 2 ints, or a tuple of 2 tuples of 2 ints "
                         f"((top, bottom), (left, right)). Received: {value!r}.")
    if len(value) != 2:
        raise ValueError(f"`{what}` should have two elements. Received: {value!r}.")
    return (_int_tuple(value[0], 2, f"1st entry of {what}"), _int_tuple(value[1], 2, f"2nd entry of {what}"))


def _spatial_axes(data_format):
    """The rows and cols axes of a 4-D tensor in ``data_format``."""
    return (2, 3) if data_format == "channels_first" else (1, 2)


def _nested(pairs):
    """Pairs as the nested tuples Keras's configs hold (lists after a JSON round trip)."""
    return tuple(tuple(p) for p in pairs)


class ZeroPadding1D(Layer):
    """Zeros added before and after the steps of ``(batch, steps, features)``."""

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = _int_tuple(padding, 2, "padding")

    def build(self, input_shape):
        require_ndim(self, input_shape, 3)

    def call(self, inputs):
        return gn.pad(inputs, [[0, 0], list(self.padding), [0, 0]])

    def compute_output_shape(self, input_shape):
        steps = input_shape[1]
        return (input_shape[0], None if steps is None else steps + sum(self.padding), input_shape[2])

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


class ZeroPadding2D(Layer):
    """Zero rows and cols added around an image: ``padding`` is an int, ``(rows, cols)`` (symmetric) or
    ``((top, bottom), (left, right))``."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs_2d(padding, "padding")
        self.data_format = normalize_data_format(data_format, type(self).__name__)

    def build(self, input_shape):
        require_ndim(self, input_shape, 4)

    def call(self, inputs):
        paddings = [[0, 0]] * 4
        for axis, pair in zip(_spatial_axes(self.data_format), self.padding):
            paddings[axis] = list(pair)
        return gn.pad(inputs, paddings)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, pair in zip(_spatial_axes(self.data_format), self.padding):
            shape[axis] = None if shape[axis] is None else shape[axis] + sum(pair)
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "padding": _nested(self.padding), "data_format": self.data_format}


def _crop(inputs, axes, pairs):
    """``inputs`` without ``pairs[i]`` entries at the start and end of axis ``axes[i]``."""
    index = [slice(None)] * inputs.shape.ndims
    for axis, (start, end) in zip(axes, pairs):
        index[axis] = slice(start, -end if end else None)
    return inputs[tuple(index)]


def _check_crop(layer, shape, axes, pairs):
    """Keras's error when a cropping removes every entry of a known axis."""
    if any(shape[axis] is not None and sum(pair) >= shape[axis] for axis, pair in zip(axes, pairs)):
        cropping = pairs[0] if len(pairs) == 1 else _nested(pairs)
        raise ValueError(f"Argument `cropping` must be smaller than the input shape. Received: "
                         f"inputs.shape={tuple(shape)}, and cropping={cropping} (layer {layer.name})")


class Cropping1D(Layer):
    """Removes ``cropping = (start, end)`` steps of ``(batch, steps, features)``."""

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _int_tuple(cropping, 2, "cropping")

    def build(self, input_shape):
        require_ndim(self, input_shape, 3)
        _check_crop(self, input_shape, [1], [self.cropping])

    def call(self, inputs):
        return _crop(inputs, [1], [self.cropping])

    def compute_output_shape(self, input_shape):
        steps = input_shape[1]
        return (input_shape[0], None if steps is None else steps - sum(self.cropping), input_shape[2])

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class Cropping2D(Layer):
    """Removes rows and cols at the borders: ``cropping`` is an int, ``(rows, cols)`` (symmetric) or
    ``((top, bottom), (left, right))``."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs_2d(cropping, "cropping")
        self.data_format = normalize_data_format(data_format, type(self).__name__)

    def build(self, input_shape):
        require_ndim(self, input_shape, 4)
        _check_crop(self, input_shape, _spatial_axes(self.data_format), self.cropping)

    def call(self, inputs):
        return _crop(inputs, _spatial_axes(self.data_format), self.cropping)

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, pair in zip(_spatial_axes(self.data_format), self.cropping):
            shape[axis] = None if shape[axis] is None else shape[axis] - sum(pair)
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "cropping": _nested(self.cropping), "data_format": self.data_format}


def _repeat(x, axis, times):
    """Every entry of ``x`` along ``axis`` repeated ``times`` times (``np.repeat``), via expand + tile + reshape."""
    if times == 1:
        return x
    multiples = [1] * (x.shape.ndims + 1)
    multiples[axis + 1] = times
    tiled = gn.tile(gn.expand_dims(x, axis + 1), multiples)
    static = x.shape.as_list()
    static[axis] = None if static[axis] is None else static[axis] * times
    if None not in static[1:]:
        return gn.reshape(tiled, [-1] + static[1:])
    scale = np.ones(x.shape.ndims, np.int32)
    scale[axis] = times
    out = gn.reshape(tiled, gn.shape(x) * gn.constant(scale))
    out.set_shape(static)
    return out


def _bilinear_weights(size, times):
    """Source rows and weights of TF2's ``resize_bilinear(half_pixel_centers=True)`` scaling ``size`` by ``times``:
    output ``i`` reads ``(i + 0.5) / times - 0.5``, between ``lower`` and ``upper`` (clamped) with weight ``lerp``."""
    source = (np.arange(size * times) + 0.5) / times - 0.5
    floor = np.floor(source)
    lower = np.maximum(floor, 0).astype(np.int32)
    upper = np.minimum(np.ceil(source), size - 1).astype(np.int32)
    return lower, upper, (source - floor).astype(np.float32)


def _lerp_axis(x, axis, times):
    """``x`` resized ``times`` times along ``axis`` (known size) by linear interpolation."""
    size = x.shape.as_list()[axis]
    if size is None:
        raise ValueError(f"UpSampling2D(interpolation='bilinear') needs known rows and cols, got shape "
                         f"{tuple(x.shape.as_list())}")
    lower, upper, lerp = _bilinear_weights(size, times)
    shape = [1] * x.shape.ndims
    shape[axis] = -1
    weight = gn.constant(lerp.reshape(shape), dtype=x.dtype)
    low, high = gn.gather(x, lower, axis=axis), gn.gather(x, upper, axis=axis)
    return low + (high - low) * weight


class UpSampling1D(Layer):
    """Every step of ``(batch, steps, features)`` repeated ``size`` times."""

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = _int_tuple(size, 1, "size", minimum=1)[0]

    def build(self, input_shape):
        require_ndim(self, input_shape, 3)

    def call(self, inputs):
        return _repeat(inputs, 1, self.size)

    def compute_output_shape(self, input_shape):
        steps = input_shape[1]
        return (input_shape[0], None if steps is None else steps * self.size, input_shape[2])

    def get_config(self):
        return {**super().get_config(), "size": self.size}


class UpSampling2D(Layer):
    """Rows and cols scaled by ``size``: ``interpolation='nearest'`` repeats them, ``'bilinear'`` interpolates as
    TF2's ``tf.image.resize`` (half-pixel centers; needs known rows and cols)."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = _int_tuple(size, 2, "size", minimum=1)
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        if interpolation not in _INTERPOLATIONS:
            raise NotImplementedError(f"Value not recognized for `interpolation`: {interpolation}. Supported values "
                                      f"are: {list(_INTERPOLATIONS)}")
        if interpolation not in ("nearest", "bilinear"):
            raise NotImplementedError(f"UpSampling2D: interpolation={interpolation!r} is not implemented in gpunet "
                                      f"(only 'nearest' and 'bilinear')")
        self.interpolation = interpolation

    def build(self, input_shape):
        require_ndim(self, input_shape, 4)

    def call(self, inputs):
        scale = _repeat if self.interpolation == "nearest" else _lerp_axis
        out = inputs
        for axis, times in zip(_spatial_axes(self.data_format), self.size):
            out = scale(out, axis, times)
        return out

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, times in zip(_spatial_axes(self.data_format), self.size):
            shape[axis] = None if shape[axis] is None else shape[axis] * times
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}


class RepeatVector(Layer):
    """``(batch, features)`` repeated ``n`` times: ``(batch, n, features)``."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        self.n = n

    def build(self, input_shape):
        require_ndim(self, input_shape, 2)

    def call(self, inputs):
        return gn.tile(gn.expand_dims(inputs, 1), [1, self.n, 1])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class Permute(Layer):
    """The non-batch axes reordered: ``dims`` is a permutation of ``1..rank-1`` (``(2, 1)`` swaps two axes)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` "
                             f"must be consecutive and start from 1. Received dims={self.dims}")

    def build(self, input_shape):
        require_ndim(self, input_shape, len(self.dims) + 1)

    def call(self, inputs):
        return gn.transpose(inputs, [0] + list(self.dims))

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}
