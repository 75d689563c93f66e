"""Session.run: fetch structures and return types, feeds, errors, default sessions, logging to stderr."""
import collections
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import gpunet as gn
from tests.conftest import HAS_GPU, no_gpu_only

ROOT = pathlib.Path(__file__).resolve().parents[2]
CPU = "/job:localhost/replica:0/task:0/device:CPU:0"
Pair = collections.namedtuple("Pair", ["first", "second"])


@pytest.fixture
def abc():
    a = gn.constant(1.0, name="a")
    b = gn.constant([1, 2], name="b")
    c = gn.constant([[1.0, 2.0]], name="c")
    return a, b, c


# -- fetches ------------------------------------------------------------------------------------
def test_return_types_follow_tf1(abc):
    a, b, c = abc
    s = gn.constant("hi", name="s")
    with gn.Session() as sess:
        scalar, vector, string = sess.run(a), sess.run(b), sess.run(s)
    assert type(scalar) is np.float32 and scalar == 1.0
    assert isinstance(vector, np.ndarray) and vector.dtype == np.int32 and vector.tolist() == [1, 2]
    assert string == b"hi"


def test_fetch_structures_keep_their_type(abc):
    a, b, c = abc
    noop = gn.no_op(name="noop")
    with gn.Session() as sess:
        assert isinstance(sess.run([a, b]), list)
        assert isinstance(sess.run((a, b)), tuple)
        got = sess.run([a, (b, {"z": c})])
        assert got[0] == 1.0 and got[1][0].tolist() == [1, 2] and got[1][1]["z"].tolist() == [[1.0, 2.0]]
        assert isinstance(got[1], tuple) and isinstance(got[1][1], dict)
        assert sess.run({"ops": [noop], "t": a}) == {"ops": [None], "t": 1.0}
        pair = sess.run(Pair(a, Pair(a, noop)))
        assert pair == Pair(1.0, Pair(1.0, None)) and type(pair.second) is Pair
        ordered = sess.run(collections.OrderedDict([("y", a), ("x", b)]))
        assert type(ordered) is collections.OrderedDict and list(ordered) == ["y", "x"]
        assert sess.run([a, a]) == [1.0, 1.0]
        assert (sess.run([]), sess.run(()), sess.run({})) == ([], (), {})


def test_fetch_by_name_and_operations_give_none(abc):
    a, b, c = abc
    noop = gn.no_op(name="noop")
    v = gn.Variable(3.0, name="v")
    with gn.Session() as sess:
        assert sess.run("a:0") == 1.0
        assert sess.run("noop") is None and sess.run(noop) is None
        sess.run(v.initializer)
        assert sess.run(v) == 3.0 and sess.run("v:0") is not None


@pytest.mark.parametrize("fetch, error, message", [
    (3, TypeError, 'Argument `fetch` = 3 has invalid type "int" must be a string or Tensor. (Can not convert a '
                   'int into a Tensor or Operation.)'),
    (None, TypeError, 'Argument `fetch` = None has invalid type "NoneType". Cannot be None'),
    ("nope:0", ValueError, "Argument `fetch` = nope:0 cannot be interpreted as a Tensor. (\"The name 'nope:0' "
                           "refers to a Tensor which does not exist. The operation, 'nope', does not exist in "
                           "the graph.\")"),
    ("nope", ValueError, "Argument `fetch` = nope cannot be interpreted as a Tensor. (\"The name 'nope' refers to "
                         "an Operation not in the graph.\")"),
    ([1.0], TypeError, 'Argument `fetch` = 1.0 has invalid type "float"'),
])
def test_bad_fetches(fetch, error, message):
    gn.constant(1.0, name="a")
    with gn.Session() as sess:
        with pytest.raises(error) as info:
            sess.run(fetch)
    assert str(info.value).startswith(message)


