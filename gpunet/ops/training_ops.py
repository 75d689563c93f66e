"""Optimizer update ops: ApplyGradientDescent, ApplyMomentum, ApplyAdagrad, ApplyRMSProp,
ApplyCenteredRMSProp, ApplyAdam, and (forms in _regularized_updates.py) ApplyAdadelta, ApplyFtrl,
ApplyFtrlV2, ApplyProximalGradientDescent, ApplyProximalAdagrad, ApplyAdagradDA. Each updates a
variable and its slots in place, in one op.

With the attr ``use_locking`` an update holds its variable's lock (so concurrent runs of
updates of one variable serialise); without it updates are lock-free, TF1's "Hogwild" default.

Inputs, in order: the refs (the ``VariableV2`` outputs of the variable, then of its slots; their
kernels receive the VarSlot), the scalar hyperparameters (0-d, the variable's dtype), the
gradient. The output is the variable's updated buffer, as for AssignAdd.

Every update comes in one :class:`UpdateForm`: a generic body written against ``xp`` (NumPy on
the CPU, CuPy on GPUs; the reference) and a CUDA body for a fused ``cupy.ElementwiseKernel``
that mirrors it line by line, operation for operation. The fused kernels are compiled without
FMA contraction, so each multiply and add rounds separately, as NumPy's do; like every CuPy kernel
they flush float32 subnormals to zero (see _cuda.py), so a GPU update differs from the CPU one
only for values below about 1.2e-38.
"""
from __future__ import annotations

import numpy as np

from ..graph.core_ops import locking
from ..graph.registry import apply_op, define_op
from ..graph.shape import compatible
from ._cuda import elementwise_kernel, runs_fused, warmed
from ._regularized_updates import REGULARIZED_FORMS
from ._update_form import UpdateForm

__all__: list = []  # the ops are used through gn.train's optimizers



# -- the updates: generic (reference) and fused bodies side by side -------------------------------
def _gradient_descent(xp, one, var, lr, grad):
    var -= grad * lr


def _momentum(xp, one, var, accum, lr, momentum, grad):
    accum *= momentum
    accum += grad
    var -= accum * lr


def _nesterov_momentum(xp, one, var, accum, lr, momentum, grad):
    accum *= momentum
    accum += grad
    step = grad * lr
    step += accum * momentum * lr
    var -= step


def _adagrad(xp, one, var, accum, lr, grad):
    accum += grad * grad
    step = grad * lr
    step /= xp.sqrt(accum)
    var -= step


def _decay_mean_square(ms, grad, weight):
    """ms += (grad * grad - ms) * weight: a moving average of grad ** 2, in place"""
    t = grad * grad
    t -= ms
    t *= weight
    ms += t


def _decay_mean(mg, grad, weight):
    """mg += (grad - mg) * weight: a moving average of grad, in place"""
    t = grad - mg
    t *= weight
    mg += t


def _rms_step(xp, grad, lr, mean_square_plus_eps):
    """grad * lr / sqrt(mean_square_plus_eps)"""
    step = grad * lr
    step /= xp.sqrt(mean_square_plus_eps)
    return step


def _rmsprop(xp, one, var, ms, mom, lr, rho, momentum, epsilon, grad):
    _decay_mean_square(ms, grad, one - rho)
    mom *= momentum
    mom += _rms_step(xp, grad, lr, ms + epsilon)
    var -= mom


def _rmsprop_no_momentum(xp, one, var, ms, lr, rho, epsilon, grad):
    _decay_mean_square(ms, grad, one - rho)
    var -= _rms_step(xp, grad, lr, ms + epsilon)


def _centered_rmsprop(xp, one, var, mg, ms, mom, lr, rho, momentum, epsilon, grad):
    _decay_mean_square(ms, grad, one - rho)
    _decay_mean(mg, grad, one - rho)
    denominator = ms - mg * mg
    denominator += epsilon
    mom *= momentum
    mom += _rms_step(xp, grad, lr, denominator)
    var -= mom


def _centered_rmsprop_no_momentum(xp, one, var, mg, ms, lr, rho, epsilon, grad):
    _decay_mean_square(ms, grad, one - rho)
    _decay_mean(mg, grad, one - rho)
    denominator = ms - mg * mg
    denominator += epsilon
    var -= _rms_step(xp, grad, lr, denominator)


def _adam(xp, one, var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad):
    lr_t = lr * xp.sqrt(one - beta2_power) / (one - beta1_power)
    _decay_mean(m, grad, one - beta1)
    _decay_mean_square(v, grad, one - beta2)
    denominator = xp.sqrt(v)
    denominator += epsilon
    step = m * lr_t
    step /= denominator
    var -= step


_RMS = "ms += (grad * grad - ms) * (1 - rho);\n"
_MG = "mg += (grad - mg) * (1 - rho);\n"

