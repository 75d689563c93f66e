"""Writes regularized_optimizers_reference.npz: every global variable (weights, slots, global step)
after each case of regularized_optimizer_cases.py has trained for STEPS steps in real TF1
(``tensorflow.compat.v1``, graph mode, reference variables). Keys ``<case>|<ids>|<variable name>``.

With ids ``all_rows`` TF1 takes its sparse update path (the embedding's gradient is IndexedSlices;
every row is looked up, so it equals the dense update). With ``some_rows`` the gradients are made
dense before apply_gradients, TF1's dense update, which is what gpunet (dense gradients) computes:
rows never looked up are updated with a zero gradient.

Run: PYTHONPATH=. /work/tfvenv/bin/python tests/train/make_regularized_optimizers_reference.py"""
import pathlib

import numpy as np
import tensorflow.compat.v1 as tf

from tests.train.regularized_optimizer_cases import ADVANCES_GLOBAL_STEP, CASES, IDS, STEPS, build_loss

tf.disable_v2_behavior()


def train(case_id, class_name, kwargs, ids_name):
    graph = tf.Graph()
    with graph.as_default():
        loss, ids = build_loss(tf)
        step = tf.train.get_or_create_global_step()
        if class_name == "AdagradDAOptimizer":
            kwargs = dict(kwargs, global_step=step)
        optimizer = getattr(tf.train, class_name)(**kwargs)
        advance = step if case_id in ADVANCES_GLOBAL_STEP else None
        grads_and_vars = optimizer.compute_gradients(loss)
        if ids_name == "some_rows":
            grads_and_vars = [(tf.convert_to_tensor(g), v) for g, v in grads_and_vars]
        train_op = optimizer.apply_gradients(grads_and_vars, global_step=advance)
        with tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            for _ in range(STEPS):
                sess.run(train_op, {ids: IDS[ids_name]})
            return {v.op.name: sess.run(v) for v in tf.global_variables()}


def main():
    arrays = {}
    for case_id, class_name, kwargs in CASES:
        for ids_name in IDS:
            for name, value in train(case_id, class_name, kwargs, ids_name).items():
                arrays[f"{case_id}|{ids_name}|{name}"] = value
    path = pathlib.Path(__file__).with_name("regularized_optimizers_reference.npz")
    np.savez_compressed(path, **arrays)
    print(f"wrote {len(arrays)} arrays to {path}")


if __name__ == "__main__":
    main()
