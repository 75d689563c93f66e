"""Writes constraints_reference.npz: tf_keras 2.21's weight constraints on fixed tensors, and one SGD step of a
Dense(kernel_constraint=MaxNorm(1.0)) model. Run with /work/tfvenv/bin/python (needs tf_keras)."""
import os

import numpy as np
import tf_keras as keras

CASES = {  # name -> (constraint, input key)
    "max_norm": (keras.constraints.MaxNorm(0.8, axis=0), "w2"),
    "max_norm_axis1": (keras.constraints.MaxNorm(1.5, axis=1), "w2"),
    "max_norm_conv": (keras.constraints.MaxNorm(1.0, axis=[0, 1, 2]), "w4"),
    "non_neg": (keras.constraints.NonNeg(), "w2"),
    "unit_norm": (keras.constraints.UnitNorm(axis=0), "w2"),
    "unit_norm_axis1": (keras.constraints.UnitNorm(axis=1), "w2"),
    "min_max_norm": (keras.constraints.MinMaxNorm(0.9, 1.2, rate=0.7, axis=0), "w2"),
    "min_max_norm_default": (keras.constraints.MinMaxNorm(), "w2"),
    "radial3": (keras.constraints.RadialConstraint(), "w4"),
    "radial4": (keras.constraints.RadialConstraint(), "w4even"),
    "radial5": (keras.constraints.RadialConstraint(), "w4five"),
}


def main():
    rng = np.random.default_rng(7)
    out = {"w2": rng.normal(size=(5, 4)).astype("float32"), "w4": rng.normal(size=(3, 3, 2, 3)).astype("float32"),
           "w4even": rng.normal(size=(4, 4, 2, 2)).astype("float32"),
           "w4five": rng.normal(size=(5, 5, 1, 2)).astype("float32")}
    for name, (constraint, key) in CASES.items():
        out[name] = constraint(keras.backend.constant(out[key])).numpy()
    model = keras.Sequential([keras.layers.Dense(3, input_shape=(4,), kernel_constraint=keras.constraints.MaxNorm(1.0),
                                                 bias_constraint=keras.constraints.NonNeg())])
    kernel0 = rng.normal(size=(4, 3)).astype("float32") * 0.4
    bias0 = np.array([0.05, -0.02, 0.1], "float32")
    model.set_weights([kernel0, bias0])
    model.compile(keras.optimizers.legacy.SGD(learning_rate=0.5), "mse")
    x, y = rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 3)).astype("float32") * 3
    model.train_on_batch(x, y)
    kernel1, bias1 = model.get_weights()
    out.update(kernel0=kernel0, bias0=bias0, x=x, y=y, kernel1=kernel1, bias1=bias1)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "constraints_reference.npz")
    np.savez(path, **out)


if __name__ == "__main__":
    main()
