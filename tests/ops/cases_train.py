"""The optimizer update ops (gpunet/ops/training_ops.py) are stateful: each step's output depends
on the variable's and its slots' values, so they are checked over several steps against NumPy
re-implementations of TF1's formulas, on every device, in tests/train/test_optimizer_updates.py
(and the fused GPU kernels against the generic update in tests/train/test_fused_kernels.py)."""

CASES = []

_REASON = ("stateful update; checked step by step against NumPy references of TF1's formula on every device "
           "in tests/train/test_optimizer_updates.py, fused GPU kernel in tests/train/test_fused_kernels.py")

EXEMPT = {op_type: _REASON for op_type in ("ApplyGradientDescent", "ApplyMomentum", "ApplyAdagrad", "ApplyRMSProp",
                                           "ApplyCenteredRMSProp", "ApplyAdam")}
EXEMPT.update({op_type: ("stateful update; after several steps of a small model equal to real TF1's (frozen fixture) "
                         "on every device in tests/train/test_regularized_optimizers.py, fused GPU kernel in "
                         "tests/train/test_fused_kernels.py")
               for op_type in ("ApplyAdadelta", "ApplyFtrl", "ApplyFtrlV2", "ApplyProximalGradientDescent",
                               "ApplyProximalAdagrad", "ApplyAdagradDA")})
EXEMPT.update({f"Sparse{op_type}": ("stateful sparse update (rows of gather gradients); against real TF1's sparse path "
                                    "on every device in tests/train/test_regularized_optimizers.py")
               for op_type in ("ApplyAdadelta", "ApplyFtrl", "ApplyFtrlV2", "ApplyProximalGradientDescent",
                               "ApplyProximalAdagrad", "ApplyAdagradDA")})
EXEMPT.update({f"Sparse{op_type}": ("stateful sparse update (rows of gather gradients; Adam's moves every row as TF1's "
                                    "_apply_sparse); against real TF1's sparse path on every device in "
                                    "tests/train/test_sparse_optimizers.py")
               for op_type in ("ApplyMomentum", "ApplyAdagrad", "ApplyRMSProp", "ApplyCenteredRMSProp", "ApplyAdam")})
