"""Writes sparse_optimizers_reference.npz: every global variable (weights, slots, Adam's beta powers)
after each case of sparse_optimizer_cases.py has trained for STEPS steps in real TF1
(``tensorflow.compat.v1``, graph mode, reference variables). Keys ``<case>|<ids>|<mode>|<variable name>``.

Mode ``as_computed``: the gradients as compute_gradients gives them (the embedding's is IndexedSlices,
TF1's ``_apply_sparse``). Mode ``dense``: the gradients made dense (``tf.convert_to_tensor``) before
apply_gradients, TF1's dense update of every row.

Run: PYTHONPATH=. /work/tfvenv/bin/python tests/train/make_sparse_optimizers_reference.py"""
import pathlib

import numpy as np
import tensorflow.compat.v1 as tf

from tests.train.sparse_optimizer_cases import CASES, MODES, STEPS, build_loss, ids_at

tf.disable_v2_behavior()


def train(class_name, kwargs, ids_name, mode):
    graph = tf.Graph()
    with graph.as_default():
        loss, ids = build_loss(tf)
        optimizer = getattr(tf.train, class_name)(**kwargs)
        grads_and_vars = optimizer.compute_gradients(loss)
        sparse = [v.op.name for g, v in grads_and_vars if isinstance(g, tf.IndexedSlices)]
        assert sparse == ["embedding"], sparse
        if mode == "dense":
            grads_and_vars = [(tf.convert_to_tensor(g), v) for g, v in grads_and_vars]
        train_op = optimizer.apply_gradients(grads_and_vars)
        with tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            for step in range(STEPS):
                sess.run(train_op, {ids: ids_at(ids_name, step)})
            return {v.op.name: sess.run(v) for v in tf.global_variables()}


def main():
    arrays = {}
    for case_id, class_name, kwargs in CASES:
        for ids_name, mode in MODES:
            for name, value in train(class_name, kwargs, ids_name, mode).items():
                arrays[f"{case_id}|{ids_name}|{mode}|{name}"] = value
    path = pathlib.Path(__file__).with_name("sparse_optimizers_reference.npz")
    np.savez_compressed(path, **arrays)
    print(f"wrote {len(arrays)} arrays to {path}")


if __name__ == "__main__":
    main()
