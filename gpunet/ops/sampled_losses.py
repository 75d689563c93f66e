"""TF1's sampled losses for large output vocabularies: ``tf.nn.nce_loss`` and
``tf.nn.sampled_softmax_loss``, built as TF1's ``_compute_sampled_logits`` builds them.

The true classes' and the sampled classes' logits are ``inputs . weights[class] + biases[class]``
minus ``log(expected count)``; an accidental hit (a sampled class that is one of the row's true
classes) gets the dtype's lowest value added when ``remove_accidental_hits``, as TF1.
"""
from __future__ import annotations

import numpy as np

from ..graph.core_ops import convert_to_tensor
from ..graph.dtypes import int64
from ..graph.scopes import name_scope
from . import math_ops
from .array_ops import expand_dims, reshape, stop_gradient
from .candidate_sampling_ops import log_uniform_candidate_sampler
from .concat_ops import concat
from .creation_ops import ones_like, zeros_like
from .indexing_ops import gather
from .linalg_ops import matmul
from .logic_ops import equal, where
from .reduction_ops import reduce_any, reduce_sum
from .softmax_ops import sigmoid_cross_entropy_with_logits, softmax_cross_entropy_with_logits_v2

__all__ = ["nce_loss", "sampled_softmax_loss"]


def _one_tensor(params, what):
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise ValueError(f"{what} sharded into {len(params)} tensors are not supported; concatenate them into one")
        params = params[0]
    return convert_to_tensor(params)


def _samples(labels, num_true, num_sampled, num_classes, sampled_values, seed):
    if sampled_values is None:
        sampled_values = log_uniform_candidate_sampler(labels, num_true, num_sampled, True, num_classes, seed=seed)
    sampled, true_expected, sampled_expected = (stop_gradient(v) for v in sampled_values)
    return math_ops.cast(sampled, int64), true_expected, sampled_expected


def _accidental_hits(labels, sampled, dtype):
    """[batch, num_sampled]: the dtype's lowest value where a sampled class is a true class, else 0."""
    hits = reduce_any(equal(expand_dims(labels, 2), reshape(sampled, [1, 1, -1])), axis=1)
    return where(hits, math_ops.cast(np.finfo(dtype.np).min, dtype) * ones_like(math_ops.cast(hits, dtype)),
                 zeros_like(math_ops.cast(hits, dtype)))


def _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true, sampled_values,
                    remove_accidental_hits, seed):
    weights, biases = _one_tensor(weights, "weights"), _one_tensor(biases, "biases")
    inputs = convert_to_tensor(inputs)
    labels = math_ops.cast(convert_to_tensor(labels), int64)
    if labels.shape.ndims is not None and labels.shape.ndims != 2:
        raise ValueError(f"labels must be a matrix [batch_size, num_true], got shape {labels.shape}")
    sampled, true_expected, sampled_expected = _samples(labels, num_true, num_sampled, num_classes,
                                                        sampled_values, seed)
    true_w = gather(weights, labels)                                     # [batch, num_true, dim]
    true_logits = reduce_sum(math_ops.multiply(expand_dims(inputs, 1), true_w), axis=2) + gather(biases, labels)
    sampled_logits = matmul(inputs, gather(weights, sampled), transpose_b=True) + gather(biases, sampled)
    if remove_accidental_hits:
        sampled_logits = sampled_logits + _accidental_hits(labels, sampled, sampled_logits.dtype)
    true_logits = true_logits - math_ops.log(math_ops.cast(true_expected, true_logits.dtype))
    sampled_logits = sampled_logits - math_ops.log(math_ops.cast(sampled_expected, sampled_logits.dtype))
    logits = concat([true_logits, sampled_logits], 1)
    targets = concat([ones_like(true_logits) / float(num_true), zeros_like(sampled_logits)], 1)
    return logits, targets


def nce_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1, sampled_values=None,
             remove_accidental_hits=False, partition_strategy="mod", name="nce_loss", seed=None):
    """Noise-contrastive estimation loss per example ([batch]): logistic losses of the true classes
    (target ``1 / num_true``) and of ``num_sampled`` classes drawn by the log-uniform sampler
    (target 0). ``weights`` [num_classes, dim], ``biases`` [num_classes], ``labels`` [batch,
    num_true] int, ``inputs`` [batch, dim]; ``sampled_values`` a sampler's triple to reuse."""
    with name_scope(name, "nce_loss"):
        logits, targets = _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                                          sampled_values, remove_accidental_hits, seed)
        return reduce_sum(sigmoid_cross_entropy_with_logits(labels=targets, logits=logits), axis=1)


def sampled_softmax_loss(weights, biases, labels, inputs, num_sampled, num_classes, num_true=1,
                         sampled_values=None, remove_accidental_hits=True, partition_strategy="mod",
                         name="sampled_softmax_loss", seed=None):
    """Softmax cross-entropy per example ([batch]) over the true classes and ``num_sampled``
    sampled ones (logits corrected by their log expected counts), as TF1; arguments as
    :func:`nce_loss`, accidental hits removed by default."""
    with name_scope(name, "sampled_softmax_loss"):
        logits, targets = _sampled_logits(weights, biases, labels, inputs, num_sampled, num_classes, num_true,
                                          sampled_values, remove_accidental_hits, seed)
        return softmax_cross_entropy_with_logits_v2(labels=stop_gradient(targets), logits=logits)
