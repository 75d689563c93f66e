"""TF1 behaviour users depend on (TF1_REFERENCE.md §a, §b, §f and the TF1 "Sharing Variables" guide)."""
import logging

import numpy as np
import pytest

import gpunet as gn
from tests.conftest import no_gpu_only

LOCAL = "/job:localhost/replica:0/task:0"
CPU, GPU0 = f"{LOCAL}/device:CPU:0", f"{LOCAL}/device:GPU:0"


@pytest.fixture
def placement_log(caplog):
    caplog.set_level(logging.INFO, logger="gpunet.placement")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "gpunet.placement"]


def _matmul_graph():
    with gn.device("/cpu:0"):
        a = gn.constant([[1.0, 2.0]], name="a")
        b = gn.constant([[3.0], [4.0]], name="b")
    c = gn.matmul(a, b)
    return a, b, c


# -- (a) log_device_placement -------------------------------------------------------------------
@no_gpu_only
def test_a_log_device_placement_prints_tf1_lines_matmul_first(placement_log):
    a, b, c = _matmul_graph()
    assert (a.device, c.device, c.name) == (CPU, "", "MatMul:0")
    with gn.Session(config=gn.ConfigProto(log_device_placement=True)) as sess:
        assert sess.run(c).tolist() == [[11.0]]
        assert placement_log()[:3] == [f"MatMul: (MatMul): {CPU}", f"a: (Const): {CPU}", f"b: (Const): {CPU}"]
        sess.run(c)  # a second run prints nothing
    assert len(placement_log()) == 4 and placement_log()[3].startswith("Placement summary: 3 ops")


def test_a_with_two_virtual_gpus_matmul_lands_on_gpu0_with_two_copies(vgpus, placement_log):
    a, b, c = _matmul_graph()
    with gn.Session(config=gn.ConfigProto(log_device_placement=True)) as sess:
        assert sess.run(c).tolist() == [[11.0]]
    assert placement_log() == [
        f"MatMul: (MatMul): {GPU0}",
        f"a: (Const): {CPU}",
        f"b: (Const): {CPU}",
        f"a:0: (Copy): {CPU} -> {GPU0} (8 bytes per step)",
        f"b:0: (Copy): {CPU} -> {GPU0} (8 bytes per step)",
        f"Placement summary: 3 ops (2 on {CPU}, 1 on {GPU0}); 2 copies, 16 bytes per step; 0 soft fallbacks; "
        "/gpu:0 H2D 16 bytes, D2H 4 bytes",  # the two copies in, the fetched 1x1 float32 out
    ]


# -- (b) a device that does not exist -----------------------------------------------------------
def _on_gpu2():
    with gn.device("/gpu:2"):
        a = gn.constant([[1.0, 2.0]], name="a")
        b = gn.constant([[3.0], [4.0]], name="b")
        c = gn.matmul(a, b, name="c")
    return c


def test_b_a_missing_gpu_is_an_error_without_soft_placement(vgpus):
    c = _on_gpu2()
    assert c.device == f"{LOCAL}/device:GPU:2"  # building is fine; running is not
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError) as info:
            sess.run(c)
    assert str(info.value).startswith(
        f"Cannot assign a device for operation c: {{{{node c}}}} was explicitly assigned to {LOCAL}/device:GPU:2 "
        f"but available devices are [ {CPU}, {GPU0}, {LOCAL}/device:GPU:1 ]. Make sure the device specification "
        f"refers to a valid device.")


def test_b_soft_placement_moves_it_to_a_gpu_and_says_why(vgpus, placement_log):
    c = _on_gpu2()
    config = gn.ConfigProto(allow_soft_placement=True, log_device_placement=True)
    with gn.Session(config=config) as sess:
        assert sess.run(c).tolist() == [[11.0]]
    why = f"  [soft: no device /gpu:2; requested {LOCAL}/device:GPU:2]"
    assert placement_log()[:3] == [f"c: (MatMul): {GPU0}{why}", f"a: (Const): {GPU0}{why}",
                                   f"b: (Const): {GPU0}{why}"]
    assert placement_log()[3].endswith("0 copies, 0 bytes per step; 3 soft fallbacks; /gpu:0 H2D 0 bytes, D2H 4 bytes")


