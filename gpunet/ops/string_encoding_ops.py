"""TF1's encode_base64 / decode_base64, string_to_hash_bucket_fast and strings.format. Host ops on bytes;
no gradients.

The bucket of a string is TF's ``Fingerprint64(s) % num_buckets``, where Fingerprint64 is FarmHash's
``farmhashna::Hash64`` (farmhash.cc), written out here on Python ints modulo 2**64.
"""
from __future__ import annotations

import base64
import re

import numpy as np

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import int64, string
from ..graph.registry import apply_op, define_op
from ._summarize import summarize_v2
from .string_ops import _define_map, _map_kernel, _strings

__all__ = ["decode_base64", "encode_base64", "string_format", "string_to_hash_bucket_fast"]

_MASK = (1 << 64) - 1
_K0, _K1, _K2 = 0xC3A5C85C97CB3127, 0xB492B66FBE98F273, 0x9AE16A3B2F90404F


def _fetch64(s, i):
    return int.from_bytes(s[i:i + 8], "little")


def _fetch32(s, i):
    return int.from_bytes(s[i:i + 4], "little")


def _rotate(value, shift):
    return ((value >> shift) | (value << (64 - shift))) & _MASK


def _shift_mix(value):
    return value ^ (value >> 47)


def _hash_len16(u, v, mul):
    a = ((u ^ v) * mul) & _MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & _MASK
    b ^= b >> 47
    return (b * mul) & _MASK


def _hash_len0to16(s):
    size = len(s)
    mul = _K2 + size * 2
    if size >= 8:
        a, b = (_fetch64(s, 0) + _K2) & _MASK, _fetch64(s, size - 8)
        c = (_rotate(b, 37) * mul + a) & _MASK
        d = ((_rotate(a, 25) + b) * mul) & _MASK
        return _hash_len16(c, d, mul)
    if size >= 4:
        return _hash_len16(size + (_fetch32(s, 0) << 3), _fetch32(s, size - 4), mul)
    if size:
        y, z = s[0] + (s[size >> 1] << 8), size + (s[size - 1] << 2)
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _MASK) * _K2) & _MASK
    return _K2


def _hash_len17to32(s):
    size = len(s)
    mul = _K2 + size * 2
    a, b = (_fetch64(s, 0) * _K1) & _MASK, _fetch64(s, 8)
    c, d = (_fetch64(s, size - 8) * mul) & _MASK, (_fetch64(s, size - 16) * _K2) & _MASK
    return _hash_len16((_rotate((a + b) & _MASK, 43) + _rotate(c, 30) + d) & _MASK,
                       (a + _rotate((b + _K2) & _MASK, 18) + c) & _MASK, mul)


def _hash_len33to64(s):
    size = len(s)
    mul = _K2 + size * 2
    a, b = (_fetch64(s, 0) * _K2) & _MASK, _fetch64(s, 8)
    c, d = (_fetch64(s, size - 8) * mul) & _MASK, (_fetch64(s, size - 16) * _K2) & _MASK
    y = (_rotate((a + b) & _MASK, 43) + _rotate(c, 30) + d) & _MASK
    z = _hash_len16(y, (a + _rotate((b + _K2) & _MASK, 18) + c) & _MASK, mul)
    e, f = (_fetch64(s, 16) * mul) & _MASK, _fetch64(s, 24)
    g = ((y + _fetch64(s, size - 32)) * mul) & _MASK
    h = ((z + _fetch64(s, size - 24)) * mul) & _MASK
    return _hash_len16((_rotate((e + f) & _MASK, 43) + _rotate(g, 30) + h) & _MASK,
                       (e + _rotate((f + a) & _MASK, 18) + g) & _MASK, mul)


def _weak_hash32(s, i, a, b):
    """WeakHashLen32WithSeeds over the 32 bytes of ``s`` at ``i``."""
    w, x, y, z = (_fetch64(s, i + k) for k in (0, 8, 16, 24))
    a = (a + w) & _MASK
    b = _rotate((b + a + z) & _MASK, 21)
    c = a
    a = (a + x + y) & _MASK
    b = (b + _rotate(a, 44)) & _MASK
    return (a + z) & _MASK, (b + c) & _MASK


def _mix_block(s, i, x, y, z, v, w, mul, weight):
    """One 64-byte round of Hash64's main loop (``mul``/``weight`` differ on the last block)."""
    x = (_rotate((x + y + v[0] + _fetch64(s, i + 8)) & _MASK, 37) * mul) & _MASK
    y = (_rotate((y + v[1] + _fetch64(s, i + 48)) & _MASK, 42) * mul) & _MASK
    x ^= (w[1] * weight) & _MASK
    y = (y + v[0] * weight + _fetch64(s, i + 40)) & _MASK
    z = (_rotate((z + w[0]) & _MASK, 33) * mul) & _MASK
    v = _weak_hash32(s, i, (v[1] * mul) & _MASK, (x + w[0]) & _MASK)
    w = _weak_hash32(s, i + 32, (z + w[1]) & _MASK, (y + _fetch64(s, i + 16)) & _MASK)
    return z, y, x, v, w  # x and z swap


