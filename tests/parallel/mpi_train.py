"""Run as ``mpiexec -n N python -m tests.parallel.mpi_train OUT.npz OPTIMIZER STEPS``: every rank
starts from different weights (broadcast makes them rank 0's), trains on its slice of each global
batch with DistributedOptimizer; rank 0 writes the initial and final weights."""
import sys

import numpy as np

import gpunet as gn
from gpunet.parallel import mpi
from tests.parallel.nets import OPTIMIZERS, data, initial_weights, per_example_loss

GLOBAL_BATCH = 24


def main(out_path, optimizer, steps):
    mpi.init()
    rank, size = mpi.rank(), mpi.size()
    x, y = gn.placeholder(gn.float32, [None, 8]), gn.placeholder(gn.int32, [None])
    with gn.device(mpi.local_device()):
        loss = gn.reduce_mean(per_example_loss(x, y, initial_weights(seed=rank)))
        train_op = mpi.DistributedOptimizer(OPTIMIZERS[optimizer]()).minimize(loss)
    variables = gn.trainable_variables()
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        sess.run(mpi.broadcast_variables(gn.global_variables(), root_rank=0))
        start = sess.run(variables)
        share = GLOBAL_BATCH // size
        for step in range(steps):
            xs, ys = data(GLOBAL_BATCH, seed=step)
            rows = slice(rank * share, (rank + 1) * share)
            sess.run(train_op, {x: xs[rows], y: ys[rows]})
        final = sess.run(variables)
    if rank == 0:
        np.savez(out_path, size=size, **{f"start_{i}": a for i, a in enumerate(start)},
                 **{f"final_{i}": a for i, a in enumerate(final)})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
