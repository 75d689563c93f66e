"""D15: shape values live on the host, as TF1's HostMemory kernels. A shape argument computed from
shapes (``reshape(x, [gn.shape(x)[0], -1])``, ``zeros([gn.shape(x)[0], 3])``, ``range(gn.shape(x)[0])``)
is evaluated on the host by its consumer: the plan runs no Shape/StridedSlice/Pack step on the GPU,
copies nothing, and never reads a shape back from a device."""
import numpy as np
import pytest

import gpunet as gn
from gpunet.ops._host_shapes import HostShapeProgram, host_shape

SHAPE_OPS = {"Shape", "Size", "Rank", "StridedSlice", "Pack", "Mul", "Cast"}


def _batch(n):
    return np.arange(n * 6, dtype=np.float32).reshape(n, 2, 3)


BUILDS = {  # (build, NumPy reference); reshape to [0, -1] is an error in TF1, so those run on n >= 1 only
    "reshape-batch": (lambda x: gn.reshape(x, [gn.shape(x)[0], -1]), lambda v: v.reshape(len(v), -1)),
    "reshape-arithmetic": (lambda x: gn.reshape(x, gn.stack([gn.shape(x)[0] * 2, gn.size(x) // (2 * gn.shape(x)[0])])),
                           lambda v: v.reshape(2 * len(v), -1)),
    "zeros-batch": (lambda x: gn.zeros([gn.shape(x)[0], 3]), lambda v: np.zeros((len(v), 3), np.float32)),
    "fill-rank": (lambda x: gn.fill([gn.rank(x), gn.shape(x)[1]], 7.0), lambda v: np.full((3, 2), 7.0, np.float32)),
    "range-batch": (lambda x: gn.range(gn.shape(x)[0]), lambda v: np.arange(len(v), dtype=np.int32)),
    # limit size + 1: an empty batch gives range(1, 1), which is empty; range(1, 0) is an error as in TF1
    "range-steps": (lambda x: gn.range(1, gn.size(x) + 1, gn.shape(x)[2]),
                    lambda v: np.arange(1, v.size + 1, 3, dtype=np.int32)),
}


@pytest.mark.parametrize("which", sorted(BUILDS))
def test_shape_arguments_are_computed_on_the_host(device, which):
    build, reference = BUILDS[which]
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None, 2, 3])
        y = build(x)
    with gn.Session() as sess:
        report = sess.placement_report(y, {x: _batch(2)})
        assert {r.type for r in report.rows} & SHAPE_OPS == set(), str(report)
        assert report.copies == []
        for n in (1, 4, 1) if which.startswith("reshape") else (1, 4, 0, 4):  # a shape seen before: same value
            meta = gn.RunMetadata()
            got = sess.run(y, {x: _batch(n)}, run_metadata=meta)
            np.testing.assert_array_equal(got, reference(_batch(n)))
            assert got.dtype == reference(_batch(n)).dtype
            assert meta.copy_stats.count == 0
    kind, index = device.strip("/").split(":")
    assert {r.assigned for r in report.rows} == {f"/job:localhost/replica:0/task:0/device:{kind.upper()}:{index}"}


def test_the_plan_of_a_gpu_reshape_has_only_the_reshape(vgpus):
    with gn.device("/gpu:0"):
        x = gn.placeholder(gn.float32, [None, 2, 3], name="x")
        y = gn.reshape(x, [gn.shape(x)[0], -1], name="flat")
    with gn.Session() as sess:
        rows = sess.placement_report(y, {x: _batch(2)}).rows
    assert [(r.op, r.type, r.assigned[-5:]) for r in rows] == [("flat", "Reshape", "GPU:0")]


def test_gradients_flow_through_a_host_shaped_reshape(device):
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None, 2, 3])
        y = gn.reshape(x, [gn.shape(x)[0], -1])
        [dx] = gn.gradients(gn.reduce_sum(y * y), [x])
    with gn.Session() as sess:
        np.testing.assert_array_equal(sess.run(dx, {x: _batch(3)}), 2 * _batch(3))


def test_a_fetched_shape_is_still_computed(device):
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None, 2, 3])
        s = gn.shape(x)
        y = gn.reshape(x, [s[0], -1])
    with gn.Session() as sess:
        got_s, got_y = sess.run([s, y], {x: _batch(2)})
    assert got_s.tolist() == [2, 2, 3] and got_y.shape == (2, 6)


def test_a_shape_from_a_fed_tensor_is_not_host_evaluated(device):
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None])
        target = gn.placeholder(gn.int32, [2])
        y = gn.reshape(x, target * 1)
    with gn.Session() as sess:
        assert sess.run(y, {x: np.arange(6.0), target: [3, 2]}).shape == (3, 2)


def test_a_bad_host_shape_names_the_consumer(device):
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None, 2, 3])
        y = gn.reshape(x, [gn.shape(x)[0] + 1, 5], name="bad")
    with gn.Session() as sess, pytest.raises(gn.errors.InvalidArgumentError, match=r"(?s)reshape.*node bad \(Reshape"):
        sess.run(y, {x: _batch(2)})


def test_static_shape_inference_is_unchanged():
    x = gn.placeholder(gn.float32, [None, 2, 3])
    assert gn.reshape(x, [gn.shape(x)[0], 6]).shape == (None, 6)
    assert gn.zeros([gn.shape(x)[0], 3]).shape == (None, 3)
    assert gn.range(gn.shape(x)[0]).shape == (None,)
    assert gn.fill([gn.rank(x), 2], 1.0).shape == (None, 2)


def test_a_host_shape_is_evaluated_once_per_distinct_input_shape():
    x = gn.placeholder(gn.float32, [None, 2, 3])
    program = HostShapeProgram(host_shape(gn.shape(x)[0] * 2 + gn.size(x)), None)
    calls = []
    program.steps = [(_counted(kernel, calls), ins, outs) for kernel, ins, outs in program.steps]
    values = [int(program(_batch(n))) for n in (1, 4, 1, 4, 0)]
    assert values == [2 * n + 6 * n for n in (1, 4, 1, 4, 0)]
    assert len(calls) == 3 * len(program.steps)  # shapes (1, 2, 3), (4, 2, 3) and (0, 2, 3)
    vector = HostShapeProgram(host_shape(gn.stack([gn.shape(x)[0], 3])), None)
    with pytest.raises(ValueError, match="read-only"):
        vector(_batch(1))[0] = 0  # the remembered value is shared, so nobody may write to it


def _counted(kernel, calls):
    def run(*args):
        calls.append(kernel)
        return kernel(*args)
    return run
