"""A tiny training program for the crash tests: an MLP trained with Adam that resumes from the
latest checkpoint in CKPT_DIR and saves one after every SAVE_EVERY steps (and at the end).

    python checkpointed_training.py CKPT_DIR TOTAL_STEPS [SAVE_EVERY [DEVICE]]

Everything a step uses comes from seeds and the global step — the initial weights from the graph
seed, the batch (its rows and its noise) from a generator seeded with the step — so a run that is
killed and resumed does exactly what an uninterrupted run does. Prints ``resumed <step>`` once,
then ``saved <step>`` after each save has returned.
"""
import os
import sys

import numpy as np

import gpunet as gn

N_ROWS, N_IN, N_HIDDEN, N_OUT, BATCH = 256, 8, 16, 3, 32


def build_model(device="/cpu:0"):
    """Placeholders, the train op and the global step of a 8-16-3 MLP with Adam on ``device``."""
    with gn.device(device):
        return _mlp()


def _mlp():
    gn.set_random_seed(1)
    x = gn.placeholder(gn.float32, [None, N_IN], name="x")
    y = gn.placeholder(gn.int32, [None], name="y")
    with gn.variable_scope("hidden"):
        w1 = gn.get_variable("kernel", [N_IN, N_HIDDEN], initializer=gn.glorot_uniform_initializer())
        b1 = gn.get_variable("bias", [N_HIDDEN], initializer=gn.zeros_initializer())
    with gn.variable_scope("logits"):
        w2 = gn.get_variable("kernel", [N_HIDDEN, N_OUT], initializer=gn.glorot_uniform_initializer())
        b2 = gn.get_variable("bias", [N_OUT], initializer=gn.zeros_initializer())
    logits = gn.matmul(gn.nn.relu(gn.matmul(x, w1) + b1), w2) + b2
    loss = gn.reduce_mean(gn.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    step = gn.train.get_or_create_global_step()
    train = gn.train.AdamOptimizer(0.01).minimize(loss, global_step=step)
    return x, y, train, step


def batch(step):
    """The batch of ``step``: its rows and input noise drawn from a generator seeded by the step."""
    data = np.random.default_rng(0)
    features = data.standard_normal((N_ROWS, N_IN)).astype(np.float32)
    labels = np.argmax(features @ data.standard_normal((N_IN, N_OUT)), axis=1).astype(np.int32)
    rng = np.random.default_rng([7, step])
    rows = rng.integers(0, N_ROWS, BATCH)
    noise = rng.normal(0.0, 0.1, (BATCH, N_IN)).astype(np.float32)
    return features[rows] + noise, labels[rows]


def _say(line):
    os.write(1, (line + "\n").encode())  # one unbuffered write: whole lines even when killed


def main(ckpt_dir, total_steps, save_every=1, device="/cpu:0"):
    x, y, train, step = build_model(device)
    saver = gn.train.Saver(max_to_keep=3)
    with gn.Session() as sess:
        latest = gn.train.latest_checkpoint(ckpt_dir)
        if latest is None:
            sess.run(gn.global_variables_initializer())
        else:
            saver.restore(sess, latest)
            saver.recover_last_checkpoints(gn.train.get_checkpoint_state(ckpt_dir).all_model_checkpoint_paths)
        current = int(sess.run(step))
        _say(f"resumed {current}")
        while current < total_steps:
            features, labels = batch(current)
            sess.run(train, {x: features, y: labels})
            current += 1
            if current == total_steps or (save_every and current % save_every == 0):
                saver.save(sess, os.path.join(ckpt_dir, "model.ckpt"), global_step=current)
                _say(f"saved {current}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), *(int(a) for a in sys.argv[3:4]), *sys.argv[4:5])
