"""``gn.nn``: neural-network ops (gpunet/ops/nn_ops.py, softmax_ops.py, conv_ops.py, depthwise_conv_ops.py, pool_ops.py,
conv3d_ops.py, pool3d_ops.py, normalization_ops.py, dropout_ops.py, nn_composites.py, nn_extra_ops.py)."""
from .ops.conv_ops import *  # noqa: F401,F403
from .ops.depthwise_conv_ops import *  # noqa: F401,F403
from .ops.dropout_ops import *  # noqa: F401,F403
from .ops.nn_composites import *  # noqa: F401,F403
from .ops.nn_extra_ops import *  # noqa: F401,F403
from .ops.nn_ops import *  # noqa: F401,F403
from .ops.normalization_ops import *  # noqa: F401,F403
from .ops.pool_ops import *  # noqa: F401,F403
from .ops import rnn_cell  # tf.nn.rnn_cell
from .ops.rnn import bidirectional_dynamic_rnn, dynamic_rnn, static_rnn
from .ops.candidate_sampling_ops import log_uniform_candidate_sampler, uniform_candidate_sampler
from .ops.sampled_losses import nce_loss, sampled_softmax_loss
from .ops.softmax_ops import *  # noqa: F401,F403
from .ops.fused_batch_norm import fused_batch_norm
from .ops.space_depth_ops import depth_to_space, space_to_batch, space_to_depth
from .ops.conv3d_ops import conv3d
from .ops.pool3d_ops import avg_pool3d, max_pool3d

__all__ = ["atrous_conv2d", "avg_pool", "avg_pool1d", "avg_pool2d", "batch_normalization", "bias_add",
           "bidirectional_dynamic_rnn", "conv1d", "conv2d", "conv2d_transpose", "convolution", "depthwise_conv2d",
           "depthwise_conv2d_native", "dropout", "dynamic_rnn", "elu", "embedding_lookup", "gelu", "in_top_k",
           "l2_loss", "l2_normalize", "leaky_relu", "local_response_normalization", "log_poisson_loss", "log_softmax",
           "log_uniform_candidate_sampler", "lrn", "max_pool", "max_pool1d", "max_pool2d", "moments", "nce_loss",
           "normalize_moments", "relu", "relu6", "relu_layer", "rnn_cell", "sampled_softmax_loss", "selu",
           "separable_conv2d", "sigmoid", "sigmoid_cross_entropy_with_logits", "softmax",
           "softmax_cross_entropy_with_logits", "softmax_cross_entropy_with_logits_v2", "softplus", "softsign",
           "sparse_softmax_cross_entropy_with_logits", "static_rnn", "sufficient_statistics", "swish", "tanh",
           "top_k", "uniform_candidate_sampler", "weighted_cross_entropy_with_logits", "weighted_moments",
           "xw_plus_b", "zero_fraction", "fused_batch_norm", "depth_to_space", "space_to_batch", "space_to_depth"]
__all__ += ["avg_pool3d", "conv3d", "max_pool3d"]