def fingerprint64(s: bytes) -> int:
    """FarmHash's Fingerprint64 of ``s`` (farmhashna::Hash64), as TF computes it."""
    size = len(s)
    if size <= 16:
        return _hash_len0to16(s)
    if size <= 32:
        return _hash_len17to32(s)
    if size <= 64:
        return _hash_len33to64(s)
    seed = 81
    y = (seed * _K1 + 113) & _MASK
    z = (_shift_mix((y * _K2 + 113) & _MASK) * _K2) & _MASK
    v, w = (0, 0), (0, 0)
    x = (seed * _K2 + _fetch64(s, 0)) & _MASK
    end = ((size - 1) // 64) * 64
    for i in range(0, end, 64):
        x, y, z, v, w = _mix_block(s, i, x, y, z, v, w, _K1, 1)
    mul = _K1 + ((z & 0xFF) << 1)
    last64 = end + ((size - 1) & 63) - 63
    w0 = (w[0] + ((size - 1) & 63)) & _MASK
    v = ((v[0] + w0) & _MASK, v[1])
    w = ((w0 + v[0]) & _MASK, w[1])
    x, y, z, v, w = _mix_block(s, last64, x, y, z, v, w, mul, 9)
    return _hash_len16((_hash_len16(v[0], w[0], mul) + _shift_mix(y) * _K0 + z) & _MASK,
                       (_hash_len16(v[1], w[1], mul) + x) & _MASK, mul)


# -- string_to_hash_bucket_fast ------------------------------------------------------------------
def _bucket_convert(ctx):
    buckets = ctx.attrs["num_buckets"]
    return lambda v: fingerprint64(v) % buckets


define_op("StringToHashBucketFast", lambda inputs, attrs: [(int64, inputs[0]._shape)],
          {"CPU": _map_kernel(_bucket_convert)}, doc="each string's Fingerprint64 modulo num_buckets",
          differentiable=False)


def string_to_hash_bucket_fast(input, num_buckets, name=None):  # noqa: A002
    """Each string's bucket, ``Fingerprint64(s) % num_buckets`` (int64), the values TF computes."""
    if int(num_buckets) < 1:
        raise ValueError(f"Attr 'num_buckets' of 'StringToHashBucketFast' Op passed {num_buckets} less than "
                         "minimum 1.")
    return apply_op("StringToHashBucketFast", [convert_to_tensor(input, dtype=string)],
                    {"num_buckets": int(num_buckets)}, name or "StringToHashBucketFast").outputs[0]


# -- strings.format ------------------------------------------------------------------------------
def _format_kernel(ctx):
    pieces, summarize = ctx.attrs["pieces"], ctx.attrs["summarize"]

    def run(*arrays):
        texts = [summarize_v2(a, summarize) for a in arrays] + [""]
        return np.array("".join(p + t for p, t in zip(pieces, texts)).encode("utf-8"), dtype=object)
    return run


define_op("StringFormat", lambda inputs, attrs: [(string, ())], {"CPU": _format_kernel},
          doc="a template with each placeholder replaced by a tensor's summary", differentiable=False)


def string_format(template, inputs, placeholder="{}", summarize=3, name=None):
    """``template`` with each ``placeholder`` replaced by one of ``inputs`` printed as gn.print prints it
    (``summarize`` leading and trailing entries per dimension; -1: all), as a scalar string."""
    tensors = [convert_to_tensor(x) for x in (inputs if isinstance(inputs, (list, tuple)) else [inputs])]
    pieces = template.split(placeholder)
    if len(pieces) - 1 != len(tensors):
        raise ValueError(f"The template expects {len(pieces) - 1} tensors, but the inputs only has {len(tensors)}. "
                         "Please ensure the number of placeholders in template matches inputs length.")
    return apply_op("StringFormat", tensors, {"pieces": pieces, "summarize": int(summarize)},
                    name or "StringFormat").outputs[0]


# -- base64 --------------------------------------------------------------------------------------
def _encode_convert(ctx):
    pad = ctx.attrs["pad"]
    return lambda v: base64.urlsafe_b64encode(v) if pad else base64.urlsafe_b64encode(v).rstrip(b"=")


_NOT_WEB_SAFE = re.compile(rb"[^A-Za-z0-9_-]")


def _decode_convert(ctx):
    op = ctx.op

    def convert(value):
        text = value.rstrip(b"=")
        body = len(text) - len(text) % 4
        # TF decodes the groups of four first, then refuses a tail of one, then decodes the tail
        if _NOT_WEB_SAFE.search(text, 0, body):
            raise errors.InvalidArgumentError(None, op, "Invalid character found in base64.")
        if len(text) % 4 == 1:
            raise errors.InvalidArgumentError(None, op, "Base64 string length cannot be 1 modulo 4.")
        if _NOT_WEB_SAFE.search(text, body):
            raise errors.InvalidArgumentError(None, op, "Invalid character found in base64.")
        return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))
    return convert


_define_map("EncodeBase64", lambda attrs: string, _encode_convert, "each string in web-safe base64")
_define_map("DecodeBase64", lambda attrs: string, _decode_convert, "each web-safe base64 string decoded")


def encode_base64(input, pad=False, name=None):  # noqa: A002
    """Each string in web-safe base64 (``-`` and ``_`` for ``+`` and ``/``), ``=``-padded when ``pad``."""
    return apply_op("EncodeBase64", [_strings(input)], {"pad": bool(pad)}, name or "EncodeBase64").outputs[0]


def decode_base64(input, name=None):  # noqa: A002
    """Each web-safe base64 string decoded (padding optional)."""
    return apply_op("DecodeBase64", [_strings(input)], {}, name or "DecodeBase64").outputs[0]
