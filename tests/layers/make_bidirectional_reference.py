"""Generates bidirectional_reference.npz: tf_keras 2.21 Bidirectional around SimpleRNN, GRU and LSTM with each
merge mode, for fixed weights and inputs. Run with the tf_keras venv:
``/work/tfvenv/bin/python tests/layers/make_bidirectional_reference.py``."""
import os

import numpy as np
import tensorflow as tf
import tf_keras

L = tf_keras.layers
CASES = {  # name -> (wrapped layer, merge mode)
    "gru_concat_seq": (lambda: L.GRU(3, return_sequences=True), "concat"),
    "lstm_sum_last": (lambda: L.LSTM(3), "sum"),
    "simple_ave_seq": (lambda: L.SimpleRNN(3, return_sequences=True), "ave"),
    "gru_mul_state": (lambda: L.GRU(3, return_sequences=True, return_state=True), "mul"),
    "lstm_none_seq": (lambda: L.LSTM(3, return_sequences=True), None),
    "lstm_concat_state": (lambda: L.LSTM(3, return_state=True), "concat"),
}


def main():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 4, 5)).astype("float32")
    arrays = {"x": x}
    for name, (make, mode) in CASES.items():
        layer = L.Bidirectional(make(), merge_mode=mode)
        layer(tf.constant(x))
        weights = [(0.5 * rng.standard_normal(w.shape)).astype("float32") for w in layer.get_weights()]
        layer.set_weights(weights)
        outputs = layer(tf.constant(x))
        outputs = outputs if isinstance(outputs, list) else [outputs]
        for i, w in enumerate(weights):
            arrays[f"{name}_w{i}"] = w
        for i, out in enumerate(outputs):
            arrays[f"{name}_out{i}"] = out.numpy()
    np.savez(os.path.join(os.path.dirname(os.path.abspath(__file__)), "bidirectional_reference.npz"), **arrays)


if __name__ == "__main__":
    main()
