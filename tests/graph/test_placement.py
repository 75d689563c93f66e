"""The compiler: pruning, placement rules and reasons, copies, freeing, the plan cache, the report."""
import logging
import weakref

import numpy as np
import pytest

import gpunet as gn
from tests.conftest import no_gpu_only
from gpunet.graph import registry, session
from gpunet.graph.registry import OpDef

LOCAL = "/job:localhost/replica:0/task:0"
CPU, GPU0, GPU1 = (f"{LOCAL}/device:{d}" for d in ("CPU:0", "GPU:0", "GPU:1"))


def _report(fetches, feed_dict=None, **config):
    with gn.Session(config=gn.ConfigProto(**config)) as sess:
        return sess.placement_report(fetches, feed_dict)


def _rows(report):
    return {row.op: (row.assigned, row.reason) for row in report.rows}


# -- default placement --------------------------------------------------------------------------
@no_gpu_only
def test_without_gpus_everything_lands_on_cpu_by_default():
    x = gn.placeholder(gn.float32, [2], name="x")
    two = gn.constant(2.0, name="two")
    y = gn.multiply(x, two, name="y")
    assert _rows(_report(y, {x: [1.0, 2.0]})) == {"y": (CPU, "default"), "two": (CPU, "follows consumer y")}


def test_with_gpus_unpinned_ops_go_to_gpu0_unless_they_have_no_gpu_kernel(vgpus):
    a = gn.constant([1.0, 2.0], name="a")
    b = gn.multiply(a, 3.0, name="b")
    p = gn.py_func(lambda v: v + 1, [b], gn.float32, name="p")
    rows = _rows(_report(p))
    assert rows["b"] == (GPU0, "default")
    assert rows["a"] == (GPU0, "follows consumer b")
    assert rows["p"] == (CPU, "default")  # py_func has only a CPU kernel
    with gn.Session() as sess:
        assert sess.run(p).tolist() == [4.0, 7.0]


def test_string_tensors_stay_on_the_host(vgpus):
    s = gn.constant(["a", "b"], name="s")
    t = gn.identity(s, name="t")
    assert _rows(_report(t))["t"] == (CPU, "default")


def test_input_less_ops_follow_their_consumer(vgpus):
    offset = gn.constant([1.0, 2.0], name="offset")
    with gn.device("/gpu:1"):
        x = gn.placeholder(gn.float32, [2], name="x")
        y = gn.add(x, offset, name="y")
    rows = _rows(_report(y, {x: np.zeros(2)}))
    assert rows == {"y": (GPU1, "requested"), "offset": (GPU1, "follows consumer y")}


def test_an_input_less_op_with_consumers_on_two_devices_takes_the_default(vgpus):
    c = gn.constant([1.0, 2.0], name="c")
    with gn.device("/gpu:1"):
        d = gn.identity(c, name="d")
    with gn.device("/cpu:0"):
        e = gn.identity(c, name="e")
    report = _report([d, e])
    assert _rows(report)["c"] == (GPU0, "default")
    assert [(cp.tensor.name, cp.dst.name) for cp in report.copies] == [("c:0", GPU1), ("c:0", CPU)]


def test_placement_is_deterministic_across_sessions(vgpus):
    with gn.device("/cpu:0"):
        a = gn.constant(np.ones((2, 2), np.float32), name="a")
    with gn.device("/gpu:1"):
        b = gn.matmul(a, a, name="b")
    c = gn.reduce_sum(b, name="c")
    reports = [str(_report(c)) for _ in range(3)]
    assert reports[0] == reports[1] == reports[2]


# -- colocation groups --------------------------------------------------------------------------
def test_a_variable_group_shares_one_device_and_readers_elsewhere_get_a_copy(vgpus):
    with gn.device("/gpu:1"):
        v = gn.Variable(lambda: gn.constant([1.0, 1.0]), name="v")
    with gn.device("/gpu:0"):
        y = gn.multiply(v, 2.0, name="y")
    init_rows = _rows(_report(v.initializer))
    assert init_rows["v"] == (GPU1, "requested")
    assert init_rows["v/Assign"] == (GPU1, "colocated with v")
    assert all(device == GPU1 for name, (device, _) in init_rows.items() if name.startswith("v/Initializer"))
    report = _report(y)
    assert _rows(report)["v/read"] == (GPU1, "colocated with v")
    assert [(c.tensor.name, c.src.name, c.dst.name) for c in report.copies] == [("v/read:0", GPU1, GPU0)]
    with gn.Session() as sess:
        sess.run(v.initializer)
        assert sess.run(y).tolist() == [2.0, 2.0]