def test_a_tensor_of_another_graph_is_not_a_fetch_or_feed_key():
    with gn.Graph().as_default():
        other = gn.placeholder(gn.float32, [], name="other")
    with gn.Session() as sess:
        with pytest.raises(ValueError, match=r'Argument `fetch` = <gn.Tensor "other:0" shape=\(\) dtype=float32> '
                                             r'cannot be interpreted as a Tensor. \(.* is not an element of this '
                                             r'graph.\)'):
            sess.run(other)
        with pytest.raises(TypeError, match="Cannot interpret feed_dict key as Tensor: Tensor .*other:0.* is not "
                                            "an element of this graph."):
            sess.run(gn.constant(1.0), {other: 1.0})


def test_a_session_runs_its_own_graph():
    g = gn.Graph()
    with g.as_default():
        c = gn.constant(5.0, name="c")
    with gn.Session(graph=g) as sess:
        assert sess.graph is g and sess.run(c) == 5.0 and sess.run("c:0") == 5.0


# -- feeds --------------------------------------------------------------------------------------
def test_feeds_accept_arrays_lists_and_scalars():
    x = gn.placeholder(gn.float32, [None, 3], name="x")
    p = gn.placeholder(gn.float32, name="p")
    total = gn.reduce_sum(x) + p
    with gn.Session() as sess:
        assert sess.run(total, {x: np.ones((2, 3)), p: 1.0}) == 7.0
        assert sess.run(total, {x: [[1, 2, 3]], "p:0": np.float64(0.5)}) == 6.5
        fed = sess.run(x, {x: [[1.0, 2.0, 3.0]]})
        assert fed.dtype == np.float32


def test_fetching_a_fed_tensor_gives_a_zero_d_array():
    p = gn.placeholder(gn.float32, [], name="p")
    with gn.Session() as sess:
        got = sess.run(p, {p: 42.0})
    assert isinstance(got, np.ndarray) and got.shape == () and got.dtype == np.float32


def test_any_tensor_can_be_fed_and_the_feed_is_honoured():
    a = gn.constant(1.0, name="a")
    d = gn.add(a, gn.constant(1.0, name="one"), name="d")
    e = gn.multiply(d, gn.constant(3.0, name="three"), name="e")
    with gn.Session() as sess:
        assert sess.run(e, {a: 10.0}) == 33.0
        assert sess.run(e, {d: 10.0}) == 30.0
        assert sess.run(e) == 6.0


def test_placeholder_with_default():
    d = gn.placeholder_with_default(gn.constant([1.0, 2.0]), [None], name="d")
    with gn.Session() as sess:
        assert sess.run(d).tolist() == [1.0, 2.0]
        assert sess.run(d, {d: [5.0, 6.0, 7.0]}).tolist() == [5.0, 6.0, 7.0]


@pytest.mark.parametrize("shape, value, message", [
    ([None, 3], np.zeros((2, 4)), "Cannot feed value of shape (2, 4) for Tensor x:0, which has shape (None, 3)"),
    ([None, 3], np.zeros(3), "Cannot feed value of shape (3,) for Tensor x:0, which has shape (None, 3)"),
    ([], np.zeros(3), "Cannot feed value of shape (3,) for Tensor x:0, which has shape ()"),
])
def test_a_feed_of_the_wrong_shape_is_invalid_argument(shape, value, message):
    x = gn.placeholder(gn.float32, shape, name="x")
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError) as info:
            sess.run(x * 2.0, {x: value})
    assert str(info.value) == message and info.value.op is x.op


def test_a_feed_of_the_wrong_dtype_is_invalid_argument():
    x = gn.placeholder(gn.float32, [1], name="x")
    n = gn.placeholder(gn.int32, [2], name="n")
    flag = gn.placeholder(gn.bool, [], name="flag")
    small = gn.placeholder(gn.uint8, [], name="small")
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError, match="Cannot feed 'a' to Tensor x:0 of dtype float32: "
                                                                 "could not convert string to float"):
            sess.run(x, {x: "a"})
        with pytest.raises(gn.errors.InvalidArgumentError, match="Cannot feed value of dtype float64 to Tensor "
                                                                 "n:0 of dtype int32: .*1.5.* is not representable "
                                                                 "as int32"):
            sess.run(n, {n: [2.0, 1.5]})
        with pytest.raises(gn.errors.InvalidArgumentError, match="to Tensor small:0 of dtype uint8: .*300.* is "
                                                                 "not representable as uint8"):
            sess.run(small, {small: np.int64(300)})
        assert sess.run(n, {n: [2.0, 3.0]}).tolist() == [2, 3]  # whole floats are fine
        assert sess.run(n, {n: np.array([1, 2], np.int64)}).dtype == np.int32
        assert sess.run(flag, {flag: 1}) == np.True_  # K.learning_phase() style
    with pytest.raises(TypeError, match="The value of a feed cannot be a gn.Tensor or Variable"):
        gn.Session().run(x, {x: gn.constant([1.0])})


