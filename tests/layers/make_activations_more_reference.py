"""Writes activations_more_reference.npz: tf_keras 2.21's activations gpunet added (gelu exact and approximate,
mish, silu, leaky_relu, log_softmax, relu6) and tf.math.erf on fixed inputs, their gradients (of the sum), and one
SGD step of a Dense(activation='gelu') -> Dense(activation='mish') model. Run with /work/tfvenv/bin/python."""
import os

import numpy as np
import tensorflow as tf
import tf_keras as keras

FUNCTIONS = {"gelu": lambda x: keras.activations.gelu(x), "gelu_approximate": lambda x: keras.activations.gelu(x, True),
             "mish": keras.activations.get("mish"), "silu": keras.activations.get("silu"),
             "leaky_relu": keras.activations.get("leaky_relu"), "log_softmax": keras.activations.get("log_softmax"),
             "relu6": keras.activations.get("relu6"), "erf": tf.math.erf}


def cotangent(x):
    """The weights of the summed output whose gradient is recorded (1, 2, 3, 1, ...: not all ones, so that
    log_softmax's gradient is not zero)."""
    return (np.arange(x.size) % 3 + 1).reshape(x.shape).astype(x.dtype)


def _value_and_grad(fn, x):
    weights = tf.constant(cotangent(x))
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
        total = tf.reduce_sum(y * weights)
    return y.numpy(), tape.gradient(total, x).numpy()


def main():
    rng = np.random.default_rng(5)
    x = np.concatenate([np.linspace(-7, 7, 57), rng.normal(size=7) * 3, [0.0]]).reshape(5, 13).astype("float32")
    out = {"x": x, "x64": x.astype("float64") * 1.37}
    for name, fn in FUNCTIONS.items():
        out[name], out[f"{name}/grad"] = _value_and_grad(fn, out["x"])
        out[f"{name}/64"], out[f"{name}/grad64"] = _value_and_grad(fn, out["x64"])
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="gelu"),
                              keras.layers.Dense(2, activation="mish")])
    weights = [rng.normal(size=w.shape).astype("float32") for w in model.get_weights()]
    model.set_weights(weights)
    model.compile(keras.optimizers.legacy.SGD(learning_rate=0.1), "mse")
    out["model/x"] = rng.normal(size=(6, 4)).astype("float32")
    out["model/y"] = rng.normal(size=(6, 2)).astype("float32")
    out["model/json"] = np.array(model.to_json())
    out["model/loss"] = np.array(model.train_on_batch(out["model/x"], out["model/y"]), "float32")
    for i, (before, after) in enumerate(zip(weights, model.get_weights())):
        out[f"model/w{i}"], out[f"model/after{i}"] = before, after
    np.savez(os.path.join(os.path.dirname(os.path.abspath(__file__)), "activations_more_reference.npz"), **out)


if __name__ == "__main__":
    main()
