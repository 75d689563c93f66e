"""Run-time value checks: immediate on host devices, deferred on GPUs (a device-side flag read once
per device at the end of Session.run), with the same error either way. Virtual GPUs are GPUs,
so the deferred path runs here; DEFERRED_DEVICE_TYPES forces either path on any device."""
import contextlib
import threading

import numpy as np
import pytest

import gpunet as gn
from gpunet.graph import checks


@pytest.fixture
def host_reads(monkeypatch):
    """Counts the device-to-host reads run-time checks make (each one a sync on a real GPU)."""
    calls = []
    real = checks._to_host

    def counting(device, array):
        calls.append(device.name)
        return real(device, array)
    monkeypatch.setattr(checks, "_to_host", counting)
    return calls


def _checked_graph(device, n_checks=3):
    """``n_checks`` gathers and a check_numerics on ``device``; returns (fetch, indices placeholder)."""
    with gn.device(device):
        p = gn.constant(np.arange(4.0, dtype=np.float32))
        i = gn.placeholder(gn.int32, [None], name="i")
        total = gn.add_n([gn.reduce_sum(gn.gather(p, i, name=f"g{k}")) for k in range(n_checks)])
        return gn.debugging.check_numerics(total, "total"), i


def _mode(monkeypatch, deferred_on):
    monkeypatch.setattr(checks, "DEFERRED_DEVICE_TYPES", set(deferred_on))


@pytest.mark.parametrize("n_checks", [1, 3, 8])
def test_deferred_checks_read_the_device_once_per_run(vgpus, host_reads, n_checks):
    y, i = _checked_graph("/gpu:0", n_checks)
    with gn.Session() as sess:
        for _ in range(3):
            host_reads.clear()
            assert sess.run(y, {i: [0, 3]}) == 3.0 * n_checks
            assert host_reads == ["/job:localhost/replica:0/task:0/device:GPU:0"]


def test_immediate_checks_read_once_per_check(host_reads):
    y, i = _checked_graph("/cpu:0", 3)
    with gn.Session() as sess:
        assert sess.run(y, {i: [1]}) == 3.0
    assert len(host_reads) == 4  # three gathers and check_numerics


def test_one_read_per_device_when_checks_sit_on_several_gpus(vgpus, host_reads):
    with gn.device("/gpu:0"):
        p = gn.constant([1.0, 2.0])
        i = gn.placeholder(gn.int32, [None])
        a = gn.gather(p, i)
    with gn.device("/gpu:1"):
        b = gn.gather(gn.constant([3.0, 4.0]), i) + gn.gather(gn.constant([5.0, 6.0]), i)
    with gn.Session() as sess:
        sess.run([a, b], {i: [1]})
    assert sorted(host_reads) == [f"/job:localhost/replica:0/task:0/device:GPU:{k}" for k in (0, 1)]


@pytest.mark.parametrize("deferred_on", [set(), {"CPU", "GPU"}], ids=["immediate", "deferred"])
def test_the_error_is_the_same_deferred_or_not(device, monkeypatch, deferred_on):
    y, i = _checked_graph(device, 2)
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError) as immediate:
            sess.run(y, {i: [0, 7]})
        _mode(monkeypatch, deferred_on)
        with pytest.raises(gn.errors.InvalidArgumentError) as other:
            sess.run(y, {i: [0, 7]})
    assert str(other.value) == str(immediate.value)
    assert str(other.value).startswith("indices[1] = 7 is not in [0, 4)\n\t [[node g0 (GatherV2) on ")
    assert other.value.op.name == "g0"


def test_the_first_failed_check_in_run_order_is_reported(vgpus):
    with gn.device("/gpu:0"):
        x = gn.placeholder(gn.float32, [2])
        first = gn.debugging.check_numerics(x, "first", name="first")
        second = gn.debugging.check_numerics(first * 2.0, "second", name="second")
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError, match=r"(?s)^first : Tensor had NaN.*node first "):
            sess.run(second, {x: [np.nan, 1.0]})
        assert sess.run(second, {x: [1.0, 2.0]}).tolist() == [2.0, 4.0]  # no stale flag from the failed run


def test_a_deferred_failure_explains_a_later_crash(vgpus):
    # on a virtual GPU NumPy's take raises for index 9 right after the gather's check deferred its
    # flag: the check's message, not NumPy's, reaches the user
    with gn.device("/gpu:0"):
        i = gn.placeholder(gn.int32, [None])
        y = gn.gather(gn.constant([1.0, 2.0]), i, name="g")
    with gn.Session() as sess, pytest.raises(gn.errors.InvalidArgumentError) as info:
        sess.run(y, {i: [9]})
    assert str(info.value).startswith("indices[0] = 9 is not in [0, 2)\n\t [[node g (GatherV2)")


def test_each_thread_collects_its_own_run_checks(vgpus):
    y, i = _checked_graph("/gpu:0", 2)
    outcomes = {}

    def run(k):
        with pytest.raises(gn.errors.InvalidArgumentError) if k % 2 else contextlib.nullcontext():
            for _ in range(20):
                sess.run(y, {i: [k % 4, 5] if k % 2 else [k % 4]})
        outcomes[k] = True

    with gn.Session() as sess:
        threads = [threading.Thread(target=run, args=(k,)) for k in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(outcomes) == list(range(6))  # good runs never saw another thread's failed flag


def test_checks_outside_a_run_are_immediate(vgpus):
    from gpunet.device import find
    from gpunet.graph.checks import ValueCheck
    check = ValueCheck(None, find("GPU", 0))
    check(np.bool_(False), lambda: "unused")
    with pytest.raises(gn.errors.InvalidArgumentError, match="bad value"):
        check(np.bool_(True), lambda: "bad value")
