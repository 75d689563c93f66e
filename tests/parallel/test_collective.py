"""The collective all-reduce (one op per device, meeting at run time) and the replica engine's
mirrored mode on it: results equal a host sum, in the flat loop and the concurrent executor alike,
and gradients never pass through the host. The op-level tests here are about devices in host memory
(virtual GPUs, the CPU); tests/parallel/test_nccl.py runs the collective on CuPy GPUs."""
import sys
import threading

import numpy as np
import pytest

import gpunet as gn
from gpunet.ops.collective_ops import all_reduce_sum
from gpunet.parallel import CollectiveAllReduce, ReplicatedTrainer

from tests.conftest import no_gpu_only

from .nets import OPTIMIZERS, data, initial_weights, per_example_loss
from .test_engine import BATCH, batches_of, copies_by_replica, single_device_weights

SHAPES = [(), (0,), (5,), (3, 4)]


def build_all_reduce(devices, shape, dtype):
    gn.reset_default_graph()
    feeds = []
    for d in devices:
        with gn.device(d):
            feeds.append(gn.placeholder(dtype, shape))
    return feeds, all_reduce_sum(feeds, devices)


def values_for(n, shape, dtype, round_):
    rng = np.random.default_rng(round_)
    return [(rng.normal(size=shape) * 10).astype(dtype) for _ in range(n)]


@no_gpu_only  # devices in host memory; on CuPy GPUs see test_nccl.py
@pytest.mark.parametrize("vgpus", [4], indirect=True)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("n", [1, 2, 4])
def test_each_device_gets_the_sum_in_every_round(vgpus, n, shape, dtype):
    devices = [f"/gpu:{i}" for i in range(n)]
    feeds, results = build_all_reduce(devices, shape, gn.as_dtype(dtype))
    with gn.Session() as sess:
        for round_ in range(3):  # rounds match up run after run
            values = values_for(n, shape, dtype, round_)
            got = sess.run(results, dict(zip(feeds, values)))
            want = values[0].copy()
            for v in values[1:]:
                want = want + v
            for g in got:
                assert g.dtype == dtype and g.shape == shape
                np.testing.assert_array_equal(g, want)


@no_gpu_only  # devices in host memory; on CuPy GPUs see test_nccl.py
@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_results_are_placed_on_their_devices_and_fetching_one_runs_every_participant(vgpus):
    feeds, results = build_all_reduce(["/gpu:0", "/gpu:1", "/cpu:0"], (2,), gn.float32)
    values = [np.array([1, 2], np.float32), np.array([10, 20], np.float32), np.array([100, 200], np.float32)]
    with gn.Session() as sess:
        report = sess.placement_report(results[1], dict(zip(feeds, values)))
        np.testing.assert_array_equal(sess.run(results[1], dict(zip(feeds, values))), [111, 222])
    for rank, device in enumerate(["GPU:0", "GPU:1", "CPU:0"]):
        assert report.row(f"all_reduce/replica_{rank}").assigned.endswith(device)
    assert report.row("all_reduce/reduced_1").assigned.endswith("GPU:1")
    assert report.copies == []  # each participant reads its own device's input


@no_gpu_only  # devices in host memory; on CuPy GPUs see test_nccl.py
@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_the_flat_loop_completes_the_rendezvous_with_its_last_participant(vgpus):
    feeds, results = build_all_reduce(["/gpu:0", "/gpu:1"], (3,), gn.float32)
    values = [np.arange(3, dtype=np.float32), np.full(3, 5, np.float32)]
    with gn.Session() as sess:
        plan = sess._plan(tuple(results), tuple(feeds))
        assert plan.concurrent
        for _ in range(2):
            flat = plan.run(tuple(values), workers=None)  # no worker threads: one thread runs every step
            for g in flat:
                np.testing.assert_array_equal(g, [5, 6, 7])
        concurrent = sess.run(results, dict(zip(feeds, values)))  # and the rounds still match afterwards
        for g in concurrent:
            np.testing.assert_array_equal(g, [5, 6, 7])


def test_all_reduce_sum_rejects_mismatched_inputs():
    gn.reset_default_graph()
    a, b = gn.zeros([3]), gn.zeros([4])
    with pytest.raises(ValueError, match="every tensor needs the same dtype and the same fully known shape"):
        all_reduce_sum([a, b], ["/cpu:0", "/cpu:0"])
    with pytest.raises(ValueError, match="every tensor needs the same dtype"):
        all_reduce_sum([a, gn.zeros([3], dtype=gn.int32)], ["/cpu:0", "/cpu:0"])
    with pytest.raises(ValueError, match="one tensor per device, got 2 tensors for 1 devices"):
        all_reduce_sum([a, a], ["/cpu:0"])


# -- the replica engine on the collective ---------------------------------------------------------
def collective_replicas(n, optimizer):
    gn.reset_default_graph()
    x, y = gn.placeholder(gn.float32, [None, 8]), gn.placeholder(gn.int32, [None])
    trainer = ReplicatedTrainer(OPTIMIZERS[optimizer], gpus=n, variables_on="gpu", communicator=CollectiveAllReduce())
    train_op, _ = trainer.minimize(lambda xs, ys: gn.reduce_sum(per_example_loss(xs, ys, initial_weights())), [x, y])
    return trainer, x, y, train_op


