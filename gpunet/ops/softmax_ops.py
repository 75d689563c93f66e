"""Neural-network ops, part 2 (gn.nn): softmax, log_softmax and the cross-entropies.

All are computed stably (the row maximum is subtracted before exp; log-sum-exp for logs). The
softmax cross-entropies are single fused ops returning ``(loss, backprop)`` as TF1's do: the
forward pass computes the gradient wrt the logits once and the gradient function reuses it.
"""
from __future__ import annotations

from .. import errors
from ..graph.core_ops import convert_to_tensor
from ..graph.registry import define_op
from ..graph.shape import compatible
from . import math_ops
from .array_ops import stop_gradient
from .reduction_ops import expand_dims_for_reduction, reduce_sum
from ._helpers import dims_text, matching_pair, out, same_as_input
from ._rank_checks import at_least, rank_checked
from .nn_fused import kernels as fused_or_generic
from .nn_ops import require_float, sigmoid

__all__ = ["log_softmax", "sigmoid_cross_entropy_with_logits", "softmax", "softmax_cross_entropy_with_logits",
           "softmax_cross_entropy_with_logits_v2", "sparse_softmax_cross_entropy_with_logits"]


def _axis(x, axis, what):
    """A non-negative class axis; the rank must be known for any other axis than the last."""
    axis = -1 if axis is None else int(axis)
    if x._shape is None:
        if axis != -1:
            raise ValueError(f"{what}: axis {axis} needs a tensor of known rank, got {x.name} of unknown rank")
        return axis
    rank = len(x._shape)
    if rank == 0:
        raise ValueError(f"{what}: logits must have rank >= 1, got a scalar {x.name}")
    if not -rank <= axis < rank:
        raise ValueError(f"{what}: axis {axis} is out of range for {x.name} of rank {rank}")
    return axis % rank


def _is_zeros(t):
    """gn.gradients feeds ZerosLike for outputs nobody differentiated; skip the work they would cause."""
    return t.op.type == "ZerosLike"


def _stable_exp(xp, x, axis):
    """(shifted logits, exp(shifted), sum of exp) along ``axis`` with the maximum subtracted."""
    if x.size == 0:  # nothing to normalise (and max has no identity): empty in, empty out
        return x, xp.exp(x), xp.ones_like(x.sum(axis=axis, keepdims=True))  # a sum that divides safely
    shifted = x - x.max(axis=axis, keepdims=True)
    exp = xp.exp(shifted)
    return shifted, exp, exp.sum(axis=axis, keepdims=True)


# -- softmax --------------------------------------------------------------------------------------
def _softmax_kernel(ctx):
    xp, axis = ctx.xp, ctx.attrs["axis"]

    def softmax_(x):
        _, exp, total = _stable_exp(xp, x, axis)
        exp /= total
        return exp
    return softmax_


def _softmax_grad_kernel(ctx):
    axis = ctx.attrs["axis"]
    return lambda y, g: (g - (g * y).sum(axis=axis, keepdims=True)) * y


def _softmax_grad_grad(op, gg):
    """out = (g - s) * y with s = sum(g * y): the map g -> out is symmetric, so d/dg is the same map."""
    y, g = op.inputs
    axis = op.attrs["axis"]
    s = reduce_sum(math_ops.multiply(g, y), axis=axis, keepdims=True)
    t = reduce_sum(math_ops.multiply(gg, y), axis=axis, keepdims=True)
    d_y = math_ops.subtract(math_ops.multiply(gg, math_ops.subtract(g, s)), math_ops.multiply(g, t))
    return [d_y, _softmax_grad(y, gg, axis)]


def _softmax_grad(y, g, axis):
    return out("SoftmaxGrad", [y, g], {"axis": axis}, default_name="SoftmaxGrad")


define_op("SoftmaxGrad", lambda i, a: [(i[0].dtype, i[0]._shape)], {"any": _softmax_grad_kernel},
          grad=_softmax_grad_grad)
