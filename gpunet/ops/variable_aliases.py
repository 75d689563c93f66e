"""The TF 0.x / early 1.x names of the variable functions, kept so old scripts run unchanged."""
from ..graph.variables import (
    assert_variables_initialized,
    global_variables,
    global_variables_initializer,
    is_variable_initialized,
    local_variables_initializer,
    variables_initializer,
)

__all__ = ["all_variables", "assert_variables_initialized", "initialize_all_variables",
           "initialize_local_variables", "initialize_variables", "is_variable_initialized"]


def initialize_all_variables():
    """TF 0.x's name of ``global_variables_initializer()``."""
    return global_variables_initializer()


def initialize_variables(var_list, name="init"):
    """TF 0.x's name of ``variables_initializer(var_list)``."""
    return variables_initializer(var_list, name=name)


def initialize_local_variables():
    """TF 0.x's name of ``local_variables_initializer()``."""
    return local_variables_initializer()


def all_variables():
    """TF 0.x's name of ``global_variables()``."""
    return global_variables()
