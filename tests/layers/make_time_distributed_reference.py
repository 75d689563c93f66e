"""Generates time_distributed_reference.npz: tf_keras 2.21 TimeDistributed outputs (Dense on 3-d inputs, Conv2D
on 5-d inputs) for fixed weights and inputs, and gradients of ``sum(outputs * probe)``.
Run with the tf_keras venv: ``/work/tfvenv/bin/python tests/layers/make_time_distributed_reference.py``."""
import os

import numpy as np
import tensorflow as tf
import tf_keras

CASES = {  # name -> (inner layer, input shape)
    "dense": (lambda: tf_keras.layers.Dense(3, activation="tanh"), (2, 5, 4)),
    "conv": (lambda: tf_keras.layers.Conv2D(2, 3, padding="same"), (2, 3, 6, 5, 1)),
}


def main():
    rng = np.random.default_rng(11)
    arrays = {}
    for name, (make, shape) in CASES.items():
        x = tf.constant(rng.standard_normal(shape).astype("float32"))
        layer = tf_keras.layers.TimeDistributed(make())
        layer(x)
        weights = [rng.standard_normal(w.shape).astype("float32") for w in layer.get_weights()]
        layer.set_weights(weights)
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = layer(x)
            probe = rng.standard_normal(out.shape).astype("float32")
            loss = tf.reduce_sum(out * probe)
        grads = tape.gradient(loss, layer.trainable_weights + [x])
        arrays.update({f"{name}_x": x.numpy(), f"{name}_out": out.numpy(), f"{name}_probe": probe,
                       f"{name}_kernel": weights[0], f"{name}_bias": weights[1],
                       f"{name}_grad_kernel": grads[0].numpy(), f"{name}_grad_bias": grads[1].numpy(),
                       f"{name}_grad_x": grads[2].numpy()})
    np.savez(os.path.join(os.path.dirname(os.path.abspath(__file__)), "time_distributed_reference.npz"), **arrays)


if __name__ == "__main__":
    main()
