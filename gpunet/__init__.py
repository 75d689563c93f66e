"""gpunet: TF1-style graphs and Keras-style models, placed op by op on CPUs and GPUs.

``import gpunet as gn`` — this module only re-exports the public names of the API.
"""
from . import config, errors
from .graph import timeline
from .device import DeviceSpec
from .graph import (ConfigProto, Dimension, dimension_value, assign, assign_add, assign_sub, GPUOptions, Graph,
                    GraphKeys, InteractiveSession, Operation, RunMetadata, RunOptions, Session, Tensor, TensorShape,
                    Variable, add_to_collection, add_to_collections,
                    colocate_with, constant, control_dependencies, convert_to_tensor, device, get_collection,
                    get_collection_ref, get_default_graph, get_default_session, global_variables,
                    global_variables_initializer, group, identity, local_variables, local_variables_initializer,
                    name_scope, no_op, placeholder, placeholder_with_default, report_uninitialized_variables,
                    reset_default_graph, set_random_seed, trainable_variables, variables_initializer)
from .graph.dtypes import (DType, as_dtype, bool_ as bool, float16, float32, float64, int8, int16, int32, int64,
                           string, uint8)
from .ops.array_ops import *  # noqa: F401,F403
from .ops.broadcast_ops import *  # noqa: F401,F403
from .ops.clip_ops import *  # noqa: F401,F403
from .ops.concat_ops import *  # noqa: F401,F403
from .ops.control_ops import *  # noqa: F401,F403
from .ops.control_flow_ops import cond, while_loop
from .ops.tensor_array_ops import TensorArray
from .ops.functional_ops import foldl, foldr, map_fn, scan
from .ops.creation_ops import *  # noqa: F401,F403
from .ops.diag_ops import *  # noqa: F401,F403
from .ops.einsum_ops import *  # noqa: F401,F403
from .ops.gradients_impl import gradients
from .ops.init_ops import (constant_initializer, glorot_normal_initializer, glorot_uniform_initializer, he_normal,
                           he_uniform, ones_initializer, random_normal_initializer, random_uniform_initializer,
                           truncated_normal_initializer, variance_scaling_initializer, zeros_initializer)
from .ops.indexing_ops import *  # noqa: F401,F403
from .ops.linalg_ops import *  # noqa: F401,F403
from .ops.nd_indexing_ops import *  # noqa: F401,F403
from .ops.order_ops import *  # noqa: F401,F403
from .ops.logic_ops import *  # noqa: F401,F403
from .ops.math_ops import *  # noqa: F401,F403
from .ops.nn_ops import sigmoid, tanh  # TF1 has them at the top level too
from .ops.reduction_ops import *  # noqa: F401,F403
from .ops.random_ops import random_normal, random_uniform, truncated_normal
from .ops.script_ops import py_func
from .ops.segment_ops import *  # noqa: F401,F403
from .ops.segment_reduce_ops import *  # noqa: F401,F403
from .ops.scatter_ops import *  # noqa: F401,F403
from .ops.indexed_slices import IndexedSlices, IndexedSlicesValue
from .ops.confusion_ops import confusion_matrix
from .ops.sequence_ops import sequence_mask
from .ops.space_depth_ops import *  # noqa: F401,F403
from .ops.special_ops import erf, erfc
from .ops.variable_scope import AUTO_REUSE, VariableScope, get_variable, get_variable_scope, variable_scope
from .ops.variable_aliases import *  # noqa: F401,F403  (TF 0.x names)
from .ops.input_ops import count_up_to, random_shuffle  # input pipelines (API.md §9)
from .ops.parsing_ops import (FixedLenFeature, SparseTensor, SparseTensorValue, VarLenFeature, decode_csv,
                              decode_raw, parse_example, parse_single_example)
from .ops.queue_ops import FIFOQueue, PaddingFIFOQueue, QueueBase, RandomShuffleQueue
from .ops.reader_ops import FixedLengthRecordReader, ReaderBase, TFRecordReader, TextLineReader
from .ops.string_ops import as_string, reduce_join, string_join, string_strip, string_to_number, substr
from .ops.string_regex_ops import regex_replace, string_split
from .ops.string_encoding_ops import decode_base64, encode_base64, string_to_hash_bucket_fast
from . import app, datasets, debugging, losses, nn, train  # noqa: E402  (namespaces built on the names above)
from .app import flags  # noqa: E402  (TF 1.5+'s tf.flags, the same module as tf.app.flags)
from . import summary  # noqa: E402
from . import data, gfile, io, python_io  # noqa: E402  (tf.gfile, tf.io, input pipelines)
from . import strings  # noqa: E402  (tf.strings)
from . import backend, callbacks, layers, metrics, models, optimizers, utils  # noqa: E402  (Keras 2 API)
from . import parallel  # noqa: E402  (data parallel: towers, multi_gpu_model, MPI)
from . import contrib  # noqa: E402  (tf.contrib.rnn)
from . import compat  # noqa: E402  (last: gn.compat.v1 is this module, complete)
from .compat import disable_eager_execution, disable_v2_behavior  # noqa: E402

__version__ = "0.1.0"

