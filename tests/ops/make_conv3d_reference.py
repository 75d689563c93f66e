"""Writes conv3d_reference.npz: TF 2.21's tf.compat.v1.nn.conv3d, max_pool3d and avg_pool3d values and gradients
(of sum(y * probe) wrt the input and the filter) for fixed inputs; test_conv3d.py reads the same ids back.
Run with a Python that has TensorFlow: ``/work/tfvenv/bin/python tests/ops/make_conv3d_reference.py``."""
import json
import os

import numpy as np
import tensorflow.compat.v1 as tf

# (id, function, input shape, filter shape or None, keyword arguments)
CASES = [
    ("conv-valid", "conv3d", (2, 4, 5, 4, 3), (2, 3, 2, 3, 4), {"strides": [1, 1, 1, 1, 1], "padding": "VALID"}),
    ("conv-same-strided", "conv3d", (2, 5, 6, 7, 2), (3, 3, 2, 2, 3), {"strides": [1, 2, 2, 3, 1], "padding": "SAME"}),
    ("conv-same-even-kernel", "conv3d", (1, 4, 5, 3, 2), (2, 4, 2, 2, 2), {"strides": [1, 1, 1, 1, 1],
                                                                           "padding": "SAME"}),
    ("conv-valid-strided", "conv3d", (1, 7, 6, 8, 2), (3, 2, 3, 2, 2), {"strides": [1, 2, 3, 2, 1],
                                                                        "padding": "VALID"}),
    ("conv-dilated-valid", "conv3d", (2, 6, 7, 5, 2), (2, 3, 2, 2, 3), {"strides": [1, 1, 1, 1, 1], "padding": "VALID",
                                                                        "dilations": [1, 2, 2, 3, 1]}),
    ("conv-dilated-same", "conv3d", (1, 5, 6, 6, 3), (3, 2, 3, 3, 2), {"strides": [1, 1, 1, 1, 1], "padding": "SAME",
                                                                       "dilations": [1, 2, 3, 1, 1]}),
    ("conv-ncdhw", "conv3d", (2, 3, 4, 5, 6), (2, 2, 3, 3, 2), {"strides": [1, 1, 1, 2, 1], "padding": "SAME",
                                                                "data_format": "NCDHW"}),
    ("max-valid", "max_pool3d", (2, 4, 6, 4, 3), None, {"ksize": [1, 2, 2, 2, 1], "strides": [1, 2, 2, 2, 1],
                                                         "padding": "VALID"}),
    ("max-same-overlapping", "max_pool3d", (2, 5, 5, 6, 2), None, {"ksize": 3, "strides": 2, "padding": "SAME"}),
    ("max-anisotropic", "max_pool3d", (1, 6, 5, 7, 2), None, {"ksize": [2, 3, 1], "strides": [1, 2, 3],
                                                               "padding": "SAME"}),
    ("max-ncdhw", "max_pool3d", (2, 3, 4, 5, 6), None, {"ksize": [1, 1, 2, 2, 3], "strides": [1, 1, 1, 2, 2],
                                                         "padding": "VALID", "data_format": "NCDHW"}),
    ("avg-valid", "avg_pool3d", (2, 4, 6, 4, 3), None, {"ksize": [1, 2, 2, 2, 1], "strides": [1, 2, 2, 2, 1],
                                                         "padding": "VALID"}),
    ("avg-same-overlapping", "avg_pool3d", (2, 5, 5, 6, 2), None, {"ksize": 3, "strides": 2, "padding": "SAME"}),
    ("avg-anisotropic", "avg_pool3d", (1, 6, 5, 7, 2), None, {"ksize": [2, 3, 1], "strides": [1, 2, 3],
                                                               "padding": "SAME"}),
    ("avg-ncdhw", "avg_pool3d", (2, 3, 4, 5, 6), None, {"ksize": [1, 1, 2, 2, 3], "strides": [1, 1, 1, 2, 2],
                                                         "padding": "SAME", "data_format": "NCDHW"}),
]


def _dilated(w, dilations):
    """The filter with zeros between its taps: TF's CPU kernels have no dilated conv3d gradients, and a stride-1
    conv3d with this filter is the dilated conv3d (its gradient wrt ``w`` flows back through the einsum)."""
    if dilations == [1] * 5:
        return w
    size = w.shape.as_list()
    spread = [np.zeros(((k - 1) * d + 1, k), "float32") for k, d in zip(size[:3], dilations[1:4])]
    for matrix, k, d in zip(spread, size[:3], dilations[1:4]):
        matrix[np.arange(k) * d, np.arange(k)] = 1
    return tf.einsum("ap,bq,cr,pqrio->abcio", *[tf.constant(m) for m in spread], w)


def _case(rng, function, x_shape, w_shape, kwargs):
    # pools: a wide range, so no near-ties inside a window move the max-pool gradient
    x = tf.constant(rng.uniform(-5, 5, x_shape).astype("float32"))
    inputs, names = [x], ["x"]
    if w_shape is None:
        y = getattr(tf.nn, function)(x, **kwargs)
    else:
        w = tf.constant(rng.standard_normal(w_shape).astype("float32"))
        inputs, names = [x, w], ["x", "w"]
        kwargs = dict(kwargs)
        dilations = kwargs.pop("dilations", [1] * 5)
        y = tf.nn.conv3d(x, _dilated(w, dilations), **kwargs)
    probe = tf.constant(rng.standard_normal(y.shape.as_list()).astype("float32"))
    grads = tf.gradients(tf.reduce_sum(y * probe), inputs)
    direct = y if w_shape is None else tf.nn.conv3d(x, w, **kwargs, dilations=dilations)  # TF's own forward
    with tf.Session() as sess:
        values = sess.run(inputs + [y, probe] + grads)
        np.testing.assert_allclose(values[len(inputs)], sess.run(direct), rtol=1e-5, atol=1e-5)
    return dict(zip(names + ["y", "probe"] + ["d" + n for n in names], values))


def main():
    tf.disable_eager_execution()
    rng = np.random.default_rng(7)
    arrays = {}
    for case_id, function, x_shape, w_shape, kwargs in CASES:
        for key, value in _case(rng, function, x_shape, w_shape, kwargs).items():
            arrays[f"{case_id}/{key}"] = value
    arrays["cases"] = np.array(json.dumps(CASES))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conv3d_reference.npz")
    np.savez_compressed(path, **arrays)


if __name__ == "__main__":
    main()
