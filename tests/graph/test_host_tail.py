"""The host's closing work spread over the device threads (graph/host_tail.py): host steps that feed
no GPU step run as independent pieces on the thread with the least such work, the largest first;
small pieces stay on the caller's thread. Values are the flat loop's bit for bit."""
import numpy as np
import pytest

import gpunet as gn
from gpunet.graph import host_tail
from tests.graph.test_executor import _flat

WIDE = 256  # 256x256 float32 weights: 256 KiB, pieces worth moving


def _threads_of(plan, op_type):
    """For each thread of the plan's schedule, how many steps of ``op_type`` it runs."""
    schedule, steps = plan._schedule, plan._steps
    return [sum(steps[i][4].type == op_type for i, _, _ in tasks) for tasks in schedule.tasks]


def _mlp_loss(width):
    def loss(x, y):
        hidden = gn.nn.relu(gn.layers.dense(x, width, name="hidden"))
        hidden = gn.nn.relu(gn.layers.dense(hidden, width, name="hidden2"))
        logits = gn.layers.dense(hidden, 4, name="out")
        return gn.reduce_sum(gn.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    return loss


def _train(make_optimizer, width, steps=4):
    gn.reset_default_graph()
    gn.set_random_seed(1)
    with gn.device("/cpu:0"):
        x, y = gn.placeholder(gn.float32, [8, width]), gn.placeholder(gn.int32, [8])
    trainer = gn.parallel.ReplicatedTrainer(make_optimizer(), gpus=2)
    train, _ = trainer.minimize(_mlp_loss(width), [x, y])
    rng = np.random.default_rng(0)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        for _ in range(steps):
            sess.run(train, {x: rng.standard_normal((8, width)).astype(np.float32), y: rng.integers(0, 4, 8)})
        plan = sess._plan((train,), (x, y))
        return sess.run(gn.trainable_variables()), plan


OPTIMIZERS = {"sgd": lambda: gn.train.GradientDescentOptimizer(0.1),
              "momentum": lambda: gn.train.MomentumOptimizer(0.1, 0.9),
              "adam": lambda: gn.train.AdamOptimizer(0.01)}


@pytest.mark.parametrize("vgpus", [2], indirect=True)
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_the_replicas_update_shards_run_on_both_threads_with_the_flat_loops_values(vgpus, name, monkeypatch):
    weights, plan = _train(OPTIMIZERS[name], WIDE)
    applies = _threads_of(plan, {"sgd": "ApplyGradientDescent", "momentum": "ApplyMomentum",
                                 "adam": "ApplyAdam"}[name])
    # Adam's updates all read the shared beta powers: one piece, kept on the caller's thread
    assert applies[0] > 0 and (applies[1] == 0) == (name == "adam"), applies
    _flat(monkeypatch)
    flat, _ = _train(OPTIMIZERS[name], WIDE)
    for got, want in zip(weights, flat):
        assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_a_small_host_tail_stays_on_the_callers_thread(vgpus):
    _, plan = _train(OPTIMIZERS["sgd"], 8)
    assert _threads_of(plan, "ApplyGradientDescent")[1:] == [0]


@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_host_work_a_gpu_reads_later_is_never_moved(vgpus, monkeypatch):
    """Three big closing pieces spread over both threads; a smaller host piece that GPU 1 reads afterwards
    stays on the caller's thread although the other one would then have less to do."""
    monkeypatch.setattr(host_tail, "MIN_MOVED_BYTES", 0)
    with gn.device("/cpu:0"):
        x = gn.placeholder(gn.float32, [WIDE, WIDE])
    with gn.device("/gpu:0"):
        first = gn.square(x)
    with gn.device("/gpu:1"):
        second = gn.sqrt(gn.abs(x))
    with gn.device("/cpu:0"):
        feeds_gpu = gn.reduce_sum(first, name="feeds_gpu")
        closing = [gn.negative(second, name="closing0"), gn.floor(first, name="closing1"),
                   gn.ceil(second, name="closing2")]
    with gn.device("/gpu:1"):
        later = feeds_gpu + 1.0
    value = np.random.default_rng(2).standard_normal((WIDE, WIDE)).astype(np.float32)
    with gn.Session() as sess:
        got = sess.run([later] + closing, {x: value})
        plan = sess._plan((later, *closing), (x,))
    np.testing.assert_allclose(got[0], (value * value).sum() + 1, rtol=1e-5)
    np.testing.assert_array_equal(got[1], -np.sqrt(np.abs(value)))
    schedule, steps = plan._schedule, plan._steps
    thread = {steps[i][4].name: d for d, tasks in enumerate(schedule.tasks) for i, _, _ in tasks
              if type(steps[i][0]).__name__ != "CopyStep"}
    assert [thread[f"closing{k}"] for k in range(3)] == [0, 1, 0]  # largest first, to the least loaded
    assert thread["feeds_gpu"] == 0


@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_host_steps_with_state_other_than_variables_stay_on_the_callers_thread(vgpus, monkeypatch):
    """Random ops draw from the host's generator in plan order, so they never move: their numbers are the
    flat loop's, run after run."""
    monkeypatch.setattr(host_tail, "MIN_MOVED_BYTES", 0)

    def run():
        gn.reset_default_graph()
        gn.set_random_seed(5)
        with gn.device("/cpu:0"):
            x = gn.placeholder(gn.float32, [WIDE, WIDE])
        gpus = []
        for k in range(2):
            with gn.device(f"/gpu:{k}"):
                gpus.append(gn.square(x) + float(k))
        with gn.device("/cpu:0"):
            noisy = [gn.random_uniform([WIDE, WIDE], name=f"draw{k}") + gpus[k] for k in range(2)]
        with gn.Session() as sess:
            values = [sess.run(noisy, {x: np.ones((WIDE, WIDE), np.float32)}) for _ in range(2)]
            plan = sess._plan(tuple(noisy), (x,))
        return values, plan
    concurrent, plan = run()
    schedule, steps = plan._schedule, plan._steps
    thread = {steps[i][4].name: d for d, tasks in enumerate(schedule.tasks) for i, _, _ in tasks}
    assert thread["draw0"] == thread["draw1"] == 0
    _flat(monkeypatch)
    flat, _ = run()
    for got, want in zip(concurrent, flat):
        for a, b in zip(got, want):
            assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_pieces_of_unknown_static_size_count_nothing_and_stay_with_the_caller(vgpus):
    with gn.device("/cpu:0"):
        x = gn.placeholder(gn.float32, [None, WIDE])
    gpus = []
    for k in range(2):
        with gn.device(f"/gpu:{k}"):
            gpus.append(gn.square(x) + float(k))
    with gn.device("/cpu:0"):
        closing = [gn.negative(g, name=f"closing{k}") for k, g in enumerate(gpus)]
    value = np.ones((3, WIDE), np.float32)
    with gn.Session() as sess:
        got = sess.run(closing, {x: value})
        plan = sess._plan(tuple(closing), (x,))
    np.testing.assert_array_equal(got[1], -(value + 1.0))
    schedule, steps = plan._schedule, plan._steps
    thread = {steps[i][4].name: d for d, tasks in enumerate(schedule.tasks) for i, _, _ in tasks
              if type(steps[i][0]).__name__ != "CopyStep"}
    assert thread["closing0"] == thread["closing1"] == 0
