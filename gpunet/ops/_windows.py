"""Sliding-window arithmetic shared by conv2d and the pools: TF's padding rules, window views.

Kernels work in NHWC; NCHW ops transpose at the edges (``in_layout``). Everything here is written
against the array module ``xp`` so one body serves NumPy and CuPy.
"""
from __future__ import annotations

import operator
import threading
from dataclasses import dataclass

import numpy as np

from ..graph.validation import bounded_repr


def output_size(size, k, stride, dilation, padding):
    """Output length of one spatial axis as TF computes it (None when unknown)."""
    if size is None or k is None:
        return None
    if padding == "SAME":
        return -(-size // stride)
    span = (k - 1) * dilation + 1
    before, after = (0, 0) if padding == "VALID" else padding
    room = size + before + after - span
    if room < 0:
        raise ValueError(f"Computed output size would be negative: {room // stride + 1} [input size {size}, "
                         f"window {span}, stride {stride}, padding ({before}, {after})]")
    return room // stride + 1


def pad_amounts(size, k, stride, dilation, padding):
    """(before, after) padding of one axis; SAME puts the odd extra at the end, as TF does."""
    if padding == "VALID":
        return 0, 0
    if padding != "SAME":
        return padding
    span = (k - 1) * dilation + 1
    total = max((output_size(size, k, stride, dilation, padding) - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


@dataclass(frozen=True)
class Geometry:
    """One NHWC input with a kh x kw window: sizes, strides, dilations and padding."""
    batch: int
    height: int
    width: int
    channels: int
    kh: int
    kw: int
    sh: int
    sw: int
    dh: int
    dw: int
    out_h: int
    out_w: int
    pad_h: tuple
    pad_w: tuple

    @property
    def padded_shape(self):
        return (self.batch, self.height + sum(self.pad_h), self.width + sum(self.pad_w), self.channels)

    @property
    def padded(self):
        return any(self.pad_h) or any(self.pad_w)

    def offsets(self):
        """The kh * kw window offsets (i, j) in row-major order (TF's scan order for ties)."""
        return [(i, j) for i in range(self.kh) for j in range(self.kw)]

    def window_slice(self, i, j):
        """Index into the padded input: element (i, j) of every window, as an (n, out_h, out_w, c) view."""
        top, left = i * self.dh, j * self.dw
        return (slice(None), slice(top, top + self.sh * (self.out_h - 1) + 1, self.sh),
                slice(left, left + self.sw * (self.out_w - 1) + 1, self.sw), slice(None))


def geometry(shape, window, strides, dilations, padding):
    n, h, w, c = shape
    (kh, kw), (sh, sw), (dh, dw) = window, strides, dilations
    pad_h, pad_w = padding if isinstance(padding, tuple) else (padding, padding)
    return Geometry(n, h, w, c, kh, kw, sh, sw, dh, dw,
                    output_size(h, kh, sh, dh, pad_h), output_size(w, kw, sw, dw, pad_w),
                    pad_amounts(h, kh, sh, dh, pad_h), pad_amounts(w, kw, sw, dw, pad_w))


class Scratch:
    """A reusable buffer for one kernel's private intermediate (it never leaves the kernel call).

    On the CPU a fresh multi-megabyte array page-faults on every step; reusing one does not. One
    buffer per thread, since a plan may run in several threads at once. With CuPy every call gets
    a fresh array: its memory pool already reuses device blocks.
    """

    def __init__(self, xp):
        self._xp = xp
        self._local = threading.local() if xp is np else None

    def get(self, shape, dtype):
        if self._local is None:
            return self._xp.empty(shape, dtype)
        size = int(np.prod(shape))
        flat = getattr(self._local, "flat", None)
        if flat is None or flat.dtype != dtype or flat.size < size:
            flat = self._local.flat = np.empty(size, dtype)
        return flat[:size].reshape(shape)


def pad(xp, x, g, value=0, scratch=None):
    if not g.padded:
        return x
    padded = xp.empty(g.padded_shape, x.dtype) if scratch is None else scratch.get(g.padded_shape, x.dtype)
    padded.fill(value)
    padded[:, g.pad_h[0]:g.pad_h[0] + g.height, g.pad_w[0]:g.pad_w[0] + g.width, :] = x
    return padded


def crop(padded, g):
    if not g.padded:
        return padded
    return padded[:, g.pad_h[0]:g.pad_h[0] + g.height, g.pad_w[0]:g.pad_w[0] + g.width, :]


def im2col(xp, x, g, pad_scratch, rows_scratch):
    """The windows of ``x`` as rows: (n * out_h * out_w, kh * kw * c), copied from a strided view."""
    padded = pad(xp, x, g, scratch=pad_scratch)
    shape = (g.batch, g.out_h, g.out_w, g.kh, g.kw, g.channels)
    rows = rows_scratch.get(shape, x.dtype)
    if g.channels == 1:  # one copy per window offset: faster than one 6-D copy when the innermost run is 1
        for i, j in g.offsets():
            rows[:, :, :, i, j, :] = padded[g.window_slice(i, j)]
    else:
        s0, s1, s2, s3 = padded.strides
        rows[...] = xp.lib.stride_tricks.as_strided(padded, shape, (s0, s1 * g.sh, s2 * g.sw, s1 * g.dh, s2 * g.dw, s3))
    return rows.reshape(g.batch * g.out_h * g.out_w, g.kh * g.kw * g.channels)


def lowest(dtype):
    dtype = np.dtype(dtype)
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


# -- arguments ------------------------------------------------------------------------------------
def spatial_pair(value, name, data_format):
    """(h, w) from an int, a 1-, 2- or 4-element list in ``data_format`` order; batch/channel entries must be 1."""
    if isinstance(value, (int, np.integer)):
        values = [operator.index(value)] * 2
    else:
        values = [operator.index(v) for v in value]
    if len(values) == 1:
        values = values * 2
    elif len(values) == 4:
        batch_channel = (values[0], values[1] if data_format == "NCHW" else values[3])
        if batch_channel != (1, 1):
            raise ValueError(f"{name} in the batch and depth dimensions must be 1, got {list(value)}")
        values = values[2:] if data_format == "NCHW" else values[1:3]
    if len(values) != 2 or min(values) < 1:
        raise ValueError(f"{name} must be a positive int or a list of 1, 2 or 4 positive ints, "
                         f"got {bounded_repr(value)}")
    return tuple(values)


def padding_arg(padding, data_format, explicit_ok):
    """'SAME' / 'VALID', or (with ``explicit_ok``) a 4 x 2 list -> ((top, bottom), (left, right))."""
    if isinstance(padding, str) and padding.upper() in ("SAME", "VALID"):
        return padding.upper()
    if explicit_ok and isinstance(padding, (list, tuple)) and len(padding) == 4:
        pairs = [tuple(operator.index(v) for v in p) for p in padding]
        outer = (pairs[0], pairs[1]) if data_format == "NCHW" else (pairs[0], pairs[3])
        if any(len(p) != 2 or min(p) < 0 for p in pairs) or outer != ((0, 0), (0, 0)):
            raise ValueError(f"explicit padding must be 4 non-negative [before, after] pairs with zeros for the "
                             f"batch and depth dimensions, got {padding!r}")
        return (pairs[2], pairs[3]) if data_format == "NCHW" else (pairs[1], pairs[2])
    allowed = "'SAME', 'VALID' or explicit [[0, 0], [t, b], [l, r], [0, 0]]" if explicit_ok else "'SAME' or 'VALID'"
    raise ValueError(f"padding must be {allowed}, got {padding!r}")


def data_format_arg(data_format):
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"data_format must be 'NHWC' or 'NCHW', got {data_format!r}")
    return data_format


def nhwc_shape(shape, data_format):
    if shape is None or data_format == "NHWC":
        return shape
    n, c, h, w = shape
    return (n, h, w, c)


def layout_shape(nhwc, data_format):
    if nhwc is None or data_format == "NHWC":
        return nhwc
    n, h, w, c = nhwc
    return (n, c, h, w)


def in_layout(fn, data_format, images, image_out):
    """Run an NHWC kernel body on NCHW arrays: ``images`` marks which arguments are images."""
    if data_format == "NHWC":
        return fn

    def run(*args):
        args = [a.transpose(0, 2, 3, 1) if image else a for a, image in zip(args, images)]
        result = fn(*args)
        return result.transpose(0, 3, 1, 2) if image_out else result
    return run
