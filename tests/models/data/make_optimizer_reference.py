"""Generates optimizer_reference.json: three steps of each tf_keras 2.21 optimizer on
``loss = sum(w * var ** 2) / 2 + sum(b * var)`` (gradient ``w * var + b``). Run with the tf_keras venv:
``/work/tfvenv/bin/python tests/models/data/make_optimizer_reference.py``."""
import json
import os

import numpy as np
import tensorflow as tf
import tf_keras

# the last two entries have gradients 1e-4 and 0, where epsilon decides the step
START = [1.0, -2.0, 3.0, 0.5, 0.0, 0.0]
W = [1.0, 0.5, 2.0, -1.0, 1.0, 1.0]
B = [0.3, -0.1, 0.0, 1.0, 1e-4, 0.0]
CASES = {
    "sgd": ("SGD", {"learning_rate": 0.1}),
    "sgd_momentum": ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    "sgd_nesterov": ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    "rmsprop": ("RMSprop", {"learning_rate": 0.01}),
    "rmsprop_momentum": ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5}),
    "rmsprop_centered": ("RMSprop", {"learning_rate": 0.01, "centered": True}),
    "rmsprop_centered_momentum": ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    "adagrad": ("Adagrad", {"learning_rate": 0.1}),
    "adagrad_zero_start": ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.0}),
    "adam": ("Adam", {"learning_rate": 0.01}),
    "adam_amsgrad": ("Adam", {"learning_rate": 0.01, "amsgrad": True}),
}


def three_steps(class_name, kwargs):
    optimizer = getattr(tf_keras.optimizers, class_name)(**kwargs)
    var = tf.Variable(START, dtype=tf.float32)
    values = []
    for _ in range(3):
        grad = tf.constant(W) * var + tf.constant(B)
        optimizer.apply_gradients([(grad, var)])
        values.append(var.numpy().tolist())
    return values


def main():
    reference = {"start": START, "w": W, "b": B,
                 "cases": {name: {"class": cls, "kwargs": kw, "steps": three_steps(cls, kw)}
                           for name, (cls, kw) in CASES.items()}}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optimizer_reference.json")
    with open(path, "w") as f:
        json.dump(reference, f, indent=1)
    print(np.array(reference["cases"]["adagrad"]["steps"]))


if __name__ == "__main__":
    main()
