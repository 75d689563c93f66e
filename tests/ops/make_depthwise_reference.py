"""Writes depthwise_reference.npz: TF 2.21's tf.compat.v1.nn.depthwise_conv2d / separable_conv2d values and
gradients for fixed inputs. Run with a Python that has TensorFlow:
``/work/tfvenv/bin/python tests/ops/make_depthwise_reference.py``."""
import json
import os

import numpy as np
import tensorflow.compat.v1 as tf

# (id, input shape, filter shape, pointwise filter shape or None, keyword arguments); test_depthwise_conv.py
# reads the same ids back
CASES = [
    ("valid", (2, 6, 5, 3), (3, 2, 3, 2), None, {"strides": [1, 1, 1, 1], "padding": "VALID"}),
    ("same-stride2", (2, 7, 6, 2), (3, 3, 2, 3), None, {"strides": [1, 2, 2, 1], "padding": "SAME"}),
    ("same-rate2", (2, 6, 7, 2), (3, 3, 2, 1), None, {"strides": [1, 1, 1, 1], "padding": "SAME", "rate": [2, 2]}),
    ("valid-dilations-2-1", (1, 7, 6, 3), (2, 3, 3, 2), None,
     {"strides": [1, 1, 1, 1], "padding": "VALID", "dilations": [2, 1]}),
    ("even-kernel-same", (2, 5, 5, 2), (2, 4, 2, 2), None, {"strides": [1, 1, 2, 1], "padding": "SAME"}),
    ("separable", (2, 6, 6, 3), (3, 3, 3, 2), (1, 1, 6, 4), {"strides": [1, 1, 1, 1], "padding": "SAME"}),
    ("separable-strided", (2, 7, 7, 2), (3, 3, 2, 1), (1, 1, 2, 3), {"strides": [1, 2, 2, 1], "padding": "VALID"}),
    ("separable-rate", (1, 8, 8, 2), (3, 3, 2, 2), (1, 1, 4, 2), {"strides": [1, 1, 1, 1], "padding": "SAME",
                                                                  "rate": [2, 2]}),
]


def _case(rng, x_shape, w_shape, p_shape, kwargs):
    x = tf.constant(rng.standard_normal(x_shape).astype("float32"))
    w = tf.constant(rng.standard_normal(w_shape).astype("float32"))
    p = None if p_shape is None else tf.constant(rng.standard_normal(p_shape).astype("float32"))
    y = tf.nn.depthwise_conv2d(x, w, **kwargs) if p is None else tf.nn.separable_conv2d(x, w, p, **kwargs)
    probe = tf.constant(rng.standard_normal(y.shape.as_list()).astype("float32"))
    wrt = [x, w] + ([] if p is None else [p])
    grads = tf.gradients(tf.reduce_sum(y * probe), wrt)
    with tf.Session() as sess:
        values = sess.run([x, w, y, probe] + grads + ([] if p is None else [p]))
    names = ["x", "w", "y", "probe", "dx", "dw"] + ([] if p is None else ["dp", "p"])
    return dict(zip(names, values))


def main():
    tf.disable_eager_execution()
    rng = np.random.default_rng(11)
    arrays = {}
    for case_id, x_shape, w_shape, p_shape, kwargs in CASES:
        for key, value in _case(rng, x_shape, w_shape, p_shape, kwargs).items():
            arrays[f"{case_id}/{key}"] = value
    arrays["cases"] = np.array(json.dumps(CASES))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "depthwise_reference.npz")
    np.savez_compressed(path, **arrays)


if __name__ == "__main__":
    main()
