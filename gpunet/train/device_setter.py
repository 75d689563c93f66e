"""replica_device_setter: variables on the parameter device, everything else on the worker."""
from __future__ import annotations

from ..device import DeviceSpec

__all__ = ["replica_device_setter"]

_PS_OPS = ("Variable", "VariableV2", "VarHandleOp")


def replica_device_setter(ps_tasks=0, ps_device="/cpu:0", worker_device="/gpu:0", merge_devices=True,
                          cluster=None, ps_ops=None, ps_strategy=None):
    """A device function for ``gn.device(...)``: variable ops go to ``ps_device`` (even with
    ``ps_tasks=0``), all other ops to ``worker_device``. A device set by an inner scope wins
    field by field, as in TF1. With a job in ``ps_device`` and ``ps_tasks`` (or a ``cluster``
    with a 'ps' job), variables are spread over the tasks round-robin (or by ``ps_strategy(op)``).
    The first parameter is ``ps_tasks``, as in TF1: pass the devices by keyword."""
    if not isinstance(ps_tasks, int) or isinstance(ps_tasks, bool):
        raise TypeError(f"replica_device_setter: ps_tasks (the first argument, as in TF1) must be an int, got "
                        f"{ps_tasks!r}; pass devices by keyword: replica_device_setter(ps_device='/cpu:0', "
                        f"worker_device='/gpu:0')")
    if cluster is not None:
        ps_tasks = len(dict(cluster).get("ps", ()))
    ps_spec = DeviceSpec.from_string(ps_device or "")
    worker_spec = DeviceSpec.from_string(worker_device or "")
    ps_ops = tuple(ps_ops or _PS_OPS)
    if ps_strategy is None and ps_tasks and ps_spec.job:
        ps_strategy = _round_robin(ps_tasks)

    def device_function(op):
        if not merge_devices and op.device:
            return op.device
        current = DeviceSpec.from_string(op.device or "")
        if op.type in ps_ops:
            target = ps_spec
            if ps_strategy is not None and (current.job is None or current.job == ps_spec.job):
                target = target.merge(DeviceSpec(task=ps_strategy(op)))
            return target.merge(current).to_string()
        return worker_spec.merge(current).to_string()

    return device_function


def _round_robin(n_tasks):
    state = {"next": 0}

    def choose(op):
        task = state["next"]
        state["next"] = (task + 1) % n_tasks
        return task
    return choose
