"""gn.print (TF1.15's tf.print format), gn.Print and gn.debugging.check_numerics."""
import logging
import sys

import numpy as np
import pytest

import gpunet as gn
from tests.conftest import device_name
from gpunet.ops._summarize import summarize_v1, summarize_v2


# -- the summarized formats -------------------------------------------------------------------------
@pytest.mark.parametrize("value, n, text", [
    (np.arange(10), 3, "[0 1 2 ... 7 8 9]"),
    (np.arange(6), 3, "[0 1 2 3 4 5]"),
    (np.arange(10), -1, "[0 1 2 3 4 5 6 7 8 9]"),
    (np.arange(100).reshape(10, 10), 2,
     "[[0 1 ... 8 9]\n [10 11 ... 18 19]\n ...\n [80 81 ... 88 89]\n [90 91 ... 98 99]]"),
    (np.arange(8).reshape(2, 2, 2), 3, "[[[0 1]\n  [2 3]]\n\n [[4 5]\n  [6 7]]]"),
    (np.float32(1 / 3), 3, "0.333333343"),
    (np.array([0.1, 1.5, -2.0, np.nan, np.inf], np.float32), 3, "[0.1 1.5 -2 nan inf]"),
    (np.float64(1 / 3), 3, "0.33333333333333331"),
    (np.array([True, False]), 3, "[1 0]"),
    (np.array([b"a", b"bc"]), 3, '["a" "bc"]'),
    (np.zeros((0, 3)), 3, "[]"),
])
def test_summarize_v2(value, n, text):
    assert summarize_v2(value, n) == text


@pytest.mark.parametrize("value, n, text", [
    (np.arange(10), 3, "0 1 2..."),
    (np.arange(3), 3, "0 1 2"),
    (np.array([[9, 21, 55, 30], [190, -42, 236, 4]]), 3, "[9 21 55...]..."),
    (np.array([[1, 2], [3, 4]]), 3, "[1 2][3...]..."),
    (np.array(5.5, np.float32), 3, "5.5"),
])
def test_summarize_v1(value, n, text):
    assert summarize_v1(value, n) == text


# -- gn.print -------------------------------------------------------------------------------------
def test_print_writes_tf_format_to_stderr_when_run(capsys):
    t = gn.range(10)
    op = gn.print("tensors:", t, {2: t * 2})
    assert op.type == "PrintV2" and op.outputs == []
    with gn.Session() as sess:
        assert sess.run(op) is None
    assert capsys.readouterr().err == "tensors: [0 1 2 ... 7 8 9] {2: [0 2 4 ... 14 16 18]}\n"


def test_print_as_a_control_dependency_with_sep_end_and_stdout(capsys):
    a = gn.constant([1, 2])
    with gn.control_dependencies([gn.print(a, [a, "x"], sep=",", end="!\n", output_stream=sys.stdout)]):
        b = gn.identity(a) * 3
    assert _run(b).tolist() == [3, 6]
    assert capsys.readouterr().out == "[1 2],[[1 2], 'x']!\n"


def test_print_to_a_file_and_a_logging_function(tmp_path, caplog):
    path = tmp_path / "log.txt"
    a = gn.constant([1.5])
    logger = logging.getLogger("gpunet.test_print")
    with caplog.at_level(logging.INFO, logger="gpunet.test_print"):
        _run([gn.print("a", a, output_stream=f"file://{path}"), gn.print("b", a, output_stream=logger.info)])
    assert path.read_text() == "a [1.5]\n"
    assert caplog.messages == ["b [1.5]"]
    with pytest.raises(ValueError, match="output_stream must be"):
        gn.print(a, output_stream=42)


def test_print_on_a_gpu_scope_runs_on_the_cpu(vgpus, capsys):
    with gn.device("/gpu:0"):
        x = gn.constant([1.0, 2.0]) * 2.0
        op = gn.print(x, summarize=1)
    with gn.Session() as sess:
        sess.run(op)
        report = str(sess.placement_report(op))
    assert op.device.endswith("CPU:0")
    assert capsys.readouterr().err == "[2 4]\n"
    assert "copy" in report.lower()


# -- gn.Print -------------------------------------------------------------------------------------
def test_old_print_passes_its_input_through_and_prints_first_n_times(capsys):
    x = gn.placeholder(gn.float32, [3])
    y = gn.Print(x, [x, gn.constant([[1, 2], [3, 4]])], "values: ", first_n=2, summarize=2)
    doubled = y * 2.0
    with gn.Session() as sess:
        for _ in range(3):
            np.testing.assert_array_equal(sess.run(doubled, {x: [1.0, 2.0, 3.0]}), [2.0, 4.0, 6.0])
    assert capsys.readouterr().err == "values: [1 2...][[1 2]...]\n" * 2
    grad, = gn.gradients(gn.reduce_sum(y * 2.0), [x])
    np.testing.assert_array_equal(_run(grad, {x: [1.0, 2.0, 3.0]}), [2.0, 2.0, 2.0])


# -- check_numerics -------------------------------------------------------------------------------
@pytest.mark.parametrize("values, kinds", [
    ([1.0, np.nan], "NaN"), ([np.inf, 1.0], "Inf"), ([np.nan, -np.inf], "Inf and NaN"),
])
def test_check_numerics_raises_naming_the_op_and_device(device, values, kinds):
    with gn.device(device):
        x = gn.placeholder(gn.float32, [2])
        y = gn.debugging.check_numerics(x * 1.0, "bad activations", name="checked")
    with pytest.raises(gn.errors.InvalidArgumentError) as info:
        _run(y, {x: values})
    message = str(info.value)
    assert message.startswith(f"bad activations : Tensor had {kinds} values")
    assert "checked" in message and device_name(device) in message  # the requested device, by its canonical name


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_check_numerics_passes_finite_values_and_checks_the_gradient():
    x = gn.placeholder(gn.float32, [2])
    y = gn.debugging.assert_all_finite(x, "forward")
    assert _run(y, {x: [1.0, 2.0]}).tolist() == [1.0, 2.0]
    grad, = gn.gradients(gn.reduce_sum(y / x), [x])  # d/dx (x / x) through y: 1 / x, infinite at 0
    with pytest.raises(gn.errors.InvalidArgumentError, match="detected in gradient. forward : Tensor had Inf"):
        _run(grad, {x: [0.0, 1.0]})
    with pytest.raises(TypeError, match="floating-point"):
        gn.debugging.check_numerics(gn.constant([1]), "ints")


def test_add_check_numerics_ops_checks_every_float_tensor():
    x = gn.placeholder(gn.float32, [2])
    y = gn.sqrt(x)
    check = gn.debugging.add_check_numerics_ops()
    with gn.Session() as sess:
        sess.run([y, check], {x: [1.0, 4.0]})
        with pytest.raises(gn.errors.InvalidArgumentError, match="Tensor had NaN values"):
            sess.run([y, check], {x: [np.nan, 4.0]})


def _run(fetches, feed=None):
    with gn.Session() as sess:
        return sess.run(fetches, feed)

