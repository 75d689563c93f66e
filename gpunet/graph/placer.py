"""Placement: a device and a reason for every op of a plan, decided by explicit rules.

Rules, in order: colocation groups (a variable with its initializer, reads and updates;
``colocate_with``) share one device, decided once for the whole group; an explicit request
is honoured when the device exists and has a kernel for every op of the group; unpinned ops
without inputs follow their consumers; other unpinned ops take the default (GPU:0 when a GPU
exists and the op has a GPU kernel, else CPU:0). A request that cannot be met is an error,
unless soft placement is on: then the op falls back and the reason says so.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import errors
from ..device import Device, DeviceSpec

__all__ = ["Placement", "Placer"]


@dataclass(frozen=True)
class Placement:
    device: Device
    reason: str       # 'requested', 'default', 'colocated with X', 'follows consumer Y', 'soft: ...'
    requested: str    # the op's requested device ('' when unpinned)

    @property
    def soft(self) -> bool:
        return self.reason.startswith("soft")


class Placer:
    """Places ops for one session. Group decisions are remembered: variables never move."""

    def __init__(self, devices: list[Device], allow_soft_placement: bool):
        self.devices = devices
        self.soft = allow_soft_placement
        self._groups_version = -1
        self._group_of = {}          # op name -> group root name
        self._members = {}           # root name -> [ops]
        self._group_placement = {}   # root name -> Placement of the group

    def place(self, ops, graph) -> dict:
        """Placement for each op in ``ops`` (a pruned plan, in graph order)."""
        self._refresh_groups(graph)
        result = {}
        needs_consumer = []
        # TF1's order (ops with inputs first): an error names the op TF1 would name
        for op in [op for op in ops if op.inputs] + [op for op in ops if not op.inputs]:
            root = self._group_of.get(op.name)
            if root is not None:
                result[op] = self._place_group(root, op)
            elif op.inputs or op.device:
                result[op] = self._decide(op.device, [op], op)
            else:
                needs_consumer.append(op)
        for op in needs_consumer:  # their consumers have inputs, so they are placed by now
            result[op] = self._follow_consumers(op, result)
        return result

    # -- colocation groups ------------------------------------------------------------------
    def _refresh_groups(self, graph):
        if self._groups_version == graph.version:
            return
        parent = {}

        def find(name):
            while parent.get(name, name) != name:
                name = parent[name]
            return name

        for op in graph._ops:
            for other in op.colocation:
                parent[find(op.name)] = find(other)
                parent.setdefault(other, other)  # the target is a member of its own group
        members = {}
        for op in graph._ops:
            if op.name in parent:
                members.setdefault(find(op.name), []).append(op)
        self._members = members
        self._group_of = {op.name: root for root, ops in members.items() for op in ops}
        self._groups_version = graph.version

    def _place_group(self, root, op) -> Placement:
        members = self._members[root]
        placement = self._group_placement.get(root)
        if placement is None:
            # the error names the member that asked for a device, else the group's root
            anchor = next((m for m in members if m.device), None) or next(
                (m for m in members if m.name == root), members[0])
            placement = self._decide(anchor.device, members, anchor)
            self._group_placement[root] = placement
        if not op.op_def.can_run_on(placement.device.device_type, op):
            raise errors.InvalidArgumentError(None, op, (
                f"Cannot assign a device for operation {op.name}: it is colocated with {root}, which is "
                f"placed on {placement.device.name}, but {op.type} has no {placement.device.device_type} "
                f"kernel for its dtypes. {_kernel_note(op)}"))
        if op.name == root:
            return placement
        return Placement(placement.device, f"colocated with {root}", op.device)

    # -- single decisions -------------------------------------------------------------------
    def _decide(self, requested: str, members, op) -> Placement:
        types = [t for t in ("GPU", "CPU") if all(m.op_def.can_run_on(t, m) for m in members)]
        if not types:
            raise errors.InvalidArgumentError(None, op, f"No device type can run operation {op.name} "
                                                        f"({op.type}) with its dtypes.")
        if not requested:
            return Placement(self._default(types, op), "default", "")
        spec = DeviceSpec.from_string(requested)
        if spec.device_type is None and spec.is_local():
            return Placement(self._default(types, op), "default", requested)
        if not spec.is_local():
            raise errors.InvalidArgumentError(None, op, self._message(op, requested, types, "job", members))
        device = self._find(spec.device_type, spec.device_index)
        if device is not None and device.device_type in types:
            return Placement(device, "requested", requested)
        if not self.soft:
            reason = "kernel" if device is not None else "device"
            raise errors.InvalidArgumentError(None, op, self._message(op, requested, types, reason, members))
        return self._fallback(spec, device, types, requested, op, members)

    def _fallback(self, spec, device, types, requested, op, members) -> Placement:
        missing = f"no device {_short(spec)}" if device is None else f"no {spec.device_type} kernel"
        gpus = [d for d in self.devices if d.device_type == "GPU"]
        if spec.device_type == "GPU" and "GPU" in types and gpus:
            return Placement(gpus[0], f"soft: {missing}", requested)
        if "CPU" in types:
            return Placement(self.devices[0], f"soft: {missing}", requested)
        if "GPU" in types and gpus:  # a GPU-only op asked for the CPU (or a missing device)
            return Placement(gpus[0], f"soft: {missing}", requested)
        raise errors.InvalidArgumentError(None, op, self._message(op, requested, types, "device", members))

    def _follow_consumers(self, op, result) -> Placement:
        consumers = [c for t in op.outputs for c in t._consumers if c in result]
        devices = {result[c].device for c in consumers}
        if len(devices) == 1:
            device = devices.pop()
            if op.op_def.can_run_on(device.device_type, op):
                return Placement(device, f"follows consumer {consumers[0].name}", "")
        return self._decide("", [op], op)

    def _default(self, types, op) -> Device:
        gpu = self._find("GPU", 0)
        if gpu is not None and "GPU" in types:
            return gpu
        if "CPU" in types:
            return self.devices[0]
        raise errors.InvalidArgumentError(None, op, (
            f"Cannot assign a device for operation {op.name}: {op.type} has kernels for device types "
            f"[{', '.join(types)}] but this process has no such device (devices: "
            f"[ {', '.join(d.name for d in self.devices)} ])."))

    def _find(self, device_type, index):
        for d in self.devices:
            if d.device_type == device_type and (index is None or d.index == index):
                return d
        return None

    def _message(self, op, requested, types, problem, members) -> str:
        available = ", ".join(d.name for d in self.devices)
        spec = DeviceSpec.from_string(requested)
        if problem == "kernel":
            head = (f"Could not satisfy explicit device specification '{requested}' because no supported "
                    f"kernel for {spec.device_type} devices is available.")
            blockers = [m for m in members if not m.op_def.can_run_on(spec.device_type, m)]
            if blockers and blockers != [op]:
                head += (f" It is colocated with {', '.join(f'{m.name} ({m.type})' for m in blockers)}, "
                         f"which cannot run on {spec.device_type}.")
        else:
            head = (f"{{{{node {op.name}}}}} was explicitly assigned to {requested} but available devices "
                    f"are [ {available} ]. Make sure the device specification refers to a valid device.")
        if spec.device_type == "GPU" and not any(d.device_type == "GPU" for d in self.devices):
            head += (" The requested device appears to be a GPU, but this process has none (no CuPy with a "
                     "CUDA device; gn.config.set_virtual_gpus(n) makes virtual ones).")
        fix = ("Soft placement cannot move an op to another job or task; use a local device."
               if problem == "job" else
               "Fix the device scope, or create the session with "
               "gn.ConfigProto(allow_soft_placement=True) to fall back to a device that can run it.")
        return (f"Cannot assign a device for operation {op.name}: {head} "
                f"{'The colocation group of ' if len(members) > 1 else ''}Op {op.name} ({op.type}) has "
                f"kernels for device types [{', '.join(types)}]. {fix}")


def _kernel_note(op) -> str:
    return f"{op.type} has kernels for device types [{', '.join(op.op_def.device_types())}]."


def _short(spec: DeviceSpec) -> str:
    """'/gpu:3' for a local request (reasons stay short); the full string otherwise."""
    if not spec.is_local() or spec.device_type is None:
        return spec.to_string()
    index = "*" if spec.device_index is None else spec.device_index
    return f"/{spec.device_type.lower()}:{index}"
