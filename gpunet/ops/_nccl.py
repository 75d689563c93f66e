"""The CuPy kernel of ``CollectiveAllReduce`` (collective_ops.py): NCCL through ``cupy.cuda.nccl``.

Each participant allocates its output on its own device and arrives at the rendezvous with its
input, output and current stream (its device's stream: the plan's kernels run inside the device's
context). The last arrival launches the whole collective from its thread: ``nccl.groupStart``, one
``allReduce`` per rank through that rank's communicator on its stream, ``nccl.groupEnd``. Each launch is
ordered after the work on its stream (so after the input was written) and before whatever that
device runs next; the host never waits and no byte passes through it. The communicator of a device
set is made once per process with ``NcclCommunicator.initAll``, which gives one communicator per
device, in rank order (CuPy 14).
"""
from __future__ import annotations

import importlib
import threading
from typing import NamedTuple

import numpy as np

from .collective_ops import check_parts

_communicators = {}   # (the nccl module, CUDA device ids) -> their NcclCommunicators, in rank order
_making = threading.Lock()


class NcclPart(NamedTuple):
    """A participant on a CuPy GPU: its input and output buffers, its card and its stream."""

    value: object
    out: object
    card: int
    stream: object


def _nccl_dtype(nccl, dtype):
    names = {np.dtype(np.float16): "NCCL_FLOAT16", np.dtype(np.float32): "NCCL_FLOAT32",
             np.dtype(np.float64): "NCCL_FLOAT64", np.dtype(np.int32): "NCCL_INT32",
             np.dtype(np.int64): "NCCL_INT64", np.dtype(np.uint8): "NCCL_UINT8", np.dtype(np.int8): "NCCL_INT8"}
    name = names.get(np.dtype(dtype))
    if name is None:
        raise TypeError(f"CollectiveAllReduce: NCCL has no sum for dtype {np.dtype(dtype).name}")
    return getattr(nccl, name)


def load():
    """CuPy's NCCL wrapper, ``cupy.cuda.nccl``: a submodule that is not an attribute of ``cupy.cuda``
    until imported. None where this CuPy has no NCCL (its ``available`` flag is False)."""
    try:
        nccl = importlib.import_module("cupy.cuda.nccl")
    except ImportError:
        return None
    return nccl if getattr(nccl, "available", True) else None


def communicators(nccl, device_ids):
    """The process's NCCL communicators over CUDA devices ``device_ids``, rank i's on device_ids[i]."""
    key = (id(nccl), device_ids)
    with _making:
        comms = _communicators.get(key)
        if comms is None:
            if len(set(device_ids)) != len(device_ids):
                raise ValueError(f"CollectiveAllReduce: NCCL needs one rank per card; logical GPUs share cards "
                                 f"{list(device_ids)}")
            comms = _communicators[key] = nccl.NcclCommunicator.initAll(list(device_ids))
        return comms


def kernel(ctx, meeting):
    """The per-step function of rank ``ctx.attrs['rank']`` on CuPy device ``ctx.device``."""
    xp, rank, physical_id = ctx.xp, ctx.attrs["rank"], ctx.device.backend.physical_id
    nccl = load()
    if nccl is None:
        raise RuntimeError("CollectiveAllReduce: this CuPy has no NCCL (cupy.cuda.nccl.available is False)")
    dtype = _nccl_dtype(nccl, ctx.out_dtype())

    def all_reduce(x):
        x = x if x.flags.c_contiguous else x.copy()  # NCCL reads and writes flat buffers; a copy (not
        out = xp.empty_like(x)                        # ascontiguousarray) keeps a 0-d value 0-d
        members = meeting.arrive(rank, NcclPart(x, out, physical_id, xp.cuda.get_current_stream()))
        if members is not None:
            _launch(nccl, dtype, members)
        return out
    return all_reduce


def _launch(nccl, dtype, members):
    check_parts(members, NcclPart)
    comms = communicators(nccl, tuple(m.card for m in members))
    nccl.groupStart()
    try:
        for comm, (x, out, _, stream) in zip(comms, members, strict=True):
            comm.allReduce(x.data.ptr, out.data.ptr, x.size, dtype, nccl.NCCL_SUM, stream.ptr)
    finally:
        nccl.groupEnd()
