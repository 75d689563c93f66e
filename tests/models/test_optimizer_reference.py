"""Each Keras optimizer's first three steps against tf_keras 2.21 (data/optimizer_reference.json, made by
data/make_optimizer_reference.py): same start, same gradients ``w * var + b``, same values."""
import json
import os

import numpy as np
import pytest

import gpunet as gn

REFERENCE = json.load(open(os.path.join(os.path.dirname(__file__), "data", "optimizer_reference.json")))


@pytest.mark.parametrize("case", sorted(REFERENCE["cases"]))
def test_three_steps_match_tf_keras(case):
    spec = REFERENCE["cases"][case]
    optimizer = getattr(gn.optimizers, spec["class"])(**spec["kwargs"])
    var = gn.Variable(np.array(REFERENCE["start"], np.float32))
    loss = gn.reduce_sum(np.float32(REFERENCE["w"]) * var * var) / 2 + gn.reduce_sum(np.float32(REFERENCE["b"]) * var)
    step = optimizer.minimize(loss, [var])
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        for expected in spec["steps"]:
            sess.run(step)
            np.testing.assert_allclose(sess.run(var), expected, rtol=2e-6, atol=2e-7, err_msg=case)
        assert sess.run(optimizer.iterations) == 3
