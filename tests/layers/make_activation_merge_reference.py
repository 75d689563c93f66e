"""Generates activation_merge_reference.npz: tf_keras 2.21 outputs (and input gradients of
``sum(out * weights)``) of the advanced activation layers and the merge layers, for fixed inputs.
Run with the tf_keras venv: ``/work/tfvenv/bin/python tests/layers/make_activation_merge_reference.py``."""
import json
import os

import numpy as np
import tensorflow as tf
import tf_keras

L = tf_keras.layers

# name -> (class name, kwargs); each runs on x of shape (4, 3, 5) holding ties at 0, 0.5, 1, 1.5, 2, 6
ACTIVATIONS = {
    "leaky_default": ("LeakyReLU", {}),
    "leaky_0.1": ("LeakyReLU", {"alpha": 0.1}),
    "leaky_2": ("LeakyReLU", {"alpha": 2.0}),
    "prelu": ("PReLU", {}),
    "prelu_shared": ("PReLU", {"shared_axes": [1]}),
    "elu_default": ("ELU", {}),
    "elu_0.5": ("ELU", {"alpha": 0.5}),
    "relu_default": ("ReLU", {}),
    "relu6": ("ReLU", {"max_value": 6.0}),
    "relu_max_1.5": ("ReLU", {"max_value": 1.5}),
    "relu_slope": ("ReLU", {"negative_slope": 0.2}),
    "relu_threshold": ("ReLU", {"threshold": 1.0}),
    "relu_all": ("ReLU", {"max_value": 2.0, "negative_slope": 0.1, "threshold": 0.5}),
    "relu_slope_max": ("ReLU", {"max_value": 1.5, "negative_slope": 0.3}),
    "softmax_default": ("Softmax", {}),
    "softmax_1": ("Softmax", {"axis": 1}),
    "softmax_12": ("Softmax", {"axis": [1, 2]}),
    "thresholded_default": ("ThresholdedReLU", {}),
    "thresholded_0": ("ThresholdedReLU", {"theta": 0.0}),
}

# name -> (class name, kwargs, names of the inputs)
MERGES = {
    "multiply": ("Multiply", {}, ["a", "b", "c"]),
    "subtract": ("Subtract", {}, ["a", "d"]),
    "average": ("Average", {}, ["a", "b"]),
    "maximum": ("Maximum", {}, ["a", "b", "d"]),
    "minimum": ("Minimum", {}, ["a", "c"]),
    "dot_2d": ("Dot", {"axes": 1}, ["p", "q"]),
    "dot_neg": ("Dot", {"axes": -1}, ["a", "e"]),
    "dot_pair": ("Dot", {"axes": [2, 1]}, ["a", "f"]),
    "dot_pair_neg": ("Dot", {"axes": [1, -1]}, ["a", "g"]),
    "dot_normalize": ("Dot", {"axes": 1, "normalize": True}, ["a", "h"]),
    "dot_normalize_2d": ("Dot", {"axes": -1, "normalize": True}, ["p", "q"]),
}


def _inputs(rng):
    shapes = {"a": (4, 3, 5), "b": (4, 3, 5), "c": (4, 5), "d": (4, 3, 1), "e": (4, 6, 5), "f": (4, 5, 2),
              "g": (4, 2, 3), "h": (4, 3, 2), "p": (4, 3), "q": (4, 3)}
    return {k: rng.standard_normal(s).astype("float32") for k, s in shapes.items()}


def _run(layer, inputs, rng):
    tensors = [tf.constant(t) for t in inputs]
    layer(tensors if len(tensors) > 1 else tensors[0])
    weights = [rng.uniform(-0.5, 1.5, w.shape).astype("float32") for w in layer.get_weights()]
    layer.set_weights(weights)
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        out = layer(tensors if len(tensors) > 1 else tensors[0])
        out_weights = rng.standard_normal(out.shape).astype("float32")
        total = tf.reduce_sum(out * out_weights)
    grads = tape.gradient(total, tensors)
    return out.numpy(), out_weights, weights, [g.numpy() for g in grads]


def main():
    rng = np.random.default_rng(7)
    x = (np.round(rng.standard_normal((4, 3, 5)) * 4) / 2).astype("float32")
    x.flat[:6] = [0.0, 0.5, 1.0, 1.5, 2.0, 6.0]
    arrays = {"x": x, **{f"in_{k}": v for k, v in _inputs(rng).items()}}
    for name, (cls, kwargs) in ACTIVATIONS.items():
        out, out_w, weights, grads = _run(getattr(L, cls)(**kwargs), [x], rng)
        arrays.update({f"{name}/out": out, f"{name}/out_weights": out_w, f"{name}/grad0": grads[0]})
        arrays.update({f"{name}/weight{i}": w for i, w in enumerate(weights)})
    for name, (cls, kwargs, names) in MERGES.items():
        out, out_w, _, grads = _run(getattr(L, cls)(**kwargs), [arrays[f"in_{n}"] for n in names], rng)
        arrays.update({f"{name}/out": out, f"{name}/out_weights": out_w})
        arrays.update({f"{name}/grad{i}": g for i, g in enumerate(grads)})
    arrays["cases"] = np.array(json.dumps({"activations": ACTIVATIONS, "merges": MERGES}))
    np.savez(os.path.join(os.path.dirname(os.path.abspath(__file__)), "activation_merge_reference.npz"), **arrays)


if __name__ == "__main__":
    main()
