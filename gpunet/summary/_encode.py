"""Values -> the pieces of a Summary proto as TF1 computes them: histogram buckets (TF's default
exponential bucket limits), image scaling to uint8, and PNG encoding (zlib only, no imaging
library)."""
from __future__ import annotations

import struct
import sys
import zlib

import numpy as np

_DBL_MAX = sys.float_info.max


def _default_bucket_limits() -> np.ndarray:
    """TF's ``InitDefaultBuckets``: ±1e-12 * 1.1**k up to 1e20, 0, and ±DBL_MAX at the ends."""
    positive = []
    value = 1.0e-12
    while value < 1.0e20:
        positive.append(value)
        value *= 1.1
    return np.array([-_DBL_MAX] + [-v for v in reversed(positive)] + [0.0] + positive + [_DBL_MAX])


_LIMITS = _default_bucket_limits()


def histogram_fields(values: np.ndarray) -> dict:
    """The fields of a HistogramProto for ``values``, bucketed as TF1's HistogramSummary does:
    bucket ``i`` counts ``limit[i-1] <= v < limit[i]``; each run of empty buckets collapses into
    its last one."""
    values = np.asarray(values, dtype=np.float64).ravel()
    counts = np.bincount(np.searchsorted(_LIMITS, values, side="right"), minlength=len(_LIMITS))
    empty = counts == 0
    keep = ~empty | np.append(~empty[1:], True)  # an empty bucket stays only as the end of its run
    limits, counts = _LIMITS[keep], counts[keep]
    low, high = (float(values.min()), float(values.max())) if values.size else (_DBL_MAX, -_DBL_MAX)  # as TF
    return {"min": low, "max": high,
            "num": float(values.size), "sum": float(values.sum()), "sum_squares": float(np.dot(values, values)),
            "bucket_limit": limits.tolist(), "bucket": counts.astype(np.float64).tolist()}


def image_to_uint8(image: np.ndarray) -> np.ndarray:
    """TF1's ImageSummary scaling of one float ``[height, width, channels]`` image (uint8 passes
    as is): with no negative value, ``v * 255 / max``; else ``v * 127 / max|v| + 128``; truncated
    to uint8. Pixels with a non-finite channel are drawn in TF1's bad colour, red."""
    if image.dtype == np.uint8:
        return image
    image = image.astype(np.float32)
    finite = np.isfinite(image).all(axis=-1)
    values = image[finite]
    low, high = (float(values.min()), float(values.max())) if values.size else (np.inf, -np.inf)
    if low < 0:
        largest = max(abs(low), abs(high))
        scale, offset = (0.0 if largest < 1e-6 else 127.0 / largest), 128.0
    else:
        scale, offset = (0.0 if high < 1e-6 else 255.0 / high), 0.0
    out = np.empty(image.shape, np.uint8)
    out[finite] = (values * np.float32(scale) + np.float32(offset)).astype(np.uint8)
    out[~finite] = _BAD_COLOR[:image.shape[-1]]
    return out


_BAD_COLOR = np.array([255, 0, 0, 255], np.uint8)
_PNG_COLOR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> grey, grey+alpha, RGB, RGBA


def png(image: np.ndarray) -> bytes:
    """An 8-bit PNG of a uint8 ``[height, width, channels]`` image (1 to 4 channels)."""
    height, width, channels = image.shape
    rows = np.zeros((height, 1 + width * channels), dtype=np.uint8)  # filter byte 0 per row
    rows[:, 1:] = image.reshape(height, width * channels)
    header = struct.pack(">IIBBBBB", width, height, 8, _PNG_COLOR_TYPE[channels], 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
            + _chunk(b"IEND", b""))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
