"""Generates simple_rnn_gru_reference.npz: tf_keras 2.21 SimpleRNN and GRU (reset_after True and False)
outputs for fixed weights and inputs in several configurations, and gradients of ``sum(outputs * probe)``.
Run with the tf_keras venv: ``/work/tfvenv/bin/python tests/layers/make_simple_rnn_gru_reference.py``."""
import os

import numpy as np
import tensorflow as tf
import tf_keras

CONFIGS = {  # name -> (return_sequences, go_backwards, with initial state)
    "last": (False, False, False),
    "sequences": (True, False, False),
    "backwards": (True, True, False),
    "state": (True, False, True),
    "state_backwards": (False, True, True),
}
LAYERS = {  # prefix -> (constructor, number of gate blocks, bias shape)
    "simple": (lambda **kw: tf_keras.layers.SimpleRNN(3, **kw), 1, (3,)),
    "gru": (lambda **kw: tf_keras.layers.GRU(3, **kw), 3, (2, 9)),
    "gru_before": (lambda **kw: tf_keras.layers.GRU(3, reset_after=False, **kw), 3, (9,)),
}


def _weights(rng, gates, bias_shape):
    return [(0.5 * rng.standard_normal((4, 3 * gates))).astype("float32"),
            (0.5 * rng.standard_normal((3, 3 * gates))).astype("float32"),
            (0.3 * rng.standard_normal(bias_shape)).astype("float32")]


def _layer_arrays(prefix, make, weights, arrays):
    x, h0 = tf.constant(arrays["x"]), tf.constant(arrays["h0"])
    for name, (sequences, backwards, with_state) in CONFIGS.items():
        layer = make(return_sequences=sequences, return_state=True, go_backwards=backwards)
        state = [h0] if with_state else None
        layer(x, initial_state=state)
        layer.set_weights(weights)
        out, h = layer(x, initial_state=state)
        arrays.update({f"{prefix}_{name}_out": out.numpy(), f"{prefix}_{name}_h": h.numpy()})
    layer = make(return_sequences=True)
    layer(x)
    layer.set_weights(weights)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(layer(x) * arrays["probe"])
    grads = tape.gradient(loss, layer.trainable_weights + [x])
    for key, grad in zip(("kernel", "recurrent_kernel", "bias", "x"), grads):
        arrays[f"{prefix}_grad_{key}"] = grad.numpy()


def main():
    rng = np.random.default_rng(7)
    arrays = {"x": rng.standard_normal((3, 5, 4)).astype("float32"),
              "h0": rng.standard_normal((3, 3)).astype("float32"),
              "probe": rng.standard_normal((3, 5, 3)).astype("float32")}
    for prefix, (make, gates, bias_shape) in LAYERS.items():
        weights = _weights(rng, gates, bias_shape)
        for key, value in zip(("kernel", "recurrent_kernel", "bias"), weights):
            arrays[f"{prefix}_{key}"] = value
        _layer_arrays(prefix, make, weights, arrays)
    np.savez(os.path.join(os.path.dirname(os.path.abspath(__file__)), "simple_rnn_gru_reference.npz"), **arrays)


if __name__ == "__main__":
    main()
