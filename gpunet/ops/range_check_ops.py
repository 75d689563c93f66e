"""``check_in_range``: a tensor passed through unchanged, with a run-time InvalidArgumentError when one of its
values lies outside ``[low, high]`` (or is NaN). TF1 builds such checks from assert ops (tf.metrics.auc's
predictions in [0, 1], tf.confusion_matrix's labels below num_classes); the check is immediate on host devices
and deferred to the end of the run on GPUs (graph/checks.py)."""
from __future__ import annotations

import numpy as np

from ..graph.core_ops import convert_to_tensor
from ..graph.registry import define_op
from ._helpers import out

__all__ = ["check_in_range"]


def _kernel(ctx):
    xp, low, high, message = ctx.xp, ctx.attrs["low"], ctx.attrs["high"], ctx.attrs["message"]
    check = ctx.value_check()

    def check_in_range_fn(x):
        if x.size:
            check(xp.logical_not(xp.all(xp.logical_and(x >= low, x <= high))),
                  lambda host: _describe(host, low, high, message), x)
        return x
    return check_in_range_fn


def _describe(host, low, high, message):
    bad = ~((host >= low) & (host <= high))
    at = np.unravel_index(int(np.argmax(bad)), host.shape)
    where = f"[{','.join(map(str, at))}]" if host.ndim else ""
    return f"{message}: value{where} = {host[at]} is not in [{low}, {high}]"


define_op("CheckInRange", lambda i, a: [(i[0].dtype, i[0]._shape)], {"any": _kernel}, grad=lambda op, g: [g],
          doc="``x`` unchanged; InvalidArgumentError at run time when a value is outside [low, high]")


def check_in_range(x, low, high, message, name=None):
    """``x`` unchanged; running it fails with InvalidArgumentError ("<message>: value[i] = v is not in
    [low, high]") when some value of ``x`` is below ``low``, above ``high`` or NaN."""
    x = convert_to_tensor(x)
    if not (x.dtype.is_floating or x.dtype.is_integer):
        raise TypeError(f"check_in_range: x must be numeric, got {x.dtype.name}")
    return out("CheckInRange", [x], {"low": low, "high": high, "message": str(message)}, name=name,
               default_name="CheckInRange")
