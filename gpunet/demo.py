"""``python -m gpunet.demo``: the main job — TF1's "MNIST mechanics" MLP trained on the 8x8 digits,
data-parallel on every GPU present (two virtual GPUs when the machine has none).

The program has the tutorial's four parts: ``inference`` (two ReLU hidden layers and a linear
softmax layer), ``loss`` (mean sparse softmax cross entropy), ``training`` (gradient descent with
a global step, one replica per GPU through ``gn.parallel.ReplicatedTrainer``: the weights on
/cpu:0, each GPU gets its rows of the batch and sends back one fused gradient buffer) and
``evaluation`` (how many labels are in the top 1 logits).

``python -m gpunet.demo --placement`` runs the placement demo instead: a small graph across
/cpu:0 and two virtual GPUs with ``log_device_placement`` on.
"""
import argparse
import math
import sys
import time

import numpy as np

import gpunet as gn

NUM_CLASSES = 10
IMAGE_PIXELS = 64  # 8x8 digits


# -- the model, in the tutorial's four parts --------------------------------------------------
def inference(images, hidden1_units, hidden2_units):
    """Logits for ``images`` ([batch, IMAGE_PIXELS]); weights via get_variable so towers can share them."""
    hidden1 = _layer("hidden1", images, IMAGE_PIXELS, hidden1_units, gn.nn.relu)
    hidden2 = _layer("hidden2", hidden1, hidden1_units, hidden2_units, gn.nn.relu)
    return _layer("softmax_linear", hidden2, hidden2_units, NUM_CLASSES, None)


def _layer(name, inputs, n_in, n_out, activation):
    with gn.variable_scope(name):
        weights = gn.get_variable("weights", [n_in, n_out],
                                  initializer=gn.truncated_normal_initializer(stddev=1.0 / math.sqrt(n_in)))
        biases = gn.get_variable("biases", [n_out], initializer=gn.zeros_initializer())
        outputs = gn.matmul(inputs, weights) + biases
        return outputs if activation is None else activation(outputs)


def loss(logits, labels):
    """Mean cross entropy between ``logits`` and integer ``labels``."""
    cross_entropy = gn.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits, name="xentropy")
    return gn.reduce_mean(cross_entropy, name="xentropy_mean")


def training(images, labels, learning_rate, hidden1_units, hidden2_units):
    """The op that applies one gradient-descent step on the global batch, split over one replica per
    GPU, and counts it in ``global_step``; also the mean loss of the batch."""
    with gn.device("/cpu:0"):
        global_step = gn.Variable(0, name="global_step", trainable=False)
    trainer = gn.parallel.ReplicatedTrainer(gn.train.GradientDescentOptimizer(learning_rate))

    def tower_loss_sum(tower_images, tower_labels):  # sums: replicas may get different numbers of rows
        logits = inference(tower_images, hidden1_units, hidden2_units)
        return gn.reduce_sum(gn.nn.sparse_softmax_cross_entropy_with_logits(labels=tower_labels, logits=logits))
    train_op, loss_sums = trainer.minimize(tower_loss_sum, [images, labels], global_step=global_step)
    with gn.device("/cpu:0"):
        mean_loss = gn.add_n(loss_sums) / gn.cast(gn.shape(labels)[0], gn.float32)
    return train_op, mean_loss, trainer.devices


def evaluation(logits, labels):
    """How many examples have their true label as the top logit (an int32 scalar)."""
    correct = gn.nn.in_top_k(logits, labels, 1)
    return gn.reduce_sum(gn.cast(correct, gn.int32))


# -- data ---------------------------------------------------------------------------------------
def load_digits():
    """Digits as float32 [N, 64] in [0, 1] and int32 labels: ((train), (test))."""
    (x_train, y_train), (x_test, y_test) = gn.datasets.digits.load_data()

    def prepare(x, y):
        return x.reshape(len(x), IMAGE_PIXELS).astype(np.float32) / 16.0, y.astype(np.int32)
    return prepare(x_train, y_train), prepare(x_test, y_test)


class Batches:
    """Endless mini-batches, reshuffled each epoch by a seeded generator (reproducible)."""

    def __init__(self, images, labels, batch_size, seed):
        self.images, self.labels, self.batch_size = images, labels, batch_size
        self._rng = np.random.default_rng(seed)
        self._order, self._pos = self._rng.permutation(len(labels)), 0

    def next(self):
        if self._pos + self.batch_size > len(self._order):
            self._order, self._pos = self._rng.permutation(len(self.labels)), 0
        idx = self._order[self._pos:self._pos + self.batch_size]
        self._pos += self.batch_size
        return self.images[idx], self.labels[idx]


