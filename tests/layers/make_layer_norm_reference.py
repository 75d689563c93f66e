"""Writes ``layer_norm_reference.npz``: tf_keras 2 LayerNormalization outputs and gradients (of
``sum(output * weights)`` with respect to the input, gamma and beta) for several axes.

Run with the TF virtualenv: ``/work/tfvenv/bin/python tests/layers/make_layer_norm_reference.py``."""
import os

import numpy as np
import tensorflow as tf
import tf_keras as keras

CASES = {"last": ((4, 5), -1), "middle": ((3, 4, 5), 1), "pair": ((2, 3, 4, 5), [1, 3]),
         "all-but-batch": ((3, 4, 5), [-2, -1])}


def main():
    rng = np.random.default_rng(7)
    out = {}
    for key, (shape, axis) in CASES.items():
        x = rng.standard_normal(shape).astype("float32") * 3 + 1
        layer = keras.layers.LayerNormalization(axis=axis, epsilon=1e-3)
        layer.build(shape)
        gamma, beta = (rng.standard_normal(w.shape).astype("float32") for w in layer.weights)
        layer.set_weights([gamma, beta])
        weights = rng.standard_normal(shape).astype("float32")
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = layer(xt)
            loss = tf.reduce_sum(y * weights)
        gx, gg, gb = tape.gradient(loss, [xt, layer.gamma, layer.beta])
        for name, value in dict(x=x, gamma=gamma, beta=beta, weights=weights, y=y.numpy(), grad_x=gx.numpy(),
                                grad_gamma=gg.numpy(), grad_beta=gb.numpy()).items():
            out[f"{key}/{name}"] = value
    np.savez(os.path.join(os.path.dirname(__file__), "layer_norm_reference.npz"), **out)


if __name__ == "__main__":
    main()
