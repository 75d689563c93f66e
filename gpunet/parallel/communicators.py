"""How fused gradient buffers are combined across replicas: one ``all_reduce`` call per step.

A ``Communicator`` takes one buffer per device and returns, for each of those devices, the sum of
all buffers (multiplied by ``scale``) as a tensor placed on that device. Implementations:
``HostAllReduce`` (through the host: one copy up and one down per device), ``CollectiveAllReduce``
(one collective op per device, gpunet/ops/collective_ops.py: NCCL on CuPy GPUs, a host sum in place
on virtual GPUs; no copy through the host) and, in ``gn.parallel.mpi``, one across processes."""
from __future__ import annotations

from abc import ABC, abstractmethod

import gpunet as gn
from gpunet.device import registry
from gpunet.device.spec import DeviceSpec
from gpunet.ops.collective_ops import all_reduce_sum, nccl_available

__all__ = ["Communicator", "HostAllReduce", "scaled"]


class Communicator(ABC):
    """Combines per-device buffers; see the module docstring."""

    @abstractmethod
    def all_reduce(self, buffers, devices, scale):
        """``[sum(buffers) * scale placed on d for d in devices]``."""


def scaled(tensor, scale, name=None):
    """``tensor * scale``; ``tensor`` itself when ``scale`` is the number 1 (gradients that came scaled:
    the replica engine folds the 1/batch scale into each tower's backward pass, off the host's path)."""
    if isinstance(scale, (int, float)) and scale == 1:
        return tensor
    return gn.multiply(tensor, scale, name=name)


class HostAllReduce(Communicator):
    """Sums the buffers on ``/cpu:0`` and sends the result back to each device."""

    def __init__(self, host="/cpu:0"):
        self.host = host

    def all_reduce(self, buffers, devices, scale):
        with gn.device(self.host), gn.name_scope("all_reduce"):
            total = buffers[0] if len(buffers) == 1 else gn.add_n(buffers)
            reduced = scaled(total, scale, name="mean")
        results = []
        for index, device in enumerate(devices):
            with gn.device(device):
                results.append(gn.identity(reduced, name=f"all_reduce/to_replica_{index}"))
        return results


class CollectiveAllReduce(Communicator):
    """One all-reduce collective over the devices' buffers (NCCL on CuPy GPUs), then each device
    scales its own result: gradients never pass through the host. Where one collective cannot join
    the devices (host memory mixed with CuPy GPUs, logical GPUs sharing a card, which NCCL cannot
    make ranks of, or a CuPy without NCCL), it combines them as ``HostAllReduce`` does. One device
    has nothing to combine: its buffer, scaled, stays where it is."""

    def __init__(self, host="/cpu:0"):
        self.host = host

    def all_reduce(self, buffers, devices, scale):
        if len(devices) == 1:
            with gn.device(devices[0]):
                return [scaled(buffers[0], scale, name="all_reduce/mean_0")]
        if not collective_applies(devices):
            return HostAllReduce(self.host).all_reduce(buffers, devices, scale)
        results = []
        for index, (reduced, device) in enumerate(zip(all_reduce_sum(buffers, devices), devices)):
            with gn.device(device):
                results.append(scaled(reduced, scale, name=f"all_reduce/mean_{index}"))
        return results


def collective_applies(devices):
    """Whether one collective joins ``devices`` (names): all of them in host memory (CPU, virtual
    GPUs), or all CuPy GPUs on cards of their own (NCCL: one rank per card) with NCCL at hand."""
    backends = [_device(name).backend for name in devices]
    on_cards = [b.capabilities.device_memory for b in backends]
    if not any(on_cards):
        return True
    cards = [getattr(b, "physical_id", None) for b in backends]
    return all(on_cards) and len(set(cards)) == len(cards) and nccl_available()


def _device(name):
    spec = DeviceSpec.from_string(name)
    device = registry.find(spec.device_type or "CPU", spec.device_index or 0)
    if device is None:
        raise ValueError(f"CollectiveAllReduce: no device {name!r} on this machine")
    return device
