"""Every optimizer update kernel (the Apply* ops, fused on real GPUs) on 0-d, empty and normal
variables, on every device: a 0-d variable moves exactly as the same value held in a (1,)
variable does, an empty variable stays empty, and (2, 3) matches elementwise (1,) updates."""
import numpy as np
import pytest

import gpunet as gn
from gpunet.graph.registry import registered_ops

OPTIMIZERS = {
    "ApplyGradientDescent": lambda: gn.train.GradientDescentOptimizer(0.1),
    "ApplyMomentum": lambda: gn.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
    "ApplyAdagrad": lambda: gn.train.AdagradOptimizer(0.1),
    "ApplyRMSProp": lambda: gn.train.RMSPropOptimizer(0.01, momentum=0.5),
    "ApplyCenteredRMSProp": lambda: gn.train.RMSPropOptimizer(0.01, centered=True),
    "ApplyAdam": lambda: gn.train.AdamOptimizer(0.1),
    "ApplyAdadelta": lambda: gn.train.AdadeltaOptimizer(1.0),
    "ApplyFtrl": lambda: gn.train.FtrlOptimizer(0.1, l1_regularization_strength=0.01),
    "ApplyFtrlV2": lambda: gn.train.FtrlOptimizer(0.1, l2_shrinkage_regularization_strength=0.1),
    "ApplyProximalGradientDescent": lambda: gn.train.ProximalGradientDescentOptimizer(0.1, 0.01, 0.02),
    "ApplyProximalAdagrad": lambda: gn.train.ProximalAdagradOptimizer(0.1, l1_regularization_strength=0.01),
    "ApplyAdagradDA": lambda: gn.train.AdagradDAOptimizer(0.1, gn.train.get_or_create_global_step(), 0.1, 0.01),
}
SHAPES = {"0-d": (), "(0,)": (0,), "(0, 3)": (0, 3), "(2, 3)": (2, 3)}
STEPS = 3


def test_every_update_op_is_swept():
    assert sorted(OPTIMIZERS) == sorted(t for t in registered_ops() if t.startswith("Apply"))


def _train(op_type, initial, device):
    """The variable after STEPS steps minimizing sum(sin(v) * w) with every element independent."""
    gn.reset_default_graph()
    with gn.device(device):
        v = gn.Variable(initial, name="v")
        loss = gn.reduce_sum(gn.sin(v) * 1.5)
        step = OPTIMIZERS[op_type]().minimize(loss)
    types = {op.type for op in gn.get_default_graph().get_operations()}
    assert op_type in types, f"the optimizer built no {op_type} (built {sorted(types)})"
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        for _ in range(STEPS):
            sess.run(step)
        report = sess.placement_report(step)
        value = sess.run(v)
    spec = gn.DeviceSpec.from_string(device).to_string()
    assert all(r.assigned.endswith(spec) for r in report.rows if r.type == op_type)
    return np.asarray(value)


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("op_type", OPTIMIZERS)
def test_an_update_works_on_every_shape_class(op_type, shape, device):
    initial = np.random.default_rng(3).uniform(-1, 1, shape).astype(np.float32)
    got = _train(op_type, initial, device)
    assert got.shape == shape and got.dtype == np.float32
    # each element moves on its own: the same value alone in a (1,) variable is the reference
    for index in np.ndindex(shape):
        alone = _train(op_type, np.array([initial[index]], np.float32), device)
        np.testing.assert_allclose(got[index], alone[0], rtol=1e-6, atol=1e-7, err_msg=f"{op_type} {index}")
    if initial.size:
        assert not np.allclose(got, initial), "the variable did not move"
