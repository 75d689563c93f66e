"""Generates lstm_reference.npz: tf_keras 2.21 LSTM outputs for fixed weights and inputs, in several
configurations. Run with the tf_keras venv: ``/work/tfvenv/bin/python tests/layers/make_lstm_reference.py``."""
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


def main():
    rng = np.random.default_rng(42)
    arrays = {"x": rng.standard_normal((3, 5, 4)).astype("float32"),
              "kernel": (0.5 * rng.standard_normal((4, 12))).astype("float32"),
              "recurrent_kernel": (0.5 * rng.standard_normal((3, 12))).astype("float32"),
              "bias": (0.1 * rng.standard_normal(12)).astype("float32"),
              "h0": rng.standard_normal((3, 3)).astype("float32"),
              "c0": rng.standard_normal((3, 3)).astype("float32")}
    for name, (sequences, backwards, with_state) in CONFIGS.items():
        layer = tf_keras.layers.LSTM(3, return_sequences=sequences, return_state=True, go_backwards=backwards)
        state = [tf.constant(arrays["h0"]), tf.constant(arrays["c0"])] if with_state else None
        layer(tf.constant(arrays["x"]), initial_state=state)
        layer.set_weights([arrays["kernel"], arrays["recurrent_kernel"], arrays["bias"]])
        out, h, c = layer(tf.constant(arrays["x"]), initial_state=state)
        arrays.update({f"{name}_out": out.numpy(), f"{name}_h": h.numpy(), f"{name}_c": c.numpy()})
    np.savez(os.path.join(os.path.dirname(os.path.abspath(__file__)), "lstm_reference.npz"), **arrays)


if __name__ == "__main__":
    main()
