"""gn.nn.depthwise_conv2d and separable_conv2d against TF 2.21 (depthwise_reference.npz from
make_depthwise_reference.py): values and gradients on each device, static shapes, and TF1's argument errors.
Kernels against NumPy and gradients against finite differences: cases_depthwise.py (the registry walk)."""
import json
import os

import numpy as np
import pytest

import gpunet as gn

REF = np.load(os.path.join(os.path.dirname(__file__), "depthwise_reference.npz"), allow_pickle=False)
REF_CASES = {c[0]: c for c in json.loads(str(REF["cases"]))}


def _arrays(case_id):
    return {key.split("/", 1)[1]: REF[key] for key in REF.files if key.startswith(case_id + "/")}


@pytest.mark.parametrize("case_id", sorted(REF_CASES))
def test_values_and_gradients_match_tf(case_id, device):
    _, _, _, pointwise_shape, kwargs = REF_CASES[case_id]
    a = _arrays(case_id)
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None] + list(a["x"].shape[1:]))
        w = gn.constant(a["w"])
        if pointwise_shape is None:
            y, wrt = gn.nn.depthwise_conv2d(x, w, **kwargs), [x, w]
        else:
            p = gn.constant(a["p"])
            y, wrt = gn.nn.separable_conv2d(x, w, p, **kwargs), [x, w, p]
        grads = gn.gradients(gn.reduce_sum(y * a["probe"]), wrt)
    assert y.shape.as_list() == [None] + list(a["y"].shape[1:])
    assert y.device == gn.DeviceSpec.from_string(device).canonical()
    with gn.Session() as sess:
        got = sess.run([y] + grads, {x: a["x"]})
    names = ["y", "dx", "dw", "dp"][:len(got)]
    for value, name in zip(got, names):
        np.testing.assert_allclose(value, a[name], rtol=1e-5, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("dtype", ["float16", "float64"])
def test_keeps_the_float_dtype(dtype):
    x = gn.constant(np.ones((1, 3, 3, 2), dtype))
    y = gn.nn.depthwise_conv2d(x, np.ones((2, 2, 2, 3), dtype), [1, 1, 1, 1], "VALID")
    with gn.Session() as sess:
        value = sess.run(y)
    assert y.dtype == gn.as_dtype(dtype) and value.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(value, np.full((1, 2, 2, 6), 4, dtype))


def test_empty_batch_and_unknown_shapes():
    x = gn.placeholder(gn.float32)
    y = gn.nn.depthwise_conv2d(x, np.ones((2, 2, 3, 2), "float32"), [1, 1, 1, 1], "SAME")
    assert y.shape.as_list() == [None, None, None, 6]  # the filter fixes the depth
    with gn.Session() as sess:
        assert sess.run(y, {x: np.zeros((0, 4, 4, 3), "float32")}).shape == (0, 4, 4, 6)
        with pytest.raises(gn.errors.InvalidArgumentError, match=r"input must be 4-dimensional\[4,4,3\]"):
            sess.run(y, {x: np.zeros((4, 4, 3), "float32")})
        with pytest.raises(gn.errors.InvalidArgumentError, match="input and filter must have the same depth: 2 vs 3"):
            sess.run(y, {x: np.zeros((1, 4, 4, 2), "float32")})


def _x():
    return gn.placeholder(gn.float32, (None, 5, 5, 2))


W = np.zeros((3, 3, 2, 2), "float32")


@pytest.mark.parametrize("call, error, message", [
    (lambda: gn.nn.depthwise_conv2d(_x(), W, [2, 2], "VALID"), ValueError,
     "DepthwiseConv2D requires the stride attribute to contain 4 values, but got: 2"),
    (lambda: gn.nn.depthwise_conv2d(_x(), W, [2, 1, 1, 1], "VALID"), ValueError,
     "stride in the batch and depth dimensions must be 1"),
    (lambda: gn.nn.depthwise_conv2d(_x(), np.zeros((3, 3, 3, 2), "float32"), [1, 1, 1, 1], "VALID"), ValueError,
     "Dimensions must be equal, but are 2 and 3"),
    (lambda: gn.nn.depthwise_conv2d(_x(), np.zeros((3, 3, 2), "float32"), [1, 1, 1, 1], "VALID"), ValueError,
     "Shape must be rank 4 but is rank 3 for filter"),
    (lambda: gn.nn.depthwise_conv2d(np.zeros((5, 5, 2), "float32"), W, [1, 1, 1, 1], "VALID"), ValueError,
     "Shape must be rank 4 but is rank 3 for input"),
    (lambda: gn.nn.depthwise_conv2d(_x(), W, [1, 1, 1, 1], "FULL"), ValueError, "padding must be 'SAME', 'VALID'"),
    (lambda: gn.nn.depthwise_conv2d(np.zeros((1, 2, 2, 2), "float32"), W, [1, 1, 1, 1], "VALID"), ValueError,
     "Computed output size would be negative"),
    (lambda: gn.nn.depthwise_conv2d(np.zeros((1, 5, 5, 2), "int32"), W.astype("int32"), [1, 1, 1, 1], "VALID"),
     TypeError, "has DataType int32 not in list of allowed values"),
    (lambda: gn.nn.depthwise_conv2d(_x(), gn.constant(W, gn.float64), [1, 1, 1, 1], "VALID"), TypeError,
     "Input 'filter' of 'DepthwiseConv2dNative' Op has type float64 that does not match type float32"),
    (lambda: gn.nn.depthwise_conv2d(_x(), W, [1, 1, 1, 1], "VALID", rate=[2, 2], dilations=[2, 2]), ValueError,
     "Cannot specify both 'dilations' and 'rate'."),
    (lambda: gn.nn.depthwise_conv2d(_x(), W, [1, 2, 2, 1], "VALID", rate=[2, 2]), ValueError,
     "When dilation rate is greater than 1, then all values of strides must be 1"),
    (lambda: gn.nn.depthwise_conv2d(_x(), W, [1, 1, 1, 1], "VALID", data_format="NWHC"), ValueError,
     "data_format must be 'NHWC' or 'NCHW'"),
    (lambda: gn.nn.separable_conv2d(_x(), W, np.zeros((2, 1, 4, 3), "float32"), [1, 1, 1, 1], "SAME"), ValueError,
     "Dimensions 2 and 1 are not compatible"),
    (lambda: gn.nn.separable_conv2d(_x(), W, np.zeros((1, 4, 3), "float32"), [1, 1, 1, 1], "SAME"), ValueError,
     "Shape must be rank 4 but is rank 3 for the pointwise_filter"),
    (lambda: gn.nn.separable_conv2d(_x(), W, np.zeros((1, 1, 5, 3), "float32"), [1, 1, 1, 1], "SAME"), ValueError,
     r"Depth of input \(4\) must equal the filter's input depth \(5\)"),
])
def test_argument_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_native_takes_four_dilations_and_names_ops():
    y = gn.nn.depthwise_conv2d_native(_x(), W, [1, 1, 1, 1], "SAME", dilations=[1, 2, 2, 1], name="dw")
    assert y.op.type == "DepthwiseConv2dNative" and y.op.name == "dw" and y.shape.as_list() == [None, 5, 5, 4]
    with pytest.raises(ValueError, match="requires the dilations attribute to contain 4 values, but got: 2"):
        gn.nn.depthwise_conv2d_native(_x(), W, [1, 1, 1, 1], "SAME", dilations=[2, 2])
    sep = gn.nn.separable_conv2d(_x(), W, np.zeros((1, 1, 4, 3), "float32"), [1, 1, 1, 1], "SAME", name="sep")
    assert sep.op.name == "sep" and sep.op.inputs[0].op.name == "sep/depthwise"
