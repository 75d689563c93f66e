"""``gn.debugging``: check_numerics and friends (defined in gpunet/ops/control_ops.py)."""
from .ops.control_ops import add_check_numerics_ops, check_numerics  # noqa: F401

__all__ = ["add_check_numerics_ops", "assert_all_finite", "check_numerics"]


def assert_all_finite(t, msg, name=None):
    """TF1's alias: ``t`` unchanged, or InvalidArgumentError "<msg> : Tensor had NaN values" (or Inf)."""
    return check_numerics(t, msg, name=name)
