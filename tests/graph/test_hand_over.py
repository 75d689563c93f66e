"""Between devices that keep arrays in host memory (the CPU, virtual GPUs), a copy that is the last and
only reader of a buffer a kernel made in this run hands the buffer over instead of copying its bytes;
every other copy (a feed, a variable's value, a value read again or fetched, a view) moves the bytes.
Either way it is the run's transfer and is counted as one. (GPUs in device memory always move bytes.)"""
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


def _run(fetches, feed):
    with gn.Session() as sess:
        metadata = gn.RunMetadata()
        values = sess.run(fetches, feed, run_metadata=metadata)
    return values, metadata.copy_stats


@no_gpu_only
@pytest.mark.parametrize("vgpus", [2], indirect=True)
@pytest.mark.parametrize("path", [["/gpu:0", "/cpu:0"], ["/gpu:0", "/gpu:1"], ["/cpu:0", "/gpu:1"],
                                  ["/gpu:0", "/gpu:1", "/cpu:0"]])
def test_a_dying_kernel_output_is_handed_over_and_still_counted(vgpus, copied, path):
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
    assert copied == []  # no bytes moved between devices (a feed goes straight to its device)
    assert stats.count == len(path) - 1  # every copy is still one in the run's metadata
    assert stats.bytes == X.nbytes * stats.count


@no_gpu_only
@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_a_variables_value_is_copied_and_keeps_the_value_it_had_when_read(vgpus, copied):
    with gn.device("/cpu:0"):
        v = gn.Variable(X, name="v")
    with gn.device("/gpu:0"):
        doubled = gn.identity(v) * 2.0
    with gn.control_dependencies([doubled]), gn.device("/cpu:0"):
        bumped = gn.assign_add(v, np.ones_like(X))
    with gn.Session() as sess:
        sess.run(v.initializer)
        got, _ = sess.run([doubled, bumped])
    np.testing.assert_array_equal(got, 2 * X)
    assert ("/cpu:0", "/gpu:0") in copied


@no_gpu_only
@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_a_value_read_again_fetched_or_a_view_moves_its_bytes(vgpus, copied):
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
    # `shared` (read twice), `fetched` (the caller gets it too) and the view move bytes; only `again`,
    # made, read once and dropped, is handed over
    assert copied == [("/gpu:0", "/cpu:0")] * 3
    assert stats.count == 4 and stats.bytes == 4 * X.nbytes  # handed over or not, each copy counts


@no_gpu_only
@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_what_a_gpu_computes_from_its_copy_of_a_variable_is_handed_back(vgpus, copied):
    with gn.device("/cpu:0"):
        v = gn.Variable(X, name="v")
    with gn.device("/gpu:0"):
        squared = gn.square(v)  # computed from the GPU's own copy of v: nothing here shares v's buffer
    with gn.device("/cpu:0"):
        total = squared + 1.0
    with gn.Session() as sess:
        sess.run(v.initializer)
        np.testing.assert_array_equal(sess.run(total), X * X + 1)
    assert copied == [("/cpu:0", "/gpu:0")]  # v's value moves; its square comes back by hand-over
