"""Collective all-reduce across devices, with every op still running on ONE device.

``all_reduce_sum(tensors)`` builds one ``CollectiveAllReduce`` op per device, each reading only its
own device's tensor; the ops of one collective share a key and meet at run time in a rendezvous
that the session keeps (``state.resource``). Arrivals are matched per round: the k-th arrival of
every rank makes round k. Earlier arrivals hand in their input and return their output buffer at
once (not yet filled); the last arrival of a round reduces for all of them. So neither the flat loop
(one thread: the participants run one after another) nor the concurrent executor (a thread per
device) ever blocks inside a kernel. Each returned tensor carries a control dependency on every
participant, so whatever reads a result runs only after the last participant — the reduction — ran.

Kernels: on the host and on virtual GPUs (host memory) the last arrival sums the inputs in rank
order and copies the sum into each output buffer; on CuPy GPUs it launches one NCCL all-reduce per
device inside ``groupStart/groupEnd`` on each device's current stream, with a communicator made once
per device set (``NcclCommunicator.initAll``), so the data never passes through the host.
"""
from __future__ import annotations

import itertools
import threading
from typing import NamedTuple

import numpy as np

from ..graph.core_ops import convert_to_tensor
from ..graph.graph import get_default_graph
from ..graph.registry import apply_op, define_op

__all__ = ["all_reduce_sum", "nccl_available"]

_keys = itertools.count()


class _Rendezvous:
    """Where the ``size`` participants of one collective meet in one session, round after round."""

    def __init__(self, size):
        self.size = size
        self._lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._arrivals = [0] * size
        self._rounds = {}  # round -> {rank: its part}

    def arrive(self, rank, member):
        """Hand in this rank's part (its input and output buffer, and what the kernel needs to reach
        them); returns every rank's part in rank order when this arrival completes its round, else None."""
        with self._lock:
            round_ = self._arrivals[rank]
            self._arrivals[rank] += 1
            members = self._rounds.setdefault(round_, {})
            members[rank] = member
            if len(members) < self.size:
                return None
            del self._rounds[round_]
        return [members[r] for r in range(self.size)]

    def cancel(self):
        """Nothing waits in a rendezvous (no arrival blocks), so closing a session has nothing to wake."""

    # -- the run guard (OpDef.run_guard): rounds are matched by arrival count, so runs of a plan
    # holding the collective go one at a time, and a run that fails part-way (some ranks arrived,
    # others never will) starts the next one from round 0 instead of pairing stale arrivals.
    def __enter__(self):
        self._run_lock.acquire()
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is not None:
                with self._lock:
                    self._arrivals = [0] * self.size
                    self._rounds = {}
        finally:
            self._run_lock.release()


def _rendezvous(ctx):
    return _session_rendezvous(ctx.state, ctx.attrs)


def _session_rendezvous(state, attrs):
    size = attrs["size"]
    return state.resource(("CollectiveAllReduce", attrs["key"]), lambda: _Rendezvous(size))


def _run_guard(state, op):
    return _session_rendezvous(state, op.attrs)


class HostPart(NamedTuple):
    """A participant in host memory (CPU, virtual GPU): its input and its output buffer."""

    value: object
    out: object


def check_parts(members, kind):
    """Every participant of one collective must be of one ``kind`` (host memory, or CuPy GPUs)."""
    if any(m.__class__ is not kind for m in members):
        raise ValueError(f"CollectiveAllReduce: participants mix host memory and CuPy GPUs "
                         f"({[m.__class__.__name__ for m in members]}); one collective joins devices of one kind")


def _host_sum(members):
    """The last arrival's part on host memory: the inputs summed in rank order into every output."""
    check_parts(members, HostPart)
    total = members[0][1]
    np.copyto(total, members[0][0])
    for value, _ in members[1:]:
        np.add(total, value, out=total)
    for _, out in members[1:]:
        np.copyto(out, total)


def _host_kernel(ctx):
    meeting, rank = _rendezvous(ctx), ctx.attrs["rank"]

    def all_reduce(x):
        out = np.empty_like(x)
        members = meeting.arrive(rank, HostPart(x, out))
        if members is not None:
            _host_sum(members)
        return out
    return all_reduce


def _kernel(ctx):
    if not ctx.device.backend.capabilities.device_memory:
        return _host_kernel(ctx)  # the CPU, and virtual GPUs: buffers in host memory
    from . import _nccl  # CuPy only: imported where a real (or the double's) GPU runs the op
    return _nccl.kernel(ctx, _rendezvous(ctx))


def nccl_available() -> bool:
    """Whether this process's CuPy has NCCL, which the op needs on CuPy GPUs."""
    from . import _nccl
    return _nccl.load() is not None


def _infer(inputs, attrs):
    x = inputs[0]
    return [(x.dtype, x._shape)]


define_op("CollectiveAllReduce", _infer, {"any": _kernel}, stateful=True,
          differentiable=False, run_guard=_run_guard)


def all_reduce_sum(tensors, devices, name="all_reduce"):
    """The sum of ``tensors`` (one per device, same dtype and static shape) as one tensor on each of
    ``devices``, computed by one collective (see the module docstring); the order is kept."""
    tensors = [convert_to_tensor(t) for t in tensors]
    devices = list(devices)
    if len(tensors) != len(devices) or not tensors:
        raise ValueError(f"all_reduce_sum: one tensor per device, got {len(tensors)} tensors for "
                         f"{len(devices)} devices")
    _check_alike(tensors)
    graph, key = get_default_graph(), f"{name}_{next(_keys)}"
    ops = []
    for rank, (tensor, device) in enumerate(zip(tensors, devices)):
        with graph.device(device):
            attrs = {"key": key, "rank": rank, "size": len(tensors)}
            ops.append(apply_op("CollectiveAllReduce", [tensor], attrs, f"{name}/replica_{rank}"))
    results = []
    for rank, (op, device) in enumerate(zip(ops, devices)):
        with graph.device(device), graph.control_dependencies(ops):
            results.append(apply_op("Identity", [op.outputs[0]], {}, f"{name}/reduced_{rank}").outputs[0])
    return results


def _check_alike(tensors):
    first = tensors[0]
    if all(t.dtype == first.dtype and t.shape.is_fully_defined() and t.shape == first.shape for t in tensors):
        return
    raise ValueError(f"all_reduce_sum: every tensor needs the same dtype and the same fully known shape; got "
                     f"{[(t.name, t.dtype.name, str(t.shape)) for t in tensors]}")
