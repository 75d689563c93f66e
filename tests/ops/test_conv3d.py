"""3-D convolution and pooling: gn.nn.conv3d / max_pool3d / avg_pool3d against TF 2.21 (conv3d_reference.npz from
make_conv3d_reference.py: values and gradients of sum(y * probe) wrt input and filter) on each device, TF1's
argument errors with its messages, the run-time errors of fed shapes, and gradients against finite differences."""
import json
import os

import numpy as np
import pytest

import gpunet as gn
from tests.ops.cases_conv3d import avg_pool3d_ref, conv3d_ref, max_pool3d_ref
from tests.ops.opcases import numeric_gradient, rand

REF = np.load(os.path.join(os.path.dirname(__file__), "conv3d_reference.npz"), allow_pickle=False)
REF_CASES = {c[0]: c for c in json.loads(str(REF["cases"]))}


def _arrays(case_id):
    return {key.split("/", 1)[1]: REF[key] for key in REF.files if key.startswith(case_id + "/")}


@pytest.mark.parametrize("case_id", sorted(REF_CASES))
def test_values_and_gradients_match_tf(case_id, device):
    _, function, _, w_shape, kwargs = REF_CASES[case_id]
    a = _arrays(case_id)
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None] + list(a["x"].shape[1:]))
        inputs = [x] if w_shape is None else [x, gn.constant(a["w"])]
        y = getattr(gn.nn, function)(*inputs, **kwargs)
        grads = gn.gradients(gn.reduce_sum(y * a["probe"]), inputs)
    assert y.shape.as_list() == [None] + list(a["y"].shape[1:])
    assert y.device == gn.DeviceSpec.from_string(device).canonical()
    with gn.Session() as sess:
        got = sess.run([y] + grads, {x: a["x"]})
    for value, name in zip(got, ["y", "dx", "dw"]):
        assert value.dtype == np.float32
        np.testing.assert_allclose(value, a[name], rtol=1e-4, atol=1e-4, err_msg=name)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("function", ["conv3d", "max_pool3d", "avg_pool3d"])
def test_each_float_dtype_keeps_its_type(function, dtype, device):
    x = rand(2, 4, 5, 3, 2, low=-5, high=5).astype(dtype)
    with gn.device(device):
        if function == "conv3d":
            w = rand(2, 2, 3, 2, 3, seed=1).astype(dtype)
            y = gn.nn.conv3d(x, w, [1, 2, 1, 1, 1], "SAME")
            expected = conv3d_ref(x, w, (2, 1, 1), "SAME")
        else:
            pool, ref = (gn.nn.max_pool3d, max_pool3d_ref) if function == "max_pool3d" else (gn.nn.avg_pool3d,
                                                                                             avg_pool3d_ref)
            y, expected = pool(x, [2, 3, 2], 2, "SAME"), ref(x, (2, 3, 2), (2, 2, 2), "SAME")
    with gn.Session() as sess:
        got = sess.run(y)
    assert got.dtype == np.dtype(dtype) and y.dtype.name == dtype
    tol = 2e-2 if dtype == "float16" else 1e-5
    np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("function", ["conv3d", "max_pool3d", "avg_pool3d"])
def test_an_empty_batch_gives_an_empty_result(function, device):
    x = np.zeros((0, 4, 4, 4, 2), np.float32)
    with gn.device(device):
        if function == "conv3d":
            y = gn.nn.conv3d(x, rand(2, 2, 2, 2, 3), [1] * 5, "VALID")
        else:
            y = getattr(gn.nn, function)(x, 2, 2, "SAME")
    with gn.Session() as sess:
        got = sess.run(y)
    assert got.shape == ((0, 3, 3, 3, 3) if function == "conv3d" else (0, 2, 2, 2, 2))


def _conv_loss(strides, padding, dilations, data_format="NDHWC"):
    probe = None

    def loss(x, w):
        nonlocal probe
        y = gn.nn.conv3d(x, w, strides, padding, data_format=data_format, dilations=dilations)
        if probe is None:
            probe = np.random.default_rng(3).uniform(-1, 1, y.shape.as_list())
        return gn.reduce_sum(y * probe)
    return loss


