"""The collective all-reduce on CuPy GPUs: NCCL through ``cupy.cuda.nccl`` (on a machine without GPUs,
the CuPy double's model of it, with 2 or 4 fake cards). Marked ``gpu``: CI runs these under
GPUNET_TEST_CUPY_DOUBLE=2, and they run unchanged on real GPUs."""
import importlib

import numpy as np
import pytest

import gpunet as gn
from gpunet.device import registry
from gpunet.ops.collective_ops import all_reduce_sum
from gpunet.parallel import ReplicatedTrainer
from tests.conftest import is_double
from tests.cupy_double import _nccl as double_nccl

from .nets import OPTIMIZERS, data, initial_weights, per_example_loss
from .test_engine import BATCH, batches_of, single_device_weights

pytestmark = pytest.mark.gpu


@pytest.fixture
def cards(cupy_gpus, monkeypatch, request):
    """``request.param`` CuPy GPUs, one per card (the double grows to that many fake cards)."""
    n = request.param
    if is_double(cupy_gpus):
        monkeypatch.setitem(cupy_gpus.CONFIG, "devices", n)
        monkeypatch.setitem(registry._state, "physical", None)
        registry._reset_for_tests(0)
    if len(gn.config.list_logical_devices("GPU")) < n:
        pytest.skip(f"needs {n} GPUs")
    return cupy_gpus, [f"/gpu:{i}" for i in range(n)]


def collectives(cupy):
    return cupy.STATS["collectives"] if is_double(cupy) else None


@pytest.mark.parametrize("cards", [1, 2, 4], indirect=True)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
@pytest.mark.parametrize("shape", [(), (0,), (5,), (3, 4)])
def test_nccl_gives_every_card_the_sum_without_a_copy(cards, shape, dtype):
    cupy, devices = cards
    gn.reset_default_graph()
    feeds = []
    for d in devices:
        with gn.device(d):
            feeds.append(gn.placeholder(gn.as_dtype(dtype), shape))
    results = all_reduce_sum(feeds, devices)
    with gn.Session() as sess:
        for round_ in range(2):
            rng = np.random.default_rng(round_)
            values = [(rng.normal(size=shape) * 10).astype(dtype) for _ in devices]
            before, metadata = collectives(cupy), gn.RunMetadata()
            got = sess.run(results, dict(zip(feeds, values)), options=gn.RunOptions(), run_metadata=metadata)
            want = values[0].copy()
            for v in values[1:]:
                want = want + v
            for g in got:
                assert g.dtype == dtype and g.shape == shape
                np.testing.assert_array_equal(g, want)
            assert metadata.copy_stats.count == 0  # the cards exchanged the values among themselves
            if before is not None:
                assert collectives(cupy) == before + 1  # one grouped NCCL all-reduce per run


@pytest.mark.parametrize("cards", [2, 4], indirect=True)
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_mirrored_replicas_on_nccl_equal_one_device(cards, optimizer):
    cupy, devices = cards
    steps = 2
    batches = batches_of(steps)
    want = single_device_weights(optimizer, steps, batches)
    gn.reset_default_graph()
    x, y = gn.placeholder(gn.float32, [None, 8]), gn.placeholder(gn.int32, [None])
    trainer = ReplicatedTrainer(OPTIMIZERS[optimizer], gpus=len(devices), variables_on="gpu")
    train_op, _ = trainer.minimize(lambda xs, ys: gn.reduce_sum(per_example_loss(xs, ys, initial_weights())), [x, y])
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        sess.run(trainer.broadcast_op())
        before = collectives(cupy)
        for xv, yv in batches:
            metadata = gn.RunMetadata()
            sess.run(train_op, {x: xv, y: yv}, options=gn.RunOptions(), run_metadata=metadata)
            assert metadata.copy_stats.device_to_host == {}  # no gradient (nor anything else) visits the host
        replicas = [sess.run(v) for v in trainer.tower_variables]
    if before is not None:
        assert collectives(cupy) == before + steps
    for weights in replicas:
        for g, w in zip(weights, want):
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def _mirrored_step_report():
    """The placement report of one SGD step of 2 mirrored replicas (``variables_on='gpu'``)."""
    gn.reset_default_graph()
    x, y = gn.placeholder(gn.float32, [None, 8]), gn.placeholder(gn.int32, [None])
    trainer = ReplicatedTrainer(OPTIMIZERS["sgd"], gpus=2, variables_on="gpu")
    train_op, _ = trainer.minimize(lambda xs, ys: gn.reduce_sum(per_example_loss(xs, ys, initial_weights())), [x, y])
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        return sess.placement_report(train_op, dict(zip((x, y), data(BATCH))))


