"""``gn.train``: optimizers, the global step, learning-rate schedules, moving averages, device setters,
Coordinator, Saver and checkpoints, queue runners, input producers and batching."""
from .checkpoint_state import (CheckpointState, checkpoint_exists, get_checkpoint_state, latest_checkpoint,
                               list_variables, load_variable)
from .coordinator import Coordinator
from .device_setter import replica_device_setter
from .global_step import (assert_global_step, create_global_step, get_global_step, get_or_create_global_step,
                          global_step)
from .input import (batch, batch_join, input_producer, limit_epochs, range_input_producer, shuffle_batch,
                    shuffle_batch_join, slice_input_producer, string_input_producer)
from .learning_rate_decay import (cosine_decay, cosine_decay_restarts, exponential_decay, inverse_time_decay,
                                  linear_cosine_decay, natural_exp_decay, piecewise_constant, polynomial_decay)
from .moving_averages import ExponentialMovingAverage
from .optimizer import Optimizer
from .optimizers import (AdagradOptimizer, AdamOptimizer, GradientDescentOptimizer, MomentumOptimizer,
                         RMSPropOptimizer)
from .regularized_optimizers import (AdadeltaOptimizer, AdagradDAOptimizer, FtrlOptimizer, ProximalAdagradOptimizer,
                                     ProximalGradientDescentOptimizer)
from .queue_runner import QueueRunner, add_queue_runner, start_queue_runners
from .saver import Saver

__all__ = ["AdadeltaOptimizer", "AdagradDAOptimizer", "FtrlOptimizer", "ProximalAdagradOptimizer",
           "ProximalGradientDescentOptimizer", "AdagradOptimizer", "AdamOptimizer", "CheckpointState", "Coordinator",
           "ExponentialMovingAverage",
           "GradientDescentOptimizer", "MomentumOptimizer", "Optimizer", "RMSPropOptimizer", "Saver",
           "assert_global_step", "checkpoint_exists", "create_global_step", "get_checkpoint_state",
           "get_global_step", "get_or_create_global_step", "global_step", "latest_checkpoint", "list_variables",
           "load_variable", "replica_device_setter", "cosine_decay", "cosine_decay_restarts", "exponential_decay",
           "inverse_time_decay", "linear_cosine_decay", "natural_exp_decay", "piecewise_constant", "polynomial_decay",
           "QueueRunner", "add_queue_runner", "start_queue_runners", "batch", "batch_join", "input_producer",
           "limit_epochs", "range_input_producer", "shuffle_batch", "shuffle_batch_join", "slice_input_producer",
           "string_input_producer"]
