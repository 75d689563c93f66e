"""``gn.nn``: neural-network ops (gpunet/ops/nn_ops.py, softmax_ops.py, conv_ops.py, pool_ops.py,
normalization_ops.py, dropout_ops.py, nn_composites.py, nn_extra_ops.py)."""
from .ops.conv_ops import *  # noqa: F401,F403
from .ops.dropout_ops import *  # noqa: F401,F403
from .ops.nn_composites import *  # noqa: F401,F403
from .ops.nn_extra_ops import *  # noqa: F401,F403
from .ops.nn_ops import *  # noqa: F401,F403
from .ops.normalization_ops import *  # noqa: F401,F403
from .ops.pool_ops import *  # noqa: F401,F403
from .ops.softmax_ops import *  # noqa: F401,F403
