"""The inputs of the scatter and segment reference cases (no TensorFlow needed): make_scatter_reference.py runs
them through TF, test_scatter_ops.py and test_segment_reduce_ops.py through gpunet, and the outputs are
compared from scatter_reference.npz (per function and dtype, the cases' outputs raveled one after another)."""
import zlib

import numpy as np

ROW_SCATTERS = ["scatter_update", "scatter_add", "scatter_sub", "scatter_mul", "scatter_div", "scatter_max",
                "scatter_min"]
ND_SCATTERS = ["scatter_nd_update", "scatter_nd_add", "scatter_nd_sub"]
EXTREMA_DTYPES = ["float16", "float32", "float64", "int32", "int64"]
NUMERIC_DTYPES = EXTREMA_DTYPES + ["int8", "int16", "uint8"]  # gpunet has no complex dtypes
SEGMENT_DTYPES = {"max": ["float16", "float32", "float64", "int8", "int32", "int64", "uint8"],
                  "min": ["float16", "float32", "float64", "int8", "int32", "int64", "uint8"],
                  "prod": ["float16", "float32", "float64", "int16", "int32", "int64"]}


def scatter_dtypes(fn):
    """The variable dtypes of TF1's ``fn`` that gpunet has."""
    if fn in ("scatter_max", "scatter_min"):
        return EXTREMA_DTYPES
    return NUMERIC_DTYPES + (["bool"] if fn.endswith("update") else [])


def _rng(*names):
    return np.random.default_rng(zlib.crc32("/".join(names).encode()))


def values(rng, shape, dtype):
    """Small values, exact in every dtype, never 0 (they are divisors for scatter_div)."""
    if dtype == "bool":
        return rng.random(shape) < 0.5
    ints = rng.integers(1, 6, shape) * (1 if dtype == "uint8" else rng.choice([-1, 1], shape))
    return np.asarray(ints).astype(dtype)


def scatter_cases(fn, dtype):
    """(variant, initial value, indices, updates) for ``gn.<fn>``; repeated indices except for the updates
    (whose winner TF1 leaves open)."""
    rng = _rng(fn, dtype)
    repeats = not fn.endswith("update")
    if "_nd_" in fn:
        init = values(rng, (4, 3, 2), dtype)
        pairs = np.array([[1, 2], [3, 0], [1, 2] if repeats else [0, 0]], np.int32)
        return [("pairs", init, pairs, values(rng, (3, 2), dtype)),
                ("rows", init, np.array([[2], [0]], np.int64), values(rng, (2, 3, 2), dtype)),
                ("elements", init, np.array([[[1, 1, 1], [3, 2, 0]]], np.int32), values(rng, (1, 2), dtype)),
                ("empty", init, np.zeros((0, 2), np.int32), values(rng, (0, 2), dtype))]
    init = values(rng, (5, 3), dtype)
    rows = np.array([3, 0, 3, 1] if repeats else [3, 0, 4], np.int32)
    return [("rows", init, rows, values(rng, rows.shape + (3,), dtype)),
            ("int64-matrix", init, np.array([[4, 1], [2, 4 if repeats else 0]], np.int64),
             values(rng, (2, 2, 3), dtype)),
            ("scalar-index", init, np.int32(2), values(rng, (3,), dtype)),
            ("scalar-update", init, np.array([1, 2], np.int32), values(rng, (), dtype)),
            ("empty", init, np.zeros((0,), np.int32), values(rng, (0, 3), dtype)),
            ("vector", values(rng, (6,), dtype), rows, values(rng, rows.shape, dtype))]


def segment_cases(fn, dtype):
    """(variant, data, segment_ids, num_segments (None for the sorted ops), probe or None): ties and empty
    segments in each; the probe weighs the output for the gradient of float cases."""
    rng = _rng(fn, dtype)
    data = values(rng, (6, 2), dtype)
    data[1] = data[0]  # ties
    if fn.startswith("segment"):
        cases = [("rows", data, np.array([0, 0, 2, 2, 2, 5], np.int32), None),
                 ("vector", data[:, 0].copy(), np.array([1, 1, 1, 3, 3, 4], np.int64), None),
                 ("one", data[:1], np.array([0], np.int32), None),
                 ("empty", data[:0], np.zeros((0,), np.int32), None)]
    else:
        cases = [("rows", data, np.array([2, 2, 0, -1, 2, 4], np.int32), 6),
                 ("matrix-ids", data.reshape(3, 2, 2), np.array([[1, 1], [-1, 0], [1, 3]], np.int64), 4),
                 ("scalar", data[0, 0], np.int32(1), 3),
                 ("empty", data[:0], np.zeros((0,), np.int32), 3),
                 ("no-segments", data[:0], np.zeros((0,), np.int32), 0)]
    return [(variant, d, ids, num, _probe(rng, d, ids, num)) for variant, d, ids, num in cases]


def _probe(rng, data, ids, num):
    if np.asarray(data).dtype.kind != "f":
        return None
    rows = num if num is not None else (int(ids[-1]) + 1 if ids.size else 0)
    return rng.uniform(0.5, 1.5, (rows,) + np.shape(data)[np.ndim(ids):]).astype(np.asarray(data).dtype)


def joined(arrays):
    """The arrays raveled one after another: how the reference file stores one function's cases."""
    return np.concatenate([np.ravel(a) for a in arrays]) if arrays else np.zeros(0)
