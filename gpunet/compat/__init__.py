"""``gn.compat.v1``: the TF1 names, which are gpunet's own (``import gpunet.compat.v1 as tf``)."""
from . import v1

__all__ = ["disable_eager_execution", "disable_v2_behavior", "v1"]


def disable_v2_behavior():
    """Nothing to disable: gpunet always builds graphs (kept so TF2-era TF1 scripts run)."""


def disable_eager_execution():
    """Nothing to disable: gpunet has no eager mode."""