FORMS = {form.name: form for form in (
    UpdateForm("gradient_descent", ("var",), ("lr",), _gradient_descent,
               "var -= grad * lr;"),
    UpdateForm("momentum", ("var", "accum"), ("lr", "momentum"), _momentum,
               "accum = accum * momentum + grad;\n"
               "var -= accum * lr;"),
    UpdateForm("nesterov_momentum", ("var", "accum"), ("lr", "momentum"), _nesterov_momentum,
               "accum = accum * momentum + grad;\n"
               "var -= grad * lr + accum * momentum * lr;"),
    UpdateForm("adagrad", ("var", "accum"), ("lr",), _adagrad,
               "accum += grad * grad;\n"
               "var -= grad * lr / sqrt(accum);"),
    UpdateForm("rmsprop", ("var", "ms", "mom"), ("lr", "rho", "momentum", "epsilon"), _rmsprop,
               _RMS + "mom = mom * momentum + grad * lr / sqrt(ms + epsilon);\n"
               "var -= mom;"),
    UpdateForm("rmsprop_no_momentum", ("var", "ms"), ("lr", "rho", "epsilon"), _rmsprop_no_momentum,
               _RMS + "var -= grad * lr / sqrt(ms + epsilon);"),
    UpdateForm("centered_rmsprop", ("var", "mg", "ms", "mom"), ("lr", "rho", "momentum", "epsilon"),
               _centered_rmsprop,
               _RMS + _MG + "mom = mom * momentum + grad * lr / sqrt(ms - mg * mg + epsilon);\n"
               "var -= mom;"),
    UpdateForm("centered_rmsprop_no_momentum", ("var", "mg", "ms"), ("lr", "rho", "epsilon"),
               _centered_rmsprop_no_momentum,
               _RMS + _MG + "var -= grad * lr / sqrt(ms - mg * mg + epsilon);"),
    UpdateForm("adam", ("var", "m", "v"), ("beta1_power", "beta2_power", "lr", "beta1", "beta2", "epsilon"), _adam,
               "T lr_t = lr * sqrt(1 - beta2_power) / (1 - beta1_power);\n"
               "m += (grad - m) * (1 - beta1);\n"
               "v += (grad * grad - v) * (1 - beta2);\n"
               "var -= m * lr_t / (sqrt(v) + epsilon);"),
    *REGULARIZED_FORMS,
)}


# -- kernels ----------------------------------------------------------------------------------------
_BLOCK_BYTES = 1 << 20  # NumPy updates large variables block by block: temporaries stay small (a few per block), and
# each block is one long GIL-free call: with smaller blocks, updates made while other threads run (replicas) would hand
# the GIL back and forth twice per block


def _generic_builder(choose):
    def build(ctx):
        form = FORMS[choose(ctx.attrs)]
        update, xp, n_refs = form.xp_update, ctx.xp, len(form.refs)
        one = xp.asarray(1, dtype=ctx.out_dtype())  # keeps `1 - rho` in the variable's dtype
        block = _BLOCK_BYTES // ctx.out_dtype().itemsize if xp is np else None
        check_scalars = _scalar_checker(ctx, form)

        def run(*args):
            arrays = [slot.get() for slot in args[:n_refs]]
            scalars, grad = args[n_refs:-1], args[-1]
            _check_shapes(form, arrays, grad)
            check_scalars(scalars)
            if block is None or arrays[0].size <= block or not all(a.flags.c_contiguous for a in arrays):
                update(xp, one, *arrays, *scalars, grad)
                return arrays[0]
            flat, grad = [a.reshape(-1) for a in arrays], grad.reshape(-1)
            for start in range(0, grad.size, block):
                end = start + block
                update(xp, one, *[a[start:end] for a in flat], *scalars, grad[start:end])
            return arrays[0]
        return locking(ctx, run)
    return build


def _check_shapes(form, arrays, grad):
    shape = arrays[0].shape
    for name, a in zip((*form.refs[1:], "grad"), (*arrays[1:], grad)):
        if a.shape != shape:
            raise ValueError(f"var and {name} do not have the same shape: {list(shape)} vs {list(a.shape)}")


def _scalar_checker(ctx, form):
    """``check(scalars)`` running the form's ScalarChecks (TF1's run-time checks of hyperparameters)."""
    if not form.checks:
        return lambda scalars: None
    check, position = ctx.value_check(), {name: i for i, name in enumerate(form.scalars)}

    def check_scalars(scalars):
        for rule in form.checks:
            value = scalars[position[rule.scalar]]
            check(rule.is_bad(value), lambda host, rule=rule: f"{rule.message}: {host}", value)
    return check_scalars


