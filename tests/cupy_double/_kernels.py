"""``cupy.ElementwiseKernel`` of the CuPy double (a model of CuPy, not CuPy). The double compiles no
CUDA: a kernel made from CUDA source runs a NumPy *fallback body* registered for its name
(``register_fallback``). What it does check is what CuPy checks at a call: the argument count, one
type T for all arrays, device arrays of the current device only. Fused-equals-generic comparisons
are therefore trivial under the double; the CUDA source itself is checked elsewhere (nvcc, g++).
"""
from __future__ import annotations

from ._array import ndarray, read, refuse_host_arrays, wrap, wrote
from ._cuda import STATS, current_device

FALLBACKS = {}   # kernel name -> fn(ins: dict name -> array, outs: list of arrays or None) -> result


def register_fallback(name, fn):
    """Give kernel ``name`` a NumPy-level body (it receives double arrays, bound by parameter name)."""
    FALLBACKS[name] = fn


def _names(params):
    return [p.split()[-1] for p in params.split(",") if p.strip()]


class ElementwiseKernel:
    def __init__(self, in_params, out_params, operation, name="kernel", reduce_dims=True, preamble="",
                 no_return=False, return_tuple=False, loop_prep="", after_loop="", options=()):
        self.in_params, self.out_params, self.operation = in_params, out_params, operation
        self.in_names, self.out_names = _names(in_params), _names(out_params)
        self.nin, self.nout = len(self.in_names), len(self.out_names)
        self.name, self.options = name, tuple(options)
        self.compiled = set()   # signatures compiled so far (CuPy: NVRTC at the first call of each)

    def __call__(self, *args):
        read(args)
        refuse_host_arrays(list(args))
        if len(args) not in (self.nin, self.nin + self.nout):
            raise TypeError(f"Wrong number of arguments for {self.name!r}")
        types = {a.dtype for a in args if isinstance(a, ndarray)}
        if len(types) != 1:
            raise TypeError(f"Type is mismatched. {self.name} T {sorted(map(str, types))}")
        self._compile(args)
        if self.name not in FALLBACKS:
            raise NotImplementedError(f"the CuPy double has no fallback body for kernel {self.name!r}")
        ins = dict(zip(self.in_names, args[:self.nin]))
        outs = list(args[self.nin:]) or None
        result = FALLBACKS[self.name](ins, outs)
        for out in outs or ():
            wrote(out, ("kernel", self.name))
        return wrap(result, ("kernel", self.name)) if outs is None else result

    def _compile(self, args):
        """CuPy compiles a kernel per device and argument signature at its first call with it
        (simplified here: the dtypes and which arguments are 0-d; CuPy also keys on the rank left
        after merging contiguous dimensions, 1 for contiguous arrays)."""
        signature = (current_device(), tuple((a.dtype.name, a.ndim == 0) if isinstance(a, ndarray) else type(a)
                                             for a in args))
        if signature not in self.compiled:
            self.compiled.add(signature)
            STATS["compiles"] += 1