def test_a_group_is_placed_as_a_whole_before_any_of_it_runs(vgpus):
    # the py_func (CPU only) is colocated with v; v's first plan (its initializer) does not contain it,
    # yet the whole group, the variable included, must already go where the py_func can run
    with gn.device("/gpu:0"):
        v = gn.Variable([1.0, 2.0], name="v")
        with gn.colocate_with(v.op):
            doubled = gn.py_func(lambda a: a * 2, [v.value()], gn.float32, name="doubled")
    with gn.Session(config=gn.ConfigProto(allow_soft_placement=True)) as sess:
        rows = _rows(sess.placement_report(v.initializer))
        sess.run(v.initializer)
        assert sess.run(doubled).tolist() == [2.0, 4.0]
        assert _rows(sess.placement_report(doubled))["doubled"] == (CPU, "colocated with v")
    assert rows["v"] == (CPU, "soft: no GPU kernel")
    assert rows["v/Assign"] == (CPU, "colocated with v")


def test_an_impossible_group_request_names_the_member_that_blocks_it(vgpus):
    with gn.device("/gpu:0"):
        v = gn.Variable([1.0, 2.0], name="v")
        with gn.colocate_with(v.op):
            gn.py_func(lambda a: a, [v.value()], gn.float32, name="blocker")
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError) as info:
            sess.run(v.initializer)
    message = str(info.value)
    assert message.startswith(f"Cannot assign a device for operation v: Could not satisfy explicit device "
                              f"specification '{GPU0}' because no supported kernel for GPU devices is available. "
                              f"It is colocated with blocker (PyFunc), which cannot run on GPU.")
    assert "The colocation group of Op v (VariableV2) has kernels for device types [CPU]." in message


def test_a_member_added_after_the_group_was_placed_must_fit_it(vgpus):
    v = gn.Variable([1.0, 2.0], name="v")
    with gn.Session() as sess:
        sess.run(v.initializer)  # the group goes to GPU:0
        with gn.colocate_with(v.op):
            late = gn.py_func(lambda a: a, [v.value()], gn.float32, name="late")
        with pytest.raises(gn.errors.InvalidArgumentError, match=f"Cannot assign a device for operation late: it "
                                                                 f"is colocated with v, which is placed on {GPU0}, "
                                                                 f"but PyFunc has no GPU kernel"):
            sess.run(late)


# -- requests that cannot be met ----------------------------------------------------------------
def test_a_missing_device_is_an_error_naming_op_request_devices_and_kernels(vgpus):
    with gn.device("/gpu:2"):
        c = gn.matmul(gn.constant([[1.0]]), gn.constant([[2.0]]), name="c")
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError) as info:
            sess.run(c)
    assert str(info.value) == (
        f"Cannot assign a device for operation c: {{{{node c}}}} was explicitly assigned to {LOCAL}/device:GPU:2 "
        f"but available devices are [ {CPU}, {GPU0}, {GPU1} ]. Make sure the device specification refers to a "
        f"valid device. Op c (MatMul) has kernels for device types [GPU, CPU]. Fix the device scope, or create "
        f"the session with gn.ConfigProto(allow_soft_placement=True) to fall back to a device that can run it.")
    assert info.value.op is c.op and info.value.error_code == 3


@no_gpu_only
def test_a_gpu_request_without_any_gpu_says_so():
    with gn.device("/gpu:0"):
        c = gn.constant(1.0, name="c")
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError, match="The requested device appears to be a GPU, but "
                                                                 "this process has none"):
            sess.run(c)


def test_other_device_types_are_errors_and_soft_placement_moves_them_to_cpu():
    with gn.device("/tpu:0"):
        c = gn.constant(1.0, name="c")
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError, match="was explicitly assigned to .*/device:TPU:0"):
            sess.run(c)
    assert _rows(_report(c, allow_soft_placement=True))["c"] == (CPU, "soft: no device /tpu:0")


