"""``cupy.cuda.nccl`` of the CuPy double (a model of CuPy's NCCL wrapper, not NCCL): one process's
communicators over its fake devices (``NcclCommunicator.initAll``), group calls and ``allReduce`` on
raw device pointers and stream handles, with the rules gpunet depends on:

* one thread driving several ranks must issue their calls inside ``groupStart``/``groupEnd`` (real
  NCCL would hang at the first call waiting for the other ranks): a call outside a group raises;
* at ``groupEnd`` every rank of a communicator that was called must have been called exactly once,
  with the same count, datatype and op (``NcclError`` 'ncclInvalidUsage' otherwise);
* each rank's buffers live on its device, the stream is a stream of that device, the send buffer was
  written by work that stream is ordered after (the double's race check), and the receive buffer
  is written as work on that stream; the sum runs over the ranks in rank order.

Only the single-process form is modelled: ``NcclCommunicator(ndev, commId, rank)`` (one rank per
process, ranks meeting over ``get_unique_id``) exists but refuses collectives across processes.
"""
from __future__ import annotations

import os
import threading

import numpy as np

from ._array import check_order, pointed_array
from ._cuda import STATS, CUDARuntimeError, stream_of

available = True   # CuPy's flag: False where its NCCL library could not be loaded
NCCL_INT8, NCCL_UINT8, NCCL_INT32, NCCL_UINT32, NCCL_INT64, NCCL_UINT64 = 0, 1, 2, 3, 4, 5
NCCL_FLOAT16, NCCL_FLOAT32, NCCL_FLOAT64 = 6, 7, 8
NCCL_SUM, NCCL_PROD, NCCL_MAX, NCCL_MIN = 0, 1, 2, 3
NCCL_UNIQUE_ID_BYTES = 128
_DTYPES = {NCCL_INT8: np.int8, NCCL_UINT8: np.uint8, NCCL_INT32: np.int32, NCCL_UINT32: np.uint32,
           NCCL_INT64: np.int64, NCCL_UINT64: np.uint64, NCCL_FLOAT16: np.float16, NCCL_FLOAT32: np.float32,
           NCCL_FLOAT64: np.float64}
_REDUCE = {NCCL_SUM: np.add, NCCL_PROD: np.multiply, NCCL_MAX: np.maximum, NCCL_MIN: np.minimum}
_group = threading.local()   # depth and the calls issued inside the current group, per thread
STATS.setdefault("collectives", 0)


class NcclError(RuntimeError):
    """As ``cupy.cuda.nccl.NcclError``."""


def get_version():
    return 21803


def get_unique_id():
    """128 bytes naming a clique, as a tuple of ints (CuPy's form)."""
    return tuple(int(b) - 128 for b in os.urandom(NCCL_UNIQUE_ID_BYTES))


def groupStart():  # noqa: N802 (CuPy's name)
    _group.depth = getattr(_group, "depth", 0) + 1
    if _group.depth == 1:
        _group.calls = []


def groupEnd():  # noqa: N802 (CuPy's name)
    depth = getattr(_group, "depth", 0)
    if depth == 0:
        raise NcclError("NCCL_ERROR_INVALID_USAGE: groupEnd without groupStart")
    _group.depth = depth - 1
    if _group.depth == 0:
        calls, _group.calls = _group.calls, []
        for clique in {id(c[0]): c[0] for c in calls}.values():
            clique.complete([c[1:] for c in calls if c[0] is clique])