@pytest.mark.parametrize("strides, padding, dilations, data_format", [
    ([1, 2, 1, 2, 1], "SAME", None, "NDHWC"),
    ([1, 1, 1, 1, 1], "VALID", [1, 2, 2, 1, 1], "NDHWC"),
    ([1, 1, 1, 2, 1], "SAME", [1, 1, 2, 1, 1], "NDHWC"),
    ([1, 1, 2, 1, 1], "SAME", None, "NCDHW"),
], ids=["same-strided", "valid-dilated", "same-strided-dilated", "ncdhw"])
def test_conv3d_gradients_match_finite_differences(strides, padding, dilations, data_format):
    x = rand(1, 4, 5, 4, 2).astype(np.float64)
    x = x.transpose(0, 4, 1, 2, 3).copy() if data_format == "NCDHW" else x
    w = rand(2, 2, 3, 2, 2, seed=1).astype(np.float64)
    loss = _conv_loss(strides, padding, dilations, data_format)
    xt, wt = gn.placeholder(gn.float64, x.shape), gn.placeholder(gn.float64, w.shape)
    total = loss(xt, wt)
    grads = gn.gradients(total, [xt, wt])
    with gn.Session() as sess:
        dx, dw = sess.run(grads, {xt: x, wt: w})
        want_dx = numeric_gradient(lambda v: sess.run(total, {xt: v, wt: w}), x)
        want_dw = numeric_gradient(lambda v: sess.run(total, {xt: x, wt: v}), w)
    np.testing.assert_allclose(dx, want_dx, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(dw, want_dw, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("pool", ["max_pool3d", "avg_pool3d"])
def test_pool_gradients_match_finite_differences(pool):
    x = rand(1, 5, 4, 5, 2, low=-5, high=5).astype(np.float64)  # wide range: no near-ties for the max
    xt = gn.placeholder(gn.float64, x.shape)
    y = getattr(gn.nn, pool)(xt, [3, 2, 2], [2, 1, 2], "SAME")
    total = gn.reduce_sum(y * np.random.default_rng(4).uniform(-1, 1, y.shape.as_list()))
    with gn.Session() as sess:
        dx = sess.run(gn.gradients(total, xt)[0], {xt: x})
        want = numeric_gradient(lambda v: sess.run(total, {xt: v}), x)
    np.testing.assert_allclose(dx, want, rtol=1e-6, atol=1e-6)


X, W = np.ones((1, 4, 4, 4, 2), np.float32), np.ones((2, 2, 2, 2, 3), np.float32)


@pytest.mark.parametrize("kwargs, error, message", [
    ({"strides": 1}, TypeError, "Expected list for 'strides' argument to 'conv3d' Op, not 1."),
    ({"strides": [1, 1, 1, 1]}, ValueError, "Attr 'strides' of 'Conv3D' Op passed list of length 4 less than "
                                            "minimum 5."),
    ({"strides": [1] * 6}, ValueError, "Conv3D requires the stride attribute to contain 5 values, but got: 6"),
    ({"strides": [1, 0, 1, 1, 1]}, ValueError, "Stride must be > 0, but got 0"),
    ({"strides": [2, 1, 1, 1, 1]}, ValueError, "Current implementation does not yet support strides in the batch "
                                               "and depth dimensions."),
    ({"strides": [1, 1, 1, 1, 2]}, ValueError, "Current implementation does not yet support strides in the batch "
                                               "and depth dimensions."),
    ({"dilations": [1, 1, 1, 1]}, ValueError, "Conv3D requires the dilation attribute to contain 5 values, but got: 4"),
    ({"dilations": [1, 0, 1, 1, 1]}, ValueError, "Dilation rate must be >= 1, but got 0"),
    ({"dilations": [2, 1, 1, 1, 1]}, ValueError, "Current implementation does not yet support dilations rates in the "
                                                 "batch and depth dimensions."),
    ({"padding": "FULL"}, ValueError, "Attr 'padding' of 'Conv3D' Op passed string 'FULL' not in: \"SAME\", "
                                      "\"VALID\"."),
    ({"data_format": "NHWC"}, ValueError, "Attr 'data_format' of 'Conv3D' Op passed string 'NHWC' not in: "
                                          "\"NDHWC\", \"NCDHW\"."),
    ({"input": X[0]}, ValueError, "Shape must be rank 5 but is rank 4"),
    ({"filter": W[0]}, ValueError, "Shape must be rank 5 but is rank 4"),
    ({"filter": np.ones((2, 2, 2, 3, 3), np.float32)}, ValueError,
     "Depth of input (2) is not a multiple of input depth of filter (3)"),
    ({"input": X[:, :1]}, ValueError, "Negative dimension size caused by subtracting 2 from 1"),
    ({"input": X[:, :, :2], "dilations": [1, 1, 2, 1, 1]}, ValueError,
     "Negative dimension size caused by subtracting 3 from 2"),
    ({"filter": W.astype(np.float64)}, TypeError, "Input 'filter' of 'Conv3D' Op has type float64 that does not "
                                                  "match type float32 of argument 'input'."),
    ({"input": X.astype(np.int32)}, TypeError, "Value passed to parameter 'input' has DataType int32 not in list of "
                                               "allowed values: float16, bfloat16, float32, float64"),
])
def test_conv3d_argument_errors_are_tf1s(kwargs, error, message):
    args = {"input": X, "filter": W, "strides": [1] * 5, "padding": "VALID", **kwargs}
    if isinstance(args["filter"], np.ndarray) and args["filter"].dtype == np.float64:
        args["filter"] = gn.constant(args["filter"])
    with pytest.raises(error) as caught:
        gn.nn.conv3d(**args)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize("pool", ["max_pool3d", "avg_pool3d"])
@pytest.mark.parametrize("kwargs, message", [
    ({"ksize": [1, 2, 2, 1]}, "ksize should be of length 1, 3 or 5. Received: ksize=[1, 2, 2, 1] of length 4"),
    ({"strides": [2, 2]}, "strides should be of length 1, 3 or 5. Received: strides=[2, 2] of length 2"),
    ({"strides": [1, 0, 2, 2, 1]}, "Stride must be > 0, but got 0"),
    ({"ksize": [1, 0, 2, 2, 1]}, "Sliding window ksize must be positive. The specified or inferred ksize is: "
                                 "1,0,2,2,1"),
    ({"ksize": [2, 2, 2, 2, 1]}, "Pooling is not yet supported on the batch dimension."),
    ({"strides": [2, 2, 2, 2, 1]}, "Pooling is not yet supported on the batch dimension."),
    ({"strides": [1, 2, 2, 2, 2]}, "Pooling is not yet supported on the depth dimension."),
    ({"padding": "FULL"}, "Attr 'padding' of '{op}' Op passed string 'FULL' not in: \"SAME\", \"VALID\"."),
    ({"data_format": "NCHW"}, "Attr 'data_format' of '{op}' Op passed string 'NCHW' not in: \"NDHWC\", \"NCDHW\"."),
    ({"input": X[0]}, "Shape must be rank 5 but is rank 4"),
    ({"input": X[:, :1]}, "Negative dimension size caused by subtracting 2 from 1"),
])
def test_pool3d_argument_errors_are_tf1s(pool, kwargs, message):
    args = {"input": X, "ksize": 2, "strides": 2, "padding": "VALID", **kwargs}
    op = "MaxPool3D" if pool == "max_pool3d" else "AvgPool3D"
    with pytest.raises(ValueError) as caught:
        getattr(gn.nn, pool)(**args)
    assert str(caught.value).startswith(message.format(op=op))


@pytest.mark.parametrize("pool, message", [
    ("max_pool3d", "Pooling is not yet supported on the depth dimension."),
    ("avg_pool3d", "AvgPooling3D supports exactly one of pooling across depth or pooling across depth/width/height."),
])
def test_a_window_across_channels_is_refused_as_tf1_does(pool, message):
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        getattr(gn.nn, pool)(X, [1, 2, 2, 2, 2], [1, 2, 2, 2, 1], "VALID")


def test_pools_take_only_floats():
    with pytest.raises(TypeError, match="Value passed to parameter 'input' has DataType int32 not in list of allowed "
                                        "values: float16, bfloat16, float32, float64"):
        gn.nn.max_pool3d(X.astype(np.int32), 2, 2, "VALID")


def test_fed_depth_mismatch_is_a_run_time_error(device):
    with gn.device(device):
        x, w = gn.placeholder(gn.float32), gn.placeholder(gn.float32)
        y = gn.nn.conv3d(x, w, [1] * 5, "VALID")
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError, match="input and filter must have the same depth: 2 vs 3"):
            sess.run(y, {x: X, w: np.ones((2, 2, 2, 3, 3), np.float32)})


@pytest.mark.parametrize("function", ["conv3d", "max_pool3d", "avg_pool3d"])
def test_fed_rank_is_checked_at_run_time(function, device):
    with gn.device(device):
        x = gn.placeholder(gn.float32)
        y = gn.nn.conv3d(x, W, [1] * 5, "VALID") if function == "conv3d" else getattr(gn.nn, function)(x, 2, 2,
                                                                                                         "VALID")
    what = "input" if function == "conv3d" else "tensor_in"
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError, match=rf"{what} must be 5-dimensional\[4,4,4,2\]"):
            sess.run(y, {x: X[0]})
