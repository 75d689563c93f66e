"""Dilated 2-D convolutions: gn.nn.conv2d(dilations=...), atrous_conv2d and convolution(dilation_rate=...)
against TF 2.21 (dilated_conv_reference.npz from make_dilated_conv_reference.py) on each device, against the
NumPy references of cases_conv.py for each float dtype and layout, gradients against finite differences,
and TF's argument errors."""
import json
import os

import numpy as np
import pytest

import gpunet as gn
from tests.ops.cases_conv import conv_filter_grad_ref, conv_input_grad_ref, conv_ref
from tests.ops.opcases import numeric_gradient

REF = np.load(os.path.join(os.path.dirname(__file__), "dilated_conv_reference.npz"), allow_pickle=False)
REF_CASES = {c[0]: c for c in json.loads(str(REF["cases"]))}


def _arrays(case_id):
    return {key.split("/", 1)[1]: REF[key] for key in REF.files if key.startswith(case_id + "/")}


@pytest.mark.parametrize("case_id", sorted(REF_CASES))
def test_values_and_gradients_match_tf(case_id, device):
    _, function, _, _, kwargs = REF_CASES[case_id]
    a = _arrays(case_id)
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None] + list(a["x"].shape[1:]))
        w = gn.constant(a["w"])
        y = getattr(gn.nn, function)(x, w, **kwargs)
        grads = gn.gradients(gn.reduce_sum(y * a["probe"]), [x, w])
    assert y.shape.as_list() == [None] + list(a["y"].shape[1:])
    assert y.device == gn.DeviceSpec.from_string(device).canonical()
    with gn.Session() as sess:
        got = sess.run([y] + grads, {x: a["x"]})
    for value, name in zip(got, ["y", "dx", "dw"]):
        np.testing.assert_allclose(value, a[name], rtol=1e-4, atol=1e-4, err_msg=name)


# (input shape, filter shape, strides, dilations, padding)
GEOMETRIES = [
    ((2, 7, 8, 2), (3, 3, 2, 3), (1, 1), (2, 2), "SAME"),
    ((1, 9, 6, 3), (2, 3, 3, 2), (1, 1), (3, 2), "VALID"),
    ((2, 9, 9, 1), (3, 2, 1, 2), (2, 3), (2, 2), "SAME"),
    ((1, 5, 5, 2), (3, 3, 2, 1), (1, 1), (2, 2), "VALID"),  # the dilated window exactly covers the input
]


@pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=str)
def test_each_dtype_and_layout_matches_numpy(geometry, dtype, data_format, device):
    x_shape, w_shape, strides, dilations, padding = geometry
    rng = np.random.default_rng(len(x_shape) + sum(w_shape))
    x, w = rng.uniform(-1, 1, x_shape).astype(dtype), rng.uniform(-1, 1, w_shape).astype(dtype)
    expected = conv_ref(x, w, strides, padding, dilations)
    probe = rng.uniform(-1, 1, expected.shape).astype(dtype)
    nchw = data_format == "NCHW"
    to_fmt = (lambda v: np.transpose(v, (0, 3, 1, 2))) if nchw else (lambda v: v)
    with gn.device(device):
        xt = gn.constant(to_fmt(x))
        y = gn.nn.conv2d(xt, w, [1, 1] + list(strides) if nchw else [1] + list(strides) + [1], padding,
                         data_format=data_format, dilations=[1, 1] + list(dilations) if nchw else list(dilations))
        dx, dw = gn.gradients(gn.reduce_sum(y * to_fmt(probe)), [xt, y.op.inputs[1]])
    with gn.Session() as sess:
        got_y, got_dx, got_dw = sess.run([y, dx, dw])
    assert got_y.dtype == np.dtype(dtype) and got_dx.dtype == np.dtype(dtype) and got_dw.dtype == np.dtype(dtype)
    tol = 2e-2 if dtype == "float16" else 1e-5
    np.testing.assert_allclose(got_y, to_fmt(expected), rtol=tol, atol=tol)
    np.testing.assert_allclose(got_dx, to_fmt(conv_input_grad_ref(x, w, probe, strides, padding, dilations)),
                               rtol=tol, atol=tol)
    np.testing.assert_allclose(got_dw, conv_filter_grad_ref(x, w, probe, strides, padding, dilations),
                               rtol=tol, atol=tol)


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
def test_gradients_match_finite_differences(padding):
    rng = np.random.default_rng(3)
    x0, w0 = rng.standard_normal((1, 6, 7, 2)), rng.standard_normal((2, 3, 2, 2))
    x, w = gn.placeholder(gn.float64, x0.shape), gn.placeholder(gn.float64, w0.shape)
    y = gn.nn.conv2d(x, w, 1, padding, dilations=[1, 3, 2, 1])
    probe = rng.standard_normal(y.shape.as_list())
    loss = gn.reduce_sum(gn.sin(y) * probe)  # not linear in y, so the second factor matters too
    dx, dw = gn.gradients(loss, [x, w])
    with gn.Session() as sess:
        got_dx, got_dw = sess.run([dx, dw], {x: x0, w: w0})
        np.testing.assert_allclose(got_dx, numeric_gradient(lambda v: sess.run(loss, {x: v, w: w0}), x0), atol=1e-6)
        np.testing.assert_allclose(got_dw, numeric_gradient(lambda v: sess.run(loss, {x: x0, w: v}), w0), atol=1e-6)


def test_second_derivative_through_a_dilated_conv_matches_finite_differences():
    rng = np.random.default_rng(4)
    x0, w0 = rng.standard_normal((1, 5, 5, 1)), rng.standard_normal((2, 2, 1, 1))
    x, w = gn.placeholder(gn.float64, x0.shape), gn.placeholder(gn.float64, w0.shape)
    y = gn.nn.conv2d(x, w, 1, "SAME", dilations=2)
    (dx,) = gn.gradients(gn.reduce_sum(y * y), [x])
    penalty = gn.reduce_sum(dx * dx)
    (dw,) = gn.gradients(penalty, [w])
    with gn.Session() as sess:
        got = sess.run(dw, {x: x0, w: w0})
        np.testing.assert_allclose(got, numeric_gradient(lambda v: sess.run(penalty, {x: x0, w: v}), w0), rtol=1e-6)


def test_dilated_output_sizes_follow_tf():
    x = gn.placeholder(gn.float32, (None, 10, 11, 2))
    w = np.zeros((3, 2, 2, 4), "float32")
    assert gn.nn.conv2d(x, w, 1, "VALID", dilations=[1, 4, 3, 1]).shape.as_list() == [None, 2, 8, 4]
    assert gn.nn.conv2d(x, w, [1, 2, 3, 1], "SAME", dilations=[1, 4, 3, 1]).shape.as_list() == [None, 5, 4, 4]
    assert gn.nn.atrous_conv2d(x, w, 3, "VALID").shape.as_list() == [None, 4, 8, 4]
    assert gn.nn.convolution(x, w, "SAME", dilation_rate=[5, 5]).shape.as_list() == [None, 10, 11, 4]


def test_a_dilated_window_wider_than_the_input_is_refused():
    with pytest.raises(ValueError, match="Computed output size would be negative"):
        gn.nn.conv2d(gn.placeholder(gn.float32, (1, 4, 8, 1)), np.zeros((3, 3, 1, 1), "float32"), 1, "VALID",
                     dilations=[1, 2, 1, 1])
    x = gn.placeholder(gn.float32, (1, None, 8, 1))
    y = gn.nn.conv2d(x, np.zeros((3, 3, 1, 1), "float32"), 1, "VALID", dilations=[1, 2, 1, 1])
    with gn.Session() as sess, pytest.raises(gn.errors.InvalidArgumentError,
                                              match="Computed output size would be negative"):
        sess.run(y, {x: np.zeros((1, 4, 8, 1), "float32")})