def _fused_builder(choose, generic):
    def build(ctx):
        if not runs_fused(ctx):
            return generic(ctx)  # virtual GPUs (NumPy) and other dtypes take the generic update
        form = FORMS[choose(ctx.attrs)]
        n_refs = len(form.refs)
        # called as (grad, 0-d scalars, refs): compiled now for that signature, not in the first run
        kernel = warmed(fused_kernel(form), ctx.xp, ctx.out_dtype(), [(1,), *[()] * len(form.scalars),
                                                                      *[(1,)] * n_refs])

        check_scalars = _scalar_checker(ctx, form)

        def run(*args):
            arrays = [slot.get() for slot in args[:n_refs]]
            _check_shapes(form, arrays, args[-1])
            check_scalars(args[n_refs:-1])
            kernel(args[-1], *args[n_refs:-1], *arrays)  # in params (grad, scalars), then in-out refs
            return arrays[0]
        return locking(ctx, run)
    return build


def fused_kernel(form: UpdateForm):
    """The ``cupy.ElementwiseKernel`` of ``form``, built on first use (CuPy compiles per dtype)."""
    return elementwise_kernel(form.name, form.in_params, form.out_params, form.cuda_body)


# -- the ops --------------------------------------------------------------------------------------
def _infer_for(op_type, choose):
    def infer(inputs, attrs):
        form = FORMS[choose(attrs)]
        names = (*form.refs, *form.scalars, "grad")
        if len(inputs) != len(names):
            raise ValueError(f"{op_type} takes {len(names)} inputs ({', '.join(names)}), got {len(inputs)}")
        var = inputs[0]
        if not var.dtype.is_floating:
            raise TypeError(f"{op_type} updates floating-point variables; {var.name} is {var.dtype.name}")
        for name, t in zip(names, inputs):
            if t.dtype != var.dtype:
                raise TypeError(f"{op_type}: input {name} ({t.name}) is {t.dtype.name}, the variable is "
                                f"{var.dtype.name}")
        n_refs, n_scalars = len(form.refs), len(form.scalars)
        for name, t in zip(form.refs, inputs[:n_refs]):
            if t.op.type != "VariableV2":
                raise TypeError(f"{op_type}: input {name} must be a variable's ref (variable._ref), got "
                                f"{t.name} from a {t.op.type} op")
        for name, t in zip((*form.refs[1:], "grad"), (*inputs[1:n_refs], inputs[-1])):
            if not compatible(t._shape, var._shape):
                raise ValueError(f"{op_type}: {name} has shape {t.shape}, incompatible with the variable "
                                 f"{var.op.name} of shape {var.shape}")
        for name, t in zip(form.scalars, inputs[n_refs:n_refs + n_scalars]):
            if t._shape is not None and t._shape != ():
                raise ValueError(f"{op_type}: {name} must be a scalar, got {t.name} of shape {t.shape}")
        return [(var.dtype, var._shape)]
    return infer


FORM_OF: dict = {}  # op type -> attrs -> the name of its UpdateForm


def _define(op_type, choose):
    FORM_OF[op_type] = choose
    generic = _generic_builder(choose)
    define_op(op_type, _infer_for(op_type, choose), {"any": generic, "GPU": _fused_builder(choose, generic)},
              stateful=True, aliases_state=True, differentiable=False, takes_refs=True)


_define("ApplyGradientDescent", lambda attrs: "gradient_descent")
_define("ApplyMomentum", lambda attrs: "nesterov_momentum" if attrs["use_nesterov"] else "momentum")
_define("ApplyAdagrad", lambda attrs: "adagrad")
_define("ApplyRMSProp", lambda attrs: "rmsprop" if attrs["momentum_slot"] else "rmsprop_no_momentum")
_define("ApplyCenteredRMSProp",
        lambda attrs: "centered_rmsprop" if attrs["momentum_slot"] else "centered_rmsprop_no_momentum")
_define("ApplyAdam", lambda attrs: "adam")
for _op_type, _form in (("ApplyAdadelta", "adadelta"), ("ApplyFtrl", "ftrl"), ("ApplyFtrlV2", "ftrl_v2"),
                        ("ApplyProximalGradientDescent", "proximal_gradient_descent"),
                        ("ApplyProximalAdagrad", "proximal_adagrad"), ("ApplyAdagradDA", "adagrad_da")):
    _define(_op_type, lambda attrs, form=_form: form)


def apply_update(op_type, refs, scalars, grad, attrs=None, name=None):
    """Create an update op. ``refs``: the Variable, then its slot Variables, in the form's order;
    ``scalars``: 0-d tensors of the variable's dtype; returns the op's output (the variable)."""
    inputs = [v._ref for v in refs] + list(scalars) + [grad]
    return apply_op(op_type, inputs, dict(attrs or {}), name or op_type).outputs[0]
