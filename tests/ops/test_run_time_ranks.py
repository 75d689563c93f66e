"""A value fed to a placeholder of unknown rank, of a rank the op refuses, gets TF1's InvalidArgumentError
message at run time (one shared check, gpunet/ops/_rank_checks.py), on every device; never a Python
error from inside the kernel."""
import numpy as np
import pytest

import gpunet as gn

FILTER = np.ones((3, 3, 1, 1), np.float32)
POOL = dict(ksize=[1, 2, 2, 1], strides=[1, 1, 1, 1], padding="SAME")

CASES = {  # build on x (unknown rank), the bad value, TF1's message, a good value and the NumPy result for it
    "argmax-0d": (lambda x: gn.argmax(x, 0), np.float32(1), "Expected dimension in the range [-0, 0), but got 0",
                  np.array([1, 3, 2], np.float32), np.int64(1)),
    "argmin-axis": (lambda x: gn.argmin(x, 1), np.ones(3, np.float32), "Expected dimension in the range [-1, 1), "
                    "but got 1", np.array([[3, 1], [0, 2]], np.float32), np.array([1, 0])),
    "conv2d": (lambda x: gn.nn.conv2d(x, FILTER, [1, 1, 1, 1], "VALID"), np.ones((4, 4), np.float32),
               "input must be 4-dimensional[4,4]", np.ones((1, 3, 3, 1), np.float32), np.full((1, 1, 1, 1), 9.0)),
    "max_pool": (lambda x: gn.nn.max_pool(x, **POOL), np.ones((4, 4), np.float32), "tensor_in must be "
                 "4-dimensional[4,4]", np.ones((1, 2, 2, 1), np.float32), np.ones((1, 2, 2, 1))),
    "avg_pool": (lambda x: gn.nn.avg_pool(x, **POOL), np.ones((2, 4, 4), np.float32), "tensor_in must be "
                 "4-dimensional[2,4,4]", np.ones((1, 2, 2, 1), np.float32), np.ones((1, 2, 2, 1))),
    "top_k": (lambda x: gn.nn.top_k(x, 1).values, np.float32(1), "input must be >= 1-D, got shape []",
              np.array([1, 3, 2], np.float32), np.array([3.0])),
    "bias_add": (lambda x: gn.nn.bias_add(x, np.ones(2, np.float32)), np.ones(2, np.float32),
                 "Input tensor must be at least 2D: [2]", np.zeros((1, 2), np.float32), np.ones((1, 2))),
    "reduce_sum": (lambda x: gn.reduce_sum(x, 1), np.ones(3, np.float32), "Invalid reduction dimension 1 for input "
                   "with 1 dimensions", np.ones((2, 3), np.float32), np.array([3.0, 3.0])),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_fed_value_of_the_wrong_rank_gets_tf1s_message(device, name):
    build, bad, message, good, want = CASES[name]
    with gn.device(device):
        x = gn.placeholder(gn.float32)
        y = build(x)
    with gn.Session() as sess:
        np.testing.assert_allclose(sess.run(y, {x: good}), want)
        with pytest.raises(gn.errors.InvalidArgumentError) as info:
            sess.run(y, {x: bad})
    assert info.value.message.startswith(message)
    assert info.value.op is y.op
