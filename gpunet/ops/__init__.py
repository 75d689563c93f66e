"""The op set: one module per family; each op's shape rule, gradient and kernels sit together."""
from . import (array_ops, broadcast_ops, concat_ops, control_ops, creation_ops, gradients_impl, indexing_ops,  # noqa
               init_ops, linalg_ops, logic_ops, math_ops, nn_ops, random_ops, reduction_ops, script_ops, variable_scope)
from . import (conv_ops, depthwise_conv_ops, dropout_ops, loss_ops, nn_composites, nn_extra_ops,  # noqa: F401
               normalization_ops, pool_ops, softmax_ops)  # (gn.nn)
from . import clip_ops, diag_ops, einsum_ops, fusion_ops, nd_indexing_ops, order_ops, segment_ops, variable_aliases  # noqa: F401
from . import scatter_ops, segment_reduce_ops  # noqa: F401
from . import confusion_ops, range_check_ops, sequence_ops  # noqa: F401
from . import fused_batch_norm, space_depth_ops  # noqa: F401  (gn.nn.fused_batch_norm, block rearrangements)
from . import conv3d_ops, pool3d_ops  # noqa: F401  (gn.nn.conv3d, max_pool3d, avg_pool3d)
from . import operators  # noqa: F401  (Tensor/Variable operators, once every family is defined)
from . import indexed_slices  # noqa: F401  (gn.IndexedSlices and the Variable.scatter_* methods)
from . import training_ops  # noqa: F401  (optimizer update ops)
from . import sparse_training_ops  # noqa: F401  (their sparse forms, for gradients of gather)
from . import control_flow_grad, control_flow_ops  # noqa: F401  (cond, while_loop and their gradients)

__all__ = ["array_ops", "broadcast_ops", "clip_ops", "concat_ops", "control_flow_grad", "control_flow_ops",
           "confusion_ops", "control_ops", "conv_ops", "creation_ops", "depthwise_conv_ops", "diag_ops",
           "dropout_ops", "einsum_ops", "gradients_impl", "indexing_ops", "init_ops", "input_ops", "iterator_ops",
           "linalg_ops", "logic_ops", "loss_ops", "math_ops", "nd_indexing_ops", "nn_composites", "nn_extra_ops",
           "nn_fused", "nn_ops", "normalization_ops", "operators", "order_ops", "parsing_ops", "pool_ops",
           "queue_ops", "random_ops", "range_check_ops", "reader_ops", "record_io", "reduction_ops", "scatter_ops",
           "script_ops", "segment_ops", "segment_reduce_ops", "sequence_ops", "softmax_ops", "training_ops",
           "variable_aliases", "variable_scope"]
__all__ += ["conv3d_ops", "pool3d_ops"]
__all__ += ["fused_batch_norm", "indexed_slices", "space_depth_ops", "sparse_training_ops"]
