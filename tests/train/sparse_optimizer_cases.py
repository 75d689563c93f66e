"""TF1's Momentum, RMSProp, Adagrad and Adam optimizers on the model of regularized_optimizer_cases.py
(a dense layer and an embedding looked up with repeated ids), frozen from TF1 into
sparse_optimizers_reference.npz by make_sparse_optimizers_reference.py, as ``(id, TF1 class name,
kwargs)``. Shared by the generator (run under real TF) and the tests (run under gpunet)."""
import numpy as np

from tests.train.regularized_optimizer_cases import EMBEDDING, IDS, STEPS, build_loss

__all__ = ["CASES", "EMBEDDING", "MODES", "NEVER_LOOKED_UP", "STEPS", "build_loss", "ids_at"]

# "alternating" looks up rows 0 and 2 on even steps, 0 and 1 on odd ones (with repeats), never row 3: a row
# left out of a step keeps its momentum in a dense update (it moves) but not in TF1's sparse one
_ALTERNATING = (np.array([0, 2, 2, 0, 2, 0], np.int32), np.array([0, 1, 1, 1, 0, 1], np.int32))
NEVER_LOOKED_UP = 3
MODES = [("all_rows", "as_computed"), ("alternating", "as_computed"), ("alternating", "dense")]


def ids_at(ids_name, step):
    """The ids fed at step ``step`` (0-based)."""
    return _ALTERNATING[step % 2] if ids_name == "alternating" else IDS[ids_name]


CASES = [
    ("momentum", "MomentumOptimizer", {"learning_rate": 0.1, "momentum": 0.9}),
    ("momentum-nesterov", "MomentumOptimizer", {"learning_rate": 0.05, "momentum": 0.8, "use_nesterov": True}),
    ("adagrad", "AdagradOptimizer", {"learning_rate": 0.3}),
    ("adagrad-initial", "AdagradOptimizer", {"learning_rate": 0.1, "initial_accumulator_value": 0.5}),
    ("rmsprop", "RMSPropOptimizer", {"learning_rate": 0.01}),
    ("rmsprop-momentum", "RMSPropOptimizer", {"learning_rate": 0.02, "decay": 0.8, "momentum": 0.5,
                                              "epsilon": 1e-6}),
    ("rmsprop-centered", "RMSPropOptimizer", {"learning_rate": 0.01, "centered": True}),
    ("rmsprop-centered-momentum", "RMSPropOptimizer", {"learning_rate": 0.02, "momentum": 0.7, "centered": True}),
    ("adam", "AdamOptimizer", {"learning_rate": 0.1}),
    ("adam-betas", "AdamOptimizer", {"learning_rate": 0.05, "beta1": 0.5, "beta2": 0.9, "epsilon": 1e-3}),
]