def test_another_job_fails_even_with_soft_placement():
    with gn.device("/job:worker/task:1/gpu:0"):
        c = gn.constant(1.0, name="c")
    for soft in (False, True):
        with gn.Session(config=gn.ConfigProto(allow_soft_placement=soft)) as sess:
            with pytest.raises(gn.errors.InvalidArgumentError, match="Soft placement cannot move an op to another "
                                                                     "job or task; use a local device."):
                sess.run(c)


def test_soft_placement_prefers_another_gpu_for_a_missing_one(vgpus):
    with gn.device("/gpu:3"):
        c = gn.multiply(gn.constant(2.0), 3.0, name="c")
    with gn.Session(config=gn.ConfigProto(allow_soft_placement=True)) as sess:
        assert sess.run(c) == 6.0
        row = sess.placement_report(c).row("c")
    assert (row.requested, row.assigned, row.reason) == (f"{LOCAL}/device:GPU:3", GPU0, "soft: no device /gpu:3")


@pytest.fixture
def gpu_only_op(monkeypatch):
    """A temporary op type with only a GPU kernel (removed again after the test)."""
    op_def = OpDef("GpuOnly", lambda inputs, attrs: [(inputs[0].dtype, inputs[0]._shape)],
                   {"GPU": lambda ctx: lambda x: x * 10})
    monkeypatch.setitem(registry._OPS, "GpuOnly", op_def)
    return lambda x, name=None: registry.apply_op("GpuOnly", [gn.convert_to_tensor(x)], {}, name).outputs[0]


@no_gpu_only
def test_an_op_no_device_can_run_is_an_error(gpu_only_op):
    y = gpu_only_op([1.0], name="y")
    with gn.Session(config=gn.ConfigProto(allow_soft_placement=True)) as sess:
        with pytest.raises(gn.errors.InvalidArgumentError, match=r"Cannot assign a device for operation y: GpuOnly "
                                                                 r"has kernels for device types \[GPU\] but this "
                                                                 r"process has no such device"):
            sess.run(y)


def test_a_gpu_only_op_pinned_to_cpu(vgpus, gpu_only_op):
    with gn.device("/cpu:0"):
        y = gpu_only_op([1.0], name="y")
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError, match="no supported kernel for CPU devices"):
            sess.run(y)
    with gn.Session(config=gn.ConfigProto(allow_soft_placement=True)) as sess:
        assert sess.run(y).tolist() == [10.0]
        assert _rows(sess.placement_report(y))["y"] == (GPU0, "soft: no CPU kernel")


# -- copies -------------------------------------------------------------------------------------
def test_one_copy_per_tensor_and_destination(vgpus):
    with gn.device("/cpu:0"):
        a = gn.constant(np.ones(4, np.float32), name="a")
    with gn.device("/gpu:1"):
        outs = [gn.multiply(a, float(i), name=f"m{i}") for i in range(3)]
    with gn.device("/gpu:0"):
        other = gn.identity(a, name="other")
    report = _report(outs + [other])
    assert [(c.tensor.name, c.dst.name, c.bytes) for c in report.copies] == [("a:0", GPU1, 16), ("a:0", GPU0, 16)]
    with gn.Session() as sess:
        for _ in range(2):
            meta = gn.RunMetadata()
            sess.run(outs + [other], run_metadata=meta)
            assert (meta.copy_stats.count, meta.copy_stats.bytes) == (2, 32)
            assert meta.copy_stats.routes() == {(CPU, GPU1): (1, 16), (CPU, GPU0): (1, 16)}


@pytest.mark.parametrize("vgpus", [2, 3, 4], indirect=True)
def test_a_plan_across_virtual_gpus_counts_its_copies(vgpus):
    x = gn.placeholder(gn.float32, [8], name="x")
    with gn.device("/cpu:0"):
        h = gn.multiply(x, 1.0, name="h0")
    for i in range(vgpus):
        with gn.device(f"/gpu:{i}"):
            h = gn.add(h, 1.0, name=f"h{i + 1}")
    with gn.device("/cpu:0"):
        y = gn.identity(h, name="y")
    feed = {x: np.zeros(8, np.float32)}
    with gn.Session() as sess:
        for _ in range(2):  # counted per run, not summed over the process
            meta = gn.RunMetadata()
            assert sess.run(y, feed, run_metadata=meta).tolist() == [float(vgpus)] * 8
            assert (meta.copy_stats.count, meta.copy_stats.bytes) == (vgpus + 1, (vgpus + 1) * 32)
        report = sess.placement_report(y, feed)
    assert len(report.copies) == vgpus + 1 and report.bytes_per_step == (vgpus + 1) * 32