# -- (c) a CPU-only op asked onto a GPU ---------------------------------------------------------
@pytest.mark.parametrize("gpus", [pytest.param(0, marks=no_gpu_only), 2])
def test_c_py_func_on_gpu0_runs_on_cpu_only_with_soft_placement(gpus, placement_log):
    gn.config.set_virtual_gpus(gpus)
    with gn.device("/gpu:0"):
        p = gn.py_func(lambda x: x * 10, [gn.constant([1.0, 2.0], name="x")], gn.float32, name="p")
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError) as info:
            sess.run(p)
    kernel_missing = "because no supported kernel for GPU devices is available"
    device_missing = "was explicitly assigned to " + f"{LOCAL}/device:GPU:0 but available devices are [ {CPU} ]"
    assert (kernel_missing if gpus else device_missing) in str(info.value)
    assert "Op p (PyFunc) has kernels for device types [CPU]" in str(info.value)
    config = gn.ConfigProto(allow_soft_placement=True, log_device_placement=True)
    with gn.Session(config=config) as sess:
        assert sess.run(p).tolist() == [10.0, 20.0]
    reason = "soft: no GPU kernel" if gpus else "soft: no device /gpu:0"
    assert placement_log()[0] == f"p: (PyFunc): {CPU}  [{reason}; requested {GPU0}]"


# -- (d) the "Sharing Variables" guide ----------------------------------------------------------
def _value(sess, v):
    return sess.run(v).tolist()


def test_d_initializer_inheritance():
    with gn.variable_scope("foo", initializer=gn.constant_initializer(0.4)):
        v = gn.get_variable("v", [1])
        w = gn.get_variable("w", [1], initializer=gn.constant_initializer(0.3))
        with gn.variable_scope("bar"):
            v_bar = gn.get_variable("v", [1])
        with gn.variable_scope("baz", initializer=gn.constant_initializer(0.2)):
            v_baz = gn.get_variable("v", [1])
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        values = [sess.run(t)[0] for t in (v, w, v_bar, v_baz)]
    assert values == [np.float32(0.4), np.float32(0.3), np.float32(0.4), np.float32(0.2)]
    assert [t.name for t in (v, w, v_bar, v_baz)] == ["foo/v:0", "foo/w:0", "foo/bar/v:0", "foo/baz/v:0"]


def test_d_op_names_under_variable_and_name_scopes():
    with gn.variable_scope("foo"):
        x = 1.0 + gn.get_variable("v", [1])
    assert x.op.name == "foo/add"
    with gn.variable_scope("foo2"):
        with gn.name_scope("bar"):
            v = gn.get_variable("v", [1])
            x = 1.0 + v
    assert (v.name, x.op.name) == ("foo2/v:0", "foo2/bar/add")
    with gn.name_scope("hoo"):
        with gn.variable_scope("bar"):
            v4 = gn.get_variable("v", [1])
            x4 = 1.0 + v4
    assert (v4.name, x4.op.name) == ("bar/v:0", "hoo/bar/add")


def test_d_a_captured_scope_jumps_out_of_the_current_one():
    with gn.variable_scope("foo") as foo_scope:
        assert (foo_scope.name, foo_scope.original_name_scope) == ("foo", "foo/")
        v = gn.get_variable("v", [1])
    with gn.variable_scope("bar"):
        with gn.variable_scope("baz") as other_scope:
            assert other_scope.name == "bar/baz"
            with gn.variable_scope(foo_scope) as foo_scope2:
                assert foo_scope2.name == "foo"  # not changed
                assert foo_scope2.original_name_scope == "foo/"
                w = gn.get_variable("w", [1])
                y = gn.add(w, 1.0, name="addop")
            with gn.variable_scope("foo"):
                z = gn.get_variable("z", [1])
    assert (w.name, y.op.name, z.name) == ("foo/w:0", "bar/baz/foo/addop", "bar/baz/foo/z:0")
    with gn.variable_scope(foo_scope, reuse=True):  # reuse through the captured scope
        assert gn.get_variable("v", [1]) is v
        assert gn.get_variable("w", [1]) is w
    with gn.variable_scope(foo_scope):
        with pytest.raises(ValueError, match="Variable foo/v already exists, disallowed"):
            gn.get_variable("v", [1])


def conv_relu(input, kernel_shape, bias_shape):
    weights = gn.get_variable("weights", kernel_shape, initializer=gn.random_normal_initializer())
    biases = gn.get_variable("biases", bias_shape, initializer=gn.constant_initializer(0.0))
    conv = gn.nn.conv2d(input, weights, strides=[1, 1, 1, 1], padding="SAME")
    return gn.nn.relu(conv + biases)