@pytest.mark.parametrize("key, message", [
    (1.5, "Cannot interpret feed_dict key as Tensor: Can not convert a float into a Tensor."),
    ("nope:0", "Cannot interpret feed_dict key as Tensor: \"The name 'nope:0' refers to a Tensor which does not "
               "exist. The operation, 'nope', does not exist in the graph.\""),
    ("x", "Cannot interpret feed_dict key as Tensor: Can not convert a str into a Tensor."),
])
def test_bad_feed_keys(key, message):
    x = gn.placeholder(gn.float32, [], name="x")
    with gn.Session() as sess:
        with pytest.raises(TypeError) as info:
            sess.run(x * 2.0, {key: 1.0})
    assert str(info.value) == message


def test_an_unfed_placeholder_is_invalid_argument_naming_it():
    x = gn.placeholder(gn.float32, [None, 3], name="x")
    p = gn.placeholder(gn.float32, [], name="p_scalar")
    y = gn.reduce_sum(x, name="y")
    with gn.Session() as sess:
        for fetch in (x, y):
            with pytest.raises(gn.errors.InvalidArgumentError) as info:
                sess.run(fetch)
            assert str(info.value) == "You must feed a value for placeholder tensor 'x' with dtype float and " \
                                      "shape [?,3]"
            assert info.value.op is x.op
        with pytest.raises(gn.errors.InvalidArgumentError, match="^You must feed a value for placeholder tensor "
                                                                 "'p_scalar' with dtype float$"):
            sess.run(p)


# -- run-time errors ----------------------------------------------------------------------------
def test_error_classes_follow_tf1():
    codes = {gn.errors.InvalidArgumentError: 3, gn.errors.NotFoundError: 5, gn.errors.FailedPreconditionError: 9,
             gn.errors.ResourceExhaustedError: 8, gn.errors.OutOfRangeError: 11, gn.errors.DataLossError: 15,
             gn.errors.UnavailableError: 14, gn.errors.InternalError: 13}
    for cls, code in codes.items():
        error = cls(None, "op", "what went wrong")
        assert isinstance(error, gn.errors.OpError) and error.error_code == code
        assert (error.op, error.message, str(error)) == ("op", "what went wrong", "what went wrong")


def _fail_with(exc):
    def fail(x):
        raise exc
    return fail


@pytest.mark.parametrize("exc, error_class, text", [
    (ValueError("bad value"), gn.errors.InvalidArgumentError, "bad value"),
    (IndexError("index 5 is out of bounds"), gn.errors.InvalidArgumentError, "index 5 is out of bounds"),
    (MemoryError("no room"), gn.errors.ResourceExhaustedError, "out of memory: no room"),
    (RuntimeError("odd"), gn.errors.InternalError, "RuntimeError: odd"),
    (gn.errors.OutOfRangeError(None, None, "End of sequence"), gn.errors.OutOfRangeError, "End of sequence"),
])
def test_every_run_time_error_names_the_op_and_its_device(exc, error_class, text):
    p = gn.py_func(_fail_with(exc), [gn.constant(1.0)], gn.float32, name="p")
    with gn.Session() as sess:
        with pytest.raises(error_class) as info:
            sess.run(p)
    assert str(info.value) == f"{text}\n\t [[node p (PyFunc) on {CPU}]]"
    assert info.value.op is p.op and info.value.__cause__ is exc