def test_copies_of_unknown_size_are_measured_by_the_run(vgpus):
    with gn.device("/cpu:0"):
        x = gn.placeholder(gn.float32, [None, 3], name="x")
        h = gn.multiply(x, 2.0, name="h")
    with gn.device("/gpu:1"):
        y = gn.reduce_sum(h, name="y")
    feed = {x: np.ones((5, 3), np.float32)}
    with gn.Session() as sess:
        before = sess.placement_report(y, feed)
        assert before.copies[0].bytes is None
        assert "h:0: (Copy): " + CPU + " -> " + GPU1 + " (? bytes per step)" in str(before)
        assert sess.run(y, feed) == 30.0
        after = sess.placement_report(y, feed)
    assert after.copies[0].bytes == 60 and after.bytes_per_step == 60
    assert f"h:0: (Copy): {CPU} -> {GPU1} (60 bytes (measured) per step)" in str(after)
    assert "1 copies, 60 bytes per step" in after.summary


# -- pruning, freeing, caching ------------------------------------------------------------------
def test_only_what_the_fetches_need_runs_and_feeds_cut_the_graph():
    calls = []
    x = gn.placeholder(gn.float32, [], name="x")  # unfed: fine while nothing needs it
    upstream = gn.py_func(lambda: calls.append("upstream") or np.float32(1.0), [], gn.float32, name="upstream")
    middle = gn.multiply(upstream, 2.0, name="middle")
    out = gn.add(middle, 1.0, name="out")
    _unrelated = gn.multiply(x, 2.0, name="unrelated")  # pruned: the fed middle cuts it off
    with gn.Session() as sess:
        assert sess.run(out, {middle: 10.0}) == 11.0
        assert calls == []
        assert sess.run(out) == 3.0 and calls == ["upstream"]
        pruned = [r.op for r in sess.placement_report(out, {middle: 10.0}).rows]
    assert "upstream" not in pruned and "middle" not in pruned and "out" in pruned
    assert "unrelated" not in pruned and "x" not in pruned


def test_intermediates_are_freed_after_their_last_use():
    refs = []

    def produce(x):
        out = np.full(1000, x, np.float32)
        refs.append(weakref.ref(out))
        return out

    a = gn.py_func(produce, [gn.constant(1.0)], gn.float32, name="a")
    total = gn.reduce_sum(a, name="total")  # the last reader of a
    freed = gn.py_func(lambda t: np.float32(refs[-1]() is None), [total], gn.float32, name="freed")
    with gn.Session() as sess:
        assert sess.run(freed) == 1.0
        value, kept = sess.run([a, freed])  # a fetched value is kept until the end
        assert kept == 0.0 and value.shape == (1000,)


def test_a_second_run_reuses_the_compiled_plan(monkeypatch):
    builds = []
    real = session.build_plan
    monkeypatch.setattr(session, "build_plan", lambda *args: builds.append(args[0]) or real(*args))
    x = gn.placeholder(gn.float32, [], name="x")
    y = x * 2.0
    z = y + 1.0
    with gn.Session() as sess:
        for _ in range(3):
            sess.run(y, {x: 1.0})
        assert len(builds) == 1
        sess.run([y], {x: 1.0})  # the same elements and feeds: the same plan
        sess.run({"y": y}, {"x:0": 1.0})
        assert len(builds) == 1
        sess.run([y, z], {x: 1.0})
        sess.run(y, {x: 1.0, z: 0.0})
        assert len(builds) == 3


