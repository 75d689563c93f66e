"""Writes ``shape_layers_reference.npz``: tf_keras 2's outputs, input gradients and configs for the pooling and
reshaping layers of ``test_pooling_more.py`` / ``test_reshaping.py``. Run with the TF venv:
``/work/tfvenv/bin/python tests/layers/make_shape_layers_reference.py``."""
import json
import os

import numpy as np
import tensorflow as tf
import tf_keras as keras

CL, CF = "channels_last", "channels_first"
CASES = {
    "maxpool1d": ("MaxPooling1D", {}, (2, 7, 3)),
    "maxpool1d-same-s2": ("MaxPooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 3)),
    "maxpool1d-cf": ("MaxPooling1D", {"pool_size": 2, "data_format": CF}, (2, 3, 7)),
    "avgpool1d-same": ("AveragePooling1D", {"pool_size": 3, "strides": 1, "padding": "same"}, (2, 7, 3)),
    "avgpool1d-cf-same": ("AveragePooling1D", {"pool_size": 3, "strides": 2, "padding": "same", "data_format": CF},
                          (2, 3, 8)),
    "gap2d": ("GlobalAveragePooling2D", {}, (2, 4, 5, 3)),
    "gap2d-cf-keep": ("GlobalAveragePooling2D", {"data_format": CF, "keepdims": True}, (2, 3, 4, 5)),
    "gmp2d": ("GlobalMaxPooling2D", {"keepdims": True}, (2, 4, 5, 3)),
    "gmp2d-cf": ("GlobalMaxPooling2D", {"data_format": CF}, (2, 3, 4, 5)),
    "gap1d": ("GlobalAveragePooling1D", {}, (2, 6, 3)),
    "gap1d-cf-keep": ("GlobalAveragePooling1D", {"data_format": CF, "keepdims": True}, (2, 3, 6)),
    "gmp1d-keep": ("GlobalMaxPooling1D", {"keepdims": True}, (2, 6, 3)),
    "gmp1d-cf": ("GlobalMaxPooling1D", {"data_format": CF}, (2, 3, 6)),
    "zeropad1d": ("ZeroPadding1D", {"padding": 2}, (2, 5, 3)),
    "zeropad1d-asym": ("ZeroPadding1D", {"padding": (1, 3)}, (2, 5, 3)),
    "zeropad2d": ("ZeroPadding2D", {"padding": 1}, (2, 4, 5, 3)),
    "zeropad2d-sym": ("ZeroPadding2D", {"padding": (1, 2)}, (2, 4, 5, 3)),
    "zeropad2d-cf-asym": ("ZeroPadding2D", {"padding": ((1, 0), (2, 3)), "data_format": CF}, (2, 3, 4, 5)),
    "crop1d": ("Cropping1D", {"cropping": (1, 2)}, (2, 6, 3)),
    "crop2d": ("Cropping2D", {"cropping": ((1, 0), (2, 1))}, (2, 4, 5, 3)),
    "crop2d-cf": ("Cropping2D", {"cropping": 1, "data_format": CF}, (2, 3, 4, 5)),
    "upsample1d": ("UpSampling1D", {"size": 3}, (2, 4, 3)),
    "upsample2d": ("UpSampling2D", {"size": (2, 3)}, (2, 3, 4, 2)),
    "upsample2d-cf": ("UpSampling2D", {"data_format": CF}, (2, 2, 3, 4)),
    "upsample2d-bilinear": ("UpSampling2D", {"size": (2, 3), "interpolation": "bilinear"}, (2, 3, 4, 2)),
    "upsample2d-cf-bilinear": ("UpSampling2D", {"size": 4, "interpolation": "bilinear", "data_format": CF},
                               (2, 2, 3, 4)),
    "repeatvector": ("RepeatVector", {"n": 3}, (2, 4)),
    "permute": ("Permute", {"dims": (2, 1)}, (2, 4, 3)),
    "permute-3d": ("Permute", {"dims": (3, 1, 2)}, (2, 3, 4, 5)),
}


def main():
    rng = np.random.default_rng(0)
    arrays = {"cases": np.array(json.dumps(CASES))}
    for case, (name, kwargs, shape) in CASES.items():
        layer = getattr(keras.layers, name)(**kwargs)
        x = tf.constant(rng.standard_normal(shape).astype("float32"))
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x)
            weights = tf.constant(rng.standard_normal(y.shape).astype("float32"))
            loss = tf.reduce_sum(y * weights)
        config = {k: v for k, v in layer.get_config().items() if k not in ("name", "trainable", "dtype")}
        arrays.update({f"{case}/x": x.numpy(), f"{case}/y": y.numpy(), f"{case}/weights": weights.numpy(),
                       f"{case}/dx": tape.gradient(loss, x).numpy(), f"{case}/config": np.array(json.dumps(config))})
    x, mask = rng.standard_normal((3, 5, 2)).astype("float32"), rng.random((3, 5)) < 0.6
    mask[:, 0] = True
    arrays.update({"masked/x": x, "masked/mask": mask,
                   "masked/y": keras.layers.GlobalAveragePooling1D()(x, mask=mask).numpy()})
    np.savez_compressed(os.path.join(os.path.dirname(__file__), "shape_layers_reference.npz"), **arrays)


if __name__ == "__main__":
    main()
