"""Writes conv_more_reference.npz: tf_keras 2.21 outputs and gradients of Conv1D, Conv2DTranspose,
DepthwiseConv2D and SeparableConv2D for fixed inputs and weights. Run with a Python that has TensorFlow and tf_keras:
``/work/tfvenv/bin/python tests/layers/make_conv_more_reference.py``."""
import json
import os

import numpy as np
import tensorflow as tf
import tf_keras as keras

# (id, class name, kwargs, input shape); test_conv_more.py reads the same ids back
CASES = [
    ("c1-valid", "Conv1D", {"filters": 3, "kernel_size": 3}, (2, 7, 2)),
    ("c1-same-s2", "Conv1D", {"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same"}, (2, 9, 3)),
    ("c1-causal-d2", "Conv1D", {"filters": 2, "kernel_size": 3, "padding": "causal", "dilation_rate": 2},
     (2, 8, 2)),
    ("c1-valid-d3", "Conv1D", {"filters": 2, "kernel_size": 2, "dilation_rate": 3, "activation": "relu",
                               "use_bias": False}, (3, 9, 2)),
    ("c1-first-same", "Conv1D", {"filters": 4, "kernel_size": 3, "padding": "same", "data_format": "channels_first"},
     (2, 3, 6)),
    ("c1-first-causal", "Conv1D", {"filters": 2, "kernel_size": 2, "padding": "causal",
                                   "data_format": "channels_first"}, (2, 3, 5)),
    ("ct-valid", "Conv2DTranspose", {"filters": 3, "kernel_size": 3}, (2, 4, 5, 2)),
    ("ct-same-s2", "Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"},
     (2, 3, 4, 3)),
    ("ct-valid-s2-k2", "Conv2DTranspose", {"filters": 2, "kernel_size": (2, 3), "strides": (2, 3)}, (2, 3, 2, 2)),
    ("ct-valid-s3-k2", "Conv2DTranspose", {"filters": 2, "kernel_size": 2, "strides": 3, "activation": "tanh"},
     (1, 3, 3, 2)),
    ("ct-same-op1", "Conv2DTranspose", {"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same",
                                        "output_padding": 1}, (2, 3, 3, 2)),
    ("ct-valid-op", "Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": (2, 3), "padding": "valid",
                                        "output_padding": (1, 2), "use_bias": False}, (2, 3, 2, 2)),
    ("ct-same-d2", "Conv2DTranspose", {"filters": 2, "kernel_size": 3, "padding": "same", "dilation_rate": 2},
     (2, 5, 5, 2)),
    ("dw-valid", "DepthwiseConv2D", {"kernel_size": 3}, (2, 5, 6, 3)),
    ("dw-same-s2-m2", "DepthwiseConv2D", {"kernel_size": (3, 2), "strides": 2, "padding": "same",
                                          "depth_multiplier": 2}, (2, 7, 6, 2)),
    ("dw-d2-relu", "DepthwiseConv2D", {"kernel_size": 2, "dilation_rate": 2, "activation": "relu",
                                       "use_bias": False, "depth_multiplier": 3}, (1, 6, 5, 2)),
    ("sep-valid", "SeparableConv2D", {"filters": 4, "kernel_size": 3}, (2, 6, 5, 3)),
    ("sep-same-s2-m2", "SeparableConv2D", {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same",
                                           "depth_multiplier": 2}, (2, 7, 7, 2)),
    ("sep-d2-nobias", "SeparableConv2D", {"filters": 2, "kernel_size": 2, "dilation_rate": 2, "padding": "same",
                                          "use_bias": False, "activation": "tanh"}, (2, 5, 6, 3)),
]


def _case(rng, cls_name, kwargs, shape):
    layer = getattr(keras.layers, cls_name)(**kwargs)
    x = tf.constant(rng.standard_normal(shape).astype("float32"))
    layer.build(shape)
    weights = [rng.standard_normal(w.shape).astype("float32") for w in layer.get_weights()]
    layer.set_weights(weights)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x)
        probe = tf.constant(rng.standard_normal(y.shape).astype("float32"))
        loss = tf.reduce_sum(y * probe)
    dx, dkernel = tape.gradient(loss, [x, layer.trainable_weights[0]])  # the (depthwise) kernel
    return {"x": x.numpy(), "y": y.numpy(), "probe": probe.numpy(), "dx": dx.numpy(), "dkernel": dkernel.numpy(),
            **{f"w{i}": w for i, w in enumerate(weights)}}


def main():
    rng = np.random.default_rng(7)
    arrays = {}
    for case_id, cls_name, kwargs, shape in CASES:
        for key, value in _case(rng, cls_name, kwargs, shape).items():
            arrays[f"{case_id}/{key}"] = value
    arrays["cases"] = np.array(json.dumps(CASES))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conv_more_reference.npz")
    np.savez_compressed(path, **arrays)


if __name__ == "__main__":
    main()