@no_gpu_only
def test_a_kernel_builder_error_names_the_op_and_device(monkeypatch):
    from gpunet.graph import registry

    def builder(ctx):
        raise ValueError(f"unsupported mode {ctx.attrs['mode']!r}")
    op_def = registry.OpDef("Picky", lambda inputs, attrs: [(inputs[0].dtype, inputs[0]._shape)], {"any": builder})
    monkeypatch.setitem(registry._OPS, "Picky", op_def)
    y = registry.apply_op("Picky", [gn.constant(1.0)], {"mode": "odd"}, "y").outputs[0]
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError) as info:
            sess.run(y)
    assert str(info.value) == f"unsupported mode 'odd'\n\t [[node y (Picky) on {CPU}]]"


def test_feeds_and_fetches_on_every_device(device):
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None, 2], name="x")
        n = gn.placeholder(gn.int32, [2], name="n")
        y = gn.reduce_sum(x * 2.0, axis=1)
        m = n + n
    with gn.Session() as sess:
        got = sess.run({"y": y, "m": [m], "x": x}, {x: [[1.0, 2.0], [3.0, 4.0]], n: [1, 2]})
    assert got["y"].dtype == np.float32 and got["y"].tolist() == [6.0, 14.0]
    assert got["m"][0].dtype == np.int32 and got["m"][0].tolist() == [2, 4]
    assert type(got["x"]) is np.ndarray and got["x"].shape == (2, 2)


def test_a_failed_step_leaves_the_session_usable():
    x = gn.placeholder(gn.float32, [None], name="x")
    checked = gn.py_func(lambda v: v if v.size else (_ for _ in ()).throw(ValueError("empty")), [x], gn.float32)
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError, match="empty"):
            sess.run(checked, {x: []})
        assert sess.run(checked, {x: [1.0]}).tolist() == [1.0]


# -- lifetime and default sessions --------------------------------------------------------------
def test_a_closed_session_refuses_to_run():
    c = gn.constant(1.0)
    sess = gn.Session()
    sess.close()
    with pytest.raises(RuntimeError, match="^Attempted to use a closed Session.$"):
        sess.run(c)
    with gn.Session() as ctx:
        pass
    with pytest.raises(RuntimeError, match="Attempted to use a closed Session."):
        ctx.run(c)


def test_default_sessions_nest():
    assert gn.get_default_session() is None
    with gn.Session() as outer:
        assert gn.get_default_session() is outer
        inner = gn.Session()
        with inner.as_default():
            assert gn.get_default_session() is inner
        assert gn.get_default_session() is outer
        inner.close()
    assert gn.get_default_session() is None


def test_eval_and_run_use_the_default_session_or_an_explicit_one():
    v = gn.Variable(2.0, name="v")
    doubled = v * 2.0
    with pytest.raises(ValueError, match="Cannot evaluate a tensor without a session"):
        doubled.eval()
    with gn.Session():
        v.initializer.run()
        assert doubled.eval() == 4.0
        assert doubled.eval(feed_dict={v.value(): 5.0}) == 10.0
    other = gn.Session()
    v.initializer.run(session=other)
    assert doubled.eval(session=other) == 4.0
    with gn.Graph().as_default():
        foreign = gn.Session()
    with pytest.raises(ValueError, match="The session's graph is not the graph of this tensor."):
        doubled.eval(session=foreign)


def test_interactive_session_installs_itself_until_closed():
    c = gn.constant(3.0)
    sess = gn.InteractiveSession()
    assert gn.get_default_session() is sess and c.eval() == 3.0
    sess.close()
    assert gn.get_default_session() is None
    sess.close()  # closing twice is harmless


def test_config_and_options():
    config = gn.ConfigProto()
    assert (config.log_device_placement, config.allow_soft_placement, config.inter_op_parallelism_threads) == \
        (False, False, 0)
    assert (config.gpu_options.allow_growth, config.gpu_options.visible_device_list) == (False, "")
    config = gn.ConfigProto(gpu_options=gn.GPUOptions(allow_growth=True, visible_device_list="0"))
    assert config.gpu_options.allow_growth and config.gpu_options.visible_device_list == "0"
    c = gn.constant(1.0)
    with gn.Session(config=config) as sess:
        # visible_device_list="0": physical GPU 0 if there is one; on a machine without GPUs, the CPU only
        assert [d.name for d in sess.list_devices()] == [CPU] + [f"{CPU[:-5]}GPU:0"] * HAS_GPU
        assert sess.run(c, options=gn.RunOptions(), run_metadata=gn.RunMetadata()) == 1.0
    with pytest.raises(gn.errors.UnavailableError, match="gpunet runs in-process; target 'grpc://x:1' is not "
                                                         "supported"):
        gn.Session("grpc://x:1")


