"""Between devices that keep arrays in host memory (the CPU, virtual GPUs), a copy shares the source's
buffer instead of moving its bytes, as TF passes tensors between devices in one address space. It is
still the run's transfer, counted with its bytes. A shared variable's buffer is ordered like the
variable itself: a write waits for the readers of every device's share of it, and a read after a
write in plan order sees the write. (GPUs in device memory always move bytes.)"""
import numpy as np
import pytest

import gpunet as gn
from gpunet.graph import steps
from tests.conftest import no_gpu_only

X = np.arange(12, dtype=np.float32).reshape(3, 4)


@pytest.fixture
def copied(monkeypatch):
    """The (source, destination) of every copy that moved bytes."""
    moved = []
    real = steps.device_copy

    def counting(array, src, dst):
        moved.append((src.short_name, dst.short_name))
        return real(array, src, dst)
    monkeypatch.setattr(steps, "device_copy", counting)
    return moved


def _run(fetches, feed=None, init=()):
    with gn.Session() as sess:
        sess.run(list(init))
        metadata = gn.RunMetadata()
        values = sess.run(fetches, feed, run_metadata=metadata)
    return values, metadata.copy_stats


@no_gpu_only
@pytest.mark.parametrize("vgpus", [2], indirect=True)
@pytest.mark.parametrize("path", [["/gpu:0", "/cpu:0"], ["/gpu:0", "/gpu:1"], ["/cpu:0", "/gpu:1"],
                                  ["/gpu:0", "/gpu:1", "/cpu:0"]])
def test_a_copy_between_host_memory_devices_moves_no_bytes_and_is_still_counted(vgpus, copied, path):
    with gn.device("/cpu:0"):
        x = gn.placeholder(gn.float32, [3, 4])
    y = x
    for k, device in enumerate(path):
        with gn.device(device):
            y = gn.square(y) if k == 0 else y + float(k)
    value, stats = _run(y, {x: X})
    want = X * X
    for k in range(1, len(path)):
        want = want + k
    np.testing.assert_array_equal(value, want)
    assert copied == []
    assert stats.count == len(path) - 1
    assert stats.bytes == X.nbytes * stats.count


@no_gpu_only
@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_values_read_twice_fetched_fed_or_views_are_shared_too(vgpus, copied):
    with gn.device("/cpu:0"):
        x = gn.placeholder(gn.float32, [3, 4])
    with gn.device("/gpu:0"):
        shared, fetched, whole = gn.square(x), gn.sqrt(x), gn.exp(x - 11.0)
        view = gn.reshape(whole, [12])  # a view of a buffer the GPU made
        again = shared + 1.0            # a second reader of `shared` on its own device
    with gn.device("/cpu:0"):
        total = gn.reduce_sum(shared) + gn.reduce_sum(fetched) + gn.reduce_sum(view) + gn.reduce_sum(again)
    values, stats = _run([total, fetched], {x: X})
    want = (X * X).sum() + np.sqrt(X).sum() + np.exp(X - 11.0).sum() + (X * X + 1).sum()
    np.testing.assert_allclose(values[0], want, rtol=1e-6)
    np.testing.assert_array_equal(values[1], np.sqrt(X))
    assert copied == []
    assert stats.count == 4 and stats.bytes == 4 * X.nbytes  # four copies back (x is fed to /gpu:0 directly)


@no_gpu_only
@pytest.mark.parametrize("vgpus", [2], indirect=True)
@pytest.mark.parametrize("device", ["/cpu:0", "/gpu:0", "/gpu:1"])
@pytest.mark.parametrize("read_first", [True, False])
def test_a_variables_shared_value_is_read_in_plan_order_against_its_updates(vgpus, copied, device, read_first):
    """A read ordered before an update sees the old value, one ordered after it the new one: on the
    variable's device and on every device its buffer is shared with, on whichever threads they run."""
    with gn.device("/gpu:0"):
        start = gn.reduce_sum(gn.constant(np.ones(3, np.float32)))  # GPU 0 first: it shares the CPU's thread
    with gn.device("/cpu:0"):
        v = gn.Variable(X, name="v")
    if read_first:
        with gn.device(device):
            doubled = gn.identity(v) * 2.0
        with gn.control_dependencies([doubled, start]), gn.device("/cpu:0"):
            bumped = gn.assign_add(v, np.ones_like(X))
    else:
        with gn.control_dependencies([start]), gn.device("/cpu:0"):
            bumped = gn.assign_add(v, np.ones_like(X))
        with gn.device(device), gn.control_dependencies([bumped]):
            doubled = gn.identity(v) * 2.0
    for _ in range(3):
        (got, _), _ = _run([doubled, bumped], init=[v.initializer])
        np.testing.assert_array_equal(got, 2 * X if read_first else 2 * (X + 1))
    assert copied == []


@no_gpu_only
@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_a_gpus_view_of_a_variable_fetched_is_the_callers_own_copy(vgpus):
    """A fetched value that may share a variable's buffer is copied for the caller, wherever it was
    computed: the next update must not change what an earlier run returned."""
    with gn.device("/cpu:0"):
        v = gn.Variable(X, name="v")
        bump = gn.assign_add(v, np.ones_like(X))
    with gn.device("/gpu:1"):
        view = gn.reshape(gn.identity(v), [12])
    with gn.Session() as sess:
        sess.run(v.initializer)
        first = sess.run(view)
        sess.run(bump)
        second = sess.run(view)
    np.testing.assert_array_equal(first, X.reshape(12))
    np.testing.assert_array_equal(second, X.reshape(12) + 1)
