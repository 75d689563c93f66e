"""``mpiexec -n 2`` training with gn.parallel.mpi equals one process on the global batch."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gpunet as gn

from .nets import OPTIMIZERS, data, initial_weights, per_example_loss

ROOT = Path(__file__).resolve().parents[2]
MPIEXEC = shutil.which("mpiexec", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
STEPS = 5


def single_process(start, optimizer, steps):
    x, y = gn.placeholder(gn.float32, [None, 8]), gn.placeholder(gn.int32, [None])
    loss = gn.reduce_mean(per_example_loss(x, y, start))
    train_op = OPTIMIZERS[optimizer]().minimize(loss)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        for step in range(steps):
            xs, ys = data(24, seed=step)
            sess.run(train_op, {x: xs, y: ys})
        return sess.run(gn.trainable_variables())


@pytest.mark.skipif(MPIEXEC is None, reason="mpiexec not found (pip install 'gpunet[mpi]' puts it in the venv's bin)")
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_mpiexec_two_processes_train_like_one_on_the_global_batch(tmp_path, optimizer):
    pytest.importorskip("mpi4py", reason="the mpi extra (mpi4py) is not installed")
    out = tmp_path / "weights.npz"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.pop("GPUNET_VIRTUAL_GPUS", None)
    result = subprocess.run([MPIEXEC, "-n", "2", sys.executable, "-m", "tests.parallel.mpi_train", str(out),
                             optimizer, str(STEPS)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    saved = np.load(out)
    assert int(saved["size"]) == 2
    start = [saved[f"start_{i}"] for i in range(4)]
    for got, rank0 in zip(start, initial_weights(seed=0)):  # broadcast from rank 0 (rank 1 began elsewhere)
        np.testing.assert_array_equal(got, rank0)
    want = single_process(start, optimizer, STEPS)
    for i, w in enumerate(want):
        assert np.abs(w - start[i]).max() > 1e-4
        np.testing.assert_allclose(saved[f"final_{i}"], w, rtol=1e-5, atol=1e-6)