# a fed scalar of unknown rank: TF1's message, not a silent 1.0
_AT_LEAST_1D = at_least(1, "logits must have >= 1 dimension, got {shape}")
define_op("Softmax", same_as_input, {"any": rank_checked(_softmax_kernel, _AT_LEAST_1D)},
          grad=lambda op, g: [_softmax_grad(op.outputs[0], g, op.attrs["axis"])])


def softmax(logits, axis=None, name=None, dim=None):
    """exp(logits) / sum(exp(logits)) along ``axis`` (default the last)."""
    x = convert_to_tensor(logits)
    require_float(x, "Softmax")
    axis = _axis(x, dim if axis is None else axis, "softmax")
    return out("Softmax", [x], {"axis": axis}, name=name, default_name="Softmax")


# -- log_softmax ----------------------------------------------------------------------------------
def _log_softmax_kernel(ctx):
    xp, axis = ctx.xp, ctx.attrs["axis"]

    def log_softmax_(x):
        shifted, _, total = _stable_exp(xp, x, axis)
        shifted -= xp.log(total)
        return shifted
    return log_softmax_


def _log_softmax_grad(op, g):
    axis = op.attrs["axis"]
    probabilities = softmax(op.inputs[0], axis=axis)
    return [math_ops.subtract(g, math_ops.multiply(probabilities, reduce_sum(g, axis=axis, keepdims=True)))]


define_op("LogSoftmax", same_as_input, {"any": rank_checked(_log_softmax_kernel, _AT_LEAST_1D)}, grad=_log_softmax_grad)


def log_softmax(logits, axis=None, name=None, dim=None):
    """logits - log(sum(exp(logits))) along ``axis`` (default the last), computed stably."""
    x = convert_to_tensor(logits)
    require_float(x, "LogSoftmax")
    axis = _axis(x, dim if axis is None else axis, "log_softmax")
    return out("LogSoftmax", [x], {"axis": axis}, name=name, default_name="LogSoftmax")


# -- softmax cross-entropy (dense labels) ----------------------------------------------------------
def _reduced_shape(shape, axis):
    return None if shape is None else shape[:axis % len(shape)] + shape[axis % len(shape) + 1:]


def _xent_infer(inputs, attrs):
    dtype, shape = matching_pair(*inputs, "logits and labels")
    return [(dtype, _reduced_shape(shape, attrs["axis"])), (dtype, shape)]


def _xent_kernel(ctx):
    xp, axis = ctx.xp, ctx.attrs["axis"]

    def xent(logits, labels):
        shifted, exp, total = _stable_exp(xp, logits, axis)
        loss = (labels * (xp.log(total) - shifted)).sum(axis=axis)
        exp /= total
        exp -= labels  # softmax - labels: the gradient when each row of labels is a distribution
        return loss, exp
    return xent


def _expand_loss_grad(g, axis):
    return expand_dims_for_reduction(g, (axis,))


def _xent_grad(op, g_loss, g_backprop):
    logits, labels = op.inputs
    axis = op.attrs["axis"]
    g_loss = _expand_loss_grad(g_loss, axis)
    d_logits = math_ops.multiply(g_loss, op.outputs[1])
    d_labels = math_ops.negative(math_ops.multiply(g_loss, log_softmax(logits, axis=axis)))
    if not _is_zeros(g_backprop):  # only second derivatives differentiate the backprop output
        d_logits = math_ops.add(d_logits, _softmax_grad(softmax(logits, axis=axis), g_backprop, axis))
        d_labels = math_ops.subtract(d_labels, g_backprop)
    return [d_logits, d_labels]


define_op("SoftmaxCrossEntropyWithLogits", _xent_infer, {"any": _xent_kernel}, grad=_xent_grad)


def _named_only(fn_name, sentinel):
    if sentinel is not None:
        raise ValueError(f"Only call `{fn_name}` with named arguments (labels=..., logits=..., ...)")