@pytest.mark.parametrize("cards", [2], indirect=True)
def test_the_nccl_path_sends_no_gradient_through_the_host(cards):
    report = _mirrored_step_report()
    assert [c for c in report.copies if c.src.device_type == "GPU"] == []
    into = sorted(c.tensor.name for c in report.copies if "rows" not in c.tensor.name)
    assert into == ["batch_scale/Reciprocal:0"] * 2  # the 1 / global batch scale, 4 bytes per card
    assert report.row("all_reduce/replica_1").assigned.endswith("GPU:1")


@pytest.mark.parametrize("cards", [2], indirect=True)
def test_a_cupy_without_nccl_combines_mirrored_gradients_through_the_host(cards, monkeypatch):
    monkeypatch.setattr(importlib.import_module("cupy.cuda.nccl"), "available", False)
    report = _mirrored_step_report()
    assert "CollectiveAllReduce" not in {r.type for r in report.rows}
    assert sorted(c.src.index for c in report.copies if c.src.device_type == "GPU") == [0, 1]  # one buffer each


# -- the double's model of cupy.cuda.nccl keeps NCCL's rules ---------------------------------------
@pytest.fixture
def double(monkeypatch):
    from tests import cupy_double
    monkeypatch.setitem(cupy_double.CONFIG, "devices", 2)
    return cupy_double


def _per_device(double, make):
    arrays = []
    for d in range(2):
        with double.cuda.Device(d):
            arrays.append(make(d))
    return arrays


def test_the_double_reduces_only_complete_groups_of_ranks(double):
    nccl = double_nccl
    xs = _per_device(double, lambda d: double.asarray(np.arange(3, dtype=np.float32) + 10 * d))
    outs = _per_device(double, lambda d: double.empty_like(xs[d]))
    comms = nccl.NcclCommunicator.initAll([0, 1])
    assert [(c.rank_id(), c.device_id(), c.size()) for c in comms] == [(0, 0, 2), (1, 1, 2)]
    args = [(xs[r].data.ptr, outs[r].data.ptr, 3, nccl.NCCL_FLOAT32, nccl.NCCL_SUM,
             double.cuda.get_current_stream(r).ptr) for r in range(2)]
    with pytest.raises(nccl.NcclError, match="inside groupStart/groupEnd"):
        comms[0].allReduce(*args[0])  # one thread, several ranks: NCCL would wait forever here
    nccl.groupStart()
    comms[0].allReduce(*args[0])
    with pytest.raises(nccl.NcclError, match=r"every rank once .* ranks called: \[0\]"):
        nccl.groupEnd()
    nccl.groupStart()
    for r in range(2):
        comms[r].allReduce(*args[r])
    nccl.groupEnd()
    for d in range(2):
        with double.cuda.Device(d):
            np.testing.assert_array_equal(outs[d].get(), [10, 12, 14])
            assert ("kernel", "ncclAllReduce") in double.cuda.get_current_stream(d).log


def test_the_double_refuses_a_buffer_of_another_card_and_an_unordered_read(double):
    nccl = double_nccl
    xs = _per_device(double, lambda d: double.zeros(4, dtype=double.float32))
    comms = nccl.NcclCommunicator.initAll([0, 1])
    streams = _per_device(double, lambda d: double.cuda.Stream(non_blocking=True))
    nccl.groupStart()
    for r in range(2):
        comms[r].allReduce(xs[1 - r].data.ptr, xs[1 - r].data.ptr, 4, nccl.NCCL_FLOAT32, nccl.NCCL_SUM,
                           streams[r].ptr)
    with pytest.raises(nccl.NcclError, match="rank 0 runs on device 0, its buffer lives on device 1"):
        nccl.groupEnd()
    nccl.groupStart()  # the inputs were written on the null streams; these streams never waited for them
    for r in range(2):
        comms[r].allReduce(xs[r].data.ptr, xs[r].data.ptr, 4, nccl.NCCL_FLOAT32, nccl.NCCL_SUM, streams[r].ptr)
    with pytest.raises(AssertionError, match="without waiting for an event"):
        nccl.groupEnd()
