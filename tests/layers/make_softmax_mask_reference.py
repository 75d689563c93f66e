"""Generates softmax_mask_reference.npz: tf_keras 2.21 ``Softmax(axis, robust_masking)(x, mask=m)`` outputs for
bool and float masks, a broadcast mask, fully masked rows, several axes, float32 and float64 inputs. Run with the
tf_keras venv: ``/work/tfvenv/bin/python tests/layers/make_softmax_mask_reference.py``."""
import os

import numpy as np

# (case name, axis, robust_masking, input dtype, mask kind) -- the mask keeps each entry with probability 0.6,
# row (0, 1) of the masks is fully masked
CASES = [("last_bool", -1, False, "float32", "bool"), ("last_float", -1, False, "float32", "float"),
         ("axis1_bool", 1, False, "float32", "bool"), ("axes12_bool", [1, 2], False, "float32", "bool"),
         ("last_f64", -1, False, "float64", "bool"), ("robust_bool", -1, True, "float32", "bool"),
         ("robust_float", -1, True, "float32", "float"), ("broadcast", -1, False, "float32", "broadcast")]


def make_mask(rng, kind):
    keep = rng.random((2, 3, 4)) < 0.6
    keep[0, 1] = False
    if kind == "broadcast":
        return keep[:, :1]  # (2, 1, 4): one mask row for every row of a sample
    return keep.astype("float32") if kind == "float" else keep


def main():
    import tensorflow as tf  # here, so that the tests can import CASES without TensorFlow
    import tf_keras

    rng = np.random.default_rng(7)
    arrays = {"x": (4.0 * rng.standard_normal((2, 3, 4))).astype("float32")}
    for name, axis, robust, dtype, kind in CASES:
        mask = make_mask(rng, kind)
        arrays[f"{name}_mask"] = mask
        layer = tf_keras.layers.Softmax(axis=axis, robust_masking=robust, dtype=dtype)
        arrays[f"{name}_out"] = layer(tf.constant(arrays["x"].astype(dtype)), mask=tf.constant(mask)).numpy()
    np.savez(os.path.join(os.path.dirname(os.path.abspath(__file__)), "softmax_mask_reference.npz"), **arrays)


if __name__ == "__main__":
    main()