def _dense_xent(fn_name, labels, logits, axis, name, stop_labels_gradient):
    if labels is None or logits is None:
        raise ValueError(f"{fn_name} needs both labels and logits")
    logits = convert_to_tensor(logits)
    require_float(logits, "SoftmaxCrossEntropyWithLogits")
    labels = convert_to_tensor(labels, preferred_dtype=logits.dtype)
    axis = _axis(logits, axis, fn_name)
    if stop_labels_gradient:
        labels = stop_gradient(labels, name="labels_stop_gradient")
    return out("SoftmaxCrossEntropyWithLogits", [logits, labels], {"axis": axis},
               name=name, default_name="softmax_cross_entropy_with_logits")


def softmax_cross_entropy_with_logits_v2(_sentinel=None, labels=None, logits=None, dim=-1, name=None, axis=None):
    """Per-row -sum(labels * log_softmax(logits)); each row of labels must be a probability distribution.

    Gradients flow into ``labels`` too (TF1's v2 behaviour)."""
    _named_only("softmax_cross_entropy_with_logits_v2", _sentinel)
    return _dense_xent("softmax_cross_entropy_with_logits_v2", labels, logits, dim if axis is None else axis, name,
                       stop_labels_gradient=False)


def softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, dim=-1, name=None, axis=None):
    """As the v2 function, but no gradient flows into ``labels`` (TF1's original behaviour)."""
    _named_only("softmax_cross_entropy_with_logits", _sentinel)
    return _dense_xent("softmax_cross_entropy_with_logits", labels, logits, dim if axis is None else axis, name,
                       stop_labels_gradient=True)


# -- sparse softmax cross-entropy (integer labels) ------------------------------------------------
def _sparse_xent_infer(inputs, attrs):
    logits, labels = inputs
    if not labels.dtype.is_integer:
        raise TypeError(f"labels must be int32 or int64, got {labels.dtype.name}")
    if logits._shape is not None and labels._shape is not None:
        if len(labels._shape) != len(logits._shape) - 1 or not compatible(labels._shape, logits._shape[:-1]):
            raise ValueError(f"Rank mismatch: Rank of labels (received {len(labels._shape)}) should equal rank of "
                             f"logits minus 1 (received {len(logits._shape)}); labels {labels.shape}, "
                             f"logits {logits.shape}")
    batch = logits._shape[:-1] if logits._shape is not None else labels._shape
    if batch is not None and labels._shape is not None:
        batch = tuple(a if a is not None else b for a, b in zip(batch, labels._shape))
    full = None if batch is None else batch + ((None,) if logits._shape is None else logits._shape[-1:])
    return [(logits.dtype, batch), (logits.dtype, full)]


def _label_range_message(labels, classes):
    values = labels.ravel().tolist()
    bad = next(v for v in values if not 0 <= v < classes)
    return (f"Received a label value of {bad} which is outside the valid range of [0, {classes}).  "
            f"Label values: {' '.join(str(v) for v in values)}")


def _first_dimension_message(logits, labels):
    return (f"logits and labels must have the same first dimension, got logits shape {dims_text(logits.shape)} "
            f"and labels shape {dims_text(labels.shape)}")


def _sparse_xent_kernel(ctx):
    xp, check = ctx.xp, ctx.value_check()

    def sparse_xent(logits, labels):
        if logits.shape[:-1] != labels.shape:  # shapes known only when fed
            raise errors.InvalidArgumentError(None, ctx.op, _first_dimension_message(logits, labels))
        classes = logits.shape[-1]
        flat_logits, flat_labels = logits.reshape(-1, classes), labels.reshape(-1)
        # checked on every device (TF1's GPU kernel gives NaN instead); deferred to the end of the run on GPUs
        if flat_labels.size:
            describe = lambda host: _label_range_message(host, classes)  # noqa: E731
            if not classes:
                raise check.error(describe, (labels,))
            check(xp.logical_or(flat_labels.min() < 0, flat_labels.max() >= classes), describe, labels)
        rows = xp.arange(flat_labels.shape[0])
        shifted, exp, total = _stable_exp(xp, flat_logits, -1)
        loss = xp.log(total[:, 0]) - shifted[rows, flat_labels]
        exp /= total
        exp[rows, flat_labels] -= 1  # softmax - one_hot(labels)
        return loss.reshape(labels.shape), exp.reshape(logits.shape)
    return sparse_xent


