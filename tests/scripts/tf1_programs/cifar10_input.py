"""Synthetic stand-in for the CIFAR-10 tutorial's cifar10_input.py (the data loading, replaced so the
program needs no download): small images drawn around one fixed random template per class, so the
label is a function of the image and a model can learn it. Each call of the returned tensors draws a
new batch (a py_func on the host, where TF1's input queues ran too)."""
import numpy as np

import gpunet.compat.v1 as tf  # (was: import tensorflow as tf)

IMAGE_SIZE = 8  # the real crops are 24x24; small images keep the test fast
NUM_CLASSES = 10
NUM_EXAMPLES_PER_EPOCH_FOR_TRAIN = 50000
NUM_EXAMPLES_PER_EPOCH_FOR_EVAL = 10000

_TEMPLATES = np.random.default_rng(0).uniform(-2, 2, (NUM_CLASSES, IMAGE_SIZE, IMAGE_SIZE, 3)).astype(np.float32)


def _batch_generator(batch_size, seed):
    rng = np.random.default_rng(seed)

    def next_batch():
        labels = rng.integers(0, NUM_CLASSES, batch_size).astype(np.int32)
        noise = rng.normal(0, 0.5, (batch_size, IMAGE_SIZE, IMAGE_SIZE, 3)).astype(np.float32)
        return _TEMPLATES[labels] + noise, labels
    return next_batch


_calls = [0]


def distorted_inputs(data_dir, batch_size):
    """images [batch_size, IMAGE_SIZE, IMAGE_SIZE, 3] float32 and labels [batch_size] int32."""
    _calls[0] += 1
    images, labels = tf.py_func(_batch_generator(batch_size, seed=_calls[0]), [], [tf.float32, tf.int32])
    images.set_shape([batch_size, IMAGE_SIZE, IMAGE_SIZE, 3])
    labels.set_shape([batch_size])
    return images, labels