@pytest.mark.parametrize("vgpus", [4], indirect=True)
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("n", [2, 4])
def test_mirrored_replicas_on_the_collective_equal_one_device(vgpus, n, optimizer):
    steps = 3
    batches = batches_of(steps)
    want = single_device_weights(optimizer, steps, batches)
    trainer, x, y, train_op = collective_replicas(n, optimizer)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        sess.run(trainer.broadcast_op())
        for xv, yv in batches:
            sess.run(train_op, {x: xv, y: yv})
        replicas = [sess.run(v) for v in trainer.tower_variables]
    for weights in replicas:
        for g, w in zip(weights, want):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


@no_gpu_only  # devices in host memory; on CuPy GPUs see test_nccl.py
@pytest.mark.parametrize("vgpus", [4], indirect=True)
@pytest.mark.parametrize("n", [2, 4])
def test_gradients_never_pass_through_the_host(vgpus, n):
    trainer, x, y, train_op = collective_replicas(n, "sgd")
    xv, yv = data(BATCH)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        report = sess.placement_report(train_op, {x: xv, y: yv})
        metadata = gn.RunMetadata()
        sess.run(train_op, {x: xv, y: yv}, options=gn.RunOptions(), run_metadata=metadata)
    into, out = copies_by_replica(report, n)
    for i in range(n):
        assert out[i] == []  # nothing leaves a GPU: no gradient buffer goes to the host
        received = sorted(c.tensor.name for c in into[i])
        assert [r for r in received if "rows" not in r] == ["batch_scale/Reciprocal:0"]  # the 1/batch scale, 4 bytes
    stats = metadata.copy_stats
    assert stats.device_to_host == {}  # measured in the run as well: nothing came back to the host
    x_bytes = xv.nbytes + yv.nbytes
    assert sum(stats.host_to_device.values()) == x_bytes + 4 * n  # the batch's rows and the scale, no weight


@pytest.mark.parametrize("vgpus", [4], indirect=True)
def test_one_collective_joins_devices_of_one_kind_only(vgpus):
    from gpunet.parallel.communicators import collective_applies
    cards = {getattr(d.backend, "physical_id", None) for d in gn.config.list_logical_devices("GPU")}
    on_cards = gn.config.list_logical_devices("GPU")[0].backend.capabilities.device_memory
    assert collective_applies(["/gpu:0", "/gpu:1"]) == (not on_cards or len(cards) >= 2)
    assert collective_applies(["/gpu:0", "/gpu:1", "/gpu:2", "/gpu:3"]) == (not on_cards or len(cards) >= 4)
    assert collective_applies(["/cpu:0", "/gpu:0"]) == (not on_cards)  # host memory and a card do not mix
    assert collective_applies(["/cpu:0"])


@no_gpu_only  # devices in host memory; on CuPy GPUs see test_nccl.py
@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_a_run_that_fails_part_way_leaves_the_next_runs_rounds_matched(vgpus, monkeypatch):
    """Rank 0 arrives, then rank 1's kernel fails before arriving (as an allocation can): without the
    run guard, rank 0's stale arrival would be paired with rank 1's arrival in the next run — a wrong
    sum, silently."""
    from gpunet.ops import collective_ops

    arrive = collective_ops._Rendezvous.arrive
    broken = {"rank 1": True}

    def failing_arrive(self, rank, member):
        if rank == 1 and broken["rank 1"]:
            broken["rank 1"] = False
            raise MemoryError("out of memory for rank 1's output")
        return arrive(self, rank, member)

    monkeypatch.setattr(collective_ops._Rendezvous, "arrive", failing_arrive)
    feeds, results = build_all_reduce(["/gpu:0", "/gpu:1"], (2,), gn.float32)
    with gn.Session() as sess:
        with pytest.raises(gn.errors.ResourceExhaustedError, match="rank 1"):
            sess.run(results, {feeds[0]: [1.0, 2.0], feeds[1]: [10.0, 20.0]})
        for round_ in range(2):
            got = sess.run(results, {feeds[0]: [3.0, 4.0], feeds[1]: [30.0 + round_, 40.0]})
            for g in got:
                np.testing.assert_array_equal(g, [33.0 + round_, 44.0])


@no_gpu_only  # devices in host memory; on CuPy GPUs see test_nccl.py
@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_threads_running_one_collective_plan_each_get_their_own_sum(vgpus):

    feeds, results = build_all_reduce(["/gpu:0", "/gpu:1"], (3,), gn.float32)
    errors = []
    with gn.Session() as sess:
        def worker(k):
            for i in range(30):
                x0, x1 = np.float32(k * 1000 + i), np.float32(k * 100000 + 7 * i)
                got = sess.run(results, {feeds[0]: np.full(3, x0, np.float32), feeds[1]: np.full(3, x1, np.float32)})
                if not all(np.array_equal(g, np.full(3, x0 + x1)) for g in got):
                    errors.append((k, i, got))

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)  # switch threads between the ranks' arrivals as often as possible
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            sys.setswitchinterval(interval)
    assert errors == []
