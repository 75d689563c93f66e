"""The concurrent executor (gpunet/graph/executor.py): plans that span devices run each device's
steps on its own thread, with the flat loop's results bit for bit."""
import contextlib
import gc
import threading

import numpy as np
import pytest

import gpunet as gn
from gpunet.graph.executor import DeviceWorkers

CPU = "/job:localhost/replica:0/task:0/device:CPU:0"
WIDTHS = (12, 16, 16, 4)
BATCH = 12


def _params(seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in zip(WIDTHS[:-1], WIDTHS[1:]):
        params += [rng.standard_normal((n_in, n_out)).astype(np.float32) * 0.5,
                   rng.uniform(-0.1, 0.1, n_out).astype(np.float32)]
    return params


def _towers(replicas, optimizer):
    """TF1's tower recipe: variables and the update on /cpu:0, the batch split across /gpu:i."""
    with gn.device("/cpu:0"):
        x = gn.placeholder(gn.float32, [BATCH, WIDTHS[0]], name="x")
        labels = gn.placeholder(gn.int32, [BATCH], name="labels")
        variables = [gn.Variable(p, name=f"v{k}") for k, p in enumerate(_params())]
        xs, ys = gn.split(x, replicas), gn.split(labels, replicas)
    tower_grads, losses = [], []
    for i in range(replicas):
        with gn.device(f"/gpu:{i}"), gn.name_scope(f"tower_{i}"):
            h = xs[i]
            for k in range(0, len(variables), 2):
                h = gn.nn.bias_add(gn.matmul(h, variables[k]), variables[k + 1])
                h = gn.nn.relu(h) if k + 2 < len(variables) else h
            loss = gn.reduce_mean(gn.nn.sparse_softmax_cross_entropy_with_logits(labels=ys[i], logits=h))
            losses.append(loss)
            tower_grads.append(gn.gradients(loss, variables))
    with gn.device("/cpu:0"):
        grads = [gn.add_n([g[j] for g in tower_grads]) / float(replicas) for j in range(len(variables))]
        train = optimizer.apply_gradients(list(zip(grads, variables)))
        loss = gn.add_n(losses) / float(replicas)
    return x, labels, variables, train, loss


def _batches(steps):
    rng = np.random.default_rng(7)
    return [(rng.random((BATCH, WIDTHS[0]), dtype=np.float32), rng.integers(0, WIDTHS[-1], BATCH).astype(np.int32))
            for _ in range(steps)]


def _train(replicas, optimizer, steps=8):
    x, labels, variables, train, loss = _towers(replicas, optimizer)
    losses = []
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        for bx, by in _batches(steps):
            losses.append(sess.run([train, loss], {x: bx, labels: by})[1])
        return losses, sess.run(variables)


def _flat(monkeypatch):
    @contextlib.contextmanager
    def never(self):
        yield False
    monkeypatch.setattr(DeviceWorkers, "taken", never)


OPTIMIZERS = [lambda: gn.train.GradientDescentOptimizer(0.1), lambda: gn.train.MomentumOptimizer(0.1, 0.9),
              lambda: gn.train.AdamOptimizer(0.01)]


@pytest.mark.parametrize("vgpus", [2, 3, 4], indirect=True)
@pytest.mark.parametrize("make_optimizer", OPTIMIZERS, ids=["sgd", "momentum", "adam"])
def test_tower_training_is_bit_identical_to_the_flat_loop_and_across_runs(vgpus, make_optimizer, monkeypatch):
    concurrent = [_train(vgpus, make_optimizer()) for _ in range(3)]
    gn.reset_default_graph()
    _flat(monkeypatch)
    flat = _train(vgpus, make_optimizer())
    for losses, weights in concurrent:
        assert [float(v) for v in losses] == [float(v) for v in flat[0]]
        for got, want in zip(weights, flat[1]):
            assert got.dtype == np.float32 and got.tobytes() == want.tobytes()
    assert not np.array_equal(flat[1][0], _params()[0])  # the steps changed the weights


def test_a_plan_is_concurrent_only_when_its_steps_span_devices(vgpus):
    x, labels, variables, train, loss = _towers(2, gn.train.GradientDescentOptimizer(0.1))
    with gn.device("/cpu:0"):
        local = gn.reduce_sum(variables[0] * 2.0)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        feed = dict(zip((x, labels), _batches(1)[0]))
        assert sess._plan((train.outputs[0] if train.outputs else train,), (x, labels)).concurrent
        assert not sess._plan((local,), ()).concurrent
        assert np.isclose(sess.run(local), 2.0 * _params()[0].sum())
        sess.run(train, feed)


def _worker_threads(besides=()):
    """Live worker threads not in ``besides`` (those other tests' sessions still hold)."""
    return [t for t in threading.enumerate() if t.name.startswith("gpunet-") and t not in besides]


@pytest.mark.parametrize("vgpus", [2, 4], indirect=True)
def test_worker_threads_are_one_per_other_device_and_end_with_the_session(vgpus):
    before = set(_worker_threads())
    x, labels, _, train, _ = _towers(vgpus, gn.train.GradientDescentOptimizer(0.1))
    sess = gn.Session()
    sess.run(gn.global_variables_initializer())
    sess.run(train, dict(zip((x, labels), _batches(1)[0])))
    names = sorted(t.name for t in _worker_threads(before))  # the host's and GPU 0's parts: the caller's thread
    assert names == [f"gpunet-/gpu:{i}" for i in range(1, vgpus)]
    sess.close()
    assert _worker_threads(before) == []


def test_a_one_device_plan_starts_no_thread(vgpus):
    before = set(_worker_threads())
    with gn.device("/gpu:1"):
        y = gn.reduce_sum(gn.constant(np.arange(6, dtype=np.float32)) * 3.0)
    with gn.Session() as sess:
        assert sess.run(y) == 45.0
        assert _worker_threads(before) == []


def test_control_dependencies_across_devices_order_the_update_before_the_read(vgpus):
    with gn.device("/cpu:0"):
        v = gn.Variable(np.zeros(4, np.float32), name="v")
        bump = gn.assign_add(v, np.ones(4, np.float32))
    with gn.device("/gpu:1"), gn.control_dependencies([bump]):
        seen = gn.identity(v.value()) * 1.0
    with gn.Session() as sess:
        sess.run(v.initializer)
        for k in range(1, 41):
            assert sess.run(seen).tolist() == [float(k)] * 4


def test_a_copy_of_a_variable_sees_the_value_of_the_flat_plan_order(vgpus, monkeypatch):
    """A read copied to a GPU before an unrelated update on the CPU (in plan order) sees the old
    value, one copied after it the new one, whatever the threads' timing."""
    with gn.device("/cpu:0"):
        v = gn.Variable(np.zeros(256, np.float32), name="v")
    with gn.device("/gpu:0"):
        before = gn.reduce_sum(v.value() * 1.0)
    with gn.device("/cpu:0"):
        bump = gn.assign_add(v, np.ones(256, np.float32))
    with gn.device("/gpu:1"), gn.control_dependencies([bump]):
        after = gn.reduce_sum(v.value() * 1.0)

    def runs():
        with gn.Session() as sess:
            sess.run(v.initializer)
            return [tuple(float(r) for r in sess.run([before, after, bump])[:2]) for _ in range(30)]

    concurrent = runs()
    _flat(monkeypatch)
    assert concurrent == runs() == [(256.0 * k, 256.0 * (k + 1)) for k in range(30)]


def _bad_gathers():
    params = gn.constant(np.arange(4, dtype=np.float32))
    idx = gn.placeholder(gn.int32, [2], name="idx")
    outs = []
    for i in range(2):
        with gn.device(f"/gpu:{i}"):
            outs.append(gn.gather(params * 1.0, idx + i, name=f"gather_{i}"))
    with gn.device("/cpu:0"):
        total = gn.add_n([gn.reduce_sum(o) for o in outs])
    return idx, total


@pytest.mark.parametrize("deferred", [True, False])
def test_the_first_failure_by_plan_order_is_raised_naming_op_and_device(vgpus, deferred, monkeypatch):
    if not deferred:
        monkeypatch.setattr("gpunet.graph.checks.DEFERRED_DEVICE_TYPES", set())
    before = set(_worker_threads())
    idx, total = _bad_gathers()
    with gn.Session() as sess:
        assert sess.run(total, {idx: [0, 1]}) == 0 + 1 + 1 + 2
        for _ in range(5):  # both devices fail (index 4 + i >= 4); gather_0 comes first in plan order
            with pytest.raises(gn.errors.InvalidArgumentError) as info:
                sess.run(total, {idx: [4, 4]})
            assert info.value.op.name == "gather_0"
        with pytest.raises(gn.errors.InvalidArgumentError) as info:  # only GPU:1 fails
            sess.run(total, {idx: [0, 3]})
        assert info.value.op.name == "gather_1" and "GPU:1" in str(info.value)
        assert sess.run(total, {idx: [1, 0]}) == 1 + 0 + 2 + 1  # the workers did not hang
    assert _worker_threads(before) == []


def test_a_kernel_error_on_one_device_leaves_no_thread_waiting(vgpus):
    before = set(_worker_threads())
    with gn.device("/gpu:0"):
        x = gn.placeholder(gn.float32, [None], name="x")
        reshaped = gn.reshape(x * 2.0, [2, 2], name="reshape")
    with gn.device("/gpu:1"):
        other = gn.reduce_sum(gn.identity(reshaped) + 1.0)
    with gn.Session() as sess:
        for _ in range(3):
            with pytest.raises(gn.errors.InvalidArgumentError, match=r"node reshape \(Reshape\) on .*GPU:0"):
                sess.run(other, {x: np.ones(3, np.float32)})
        assert sess.run(other, {x: np.ones(4, np.float32)}) == 12.0
    assert _worker_threads(before) == []


def test_a_traced_concurrent_run_records_each_device(vgpus):
    x, labels, _, train, loss = _towers(2, gn.train.GradientDescentOptimizer(0.1))
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        meta = gn.RunMetadata()
        sess.run([train, loss], dict(zip((x, labels), _batches(1)[0])),
                 options=gn.RunOptions(trace_level=gn.RunOptions.FULL_TRACE), run_metadata=meta)
    devices = {d.device for d in meta.step_stats.dev_stats}
    assert devices == {CPU, CPU.replace("CPU:0", "GPU:0"), CPU.replace("CPU:0", "GPU:1")}
    names = {s.node_name for s in meta.step_stats.node_stats}
    assert {"tower_0/MatMul", "tower_1/MatMul"} <= names
    assert all(len(d.node_stats) == len({s.node_name for s in d.node_stats}) for d in meta.step_stats.dev_stats)
    assert '"tower_1/MatMul"' in gn.timeline.Timeline(meta.step_stats).generate_chrome_trace_format()


def test_a_cond_inside_a_tower_runs_on_its_device_thread(vgpus, monkeypatch):
    p = gn.placeholder(gn.bool, [], name="p")
    with gn.device("/cpu:0"):
        x = gn.constant(np.arange(4, dtype=np.float32))
    outs = []
    for i in range(2):
        with gn.device(f"/gpu:{i}"):
            outs.append(gn.cond(p, lambda i=i: x * float(i + 2), lambda: x - 1.0))
    with gn.device("/cpu:0"):
        total = gn.add_n(outs)

    def runs():
        with gn.Session() as sess:
            assert sess._plan((total,), (p,)).concurrent
            return [sess.run(total, {p: flag}).tolist() for flag in (True, False)]

    assert runs() == [(np.arange(4) * 5.0).tolist(), (2 * (np.arange(4) - 1.0)).tolist()]


# -- copies counted per run ------------------------------------------------------------------------
@pytest.mark.parametrize("vgpus", [1, 2, 4], indirect=True)
def test_each_replica_receives_each_weight_once_and_sends_its_gradients_once(vgpus):
    x, labels, variables, train, _ = _towers(vgpus, gn.train.GradientDescentOptimizer(0.1))
    weights = sum(p.nbytes for p in _params())
    shard = (BATCH // vgpus) * (WIDTHS[0] * 4 + 4)  # the replica's inputs and labels
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        report = sess.placement_report(train, {x: None, labels: None})
        for bx, by in _batches(2):
            meta = gn.RunMetadata()
            sess.run(train, {x: bx, labels: by}, run_metadata=meta)
            stats = meta.copy_stats
            gpus = [CPU.replace("CPU:0", f"GPU:{i}") for i in range(vgpus)]
            assert stats.host_to_device == {g: weights + shard for g in gpus}
            assert stats.device_to_host == {g: weights for g in gpus}
            routes = stats.routes()
            assert {k: n for k, (n, _) in routes.items()} == {
                **{(CPU, g): len(variables) + 2 for g in gpus}, **{(g, CPU): len(variables) for g in gpus}}
            assert (stats.count, stats.bytes) == (vgpus * (2 * len(variables) + 2), vgpus * (2 * weights + shard))
    assert [(t.device, t.host_to_device, t.device_to_host) for t in report.transfers] == [
        (f"/gpu:{i}", weights + shard, weights) for i in range(vgpus)]
    assert f"/gpu:{vgpus - 1} H2D {weights + shard} bytes, D2H {weights} bytes" in report.summary


def test_feeds_and_fetches_of_a_gpu_count_as_its_host_transfers(vgpus):
    with gn.device("/gpu:1"):
        x = gn.placeholder(gn.float32, [3, 5], name="x")
        y = gn.reduce_sum(x, axis=0)
    with gn.Session() as sess:
        meta = gn.RunMetadata()
        sess.run(y, {x: np.ones((3, 5), np.float32)}, run_metadata=meta)
        assert sess.placement_report(y, {x: None}).transfers[0].describe() == "/gpu:1 H2D 60 bytes, D2H 20 bytes"
    gpu1 = CPU.replace("CPU:0", "GPU:1")
    assert (meta.copy_stats.count, meta.copy_stats.host_to_device, meta.copy_stats.device_to_host) == (
        0, {gpu1: 60}, {gpu1: 20})


def test_runs_without_metadata_count_nothing_and_copy_stats_are_per_run(vgpus):
    with gn.device("/cpu:0"):
        a = gn.constant(np.ones(8, np.float32))
    with gn.device("/gpu:0"):
        b = a * 2.0
    with gn.Session() as sess:
        assert sess.run(b).tolist() == [2.0] * 8
        first, second = gn.RunMetadata(), gn.RunMetadata()
        sess.run(b, run_metadata=first)
        sess.run([b, b], run_metadata=second)
    assert first.copy_stats is not second.copy_stats
    for meta in (first, second):
        assert (meta.copy_stats.count, meta.copy_stats.bytes) == (1, 32)


def test_an_op_with_a_control_input_on_another_device_starts_after_it_ended(vgpus):
    with gn.device("/gpu:1"):
        m = gn.constant(np.ones((300, 300), np.float32))
        heavy = gn.reduce_sum(gn.matmul(gn.matmul(m, m), m), name="heavy")
    with gn.device("/cpu:0"), gn.control_dependencies([heavy]):
        after = gn.add(gn.constant(1.0), 1.0, name="after")
    with gn.device("/cpu:0"):
        total = gn.add(after, heavy, name="total")
    with gn.Session() as sess:
        for _ in range(5):
            meta = gn.RunMetadata()
            assert sess.run([after, total], options=gn.RunOptions(trace_level=gn.RunOptions.FULL_TRACE),
                            run_metadata=meta)[0] == 2.0
            stats = {s.node_name: s for s in meta.step_stats.node_stats}
            assert stats["after"].start_us >= stats["heavy"].end_us


def test_a_kernel_that_runs_the_session_inside_a_concurrent_run_does_not_deadlock(vgpus):
    with gn.device("/gpu:0"):
        a = gn.reduce_sum(gn.constant(np.ones(4, np.float32)) * 2.0)
    with gn.device("/gpu:1"):
        b = gn.reduce_sum(gn.constant(np.ones(4, np.float32)) * 3.0)
    with gn.device("/cpu:0"):
        inner = a + b
    sess = gn.Session()

    def nested(value):
        return np.float32(value + sess.run(inner))  # a concurrent plan itself, run flat from here

    with gn.device("/cpu:0"):
        outer = gn.py_func(nested, [a * 1.0 + b], gn.float32)
    with gn.device("/gpu:0"):  # GPU:0's part of the outer run waits for the py_func
        final = gn.reshape(outer, []) * 2.0
    with sess:
        assert sess.run(inner) == 20.0
        assert sess.run(final) == 80.0
        assert sess._plan((final,), ()).concurrent


def test_a_session_dropped_without_close_ends_its_threads(vgpus):
    before = set(_worker_threads())
    x, labels, _, train, _ = _towers(2, gn.train.GradientDescentOptimizer(0.1))
    sess = gn.Session()
    sess.run(gn.global_variables_initializer())
    sess.run(train, dict(zip((x, labels), _batches(1)[0])))
    assert len(_worker_threads(before)) == 1
    del sess
    gc.collect()
    assert _worker_threads(before) == []


def test_a_run_that_waits_on_another_run_does_not_deadlock(vgpus):
    """Run A holds the device workers and its CPU part blocks until run B has finished; B spans
    devices too, finds the workers taken and runs flat on its own thread (a shared worker would wait
    behind A forever: a dequeue waiting for a queue runner's enqueue)."""
    b_done = threading.Event()

    def wait_for_b(x):
        assert b_done.wait(10), "run B never finished: it waited for run A's device workers"
        return x

    with gn.device("/cpu:0"):
        a_in = gn.constant([1.0, 2.0])
        blocked = gn.py_func(wait_for_b, [a_in], gn.float32)
    with gn.device("/gpu:0"):  # both runs span two GPUs: each has a worker thread besides the caller's
        a_first = blocked * 2.0
        b_first = gn.constant([3.0]) * 2.0
    with gn.device("/gpu:1"):
        a_out = a_first + gn.constant([0.0])
        b_gpu = b_first + gn.constant([0.0])
    with gn.device("/cpu:0"):
        b_out = b_gpu + 1.0
    with gn.Session() as sess:
        results = {}

        def run_b():
            results["b"] = sess.run(b_out)
            b_done.set()

        thread = threading.Thread(target=lambda: results.setdefault("a", sess.run(a_out)))
        thread.start()
        while not sess._workers._taken.locked() and thread.is_alive():
            pass  # run A has the workers once its lock is taken
        run_b()
        thread.join(20)
    assert not thread.is_alive()
    np.testing.assert_array_equal(results["a"], [2.0, 4.0])
    np.testing.assert_array_equal(results["b"], [7.0])


@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_only_steps_that_may_write_a_variable_wait_for_copies_of_variables(vgpus, monkeypatch):
    """A copy of a weight to a GPU holds back the CPU's next in-place update (the flat loop's order),
    but not the CPU's next variable: layer 2's weights need not wait for tower 0's first layer."""
    values = [np.full(64, k + 1.0, np.float32) for k in range(3)]
    with gn.device("/gpu:0"):  # GPU 0's part comes first in the plan: it shares the caller's thread with the CPU's
        reads = [gn.reduce_sum(gn.constant(np.ones(4, np.float32)))]
    for k, value in enumerate(values):  # variables made between the towers' reads, as get_variable does
        with gn.device("/cpu:0"):
            v = gn.Variable(value, name=f"w{k}")
        with gn.device(f"/gpu:{(k + 1) % 2}"):  # w0 to GPU 1, whose thread is not the CPU's (the caller's)
            reads.append(gn.reduce_sum(v.value() * 2.0))
        if k == 0:
            with gn.device("/cpu:0"):
                bump = gn.assign_add(v, np.ones(64, np.float32))
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        fetches = reads + [bump]
        plan = sess._plan(tuple(t if isinstance(t, gn.Tensor) else t.outputs[0] for t in fetches), ())
        got = [sess.run(fetches)[1:4] for _ in range(3)]
    _flat(monkeypatch)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        assert got == [sess.run(fetches)[1:4] for _ in range(3)] == [[128.0 * (1 + r), 256.0, 384.0] for r in range(3)]
    schedule = plan._schedule
    by_type = {}
    for i, step_waits, _ in schedule.tasks[0]:  # the caller's thread: the CPU's steps (and GPU 0's)
        if plan._steps[i][5].device_type == "CPU":
            by_type.setdefault(plan._steps[i][4].type, []).append(step_waits)
    assert by_type["VariableV2"] == [(), (), ()]
    assert by_type["AssignAdd"] != [()]  # the update waits for the copy of w0 that precedes it