# -- log_device_placement on the real stderr ----------------------------------------------------
_SCRIPT = """
import logging, sys
{setup}
import gpunet as gn
a = gn.constant([[1.0, 2.0]], name="a")
b = gn.constant([[3.0], [4.0]], name="b")
c = gn.matmul(a, b, name="c")
with gn.Session(config=gn.ConfigProto(log_device_placement=True)) as sess:
    sess.run(c)
    sess.run(c)
    print("result", sess.run(c).tolist())
"""


def _run_script(setup=""):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("GPUNET_VIRTUAL_GPUS", None)
    return subprocess.run([sys.executable, "-c", _SCRIPT.format(setup=setup)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def test_placement_lines_reach_stderr_once_when_logging_is_not_configured():
    result = _run_script()
    assert result.returncode == 0, result.stderr
    assert result.stdout == "result [[11.0]]\n"
    assert result.stderr.splitlines() == [
        "Device mapping:", f"{CPU} -> host memory, NumPy kernels",
        f"c: (MatMul): {CPU}", f"a: (Const): {CPU}", f"b: (Const): {CPU}",
        f"Placement summary: 3 ops (3 on {CPU}); 0 copies, 0 bytes per step; 0 soft fallbacks"]


def test_placement_lines_go_through_the_applications_logging_once():
    result = _run_script("logging.basicConfig(level=logging.INFO, format='%(name)s|%(message)s')")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("gpunet.placement|")]
    assert lines[:3] == [f"gpunet.placement|c: (MatMul): {CPU}", f"gpunet.placement|a: (Const): {CPU}",
                         f"gpunet.placement|b: (Const): {CPU}"]
    assert len(lines) == 4 and result.stderr.count("c: (MatMul)") == 1


# -- traces -------------------------------------------------------------------------------------
def test_a_full_trace_records_every_step_by_device_as_chrome_trace_json(vgpus):
    import json

    Timeline = gn.timeline.Timeline
    with gn.device("/cpu:0"):
        a = gn.constant(np.ones((2, 2), np.float32), name="a")
    with gn.device("/gpu:1"):
        b = gn.matmul(a, a, name="b")
    metadata = gn.RunMetadata()
    with gn.Session() as sess:
        sess.run(b, run_metadata=metadata)  # no RunOptions: nothing is traced
        assert metadata.step_stats is None
        got = sess.run(b, options=gn.RunOptions(trace_level=gn.RunOptions.FULL_TRACE), run_metadata=metadata)
        assert got.tolist() == [[2.0, 2.0], [2.0, 2.0]]
    gpu1 = "/job:localhost/replica:0/task:0/device:GPU:1"
    stats = metadata.step_stats
    assert [d.device for d in stats.dev_stats] == [CPU, gpu1]
    assert [(n.node_name, n.op_type, n.device) for n in stats.node_stats] == [
        ("a", "Const", CPU), ("copy a:0 from /cpu:0", "Copy", gpu1), ("b", "MatMul", gpu1)]
    assert all(n.end_us >= n.start_us for n in stats.node_stats)
    trace = json.loads(Timeline(stats).generate_chrome_trace_format())["traceEvents"]
    rows = {e["pid"]: e["args"]["name"] for e in trace if e["name"] == "process_name"}
    assert rows == {0: CPU, 1: gpu1}
    ops = [(e["name"], e["cat"], rows[e["pid"]]) for e in trace if e["ph"] == "X"]
    assert ops == [("a", "Op", CPU), ("copy a:0 from /cpu:0", "Copy", gpu1), ("b", "Op", gpu1)]
    assert all(e["ts"] >= 0 and e["dur"] >= 0 for e in trace if e["ph"] == "X")
    with pytest.raises(ValueError, match="No step stats: run with options=gn.RunOptions"):
        Timeline(None)
