"""prefetch_to_device / copy_to_device: elements owned by the device, copies counted, copy of k+1 during step k."""
import threading

import numpy as np
import pytest

import gpunet as gn
from gpunet.device import registry

Dataset = gn.data.Dataset
GPU1 = "/job:localhost/replica:0/task:0/device:GPU:1"
ROWS = np.arange(12, dtype=np.float32).reshape(6, 2)


def _batches(to_device, drop_remainder=True):
    return Dataset.from_tensor_slices(ROWS).batch(2, drop_remainder=drop_remainder).apply(to_device)


def test_prefetched_elements_are_owned_by_the_device_with_no_copy_in_the_run(vgpus):
    iterator = _batches(gn.data.prefetch_to_device("/gpu:1")).make_one_shot_iterator()
    element = iterator.get_next()
    with gn.device("/gpu:1"):
        doubled = element * 2.0  # a GPU:1 kernel: it refuses an array another device owns
    with gn.Session() as sess:
        report = sess.placement_report(doubled)
        metadata = [gn.RunMetadata() for _ in range(3)]
        got = [sess.run(doubled, run_metadata=m) for m in metadata]
        stats = iterator.copy_stats(sess)
    np.testing.assert_array_equal(np.stack(got), ROWS.reshape(3, 2, 2) * 2)
    assert report.copies == [] and report.row("IteratorGetNext").assigned == GPU1
    assert report.row("IteratorStart").assigned.endswith("CPU:0")
    assert [(t.device, t.host_to_device, t.unknown) for t in report.transfers] == [("/gpu:1", 16, 0)]
    for m in metadata:  # no copy step ran; the prefetched batch is the run's host-to-device transfer
        assert m.copy_stats.count == 0 and m.copy_stats.routes() == {}
        assert m.copy_stats.host_to_device == {GPU1: 16}
        assert [t.kind for t in m.copy_stats.transfers] == ["prefetch", "fetch"]
    assert len(stats.transfers) == 3 and stats.host_to_device == {GPU1: 48}  # each batch copied once


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint8, np.bool_])
def test_initializable_iterator_on_device_per_dtype_and_restart(vgpus, dtype):
    values = gn.placeholder(gn.as_dtype(dtype), [None])
    iterator = Dataset.from_tensor_slices(values).apply(gn.data.prefetch_to_device("/gpu:0", 2)
                                                        ).make_initializable_iterator()
    element = iterator.get_next()
    with gn.device("/gpu:0"):
        same = gn.identity(element)
    data = (np.arange(5) % 2).astype(dtype)
    with gn.Session() as sess:
        for count in (5, 2):  # a restart stops the old thread and copies from the new values
            sess.run(iterator.initializer, {values: data[:count]})
            got = [sess.run(same) for _ in range(count)]
            with pytest.raises(gn.errors.OutOfRangeError):
                sess.run(same)
            assert np.array(got).dtype == dtype and np.array(got).tolist() == data[:count].tolist()
            assert len(iterator.copy_stats(sess).transfers) == count
        assert sess.placement_report(same).copies == []


def test_the_copy_of_batch_k_plus_1_is_done_during_step_k(vgpus, monkeypatch):
    """Step k waits (in a py_func after its get-next) until batch k+1 is on the device. With the copy
    inside get-next (on the critical path) batch k+1 would be copied only in step k+1: the wait fails."""
    backend = registry.find("GPU", 1).backend
    copied, log = [threading.Event() for _ in range(4)], []
    original = backend.from_host

    def from_host(array):
        out = original(array)
        log.append(("copied", int(np.asarray(array).reshape(-1)[0]) // 4))
        copied[log[-1][1]].set()
        return out
    monkeypatch.setattr(backend, "from_host", from_host)

    def step(batch):
        k = int(batch.reshape(-1)[0]) // 4
        ready = k + 1 >= len(copied) or copied[k + 1].wait(timeout=10)  # a guard against a hang, not a timing
        log.append(("step done", k))
        return np.bool_(ready)
    rows = np.arange(16, dtype=np.float32).reshape(8, 2)
    element = Dataset.from_tensor_slices(rows).batch(2).apply(gn.data.prefetch_to_device("/gpu:1")
                                                              ).make_one_shot_iterator().get_next()
    with gn.device("/gpu:1"):
        on_gpu = element + 0.0
    ready = gn.py_func(step, [on_gpu], gn.bool)
    with gn.Session() as sess:
        assert [bool(sess.run(ready)) for _ in range(4)] == [True] * 4
    for k in range(3):
        assert log.index(("copied", k + 1)) < log.index(("step done", k))


def test_copy_to_device_copies_inside_the_run(vgpus):
    iterator = _batches(gn.data.copy_to_device("/gpu:1")).make_one_shot_iterator()
    element = iterator.get_next()
    with gn.device("/gpu:1"):
        doubled = element * 2.0
    with gn.Session() as sess:
        metadata = gn.RunMetadata()
        got = sess.run(doubled, run_metadata=metadata)
        assert iterator.copy_stats(sess).transfers == []
    np.testing.assert_array_equal(got, ROWS[:2] * 2)
    assert metadata.copy_stats.routes() == {("/job:localhost/replica:0/task:0/device:CPU:0", GPU1): (1, 16)}


def test_soft_placement_elsewhere_still_hands_out_arrays_of_the_op_device(vgpus):
    element = _batches(gn.data.prefetch_to_device("/gpu:5")).make_one_shot_iterator().get_next()
    config = gn.ConfigProto(allow_soft_placement=True)
    with gn.Session(config=config) as sess:
        assigned = sess.placement_report(element).row("IteratorGetNext").assigned
        metadata = gn.RunMetadata()
        np.testing.assert_array_equal(sess.run(element, run_metadata=metadata), ROWS[:2])
    assert "GPU" in assigned and metadata.copy_stats.count == 1  # copied by the kernel, in the run


def test_bad_targets_are_refused_at_build_time(vgpus):
    with pytest.raises(TypeError, match="strings stay on the host"):
        Dataset.from_tensors("a").apply(gn.data.prefetch_to_device("/gpu:0"))
    with pytest.raises(ValueError, match="gpu:x"):
        Dataset.range(3).apply(gn.data.prefetch_to_device("/gpu:x"))
    assert Dataset.from_tensors("a").apply(gn.data.prefetch_to_device("/cpu:0")).output_types == gn.string


def test_the_prefetch_thread_ends_with_the_session(vgpus):
    before = threading.active_count()
    element = Dataset.range(10 ** 6).apply(gn.data.prefetch_to_device("/gpu:0", 3)).make_one_shot_iterator(
        ).get_next()
    sess = gn.Session()
    assert [int(sess.run(element)) for _ in range(3)] == [0, 1, 2]
    sess.close()
    assert threading.active_count() == before


def test_a_reinitializable_get_next_made_before_a_device_initializer_gets_host_arrays(vgpus):
    iterator = gn.data.Iterator.from_structure(gn.float32, [2, 2])
    element = iterator.get_next()  # on the host: made before any initializer names a device
    init = iterator.make_initializer(_batches(gn.data.prefetch_to_device("/gpu:1")))
    with gn.device("/cpu:0"):
        doubled = element * 2.0
    with gn.Session() as sess:
        sess.run(init)
        metadata = gn.RunMetadata()
        np.testing.assert_array_equal(sess.run(doubled, run_metadata=metadata), ROWS[:2] * 2)
    assert metadata.copy_stats.routes() == {(GPU1, "/job:localhost/replica:0/task:0/device:CPU:0"): (1, 16)}
