"""A small MLP with fixed initial weights, built on the fly for the equivalence tests."""
import numpy as np

import gpunet as gn

SIZES = (8, 16, 3)
OPTIMIZERS = {
    "sgd": lambda: gn.train.GradientDescentOptimizer(0.1),
    "momentum": lambda: gn.train.MomentumOptimizer(0.05, 0.9),
    "adam": lambda: gn.train.AdamOptimizer(0.01),
}


def initial_weights(seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(SIZES[0], SIZES[1]), (SIZES[1],), (SIZES[1], SIZES[2]), (SIZES[2],)]
    return [rng.normal(0, 0.5, s).astype(np.float32) for s in shapes]


def data(n, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, SIZES[0])).astype(np.float32), rng.integers(0, SIZES[2], n).astype(np.int32)


def logits(x, weights):
    """The MLP through get_variable (so towers share or mirror it by variable scope)."""
    names = ["w1", "b1", "w2", "b2"]
    w1, b1, w2, b2 = [gn.get_variable(n, initializer=gn.constant_initializer(w), shape=w.shape)
                      for n, w in zip(names, weights)]
    return gn.matmul(gn.nn.relu(gn.matmul(x, w1) + b1), w2) + b2


def per_example_loss(x, y, weights):
    return gn.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits(x, weights))
