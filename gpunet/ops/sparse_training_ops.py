"""Sparse optimizer updates, TF1's ``SparseApply*`` ops: the update rule of the dense op (its
UpdateForm in training_ops.py) applied only to the rows of the variable (and of its slots) that a
gradient of ``gather``/``embedding_lookup`` touches; every other row keeps its values. Repeated
indices are summed first, as TF1's optimizers do (``_apply_sparse_duplicate_indices``).

``SparseApplyAdam`` is the exception, TF1's ``AdamOptimizer._apply_sparse`` in one op: m and v decay
on every row, the gradient enters only the rows it touches, and every row of the variable moves.

Inputs: the refs (variable, then slots), the 0-d scalars, then ``values`` (``[N] + var.shape[1:]``)
and ``indices`` (``[N]``, int32 or int64). The output is the variable's buffer. The rows run through
the generic xp update (NumPy on the CPU, CuPy on GPUs): no fused kernel."""
from __future__ import annotations

from ..graph.core_ops import locking
from ..graph.registry import apply_op, define_op
from ._value_checks import check_indices
from ._scatter_combine import scatter_add_at
from .training_ops import FORMS, _scalar_checker

__all__: list = []  # used through gn.train's optimizers

SPARSE_FORM_OF = {  # op type -> attrs -> the name of its UpdateForm (as training_ops.FORM_OF)
    "SparseApplyMomentum": lambda attrs: "nesterov_momentum" if attrs["use_nesterov"] else "momentum",
    "SparseApplyAdagrad": lambda attrs: "adagrad",
    "SparseApplyRMSProp": lambda attrs: "rmsprop" if attrs["momentum_slot"] else "rmsprop_no_momentum",
    "SparseApplyCenteredRMSProp":
        lambda attrs: "centered_rmsprop" if attrs["momentum_slot"] else "centered_rmsprop_no_momentum",
    "SparseApplyAdam": lambda attrs: "adam",
    **{op_type: (lambda attrs, form=form: form) for op_type, form in (
        ("SparseApplyAdadelta", "adadelta"), ("SparseApplyFtrl", "ftrl"), ("SparseApplyFtrlV2", "ftrl_v2"),
        ("SparseApplyProximalGradientDescent", "proximal_gradient_descent"),
        ("SparseApplyProximalAdagrad", "proximal_adagrad"), ("SparseApplyAdagradDA", "adagrad_da"))},
}


def _infer_for(op_type):
    choose = SPARSE_FORM_OF[op_type]

    def infer(inputs, attrs):
        form = FORMS[choose(attrs)]
        names = (*form.refs, *form.scalars, "values", "indices")
        if len(inputs) != len(names):
            raise ValueError(f"{op_type} takes {len(names)} inputs ({', '.join(names)}), got {len(inputs)}")
        var, values, indices = inputs[0], inputs[-2], inputs[-1]
        for name, t in zip(names[:-1], inputs[:-1]):
            if t.dtype != var.dtype or not var.dtype.is_floating:
                raise TypeError(f"{op_type}: input {name} ({t.name}) is {t.dtype.name}, the variable is "
                                f"{var.dtype.name} (floating point)")
        if indices.dtype.name not in ("int32", "int64"):
            raise TypeError(f"{op_type}: indices must be int32 or int64, got {indices.dtype.name}")
        if indices._shape is not None and len(indices._shape) != 1:
            raise ValueError(f"{op_type}: indices must be 1-D, got shape {indices.shape}")
        if None not in (var._shape, values._shape) and (len(var._shape) == 0 or
                                                        tuple(values._shape[1:]) != tuple(var._shape[1:])):
            raise ValueError(f"{op_type}: values of shape {values.shape} do not hold rows of the variable "
                             f"{var.op.name} of shape {var.shape}")
        return [(var.dtype, var._shape)]
    return infer


def _update_rows(xp, one, form, arrays, scalars, rows, grad):
    """the form's update on the rows ``rows`` (distinct) of the variable and its slots"""
    picked = [a[rows] for a in arrays]
    form.xp_update(xp, one, *picked, *scalars, grad)
    for a, p in zip(arrays, picked):
        a[rows] = p


def _adam_everywhere(xp, one, form, arrays, scalars, rows, grad):
    """TF1's AdamOptimizer._apply_sparse, operation for operation: ``m = m * beta1; m[rows] += grad *
    (1 - beta1)``, the same for v with ``grad * grad`` and beta2, then ``var -= lr_t * m / (sqrt(v) +
    epsilon)`` on every row"""
    var, m, v = arrays
    beta1_power, beta2_power, lr, beta1, beta2, epsilon = scalars
    lr_t = lr * xp.sqrt(one - beta2_power) / (one - beta1_power)
    m *= beta1
    m[rows] += grad * (one - beta1)
    v *= beta2
    v[rows] += grad * grad * (one - beta2)
    step = m * lr_t
    step /= xp.sqrt(v) + epsilon
    var -= step


def _sparse_builder(op_type):
    choose = SPARSE_FORM_OF[op_type]
    apply_rows = _adam_everywhere if op_type == "SparseApplyAdam" else _update_rows

    def build(ctx):
        form = FORMS[choose(ctx.attrs)]
        n_refs = len(form.refs)
        xp, check = ctx.xp, ctx.value_check()
        one, add_at = xp.asarray(1, dtype=ctx.out_dtype()), scatter_add_at(xp)
        check_scalars = _scalar_checker(ctx, form)

        def run(*args):
            arrays = [slot.get() for slot in args[:n_refs]]
            scalars, values, indices = args[n_refs:-2], args[-2], args[-1]
            check_indices(check, xp, indices, arrays[0].shape[0])
            check_scalars(scalars)
            rows, grad = _summed_rows(xp, add_at, arrays[0], values, indices)
            apply_rows(xp, one, form, arrays, scalars, rows, grad)
            return arrays[0]
        return locking(ctx, run)
    return build


def _summed_rows(xp, add_at, var, values, indices):
    """``(rows, grad)``: the distinct rows of ``indices`` (sorted) and, for each, the sum of its
    ``values``; memory in the number of rows of var and of rows touched, not var's size"""
    touched = xp.zeros(var.shape[0], dtype=bool)
    touched[indices] = True
    rows = xp.nonzero(touched)[0]
    position = xp.zeros(var.shape[0], dtype=rows.dtype)
    position[rows] = xp.arange(rows.size, dtype=rows.dtype)
    grad = xp.zeros((rows.size,) + var.shape[1:], dtype=var.dtype)
    add_at(grad, position[indices], values)  # repeated indices add up
    return rows, grad


for _op_type in SPARSE_FORM_OF:
    define_op(_op_type, _infer_for(_op_type), {"any": _sparse_builder(_op_type)}, stateful=True,
              aliases_state=True, differentiable=False, takes_refs=True)


def apply_sparse_update(op_type, refs, scalars, values, indices, attrs=None, name=None):
    """Create a sparse update op (see the module doc); ``op_type`` is ``SparseApply<name>``."""
    inputs = [v._ref for v in refs] + list(scalars) + [values, indices]
    return apply_op(op_type, inputs, dict(attrs or {}), name or op_type).outputs[0]