def _sparse_xent_grad(op, g_loss, g_backprop):
    logits = op.inputs[0]
    class_axis = -1 if g_loss._shape is None else len(g_loss._shape)
    d_logits = math_ops.multiply(_expand_loss_grad(g_loss, class_axis), op.outputs[1])
    if not _is_zeros(g_backprop):
        d_logits = math_ops.add(d_logits, _softmax_grad(softmax(logits), g_backprop, -1))
    return [d_logits, None]


define_op("SparseSoftmaxCrossEntropyWithLogits", _sparse_xent_infer, {"any": _sparse_xent_kernel},
          grad=_sparse_xent_grad, fresh_outputs=True)


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    """Per-example -log_softmax(logits)[label]; labels are class indices in [0, classes).

    A label out of range raises InvalidArgumentError naming it, on every device."""
    _named_only("sparse_softmax_cross_entropy_with_logits", _sentinel)
    if labels is None or logits is None:
        raise ValueError("sparse_softmax_cross_entropy_with_logits needs both labels and logits")
    logits = convert_to_tensor(logits)
    require_float(logits, "SparseSoftmaxCrossEntropyWithLogits")
    if logits._shape is not None and len(logits._shape) == 0:
        raise ValueError(f"Logits cannot be scalars - received shape {logits.shape}.")
    labels = convert_to_tensor(labels, preferred_dtype="int64")
    return out("SparseSoftmaxCrossEntropyWithLogits", [logits, labels], name=name,
               default_name="SparseSoftmaxCrossEntropyWithLogits")


# -- sigmoid cross-entropy ------------------------------------------------------------------------
def _sigmoid_xent_kernel(ctx):
    xp = ctx.xp
    # max(x, 0) - x * z + log(1 + exp(-|x|)): the log term never overflows
    return lambda x, z: xp.maximum(x, 0) - x * z + xp.log1p(xp.exp(-xp.abs(x)))


def _sigmoid_xent_grad(op, g):
    logits, labels = op.inputs
    return [math_ops.multiply(g, math_ops.subtract(sigmoid(logits), labels)),
            math_ops.negative(math_ops.multiply(g, logits))]


define_op("SigmoidCrossEntropyWithLogits", lambda inputs, attrs: [matching_pair(*inputs, "logits and labels")],
          fused_or_generic("SigmoidCrossEntropyWithLogits", _sigmoid_xent_kernel),
          grad=_sigmoid_xent_grad)


def sigmoid_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name=None):
    """Elementwise -z * log(sigmoid(x)) - (1 - z) * log(1 - sigmoid(x)), computed stably."""
    _named_only("sigmoid_cross_entropy_with_logits", _sentinel)
    if labels is None or logits is None:
        raise ValueError("sigmoid_cross_entropy_with_logits needs both labels and logits")
    logits = convert_to_tensor(logits)
    require_float(logits, "SigmoidCrossEntropyWithLogits")
    labels = convert_to_tensor(labels, preferred_dtype=logits.dtype)
    if labels.dtype != logits.dtype:
        raise TypeError(f"labels ({labels.dtype.name}) and logits ({logits.dtype.name}) must have the same dtype")
    if not compatible(logits._shape, labels._shape):
        raise ValueError(f"logits and labels must have the same shape ({logits.shape} vs {labels.shape})")
    return out("SigmoidCrossEntropyWithLogits", [logits, labels], name=name, default_name="logistic_loss")