# The public API: what `from gpunet import *` gives and what dir(gn) shows — the
# internal packages (gpunet.graph, gpunet.ops) stay importable but are not part of it.
__all__ = ["AUTO_REUSE", "ConfigProto", "DType", "DeviceSpec", "Dimension", "FIFOQueue", "FixedLenFeature",
           "FixedLengthRecordReader", "GPUOptions", "Graph", "GraphKeys", "InteractiveSession", "Operation",
           "PaddingFIFOQueue", "Print", "QueueBase", "RandomShuffleQueue", "ReaderBase", "RunMetadata", "RunOptions",
           "Session", "SparseTensor", "SparseTensorValue", "TFRecordReader", "Tensor", "TensorArray", "TensorShape",
           "TextLineReader", "VarLenFeature", "Variable", "VariableScope", "abs", "add", "add_check_numerics_ops",
           "add_n", "add_to_collection", "add_to_collections", "all_variables", "app", "argmax", "argmin", "as_dtype",
           "assert_variables_initialized", "assign", "assign_add", "assign_sub", "backend", "bool", "boolean_mask",
           "broadcast_to", "callbacks", "cast", "ceil", "check_numerics", "clip_by_global_norm", "clip_by_norm",
           "clip_by_value", "colocate_with", "compat", "concat", "confusion_matrix", "cond", "config", "constant",
           "constant_initializer", "contrib", "control_dependencies", "convert_to_tensor", "cos", "count_nonzero",
           "count_up_to", "cumprod", "cumsum", "data", "datasets", "debugging", "decode_csv", "decode_raw", "device",
           "dimension_value", "disable_eager_execution", "disable_v2_behavior", "div", "divide", "equal", "erf",
           "erfc", "errors", "exp", "expand_dims", "expm1", "fill", "flags", "float16", "float32", "float64", "floor",
           "floordiv", "floormod", "foldl", "foldr", "gather", "gather_nd", "get_collection", "get_collection_ref",
           "get_default_graph", "get_default_session", "get_variable", "get_variable_scope", "gfile", "global_norm",
           "global_variables", "global_variables_initializer", "glorot_normal_initializer",
           "glorot_uniform_initializer", "gradients", "greater", "greater_equal", "group", "he_normal", "he_uniform",
           "identity", "initialize_all_variables", "initialize_local_variables", "initialize_variables", "int16",
           "int32", "int64", "int8", "io", "is_finite", "is_inf", "is_nan", "is_variable_initialized", "layers",
           "less", "less_equal", "local_variables", "local_variables_initializer", "log", "log1p", "logical_and",
           "logical_not", "logical_or", "logical_xor", "losses", "map_fn", "matmul", "maximum", "metrics", "minimum",
           "mod", "models", "multiply", "name_scope", "negative", "newaxis", "nn", "no_op", "not_equal", "one_hot",
           "ones", "ones_initializer", "ones_like", "optimizers", "pack", "pad", "parallel", "parse_example",
           "parse_single_example", "placeholder", "placeholder_with_default", "pow", "print", "py_func", "python_io",
           "random_normal", "random_normal_initializer", "random_shuffle", "random_uniform",
           "random_uniform_initializer", "range", "rank", "realdiv", "reciprocal", "reduce_all", "reduce_any",
           "reduce_logsumexp", "reduce_max", "reduce_mean", "reduce_min", "reduce_prod", "reduce_sum",
           "report_uninitialized_variables", "reset_default_graph", "reshape", "round", "rsqrt", "scan", "scatter_add",
           "scatter_div", "scatter_max", "scatter_min", "scatter_mul", "scatter_nd_add", "scatter_nd_sub",
           "scatter_nd_update", "scatter_sub", "scatter_update", "segment_max", "segment_mean", "segment_min",
           "segment_prod", "segment_sum", "sequence_mask", "set_random_seed", "shape", "sigmoid", "sign", "sin",
           "size", "slice", "split", "sqrt", "square", "squared_difference", "squeeze", "stack", "stop_gradient",
           "strided_slice", "string", "subtract", "summary", "tanh", "tensordot", "tile", "timeline", "to_double",
           "to_float", "to_int32", "to_int64", "train", "trainable_variables", "transpose", "truediv",
           "truncated_normal", "truncated_normal_initializer", "truncatediv", "truncatemod", "uint8",
           "unsorted_segment_max", "unsorted_segment_mean", "unsorted_segment_min", "unsorted_segment_prod",
           "unsorted_segment_sqrt_n", "unsorted_segment_sum", "unstack", "utils", "variable_scope",
           "variables_initializer", "variance_scaling_initializer", "where", "while_loop", "zeros",
           "zeros_initializer", "zeros_like"]
__all__ += ["batch_to_space", "batch_to_space_nd", "depth_to_space", "space_to_batch", "space_to_batch_nd",
            "space_to_depth"]  # block rearrangements (ops/space_depth_ops.py)
__all__ += ["IndexedSlices", "IndexedSlicesValue"]  # rows of a tensor, for Variable.scatter_* (ops/indexed_slices.py)
__all__ += ["as_string", "decode_base64", "encode_base64", "reduce_join", "regex_replace", "string_join",
            "string_split", "string_strip", "string_to_hash_bucket_fast", "string_to_number", "strings",
            "substr"]  # string ops (ops/string_ops.py, string_regex_ops.py, string_encoding_ops.py)


def __dir__():
    return sorted(__all__ + ["__version__"])