class _Clique:
    """The ranks ``initAll`` made together, rank i on ``devices[i]``."""

    def __init__(self, devices):
        self.devices = devices

    def complete(self, calls):
        ranks = sorted(c[0] for c in calls)
        if ranks != list(range(len(self.devices))) or len({c[3:6] for c in calls}) != 1:
            raise NcclError(f"NCCL_ERROR_INVALID_USAGE: a group must call every rank once with the same count, "
                            f"datatype and op; ranks called: {ranks}")
        _, _, _, count, datatype, op, _ = calls[0]
        parts = [self._buffers(*c) for c in sorted(calls)]
        total = parts[0][0][:count].copy()
        for send, _, _ in parts[1:]:
            _REDUCE[op](total, send[:count], out=total)
        for _, recv, (array, stream) in parts:
            recv[:count] = total
            array._writer = (stream, stream.launch(("kernel", "ncclAllReduce")))
        STATS["collectives"] += 1

    def _buffers(self, rank, sendbuf, recvbuf, count, datatype, op, stream_ptr):
        """(flat send values, flat receive view, (receive array, stream)) of one rank, checked."""
        device, dtype = self.devices[rank], _DTYPES.get(datatype)
        if dtype is None or op not in _REDUCE:
            raise NcclError("NCCL_ERROR_INVALID_ARGUMENT: unknown datatype or op")
        stream = stream_of(stream_ptr, device)
        send, recv = pointed_array(sendbuf), pointed_array(recvbuf)
        for array in (send, recv):
            if array.data.device_id != device:
                raise NcclError(f"NCCL_ERROR_INVALID_ARGUMENT: rank {rank} runs on device {device}, its buffer "
                                f"lives on device {array.data.device_id}")
            if array._a.dtype != dtype or array._a.size < count or not array._a.flags.c_contiguous:
                raise NcclError(f"NCCL_ERROR_INVALID_ARGUMENT: rank {rank}'s buffer is not {count} contiguous "
                                f"{np.dtype(dtype).name} values")
        check_order(send, stream)
        return send._a.reshape(-1), recv._a.reshape(-1), (recv, stream)


class NcclCommunicator:
    """One rank of a clique. ``initAll`` (one process driving several devices) returns one per device,
    as CuPy 14 does (seen on an H200); the constructor makes a rank of a clique across processes."""

    def __init__(self, ndev, commId, rank):  # noqa: N803 (CuPy's names)
        if len(commId) != NCCL_UNIQUE_ID_BYTES or not 0 <= rank < ndev:
            raise NcclError("NCCL_ERROR_INVALID_ARGUMENT: bad unique id or rank")
        from ._cuda import current_device
        self._clique, self._rank, self._device, self._ndev = None, rank, current_device(), ndev

    @staticmethod
    def initAll(devices):  # noqa: N802 (CuPy's name)
        """As CuPy's: one argument, the number of GPUs (the first ones) or the list of their ids; a list
        of communicators, rank i on ``devices[i]``."""
        devices = list(range(devices)) if isinstance(devices, int) else [int(d) for d in devices]
        from ._cuda import CONFIG
        if any(not 0 <= d < CONFIG["devices"] for d in devices):
            raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")
        if len(set(devices)) != len(devices):
            raise NcclError("NCCL_ERROR_INVALID_USAGE: duplicate GPU in one communicator")
        clique, comms = _Clique(devices), []
        for rank, device in enumerate(devices):
            comm = NcclCommunicator.__new__(NcclCommunicator)
            comm._clique, comm._rank, comm._device, comm._ndev = clique, rank, device, len(devices)
            comms.append(comm)
        return comms

    def device_id(self):
        return self._device

    def rank_id(self):
        return self._rank

    def size(self):
        return self._ndev

    def destroy(self):
        self._clique = None

    def allReduce(self, sendbuf, recvbuf, count, datatype, op, stream):  # noqa: N802 (CuPy's name)
        if self._clique is None:
            raise NcclError("CuPy double: collectives across processes are not modelled")
        if getattr(_group, "depth", 0) == 0 and self._ndev > 1:
            raise NcclError("CuPy double: one thread driving several ranks must call allReduce inside "
                            "groupStart/groupEnd (NCCL would wait forever for the other ranks)")
        call = (self._clique, self._rank, int(sendbuf), int(recvbuf), int(count), datatype, op, int(stream))
        if self._ndev == 1:
            self._clique.complete([call[1:]])
        else:
            _group.calls.append(call)
