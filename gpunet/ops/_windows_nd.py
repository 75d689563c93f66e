"""Sliding windows over any number of spatial axes (the 3-D convolution and pools): the N-d form of
``_windows.Geometry``, with TF's padding rule from ``_windows``. Arrays are channels-last
(batch, *spatial, channels); kernels are written once against ``xp``."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ._windows import output_size, pad_amounts


@dataclass(frozen=True)
class WindowsNd:
    """A channels-last input of spatial size ``size`` with a ``window`` moved by ``strides`` at ``dilations``."""
    batch: int
    size: tuple
    channels: int
    window: tuple
    strides: tuple
    dilations: tuple
    out: tuple
    pads: tuple  # ((before, after), ...) per spatial axis

    @property
    def padded_shape(self):
        return (self.batch, *(s + sum(p) for s, p in zip(self.size, self.pads)), self.channels)

    @property
    def out_shape(self):
        return (self.batch, *self.out, self.channels)

    @property
    def padded(self):
        return any(any(p) for p in self.pads)

    @property
    def inner(self):
        """Index of the real input inside the padded one."""
        return (slice(None), *(slice(p[0], p[0] + s) for s, p in zip(self.size, self.pads)), slice(None))

    def offsets(self):
        """Every window offset, row-major (TF's scan order for ties)."""
        return list(itertools.product(*(range(k) for k in self.window)))

    def window_slice(self, *offset):
        """Element ``offset`` of every window in the padded input, as a (batch, *out, channels) view."""
        spatial = (slice(o * d, o * d + s * (n - 1) + 1, s)
                   for o, d, s, n in zip(offset, self.dilations, self.strides, self.out))
        return (slice(None), *spatial, slice(None))


def windows_nd(shape, window, strides, dilations, padding):
    """The geometry of ``window`` over a channels-last ``shape`` ('SAME' or 'VALID' padding)."""
    spatial = shape[1:-1]
    out = tuple(output_size(s, k, st, d, padding) for s, k, st, d in zip(spatial, window, strides, dilations))
    pads = tuple(pad_amounts(s, k, st, d, padding) for s, k, st, d in zip(spatial, window, strides, dilations))
    return WindowsNd(shape[0], tuple(spatial), shape[-1], tuple(window), tuple(strides), tuple(dilations), out, pads)


def pad_nd(xp, x, g, value=0):
    """``x`` inside a ``value``-filled array of the padded shape (``x`` itself when nothing is padded)."""
    if not g.padded:
        return x
    padded = xp.full(g.padded_shape, value, dtype=x.dtype)
    padded[g.inner] = x
    return padded


def crop_nd(padded, g):
    """The real input inside a padded array (a view)."""
    return padded[g.inner] if g.padded else padded


def rows_nd(xp, x, g):
    """The windows of ``x`` as rows: (batch * prod(out), prod(window) * channels), one copy per offset."""
    padded = pad_nd(xp, x, g)
    offsets = g.offsets()
    rows = xp.empty((*g.out_shape[:-1], len(offsets), g.channels), dtype=x.dtype)
    for index, offset in enumerate(offsets):
        rows[..., index, :] = padded[g.window_slice(*offset)]
    return rows.reshape(-1, len(offsets) * g.channels)


def real_counts_nd(g):
    """Per output position (1, *out, 1): how many real (non-padding) elements its window covers."""
    counts = np.ones((), np.int64)
    for size, n, k, stride, (before, _) in zip(g.size, g.out, g.window, g.strides, g.pads):
        start = np.arange(n) * stride - before
        counts = np.multiply.outer(counts, np.minimum(start + k, size) - np.maximum(start, 0))
    return counts.reshape(1, *g.out, 1)


def channels_last(fn, channels_first, images, image_out):
    """Run a channels-last body on channels-first arrays: ``images`` marks which arguments are images."""
    if not channels_first:
        return fn

    def to_last(a):
        return a.transpose(0, *range(2, a.ndim), 1)

    def run(*args):
        result = fn(*[to_last(a) if image else a for a, image in zip(args, images)])
        return result.transpose(0, result.ndim - 1, *range(1, result.ndim - 1)) if image_out else result
    return run


# -- TF1's argument checks for the 3-D window ops (its messages) -----------------------------------
FORMATS_3D = ("NDHWC", "NCDHW")
FLOATS = ("float16", "bfloat16", "float32", "float64")


def channels_last_shape(shape, channels_first):
    """A 5-D shape (or None) in channels-last order."""
    if shape is None or not channels_first:
        return shape
    return (shape[0], *shape[2:], shape[1])


def channels_first_shape(shape, channels_first):
    """A channels-last 5-D shape (or None) back in the data format's order."""
    if shape is None or not channels_first:
        return shape
    return (shape[0], shape[-1], *shape[1:-1])


def rank5(shape, op_type):
    """TF1's build-time rank check of a 5-D input."""
    if shape is not None and len(shape) != 5:
        raise ValueError(f"Shape must be rank 5 but is rank {len(shape)} for {op_type}")
    return shape


def axis_out_size(size, k, stride, dilation, padding):
    """Output length of one spatial axis (None when unknown)."""
    if size is None or k is None:
        return None
    return windows_nd((1, size, 1), (k,), (stride,), (dilation,), padding).out[0]


def format_3d(data_format, op_type):
    """Whether ``data_format`` ("NDHWC" or "NCDHW", else TF1's ValueError) is channels-first."""
    if data_format not in FORMATS_3D:
        raise ValueError(f"Attr 'data_format' of '{op_type}' Op passed string {data_format!r} not in: "
                         f"\"NDHWC\", \"NCDHW\".")
    return data_format == "NCDHW"


def padding_3d(padding, op_type):
    """'SAME' or 'VALID' (TF1's ValueError otherwise)."""
    if padding not in ("SAME", "VALID"):
        raise ValueError(f"Attr 'padding' of '{op_type}' Op passed string {padding!r} not in: \"SAME\", \"VALID\".")
    return padding


def split_five(values, channels_first):
    """(batch, channels, spatial triple) of a 5-entry list in the data format's order."""
    values = list(values)
    if channels_first:
        return values[0], values[1], tuple(values[2:])
    return values[0], values[4], tuple(values[1:4])


def negative_size_check(shape, window, dilations, padding):
    """TF's build-time error when a VALID window is larger than its (padded-free) input."""
    if padding != "VALID" or shape is None:
        return
    for size, k, d in zip(shape[1:-1], window, dilations):
        if size is None or k is None:
            continue
        span = (k - 1) * d + 1
        if size < span:
            raise ValueError(f"Negative dimension size caused by subtracting {span} from {size}")


def float_input(x, allowed):
    """TF1's dtype check of the ``input`` argument (``allowed``: names of the floating types it takes)."""
    if x.dtype.name not in allowed:
        raise TypeError(f"Value passed to parameter 'input' has DataType {x.dtype.name} not in list of allowed "
                        f"values: {', '.join(allowed)}")
