"""Writes space_and_batch_norm_reference.npz: outputs and input gradients of the cases in
space_and_batch_norm_cases.py, computed by real TF1 (``tensorflow.compat.v1``, graph mode, CPU).
Keys ``<case>|out<i>`` and ``<case>|grad<i>`` (the gradient of sum(sin(out0) * probe) wrt input i).

Run: PYTHONPATH=. /work/tfvenv/bin/python tests/ops/make_space_and_batch_norm_reference.py"""
import pathlib

import numpy as np
import tensorflow.compat.v1 as tf

from tests.ops.space_and_batch_norm_cases import (BATCH_NORM_CASES, SPACE_CASES, batch_norm_inputs, probe,
                                                  space_inputs)

tf.disable_v2_behavior()


def run_case(case_id, build, inputs):
    graph = tf.Graph()
    with graph.as_default():
        holders = [tf.placeholder(tf.float32, a.shape) for a in inputs]
        outputs = build(tf, *holders)
        weights = probe(case_id, outputs[0].shape.as_list())
        grads = tf.gradients(tf.reduce_sum(tf.sin(outputs[0]) * weights), holders)
        with tf.Session(graph=graph) as sess:
            feed = dict(zip(holders, inputs))
            values = sess.run(outputs, feed)
            grad_values = sess.run([g for g in grads if g is not None], feed)
    result = {f"out{i}": v for i, v in enumerate(values)}
    result.update({f"grad{i}": v for i, v in zip([i for i, g in enumerate(grads) if g is not None], grad_values)})
    return result


def main():
    arrays = {}
    for case_id, (_, build) in SPACE_CASES.items():
        arrays.update({f"{case_id}|{k}": v for k, v in run_case(case_id, build, space_inputs(case_id)).items()})
    for case_id, (*_, build) in BATCH_NORM_CASES.items():
        arrays.update({f"{case_id}|{k}": v for k, v in run_case(case_id, build, batch_norm_inputs(case_id)).items()})
    path = pathlib.Path(__file__).with_name("space_and_batch_norm_reference.npz")
    np.savez_compressed(path, **arrays)
    print(f"wrote {len(arrays)} arrays to {path}")
    print(sorted(arrays))


if __name__ == "__main__":
    main()