# -- the training program ----------------------------------------------------------------------
def use_all_gpus():
    """The GPUs to train on: every one present, or two virtual GPUs on a machine without any."""
    if not gn.config.list_physical_devices("GPU"):
        gn.config.set_virtual_gpus(2)
    return gn.config.list_logical_devices("GPU")


def run_training(args):
    gn.set_random_seed(args.seed)
    gpus = use_all_gpus()
    (x_train, y_train), (x_test, y_test) = load_digits()
    print(f"gpunet demo: MNIST-mechanics MLP ({IMAGE_PIXELS}-{args.hidden1}-{args.hidden2}-{NUM_CLASSES}) "
          f"on scikit-learn's 8x8 digits: {len(y_train)} training, {len(y_test)} test examples; "
          f"{len(gpus)} replicas ({', '.join(d.name.rsplit('/', 1)[1] for d in gpus)}"
          f"{', virtual' if gpus[0].virtual else ''}), weights on CPU:0")
    with gn.device("/cpu:0"):
        images = gn.placeholder(gn.float32, [None, IMAGE_PIXELS], name="images")
        labels = gn.placeholder(gn.int32, [None], name="labels")
    train_op, loss_value, devices = training(images, labels, args.learning_rate, args.hidden1, args.hidden2)
    with gn.device(devices[0]), gn.variable_scope(gn.get_variable_scope(), reuse=True):
        eval_correct = evaluation(inference(images, args.hidden1, args.hidden2), labels)
    batches = Batches(x_train, y_train, args.batch_size, args.seed)

    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        x, y = batches.next()
        print(sess.placement_report([train_op, loss_value], {images: x, labels: y}).summary)
        start = time.perf_counter()
        for step in range(args.steps):
            _, value = sess.run([train_op, loss_value], {images: x, labels: y})
            if step % args.log_every == 0 or step == args.steps - 1:
                print(f"Step {step}: loss = {value:.4f} ({time.perf_counter() - start:.2f} s elapsed)")
            x, y = batches.next()
        elapsed = time.perf_counter() - start
        print(f"Throughput: {args.steps * args.batch_size / elapsed:.0f} samples/s "
              f"({1000 * elapsed / args.steps:.2f} ms per step of {args.batch_size} examples)")
        do_eval(sess, eval_correct, images, labels, "Training", x_train, y_train)
        accuracy = do_eval(sess, eval_correct, images, labels, "Test", x_test, y_test)
    print(f"Test accuracy: {accuracy:.4f}")
    return accuracy


def do_eval(sess, eval_correct, images, labels, name, x, y):
    """Prints and returns the fraction of ``x`` whose top logit is the label."""
    correct = int(sess.run(eval_correct, {images: x, labels: y}))
    print(f"{name} data eval: Num examples: {len(y)}  Num correct: {correct}  Precision @ 1: {correct / len(y):.4f}")
    return correct / len(y)


# -- the placement demo ------------------------------------------------------------------------
def placement_demo():
    gn.config.set_virtual_gpus(2)
    with gn.device("/cpu:0"):
        x = gn.placeholder(gn.float32, [None, 3], name="x")
        w = gn.Variable(np.arange(6, dtype=np.float32).reshape(3, 2), name="w")
    with gn.device("/gpu:0"):
        h = gn.matmul(x, w, name="h")
    with gn.device("/gpu:1"):
        y = gn.reduce_sum(h * 2.0, axis=1, name="y")
    config = gn.ConfigProto(log_device_placement=True)
    with gn.Session(config=config) as sess:
        sess.run(gn.global_variables_initializer())
        result = sess.run(y, {x: np.ones((2, 3), np.float32)})
        print("y =", result)
        print(sess.placement_report(y, {x: np.ones((2, 3), np.float32)}))


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m gpunet.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--placement", action="store_true",
                        help="run the placement demo (/cpu:0 and two virtual GPUs) instead")
    parser.add_argument("--steps", type=int, default=600, help="training steps (default 600)")
    parser.add_argument("--batch-size", type=int, default=100, help="examples per step (default 100)")
    parser.add_argument("--learning-rate", type=float, default=0.3, help="gradient-descent rate (default 0.3)")
    parser.add_argument("--hidden1", type=int, default=128, help="units in hidden layer 1 (default 128)")
    parser.add_argument("--hidden2", type=int, default=32, help="units in hidden layer 2 (default 32)")
    parser.add_argument("--log-every", type=int, default=100, help="print the loss every N steps (default 100)")
    parser.add_argument("--seed", type=int, default=1, help="graph seed and batch-order seed (default 1)")
    args = parser.parse_args(argv)
    for name in ("steps", "batch_size", "hidden1", "hidden2", "log_every"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.placement:
        placement_demo()
    else:
        run_training(args)


if __name__ == "__main__":
    main()
