"""Writes dilated_conv_reference.npz: TF 2.21's tf.compat.v1.nn.conv2d (dilations), atrous_conv2d and convolution
values and gradients for fixed inputs, plus a tf_keras 2.21 Conv2D(dilation_rate=...) output for fixed weights.
Run with a Python that has TensorFlow: ``/work/tfvenv/bin/python tests/ops/make_dilated_conv_reference.py``."""
import json
import os

import numpy as np
import tensorflow.compat.v1 as tf

# (id, function, input shape, filter shape, keyword arguments); test_dilated_conv.py reads the same ids back
CASES = [
    ("conv2d-valid-2-2", "conv2d", (2, 9, 8, 3), (3, 3, 3, 4), {"strides": [1, 1, 1, 1], "padding": "VALID",
                                                                "dilations": [1, 2, 2, 1]}),
    ("conv2d-same-3-1", "conv2d", (2, 8, 7, 2), (3, 2, 2, 3), {"strides": [1, 1, 1, 1], "padding": "SAME",
                                                               "dilations": [1, 3, 1, 1]}),
    ("conv2d-same-even-kernel", "conv2d", (1, 7, 9, 2), (2, 4, 2, 2), {"strides": 1, "padding": "SAME",
                                                                       "dilations": [1, 2, 3, 1]}),
    ("conv2d-strided-dilated", "conv2d", (2, 9, 9, 2), (3, 3, 2, 3), {"strides": [1, 2, 2, 1], "padding": "SAME",
                                                                      "dilations": [1, 2, 2, 1]}),
    ("conv2d-valid-strided-dilated", "conv2d", (1, 11, 10, 2), (2, 3, 2, 2),
     {"strides": [1, 3, 2, 1], "padding": "VALID", "dilations": [1, 2, 3, 1]}),
    ("atrous-same", "atrous_conv2d", (2, 8, 8, 3), (3, 3, 3, 2), {"rate": 2, "padding": "SAME"}),
    ("atrous-valid", "atrous_conv2d", (1, 10, 9, 2), (2, 3, 2, 3), {"rate": 3, "padding": "VALID"}),
    ("convolution-2d", "convolution", (2, 8, 9, 2), (3, 2, 2, 3), {"padding": "SAME", "dilation_rate": [2, 3]}),
    ("convolution-1d", "convolution", (2, 12, 3), (3, 3, 2), {"padding": "VALID", "dilation_rate": [3]}),
    ("convolution-1d-strided", "convolution", (2, 11, 2), (2, 2, 3), {"padding": "SAME", "strides": [2]}),
]

# tf_keras Conv2D layers: (id, layer keyword arguments, input shape)
LAYERS = [
    ("layer-same-2-2", {"filters": 3, "kernel_size": 3, "padding": "same", "dilation_rate": 2}, (2, 7, 8, 2)),
    ("layer-valid-3-1", {"filters": 2, "kernel_size": (2, 3), "dilation_rate": (3, 1), "activation": "relu"},
     (2, 9, 6, 3)),
    ("layer-channels-first", {"filters": 2, "kernel_size": 2, "dilation_rate": (1, 2), "data_format": "channels_first"},
     (2, 3, 6, 7)),
]


def _case(rng, function, x_shape, w_shape, kwargs):
    x = tf.constant(rng.standard_normal(x_shape).astype("float32"))
    w = tf.constant(rng.standard_normal(w_shape).astype("float32"))
    y = getattr(tf.nn, function)(x, w, **kwargs)
    probe = tf.constant(rng.standard_normal(y.shape.as_list()).astype("float32"))
    grads = tf.gradients(tf.reduce_sum(y * probe), [x, w])
    with tf.Session() as sess:
        values = sess.run([x, w, y, probe] + grads)
    return dict(zip(["x", "w", "y", "probe", "dx", "dw"], values))


def _layer(rng, kwargs, x_shape):
    import tf_keras as keras
    x = rng.standard_normal(x_shape).astype("float32")
    layer = keras.layers.Conv2D(**kwargs)
    layer.build(x_shape)
    weights = [rng.standard_normal(w.shape).astype("float32") for w in layer.get_weights()]
    layer.set_weights(weights)
    # tf_keras's own channels_first Conv2D needs a GPU; run it channels_last on transposed data instead
    if kwargs.get("data_format") == "channels_first":
        twin = keras.layers.Conv2D(**{**kwargs, "data_format": "channels_last"})
        twin.build((x_shape[0],) + x_shape[2:] + x_shape[1:2])
        twin.set_weights(weights)
        y = np.transpose(twin(np.transpose(x, (0, 2, 3, 1))).numpy(), (0, 3, 1, 2))
    else:
        y = layer(x).numpy()
    return {"x": x, "kernel": weights[0], "bias": weights[1], "y": y,
            "config": np.array(json.dumps(layer.get_config())),
            "output_shape": np.array(layer.compute_output_shape((None,) + x_shape[1:]).as_list()[1:])}


def main():
    rng = np.random.default_rng(5)
    arrays = {}
    for case_id, kwargs, x_shape in LAYERS:  # eager, before the graph-mode cases
        for key, value in _layer(rng, kwargs, x_shape).items():
            arrays[f"{case_id}/{key}"] = value
    tf.disable_eager_execution()
    for case_id, function, x_shape, w_shape, kwargs in CASES:
        for key, value in _case(rng, function, x_shape, w_shape, kwargs).items():
            arrays[f"{case_id}/{key}"] = value
    arrays["cases"] = np.array(json.dumps(CASES))
    arrays["layers"] = np.array(json.dumps(LAYERS))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dilated_conv_reference.npz")
    np.savez_compressed(path, **arrays)


if __name__ == "__main__":
    main()
