"""Run-time value checks (indices out of range, integer division by zero, NaN/Inf, labels out of
range): immediate on host devices, deferred to the end of ``Session.run`` on GPUs.

A kernel asks ``ctx.value_check()`` for a :class:`ValueCheck` when its plan is built and calls it
with a 0-d boolean *flag* array computed on its own device ("some value is bad"). On a host device
the flag is read at once and the kernel raises. On a GPU reading it would block the host until the
device caught up, once per op per step; so the flag stays on the device and is recorded in the
run's :class:`RunChecks`. ``Plan.run`` reads all flags of one device in a single transfer at the
end of the run (or when a later step fails: a bad value is the likelier cause) and raises the first
failure with the op's name, exactly as the immediate path would have. The steps after a failed
deferred check still ran, as they do on a real GPU, before the error is raised.
"""
from __future__ import annotations

import contextlib
import threading

import numpy as np

from .. import errors

__all__ = ["DEFERRED_DEVICE_TYPES", "RunChecks", "ValueCheck", "collecting"]

# Device types whose checks are deferred. Virtual GPUs are GPUs, so CI runs the deferred path;
# tests may change this set to run either path on any device.
DEFERRED_DEVICE_TYPES = {"GPU"}

_local = threading.local()


class ValueCheck:
    """The run-time check of one op on one device (built with the plan)."""

    __slots__ = ("op", "device")

    def __init__(self, op, device):
        self.op = op
        self.device = device

    def __call__(self, flag, describe, *arrays):
        """Fail when the 0-d array ``flag`` is true; ``describe(*host_arrays)`` then gives the message
        (it is called only on failure, with ``arrays`` brought to the host)."""
        run = getattr(_local, "run", None)
        if run is not None and self.device.device_type in DEFERRED_DEVICE_TYPES:
            run.pending.append((self, flag, describe, arrays))
        elif _to_host(self.device, flag):
            raise self.error(describe, arrays)

    def error(self, describe, arrays):
        with self.device.backend.context():  # the array's device, not the thread's current one
            host = [_to_host(self.device, a) for a in arrays]
        return errors.InvalidArgumentError(None, self.op, describe(*host))


class RunChecks:
    """The deferred checks of one ``Plan.run`` in the order their ops ran."""

    def __init__(self):
        self.pending = []

    def failure(self):
        """``((step-like tuple naming the op and device), error)`` for the first failed check, else None.
        Reads each device's flags in one transfer."""
        if not self.pending:
            return None
        failed = []
        for device, items in _by_device(self.pending).items():
            flags = _read_flags(device, [item[1] for index, item in items])
            failed += [index for (index, _), bad in zip(items, flags) if bad]
        if not failed:
            return None
        check, _, describe, arrays = self.pending[min(failed)]
        return (None, None, None, None, check.op, check.device), check.error(describe, arrays)


@contextlib.contextmanager
def collecting():
    """The :class:`RunChecks` of the run this thread starts (nested runs keep their own)."""
    outer = getattr(_local, "run", None)
    _local.run = run = RunChecks()
    try:
        yield run
    finally:
        _local.run = outer


def _by_device(pending):
    groups = {}
    for index, item in enumerate(pending):
        groups.setdefault(item[0].device, []).append((index, item))
    return groups


def _read_flags(device, flags):
    """One device-to-host transfer for all ``flags`` of ``device``."""
    xp = device.backend.xp
    with device.backend.context():
        stacked = flags[0].reshape(1) if len(flags) == 1 else xp.stack(flags)
        return _to_host(device, stacked).tolist()


def _to_host(device, array):
    """A kernel-side array (a device array on CuPy) as a NumPy array."""
    return np.asarray(getattr(device.backend.xp, "asnumpy", np.asarray)(array))