def test_the_order_of_a_feed_dict_does_not_matter(monkeypatch):
    builds = []
    real = session.build_plan
    monkeypatch.setattr(session, "build_plan", lambda *args: builds.append(args[0]) or real(*args))
    first, second = gn.py_func(lambda: (np.float32(0), np.float32(0)), [], [gn.float32, gn.float32], name="pair")
    total = gn.add(first, second * 10.0, name="total")
    with gn.Session() as sess:
        assert sess.run(total, {first: 1.0, second: 2.0}) == 21.0
        assert sess.run(total, {second: 2.0, first: 1.0}) == 21.0
    assert len(builds) == 1


@no_gpu_only
def test_placement_is_logged_once_per_plan_never_per_step(caplog):
    caplog.set_level(logging.INFO, logger="gpunet.placement")
    a = gn.constant(1.0, name="a")
    b = gn.multiply(a, gn.constant(2.0, name="two"), name="b")
    with gn.Session(config=gn.ConfigProto(log_device_placement=True)) as sess:
        for _ in range(3):
            sess.run(b)
        first = _plan_lines(caplog)
        sess.run([b, a])  # a new signature: a new plan, logged once
    lines = _plan_lines(caplog)
    assert first == [f"b: (Mul): {CPU}", f"a: (Const): {CPU}", f"two: (Const): {CPU}",
                     "Placement summary: 3 ops (3 on " + CPU + "); 0 copies, 0 bytes per step; 0 soft fallbacks"]
    assert len(lines) == 2 * len(first)


def test_log_order_puts_ops_with_inputs_and_variables_first(caplog):
    caplog.set_level(logging.INFO, logger="gpunet.placement")
    w = gn.Variable([1.0, 2.0], name="w")
    with gn.Session(config=gn.ConfigProto(log_device_placement=True)) as sess:
        sess.run(w.initializer)
    assert [line.split(":")[0] for line in _plan_lines(caplog)][:3] == ["w", "w/Assign", "w/initial_value"]


def _plan_lines(caplog):
    """The lines logged for compiled plans (the device mapping goes to gpunet.placement.devices)."""
    return [r.getMessage() for r in caplog.records if r.name == "gpunet.placement"]


@no_gpu_only
def test_session_creation_logs_the_device_mapping_once(caplog, vgpus):
    caplog.set_level(logging.INFO, logger="gpunet.placement")
    with gn.Session(config=gn.ConfigProto(log_device_placement=True)) as sess:
        sess.run(gn.constant(1.0))
    with gn.Session():
        pass
    mapping = [r.getMessage() for r in caplog.records if r.name == "gpunet.placement.devices"]
    assert mapping == ["Device mapping:", f"{CPU} -> host memory, NumPy kernels",
                       *[f"/job:localhost/replica:0/task:0/device:GPU:{i} -> virtual GPU in host memory "
                         f"(arrays owned by this device; copies counted)" for i in range(2)]]


# -- the report ---------------------------------------------------------------------------------
def test_placement_report_rows_and_table(vgpus):
    with gn.device("/cpu:0"):
        a = gn.constant(np.ones((2, 2), np.float32), name="a")
    b = gn.matmul(a, a, name="b")
    report = _report(b)
    row = report.row("b")
    assert (row.op, row.type, row.requested, row.assigned, row.reason) == ("b", "MatMul", "", GPU0, "default")
    assert report.row("a").requested == CPU
    with pytest.raises(KeyError, match="op 'nope' is not in this plan"):
        report.row("nope")
    lines = str(report).splitlines()
    assert lines[0].split() == ["op", "type", "requested", "assigned", "reason"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].split() == ["a", "Const", CPU, CPU, "requested"]
    assert lines[3].split() == ["b", "MatMul", "-", GPU0, "default"]
    assert lines[5:] == ["copies per step:", f"  a:0: (Copy): {CPU} -> {GPU0} (16 bytes per step)",
                         "host transfers per step:", "  /gpu:0 H2D 16 bytes, D2H 16 bytes",
                         f"Placement summary: 2 ops (1 on {CPU}, 1 on {GPU0}); 1 copies, 16 bytes per step; "
                         f"0 soft fallbacks; /gpu:0 H2D 16 bytes, D2H 16 bytes",
                         "plan cache: 1/64 plans, 0 hits, 1 misses, 0 evictions"]
    assert [(t.device, t.host_to_device, t.device_to_host, t.unknown) for t in report.transfers] == [
        ("/gpu:0", 16, 16, 0)]
    assert repr(report) == str(report)
