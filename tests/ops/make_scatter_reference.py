"""Writes scatter_reference.npz: TF 2.21's tf.compat.v1 scatter updates of ref variables and segment
max/min/prod values and gradients, for the inputs of scatter_inputs.py, so the tests need no TensorFlow.
Run with a Python that has TensorFlow: ``/work/tfvenv/bin/python tests/ops/make_scatter_reference.py``.

Keys: ``scatter/<fn>/<dtype>`` (the updated variables), ``segment/<fn>/<dtype>/out`` and, for floats,
``segment/<fn>/<dtype>/grad`` (the gradient of ``sum(out * probe)`` wrt data); each the cases' arrays raveled
one after another."""
import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scatter_inputs import (ND_SCATTERS, ROW_SCATTERS, SEGMENT_DTYPES, joined, scatter_cases,  # noqa: E402
                            scatter_dtypes, segment_cases)

tf.disable_v2_behavior()


def _scatter_out(fn, init, indices, updates):
    with tf.Graph().as_default():
        v = tf.Variable(init)
        y = getattr(tf, fn)(v, indices, updates)
        with tf.Session() as sess:
            sess.run(v.initializer)
            return sess.run(y)


def _segment_out(fn, data, ids, num, probe):
    with tf.Graph().as_default():
        d = tf.constant(data)
        y = getattr(tf, fn)(d, ids) if num is None else getattr(tf, fn)(d, ids, num)
        grad = None if probe is None else tf.gradients(tf.reduce_sum(y * probe), d)[0]
        with tf.Session() as sess:
            return sess.run(y), None if grad is None else sess.run(grad)


def main():
    arrays = {}
    for fn in ROW_SCATTERS + ND_SCATTERS:
        for dtype in scatter_dtypes(fn):
            arrays[f"scatter/{fn}/{dtype}"] = joined([_scatter_out(fn, *case[1:]) for case in scatter_cases(fn, dtype)])
    for reduction, dtypes in SEGMENT_DTYPES.items():
        for fn in (f"segment_{reduction}", f"unsorted_segment_{reduction}"):
            for dtype in dtypes:
                results = [_segment_out(fn, *case[1:]) for case in segment_cases(fn, dtype)]
                arrays[f"segment/{fn}/{dtype}/out"] = joined([out for out, _ in results])
                if results[0][1] is not None:
                    arrays[f"segment/{fn}/{dtype}/grad"] = joined([grad for _, grad in results])
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scatter_reference.npz")
    np.savez_compressed(path, **arrays)
    print(f"wrote {len(arrays)} arrays to {path}")


if __name__ == "__main__":
    main()
