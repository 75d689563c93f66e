"""Loads activation_merge_reference.npz (tf_keras 2.21 outputs, see make_activation_merge_reference.py) and
runs gpunet's layer of a case on the same inputs and weights, returning outputs and input gradients."""
import json
import os

import numpy as np

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L

REFERENCE = np.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "activation_merge_reference.npz"))
CASES = json.loads(str(REFERENCE["cases"]))


def run_case(name, cls, kwargs, inputs, device):
    """gpunet's ``cls(**kwargs)`` on ``inputs`` with the reference's weights: (output, input gradients)."""
    layer = getattr(L, cls)(**kwargs)
    with gn.device(device):
        tensors = [gn.constant(x) for x in inputs]
        out = layer(tensors if len(tensors) > 1 else tensors[0])
        total = gn.reduce_sum(out * gn.constant(REFERENCE[f"{name}/out_weights"]))
        grads = gn.gradients(total, tensors)
    weights = [REFERENCE[f"{name}/weight{i}"] for i in range(len(layer.weights))]
    layer.set_weights(weights)
    return K.get_session().run([out, grads])
