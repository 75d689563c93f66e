"""Ops inside gn.cond branches and gn.while_loop bodies run on the devices they were placed on,
with the copies between devices planned once and counted per iteration; the placement log and
report list them as TF1 prints them."""
import logging

import numpy as np

import gpunet as gn

GPU1 = "/job:localhost/replica:0/task:0/device:GPU:1"
CPU = "/job:localhost/replica:0/task:0/device:CPU:0"


def _body_on_gpu1(i, y):
    with gn.device("/gpu:1"):
        return i + 1, y * 2.0


def _loop_on_cpu_with_body_on_gpu1():
    x = gn.constant(np.ones(4, np.float32), name="x")
    with gn.device("/cpu:0"):
        return gn.while_loop(lambda i, y: i < 3, _body_on_gpu1, [0, x])


def test_a_body_placed_on_another_device_runs_there_with_copies_each_iteration(vgpus):
    _, y = _loop_on_cpu_with_body_on_gpu1()
    with gn.Session() as sess:
        report = sess.placement_report(y)
        meta = gn.RunMetadata()
        got = sess.run(y, run_metadata=meta)
        # per iteration: i and y to GPU:1, i + 1 and y * 2 back to the loop on the CPU
        assert (meta.copy_stats.count, meta.copy_stats.bytes) == (3 * 4, 3 * (2 * 4 + 2 * 16))
    np.testing.assert_array_equal(got, np.full(4, 8.0))
    assert report.row("while").assigned == CPU and report.row("while/Less").assigned == CPU
    assert report.row("while/mul").assigned == GPU1 and report.row("while/add").assigned == GPU1
    assert sorted(c.tensor.name for c in report.copies) == ["while/Identity:0", "while/Identity_1:0",
                                                            "while/add:0", "while/mul:0"]


def test_a_loop_placed_on_one_gpu_copies_only_its_inputs(vgpus):
    x = gn.placeholder(gn.float32, [4], name="x")
    with gn.device("/gpu:1"):
        _, y = gn.while_loop(lambda i, y: i < 5, lambda i, y: (i + 1, y + x), [0, x])
    with gn.Session() as sess:
        meta = gn.RunMetadata()
        np.testing.assert_array_equal(sess.run(y, {x: np.ones(4)}, run_metadata=meta), np.full(4, 6.0))
        assert meta.copy_stats.count == 0  # the feed lands on GPU:1 directly; nothing crosses devices
        report = sess.placement_report(y, {x: np.ones(4)})
    assert {r.assigned for r in report.rows} == {GPU1}


def test_only_the_taken_branch_copies(vgpus):
    x = gn.constant(np.ones(8, np.float32), name="x")
    p = gn.placeholder(gn.bool, [])

    def on_gpu0():
        with gn.device("/gpu:0"):
            return x * 3.0

    with gn.device("/cpu:0"):
        r = gn.cond(p, on_gpu0, lambda: x + 1.0)
    with gn.Session() as sess:
        for pred, copies, want in ((True, 2, 3.0), (False, 0, 2.0)):
            meta = gn.RunMetadata()
            np.testing.assert_array_equal(sess.run(r, {p: pred}, run_metadata=meta), np.full(8, want))
            assert (meta.copy_stats.count, meta.copy_stats.bytes) == (copies, copies * 32)


def test_gradient_loop_runs_next_to_the_forward_body(vgpus):
    x = gn.placeholder(gn.float32, [4], name="x")
    with gn.device("/cpu:0"):
        _, y = gn.while_loop(lambda i, y: i < 3, lambda i, y: _body_on_gpu1(i, y * x), [0, x])
    (dx,) = gn.gradients(gn.reduce_sum(y), [x])
    value = np.arange(1, 5, dtype=np.float32)
    with gn.Session() as sess:
        got = sess.run(dx, {x: value})
        report = sess.placement_report(dx, {x: value})
    np.testing.assert_allclose(got, 8 * 4 * value ** 3, rtol=1e-6)  # y = 8 x^4
    forward = {"while/mul": CPU, "while/mul_1": GPU1}  # y * x outside the body's device scope, * 2.0 inside
    backward = {r.op: r.assigned for r in report.rows if r.op.startswith("gradients/while_grad/while/")}
    for name, where in forward.items():
        assert report.row(name).assigned == where
        grads = [op for op in backward if f"/{name}_grad/" in op]
        assert grads and {backward[op] for op in grads} == {where}, (name, grads)


def test_the_placement_log_lists_the_ops_inside_as_tf1(vgpus, caplog):
    _, y = _loop_on_cpu_with_body_on_gpu1()
    with caplog.at_level(logging.INFO, logger="gpunet.placement"), \
            gn.Session(config=gn.ConfigProto(log_device_placement=True)) as sess:
        sess.run(y)
    lines = [r.getMessage() for r in caplog.records if r.name == "gpunet.placement"]
    assert f"while: (While): {CPU}" in lines
    assert f"while/mul: (Mul): {GPU1}" in lines and f"while/Less: (Less): {CPU}" in lines
    assert any(line.startswith(f"while/mul:0: (Copy): {GPU1} -> {CPU}") for line in lines)