def my_image_filter(input_images):
    with gn.variable_scope("conv1"):
        relu1 = conv_relu(input_images, [5, 5, 32, 32], [32])
    with gn.variable_scope("conv2"):
        return conv_relu(relu1, [5, 5, 32, 32], [32])


def test_d_conv_relu_filters_share_variables_after_reuse_variables():
    image1 = gn.placeholder(gn.float32, [1, 8, 8, 32], name="image1")
    image2 = gn.placeholder(gn.float32, [1, 8, 8, 32], name="image2")
    with gn.variable_scope("image_filters") as scope:
        result1 = my_image_filter(image1)
        scope.reuse_variables()
        result2 = my_image_filter(image2)
    assert [v.name for v in gn.global_variables()] == [
        "image_filters/conv1/weights:0", "image_filters/conv1/biases:0",
        "image_filters/conv2/weights:0", "image_filters/conv2/biases:0"]
    with gn.variable_scope("image_filters"):
        with pytest.raises(ValueError, match="Variable image_filters/conv1/weights already exists, disallowed"):
            my_image_filter(image1)
    images = np.random.default_rng(0).standard_normal((1, 8, 8, 32)).astype(np.float32)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        first, second = sess.run([result1, result2], {image1: images, image2: images})
    assert first.shape == (1, 8, 8, 32) and first.dtype == np.float32 and (first >= 0).all()
    np.testing.assert_array_equal(first, second)  # the same weights on the same input


# -- fed placeholders are logged, as TF1 lists every placed node ----------------------------------
@no_gpu_only  # expects unscoped ops on the CPU
def test_fed_placeholders_appear_in_the_placement_log(placement_log):
    x = gn.placeholder(gn.float32, [None, 2], name="x")
    d = gn.placeholder_with_default(gn.constant([1.0, 2.0], name="dflt"), [2], name="d")
    y = gn.add(x, d, name="y")
    with gn.Session(config=gn.ConfigProto(log_device_placement=True)) as sess:
        sess.run(y, {x: [[1.0, 2.0]], d: [3.0, 4.0]})
    lines = placement_log()
    assert lines[:3] == [f"y: (AddV2): {CPU}", f"x: (Placeholder): {CPU}", f"d: (PlaceholderWithDefault): {CPU}"]
    assert lines[3].startswith("Placement summary: 1 ops")


def test_a_fed_placeholder_is_logged_on_the_device_its_value_goes_to(vgpus, placement_log):
    x = gn.placeholder(gn.float32, [2], name="x")
    with gn.device("/gpu:1"):
        y = gn.multiply(x, 2.0, name="y")
    with gn.Session(config=gn.ConfigProto(log_device_placement=True)) as sess:
        sess.run(y, {x: [1.0, 2.0]})
    assert f"x: (Placeholder): {LOCAL}/device:GPU:1" in placement_log()


# -- tf.losses op names ---------------------------------------------------------------------------
@pytest.mark.parametrize("loss, scope, names", [
    (lambda l, p: gn.losses.softmax_cross_entropy(l, p), "softmax_cross_entropy_loss",
     ["labels_stop_gradient", "xentropy", "Const", "Mul", "Sum", "num_present", "value"]),
    (lambda l, p: gn.losses.mean_squared_error(l, p), "mean_squared_error",
     ["SquaredDifference", "Const", "Mul", "Sum", "num_present", "value"]),
    (lambda l, p: gn.losses.sigmoid_cross_entropy(l, p), "sigmoid_cross_entropy_loss", ["xentropy", "value"]),
    (lambda l, p: gn.losses.sparse_softmax_cross_entropy(gn.constant([0, 1]), p),
     "sparse_softmax_cross_entropy_loss", ["xentropy", "value"]),
])
def test_tf_losses_op_names_as_tf1(loss, scope, names):
    labels = gn.placeholder(gn.float32, [2, 3], name="labels")
    logits = gn.placeholder(gn.float32, [2, 3], name="logits")
    value = loss(labels, logits)
    assert value.name == f"{scope}/value:0"
    ops = {op.name for op in gn.get_default_graph().get_operations()}
    assert {f"{scope}/{n}" for n in names} <= ops
    assert not any("weighted_loss" in name for name in ops), "no extra scope, as TF1"