def _x():
    return gn.placeholder(gn.float32, (None, 8, 8, 2))


W = np.zeros((3, 3, 2, 2), "float32")


@pytest.mark.parametrize("call, error, message", [
    (lambda: gn.nn.conv2d(_x(), W, 1, "SAME", dilations=[2, 1, 1, 1]), ValueError,
     r"dilations in the batch and depth dimensions must be 1, got \[2, 1, 1, 1\]"),
    (lambda: gn.nn.conv2d(_x(), W, 1, "SAME", dilations=0), ValueError, "dilations must be a positive int"),
    (lambda: gn.nn.conv2d(_x(), W, 1, "SAME", dilations=[1, 2, 2]), ValueError, "dilations must be a positive int"),
    (lambda: gn.nn.atrous_conv2d(_x(), W, 0, "SAME"), ValueError,
     r"all values of `dilation_rate` must be positive. Received: dilation_rate=\[0\]"),
    (lambda: gn.nn.atrous_conv2d(_x(), W, 2, "FOO"), ValueError,
     "`padding` must be one of 'SAME' or 'VALID'. Received: padding=FOO"),
    (lambda: gn.nn.convolution(_x(), W, "SAME", strides=[2, 2], dilation_rate=[2, 2]), ValueError,
     r"`strides > 1` not supported in conjunction with `dilation_rate > 1`. Received: strides=\[2, 2\]"),
    (lambda: gn.nn.convolution(_x(), W, "SAME", dilation_rate=[2, 2, 2]), ValueError,
     "`dilation_rate` must have 2 values for 2-D convolution"),
    (lambda: gn.nn.convolution(_x(), W, "SAME", dilation_rate=0), ValueError,
     r"all values of `dilation_rate` must be positive. Received: dilation_rate=\[0\]"),
    (lambda: gn.nn.convolution(_x(), W, "SAME", data_format="NCW"), ValueError,
     "data_format must be 'NHWC' or 'NCHW' for 2-D convolution, got 'NCW'"),
    (lambda: gn.nn.convolution(_x(), W, "SAME", dilation_rate=[-1, 2]), ValueError,
     "all values of `dilation_rate` must be positive"),
    (lambda: gn.nn.convolution(_x(), np.zeros((2, 2, 2, 2, 2), "float32"), "SAME"), ValueError,
     "convolution supports 1-D and 2-D windows"),
    (lambda: gn.nn.convolution(_x(), np.zeros((3, 2, 2), "float32"), "SAME"), ValueError,
     r"convolution: input of rank 4 for a 1-D filter of shape \(3, 2, 2\): the input must have rank 3"),
])
def test_argument_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_conv2d_accepts_strides_with_dilations_as_tf_does():
    # tf.compat.v1.nn.conv2d takes both (the reference case conv2d-strided-dilated); only convolution and the
    # Keras layers refuse the combination
    y = gn.nn.conv2d(_x(), W, [1, 2, 2, 1], "SAME", dilations=[1, 2, 2, 1])
    assert y.shape.as_list() == [None, 4, 4, 2]


def test_convolution_1d_channels_first_matches_channels_last():
    rng = np.random.default_rng(8)
    x, w = rng.standard_normal((2, 11, 3)).astype("float32"), rng.standard_normal((3, 3, 2)).astype("float32")
    last = gn.nn.convolution(x, w, "SAME", dilation_rate=[2])
    first = gn.nn.convolution(np.transpose(x, (0, 2, 1)), w, "SAME", dilation_rate=2, data_format="NCW")
    with gn.Session() as sess:
        got_last, got_first = sess.run([last, first])
    assert got_last.shape == (2, 11, 2)
    np.testing.assert_allclose(np.transpose(got_first, (0, 2, 1)), got_last, rtol=1e-5, atol=1e-5)
