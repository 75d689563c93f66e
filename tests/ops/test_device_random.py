"""D16: random ops and dropout draw on their device. Their kernels are built here against a fake
device array module (a model, not CuPy: it has a ``random.default_rng`` whose arrays are marked as
device arrays, and it records every host array uploaded through ``asarray``); a kernel that drew on
the host and uploaded the result per step fails. On virtual GPUs no copy step carries a mask."""
from types import SimpleNamespace

import numpy as np
import pytest

import gpunet as gn
from gpunet.graph.registry import KernelContext
from gpunet.graph.session import _SessionState


class DeviceArray(np.ndarray):
    """An array living on the fake device (ufuncs on it keep the mark)."""


def on_device(value):
    return np.asarray(value).view(DeviceArray)


class FakeGenerator:
    def __init__(self, seed):
        self._rng = np.random.default_rng(seed)

    def random(self, size=None, dtype=np.float64):
        return on_device(self._rng.random(size, dtype=dtype))

    def standard_normal(self, size=None, dtype=np.float64):
        return on_device(self._rng.standard_normal(size, dtype=dtype))

    def integers(self, low, high=None, size=None, dtype=np.int64):
        return on_device(self._rng.integers(low, high, size, dtype=dtype))


class FakeDeviceXp:
    """The array module of a fake device: uploads of host arrays are recorded."""

    def __init__(self):
        self.uploads = []
        self.random = SimpleNamespace(default_rng=FakeGenerator)
        self.where = lambda condition, a, b: on_device(np.where(condition, a, b))
        self.abs = np.abs

    def asarray(self, value, dtype=None):
        if not isinstance(value, DeviceArray):
            self.uploads.append(np.shape(value))
        return on_device(np.asarray(value, dtype=dtype))


def fake_context(op, state, xp):
    device = SimpleNamespace(name="/job:localhost/replica:0/task:0/device:GPU:0", device_type="GPU",
                             backend=SimpleNamespace(xp=xp))
    return KernelContext(op, device, state)


def _random_ops():
    gn.set_random_seed(7)
    return {
        "normal": gn.random_normal([50, 40], seed=1),
        "uniform": gn.random_uniform([50, 40], -2.0, 3.0, seed=2),
        "truncated": gn.truncated_normal([50, 40], stddev=2.0, seed=3),
        "int-uniform": gn.random_uniform([50, 40], 0, 10, dtype=gn.int32, seed=4),
    }


@pytest.mark.parametrize("which", ["normal", "uniform", "truncated", "int-uniform"])
def test_random_ops_draw_on_the_device(which):
    tensor = _random_ops()[which]
    xp, state = FakeDeviceXp(), _SessionState(tensor.graph)
    kernel = tensor.op.op_def.kernel_for("GPU")(fake_context(tensor.op, state, xp))
    first, second = kernel(), kernel()
    assert xp.uploads == []
    assert type(first) is DeviceArray and first.dtype == tensor.dtype.np and first.shape == (50, 40)
    assert not np.array_equal(first, second)  # the generator moves on between steps
    if which == "truncated":
        assert np.abs(first).max() <= 4.0
    if which == "int-uniform":
        assert first.min() >= 0 and first.max() <= 9


def test_the_device_generator_is_kept_per_session_and_seeded_from_the_graph_seeds():
    tensor = _random_ops()["normal"]
    xp = FakeDeviceXp()
    state = _SessionState(tensor.graph)
    kernel = tensor.op.op_def.kernel_for("GPU")
    first = kernel(fake_context(tensor.op, state, xp))()
    rebuilt = kernel(fake_context(tensor.op, state, xp))()  # another plan of the same session continues
    assert not np.array_equal(first, rebuilt)
    fresh = kernel(fake_context(tensor.op, _SessionState(tensor.graph), xp))()  # a new session starts over
    np.testing.assert_array_equal(first, fresh)


def test_dropout_draws_its_mask_on_the_device():
    x_in = gn.placeholder(gn.float32, [20, 30])
    y = gn.nn.dropout(x_in, rate=0.25, seed=5)
    xp = FakeDeviceXp()
    kernel = y.op.op_def.kernel_for("GPU")(fake_context(y.op, _SessionState(y.graph), xp))
    x = on_device(np.ones((20, 30), np.float32))
    out, mask = kernel(x, on_device(np.float32(0.25)))
    assert xp.uploads == []
    assert type(mask) is DeviceArray and mask.dtype == np.float32
    assert set(np.unique(mask).tolist()) <= {0.0, np.float32(1 / 0.75)}
    np.testing.assert_array_equal(out, x * mask)


def test_dropout_on_a_virtual_gpu_moves_no_mask(vgpus):
    with gn.device("/gpu:0"):
        x = gn.random_normal([64, 32], seed=1)
        y = gn.reduce_sum(gn.nn.dropout(x, rate=0.5, seed=2))
    with gn.Session() as sess:
        sess.run(y)
        for _ in range(3):
            meta = gn.RunMetadata()
            sess.run(y, run_metadata=meta)
            assert meta.copy_stats.count == 0  # no copy step: the mask is drawn where it is used
