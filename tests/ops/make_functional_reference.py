"""Writes functional_reference.json: TF 2.21's tf.compat.v1 map_fn / scan / foldl / foldr values, static
shapes, a loss and its gradient for the cases of functional_cases.py. Run with a Python that has TensorFlow,
from the repository root: ``/work/tfvenv/bin/python tests/ops/make_functional_reference.py``."""
import json
import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf

sys.path.insert(0, os.path.dirname(__file__))
from functional_cases import CASES, X, loss  # noqa: E402

tf.disable_v2_behavior()


def _reference(build):
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float64, X.shape)
        outputs = build(tf, x)
        flat = tf.nest.flatten(outputs)
        total = loss(tf, tf.nest.flatten, outputs)
        differentiated = [] if total is None else [total] + tf.gradients(total, [x])
        with tf.Session() as sess:
            values, differentiated = sess.run([flat, differentiated], {x: X})
    return {"values": [np.asarray(v).tolist() for v in values], "dtypes": [t.dtype.name for t in flat],
            "shapes": [t.shape.as_list() for t in flat],
            "loss": float(differentiated[0]) if differentiated else None,
            "grad": differentiated[1].tolist() if differentiated else None}


if __name__ == "__main__":
    result = {name: _reference(build) for name, build in CASES.items()}
    with open(os.path.join(os.path.dirname(__file__), "functional_reference.json"), "w") as f:
        json.dump(result, f, indent=1)
