"""``gn.parallel.mpi``: data parallelism across processes (and machines) over MPI, Horovod-style.

Launch one process per GPU with ``mpiexec -n N python train.py``; each process calls ``init()``,
builds its graph on ``local_device()`` (``local_rank`` picks the GPU), wraps its optimizer in
``DistributedOptimizer`` and runs ``broadcast_variables(...)`` once after the initializer. Each
step averages the gradients of all processes with ONE all-reduce over a fused buffer (a host op
calling MPI). Needs the ``mpi`` extra (mpi4py and the mpich wheel)."""
from __future__ import annotations

import numpy as np

import gpunet as gn

from .communicators import Communicator, scaled
from .fusion import fuse, static_sizes, unfuse

__all__ = ["DistributedOptimizer", "MpiAllReduce", "broadcast_variables", "init", "local_device", "local_rank",
           "rank", "size"]

try:
    from mpi4py import MPI
except ImportError as exc:  # pragma: no cover - the message is the point
    raise ImportError("gn.parallel.mpi needs mpi4py and an MPI library: pip install 'gpunet[mpi]' "
                      "(mpi4py and the mpich wheel)") from exc

_state = {}


def init():
    """Start MPI (once) and find this process's place: rank, size and rank on its own node."""
    if not MPI.Is_initialized():
        MPI.Init()
    if "local" not in _state:
        world = MPI.COMM_WORLD
        _state["local"] = world.Split_type(MPI.COMM_TYPE_SHARED, key=world.Get_rank())


def _world():
    if "local" not in _state:
        raise RuntimeError("gn.parallel.mpi: call init() first")
    return MPI.COMM_WORLD


def rank():
    """This process's rank among all processes."""
    return _world().Get_rank()


def size():
    """How many processes train together."""
    return _world().Get_size()


def local_rank():
    """This process's rank among the processes of its machine (use it to pick the GPU)."""
    _world()
    return _state["local"].Get_rank()


def local_device():
    """``/gpu:<local_rank mod GPUs>`` where this machine has GPUs, else ``/cpu:0``."""
    gpus = gn.config.list_logical_devices("GPU")
    return f"/gpu:{gpus[local_rank() % len(gpus)].index}" if gpus else "/cpu:0"


def _allreduce_sum(buffer):
    out = np.empty_like(buffer)
    _world().Allreduce(np.ascontiguousarray(buffer), out, op=MPI.SUM)
    return out


def _broadcast(buffer, root_rank):
    buffer = np.ascontiguousarray(buffer).copy()
    _world().Bcast(buffer, root=root_rank)
    return buffer


def _host_op(func, tensor, name):
    """``func`` applied to ``tensor``'s value on /cpu:0, with the static shape kept."""
    with gn.device("/cpu:0"):
        result = gn.py_func(func, [tensor], tensor.dtype, name=name)
        return gn.reshape(result, tensor.shape.as_list())


class MpiAllReduce(Communicator):
    """Sums the local buffers on the host, all-reduces that sum across processes, sends it back."""

    def all_reduce(self, buffers, devices, scale):
        with gn.device("/cpu:0"):
            local = buffers[0] if len(buffers) == 1 else gn.add_n(buffers)
        with gn.name_scope("mpi_all_reduce"):
            reduced = _host_op(_allreduce_sum, local, "allreduce")
            with gn.device("/cpu:0"):
                reduced = scaled(reduced, scale)
        results = []
        for device in devices:
            with gn.device(device):
                results.append(gn.identity(reduced))
        return results


class DistributedOptimizer:
    """Wraps a ``gn.train`` optimizer: ``compute_gradients`` returns gradients averaged over all
    processes (one fused all-reduce per step); everything else is the wrapped optimizer's."""

    def __init__(self, optimizer, name=None):
        self.optimizer = optimizer
        self.name = name or f"Distributed{optimizer.get_name()}"

    def __getattr__(self, attribute):
        return getattr(self.optimizer, attribute)

    def compute_gradients(self, *args, **kwargs):
        """The wrapped optimizer's gradients, averaged across processes."""
        pairs = self.optimizer.compute_gradients(*args, **kwargs)
        if size() == 1:
            return pairs
        variables = [v for _, v in pairs]
        with gn.name_scope(self.name):
            buffer = fuse([g for g, _ in pairs], variables)
            reduced = MpiAllReduce().all_reduce([buffer], ["/cpu:0"], 1.0 / size())[0]
            with gn.device("/cpu:0"):
                grads = unfuse(reduced, variables)
        return [(g if pair[0] is not None else None, v) for g, v, pair in zip(grads, variables, pairs)]

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        return self.optimizer.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def minimize(self, loss, global_step=None, var_list=None, name=None, **kwargs):
        """compute_gradients (averaged across processes) then apply_gradients."""
        pairs = self.compute_gradients(loss, var_list=var_list, **kwargs)
        return self.apply_gradients(pairs, global_step=global_step, name=name)


def broadcast_variables(variables, root_rank=0):
    """The op that sets every process's ``variables`` to ``root_rank``'s values (one fused
    broadcast); run it once after the initializer."""
    variables = list(variables)
    if not variables:
        return gn.no_op(name="broadcast_variables")
    static_sizes(variables)
    with gn.name_scope("broadcast_variables"), gn.device("/cpu:0"):
        buffer = fuse([v.value() for v in variables], variables)
        received = _host_op(lambda b: _broadcast(b, root_rank), buffer, "broadcast")
        values = unfuse(received, variables)
        return gn.group(*[gn.assign(v, value) for v, value in zip(variables, values)])
