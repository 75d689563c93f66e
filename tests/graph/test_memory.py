"""Memory plans: per-device peak estimates from shapes and lifetimes against the live bytes measured
in a run, the report table, and the check that fails a GPU plan before its first step."""
import re

import numpy as np
import pytest

import gpunet as gn
from tests.conftest import no_gpu_only
from bench import models
from gpunet.graph import memory

CPU = "/job:localhost/replica:0/task:0/device:CPU:0"
GPU = "/job:localhost/replica:0/task:0/device:GPU:{}"


def _taken(row, sizes):
    """The bytes arrays of ``sizes`` hold on the row's device: CuPy's pool rounds each up to 512."""
    unit = 512 if row.pooled else 1
    return sum(-(-n // unit) * unit for n in sizes)


def _check_row(row, sizes):
    """On a CuPy device the measure is the pool: constants made with the plan are already in it
    and fused kernels may allocate less, so there the estimate is an upper bound."""
    assert row.estimated_bytes == _taken(row, sizes)
    if row.pooled:
        assert 0 < row.measured_bytes <= row.estimated_bytes
    else:
        assert row.measured_bytes == row.estimated_bytes


def test_the_estimate_follows_each_slots_lifetime(device):
    x = gn.placeholder(gn.float32, [8, 4], name="x")
    with gn.device(device):
        y = gn.multiply(x, 2.0, name="y")       # x (128) + 2.0 (4) + y (128) live: the peak
        z = gn.reduce_sum(gn.square(y, name="sq"), name="z")
    with gn.Session() as sess:
        report = sess.memory_report(z, {x: np.ones((8, 4), np.float32)})
        assert sess.run(z, {x: np.ones((8, 4), np.float32)}) == 128.0
    (row,) = report.rows
    assert row.device.lower().endswith(device[-5:])
    _check_row(row, [128, 4, 128])
    assert row.variable_bytes == 0
    assert [(t.name, t.nbytes) for t in row.largest] == [("x:0", 128), ("y:0", 128), ("y/y:0", 4)]
    assert not row.assumed_dims and (row.pooled or row.ratio == 1.0)


def test_variables_count_for_the_whole_run_and_their_reads_and_updates_add_nothing(device):
    with gn.device(device):
        w = gn.Variable(np.ones((16, 16), np.float32), name="w")   # 1024 bytes
        step = gn.assign_add(w, gn.ones([16, 16], name="delta"), name="step")
    with gn.Session() as sess:
        sess.run(w.initializer)
        row = sess.memory_report(step).rows[0]
        np.testing.assert_array_equal(sess.run(w), np.full((16, 16), 2.0, np.float32))  # the report ran it once
    assert row.variable_bytes == 1024
    # w, delta and fill's shape and value constants; step is w's own buffer
    _check_row(row, [1024, 1024, 8, 4])


def test_each_device_of_a_tower_step_has_its_own_row(vgpus):
    x = gn.placeholder(gn.float32, [None, 4], name="x")
    with gn.device("/cpu:0"):
        halves = gn.split(x, 2, axis=0)
    sums = []
    for k in range(2):
        with gn.device(f"/gpu:{k}"):
            sums.append(gn.reduce_sum(gn.matmul(halves[k], gn.ones([4, 64]), name=f"mm{k}")))
    with gn.device("/cpu:0"):
        total = gn.add_n(sums)
    with gn.Session() as sess:
        report = sess.memory_report(total, {x: np.ones((32, 4), np.float32)})
    assert [r.device for r in report.rows] == [CPU, GPU.format(0), GPU.format(1)]
    for k in range(2):
        row = report.row(GPU.format(k))
        assert row.assumed_dims and row.largest[0].name == f"mm{k}:0"
        # the half batch is taken as the whole fed batch (32 rows): an overestimate, flagged with '*'
        assert row.largest[0].nbytes == 32 * 64 * 4
        live = _taken(row, [16 * 4 * 4, 4 * 64 * 4, 16 * 64 * 4])   # the half batch, ones, the product
        if row.pooled:  # the pool also holds what CuPy's libraries take (an H200 showed 512 bytes more)
            assert live <= row.measured_bytes <= row.estimated_bytes
        else:
            assert row.measured_bytes == live
    text = str(report)
    assert text.splitlines()[0].split() == ["device", "estimated", "peak", "measured", "peak", "variables",
                                            "largest", "at", "peak"]
    assert re.search(rf"{re.escape(GPU.format(0))}\s+\d+\*\s+{report.row(GPU.format(0)).measured_bytes}\s", text)
    assert text.endswith("* unknown dimensions taken as the fed batch size")
    with pytest.raises(KeyError, match="device 'nowhere' is not in this report"):
        report.row("nowhere")


def _bench_plan(build, params, input_shape, device, fetch_training):
    with gn.device(device):
        x = gn.placeholder(gn.float32, (None,) + input_shape[1:], name="x")
        labels = gn.placeholder(gn.int32, [None], name="labels")
        logits, _ = build(x, params)
        loss = gn.reduce_mean(gn.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        fetch = gn.train.AdamOptimizer(0.01).minimize(loss) if fetch_training else gn.nn.softmax(logits)
    data, targets = models.batch(input_shape)
    return fetch, {x: data, labels: targets} if fetch_training else {x: data}


@pytest.mark.parametrize("training", [True, False], ids=["train", "predict"])
@pytest.mark.parametrize("model", ["mlp", "lenet"])
def test_mlp_and_lenet_estimates_are_within_20_percent_of_the_measured_bytes(device, model, training):
    build, params, shape = {"mlp": (models.dense_logits, models.mlp_params(), (64, 784)),
                            "lenet": (models.lenet_logits, models.lenet_params(), (64, 32, 32, 1))}[model]
    fetch, feed = _bench_plan(build, params, shape, device, training)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        (row,) = sess.memory_report(fetch, feed).rows
    assert row.measured_bytes > sum(p.nbytes for p in params)
    if row.pooled:  # fused kernels allocate less; the run's deferred-check flags a few bytes more
        assert row.ratio >= 1 / 1.2, str(row)
    else:
        assert 0.8 <= row.ratio <= 1.2, str(row)


@pytest.mark.gpu
def test_a_gpu_plan_bigger_than_free_memory_fails_before_its_first_step(cupy_gpus):
    free = cupy_gpus.cuda.runtime.memGetInfo()[0]
    side = (int(np.sqrt(free / 4)) + 16) | 1   # [side, side] float32: just over the free memory, not whole 512s
    with gn.device("/gpu:0"):
        big = gn.fill([side, side], 1.0, name="big")
        twice = gn.add(big, big, name="twice")
    pool = cupy_gpus.get_default_memory_pool()
    with gn.Session() as sess:
        used = pool.used_bytes()
        with pytest.raises(gn.errors.ResourceExhaustedError) as info:
            sess.run(twice)
        assert pool.used_bytes() - used < side * side * 4   # no step ran: nothing big was allocated
    message = str(info.value)
    need = 2 * -(-side * side * 4 // 512) * 512   # big and twice, in the pool's 512-byte units (fill's
    #                                                 small constants died with it)
    assert re.match(rf"The plan needs {need} bytes at its peak on {re.escape(GPU.format(0))}, but only \d+ bytes "
                    r"are available there; largest tensors live at the peak: (big|twice):0 \(\d+ bytes\), ", message)
    assert info.value.op in (big.op, twice.op)


@pytest.mark.gpu
def test_the_gpu_check_counts_unknown_dimensions_as_one_and_says_at_least(cupy_gpus):
    free = cupy_gpus.cuda.runtime.memGetInfo()[0]
    with gn.device("/gpu:0"):
        x = gn.placeholder(gn.float32, [None, free // 4 + 1], name="x")
        y = gn.multiply(x, 2.0, name="y")
    with gn.Session() as sess:  # building the plan checks it (no host array of that size is needed)
        with pytest.raises(gn.errors.ResourceExhaustedError, match=r"^The plan needs at least \d+ bytes"):
            sess.placement_report(y, {x: None})


@pytest.mark.gpu
def test_a_gpu_memory_report_measures_the_pool(cupy_gpus):
    with gn.device("/gpu:0"):
        x = gn.placeholder(gn.float32, [1024], name="x")
        y = gn.reduce_sum(gn.square(x), name="y")
    pool = cupy_gpus.get_default_memory_pool()
    before = pool.used_bytes()  # arrays earlier tests still hold (plans cached on their graphs)
    with gn.Session() as sess:
        (row,) = sess.memory_report(y, {x: np.ones(1024, np.float32)}).rows
        assert row.estimated_bytes == 4096 + 4096   # x and its square; x dies before the sum is made
        assert row.measured_bytes >= 4096 * 2 and row.measured_bytes >= pool.used_bytes() - before


@no_gpu_only  # virtual GPUs in host memory; on a GPU this plan is checked (and too big)
def test_a_plan_without_device_memory_is_never_checked(vgpus, monkeypatch):
    monkeypatch.setattr(memory, "estimate", lambda *a: pytest.fail("estimated a host-only plan at build time"))
    with gn.device("/gpu:1"):
        y = gn.fill([1 << 12, 1 << 12], 0.5)
    with gn.Session() as sess:
        assert sess.run(gn.reduce_max(y)) == 0.5


def test_a_failing_step_in_the_measured_run_reports_as_sess_run_does(device):
    idx = gn.placeholder(gn.int32, [None], name="idx")
    with gn.device(device):
        picked = gn.gather(gn.constant([1.0, 2.0, 3.0]), idx, name="picked")
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError) as by_run:
            sess.run(picked, {idx: [5]})
        with pytest.raises(gn.errors.InvalidArgumentError) as by_report:
            sess.memory_report(picked, {idx: [5]})
    assert str(by_report.value) == str(by_run.value) and "picked" in str(by_report.value)


def test_memory_report_checks_its_arguments_and_session():
    x = gn.constant(1.0)
    sess = gn.Session()
    with pytest.raises(TypeError, match="feed_dict"):
        sess.memory_report(x, feed_dict=[1])
    sess.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.memory_report(x)
