"""Fused CUDA bodies compiled for the host with g++, so their math runs (and is compared) on a CPU.

A body of a ``cupy.ElementwiseKernel`` is wrapped in a loop over arrays, with ``T`` a typedef for
float or double, its inputs bound as ``const T`` values and its outputs as ``T &`` references (as
CuPy binds them), under a small header that maps the CUDA math functions the bodies use to
<cmath>. It is built with ``-ffp-contract=off`` (no FMA, as ``--fmad=false`` on the GPU) into a
shared library loaded with ctypes, cached in the temp dir under the hash of its source.
"""
import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

GXX = shutil.which("g++")
needs_gxx = pytest.mark.skipif(GXX is None, reason="g++ not found")

_CTYPES = {np.float32: "float", np.float64: "double"}

# The CUDA device functions the bodies call, as their <cmath> / <algorithm> overloads.
HEADER = """#include <cmath>
#include <algorithm>
using std::exp; using std::expm1; using std::log; using std::log1p; using std::fabs; using std::sqrt;
using std::tanh; using std::pow; using std::max; using std::min;
"""


def declared(params):
    """'T grad, T lr' -> ['grad', 'lr'] (every parameter is of type T)."""
    names = []
    for p in params.split(","):
        kind, name = p.split()
        assert kind == "T", f"only T parameters are supported, got {p!r}"
        names.append(name)
    return names


def loop_source(symbol, in_params, out_params, body, ctype) -> str:
    """``extern "C" void symbol(const T* in..., T* out..., long n)`` running ``body`` per element."""
    ins, outs = declared(in_params), declared(out_params)
    pointers = [f"const T* _raw_{n}" for n in ins] + [f"T* _raw_{n}" for n in outs]
    return "\n".join([
        f"namespace ns_{symbol} {{", f"typedef {ctype} T;",
        f'extern "C" void {symbol}({", ".join(pointers)}, long _n) {{',
        "  for (long _i = 0; _i < _n; ++_i) {",
        *[f"    const T {n} = _raw_{n}[_i];" for n in ins],
        *[f"    T &{n} = _raw_{n}[_i];" for n in outs],
        *("    " + line for line in body.splitlines()),
        "  }", "}", "}", ""])


def build_library(sources) -> ctypes.CDLL:
    """Compile ``HEADER`` + ``sources`` into a shared library (cached by source hash) and load it."""
    source = HEADER + "\n".join(sources)
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    cache = Path(tempfile.gettempdir()) / "gpunet-host-kernels"
    cache.mkdir(exist_ok=True)
    library = cache / f"{digest}.so"
    if not library.exists():
        _compile(source, cache, library)
    return ctypes.CDLL(str(library))


def _compile(source, cache, library):
    fd, scratch = tempfile.mkstemp(dir=cache, suffix=".cc")
    with os.fdopen(fd, "w") as f:
        f.write(source)
    built = scratch[:-3] + ".so"
    result = subprocess.run([GXX, "-O2", "-std=c++17", "-shared", "-fPIC", "-ffp-contract=off", "-fno-fast-math",
                             "-o", built, scratch], capture_output=True, text=True, timeout=300)
    os.unlink(scratch)
    if result.returncode:
        raise RuntimeError(f"g++ rejected a fused body:\n{result.stderr}\n--- source ---\n{source}")
    os.replace(built, library)  # atomic: a concurrent test run sees the whole library or none


def run_host(library, symbol, ins, outs):
    """Call ``symbol`` on contiguous arrays ``ins`` (read) and ``outs`` (updated in place)."""
    arrays = [np.ascontiguousarray(a) for a in ins] + list(outs)
    assert all(a.flags.c_contiguous and a.shape == arrays[0].shape for a in arrays)
    getattr(library, symbol)(*[a.ctypes.data_as(ctypes.c_void_p) for a in arrays], ctypes.c_long(arrays[0].size))


def symbol_for(name, dtype) -> str:
    return f"host_{name}_{np.dtype(dtype).name}"


def ctype_of(dtype) -> str:
    return _CTYPES[np.dtype(dtype).type]
