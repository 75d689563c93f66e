"""How fused gradient buffers are combined across replicas: one ``all_reduce`` call per step.

A ``Communicator`` takes one buffer per device and returns, for each of those devices, the sum of
all buffers (multiplied by ``scale``) as a tensor placed on that device. Implementations:
``HostAllReduce`` (through the host: one copy up and one down per device), ``CollectiveAllReduce``
(one collective op per device, gpunet/ops/collective_ops.py: NCCL on CuPy GPUs, a host sum in place
on virtual GPUs; no copy through the host) and, in ``gn.parallel.mpi``, one across processes."""
from __future__ import annotations

from abc import ABC, abstractmethod

import gpunet as gn
from gpunet.ops.collective_ops import all_reduce_sum


class Communicator(ABC):
    """Combines per-device buffers; see the module docstring."""

    @abstractmethod
    def all_reduce(self, buffers, devices, scale):
        """``[sum(buffers) * scale placed on d for d in devices]``."""


class HostAllReduce(Communicator):
    """Sums the buffers on ``/cpu:0`` and sends the result back to each device."""

    def __init__(self, host="/cpu:0"):
        self.host = host

    def all_reduce(self, buffers, devices, scale):
        with gn.device(self.host), gn.name_scope("all_reduce"):
            total = buffers[0] if len(buffers) == 1 else gn.add_n(buffers)
            reduced = gn.multiply(total, scale, name="mean")
        results = []
        for index, device in enumerate(devices):
            with gn.device(device):
                results.append(gn.identity(reduced, name=f"all_reduce/to_replica_{index}"))
        return results


class CollectiveAllReduce(Communicator):
    """One all-reduce collective over the devices' buffers (NCCL on CuPy GPUs), then each device
    scales its own result: gradients never pass through the host."""

    def all_reduce(self, buffers, devices, scale):
        results = []
        for index, (reduced, device) in enumerate(zip(all_reduce_sum(buffers, devices), devices)):
            with gn.device(device):
                results.append(gn.multiply(reduced, scale, name=f"all_reduce/mean_{index}"))
        return results
