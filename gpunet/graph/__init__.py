"""Graph building: Graph, Operation, Tensor, scopes, variables, the op registry and Session."""
from . import core_ops
from .core_ops import constant, convert_to_tensor, group, identity, no_op, placeholder, placeholder_with_default
from .dtypes import DType, as_dtype
from .graph import Graph, Operation, Tensor, get_default_graph, reset_default_graph
from .registry import apply_op, define_op, get_op_def, register_gradient, registered_ops
from .scopes import (add_to_collection, add_to_collections, colocate_with, control_dependencies, device,
                     get_collection, get_collection_ref, name_scope, set_random_seed)
from .session import ConfigProto, GPUOptions, InteractiveSession, RunMetadata, RunOptions, Session, get_default_session
from .shape import Dimension, TensorShape, dimension_value
from .variables import (GraphKeys, Variable, assign, assign_add, assign_sub, global_variables,
                        global_variables_initializer, local_variables,
                        local_variables_initializer, report_uninitialized_variables, trainable_variables,
                        variables_initializer)

__all__ = ["ConfigProto", "DType", "Dimension", "GPUOptions", "Graph", "GraphKeys", "InteractiveSession", "Operation",
           "RunMetadata", "RunOptions", "Session", "Tensor", "TensorShape", "Variable", "add_to_collection",
           "add_to_collections", "apply_op", "as_dtype", "assign", "assign_add", "assign_sub", "checks",
           "colocate_with", "constant", "control_dependencies", "control_flow", "convert_to_tensor", "copy_stats",
           "core_ops", "define_op", "device", "dimension_value", "dtypes", "executor", "fetches", "get_collection",
           "get_collection_ref", "get_default_graph", "get_default_session", "get_op_def", "global_variables",
           "global_variables_initializer", "graph", "group", "identity", "local_variables",
           "local_variables_initializer", "memory", "name_scope", "no_op", "nodes", "placeholder",
           "placeholder_with_default", "placer", "plan", "plan_cache", "register_gradient", "registered_ops",
           "registry", "report", "report_uninitialized_variables", "reset_default_graph", "scopes", "session",
           "set_random_seed", "shape", "timeline", "trainable_variables", "validation", "variables",
           "variables_initializer"]
