"""Cases for depthwise_conv2d and its backward ops. The references reuse the full-convolution references of
cases_conv.py: a depthwise filter [kh, kw, c, m] is the full filter [kh, kw, c, c * m] that is zero except
input channel k to output channels k * m .. k * m + m - 1."""
import numpy as np

import gpunet as gn
from tests.ops.cases_conv import conv_filter_grad_ref, conv_input_grad_ref, conv_ref
from tests.ops.opcases import OpCase, rand


def full_filter(w):
    """The [kh, kw, c, c * m] convolution filter equal to depthwise filter ``w``."""
    kh, kw, c, m = w.shape
    full = np.zeros((kh, kw, c, c * m), w.dtype)
    for k in range(c):
        full[:, :, k, k * m:(k + 1) * m] = w[:, :, k, :]
    return full


def depthwise_ref(x, w, strides=(1, 1), padding="VALID", dilations=(1, 1)):
    return conv_ref(x, full_filter(w), strides, padding, dilations)


def depthwise_input_grad_ref(x, w, g, strides=(1, 1), padding="VALID", dilations=(1, 1)):
    return conv_input_grad_ref(x, full_filter(w), g, strides, padding, dilations)


def depthwise_filter_grad_ref(x, w, g, strides=(1, 1), padding="VALID", dilations=(1, 1)):
    full = conv_filter_grad_ref(x, full_filter(w), g, strides, padding, dilations)
    kh, kw, c, m = w.shape
    return np.stack([full[:, :, k, k * m:(k + 1) * m] for k in range(c)], axis=2)


def _nchw(fn):
    return lambda x, *rest: fn(x.transpose(0, 2, 3, 1), *rest).transpose(0, 3, 1, 2)


def _input_grad(**args):
    return lambda x, w, g: gn.gradients(gn.nn.depthwise_conv2d(x, w, **args), x, grad_ys=g)[0]


def _filter_grad(**args):
    return lambda x, w, g: gn.gradients(gn.nn.depthwise_conv2d(x, w, **args), w, grad_ys=g)[0]


X = rand(2, 6, 5, 3)
W = rand(3, 2, 3, 2, seed=1)  # multiplier 2: 6 output channels
STRIDE2_SAME = dict(strides=[1, 2, 2, 1], padding="SAME")  # 6 x 5 -> 3 x 3
DILATED = dict(strides=[1, 1, 1, 1], padding="VALID", rate=[2, 2])  # 6 x 5 -> 2 x 3

CASES = [
    OpCase("DepthwiseConv2dNative", lambda x, w: gn.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "VALID"), [X, W],
           depthwise_ref),
    OpCase("DepthwiseConv2dNative", lambda x, w: gn.nn.depthwise_conv2d(x, w, **STRIDE2_SAME), [X, W],
           lambda x, w: depthwise_ref(x, w, (2, 2), "SAME"), id="DepthwiseConv2dNative-SAME-stride2"),
    OpCase("DepthwiseConv2dNative", lambda x, w: gn.nn.depthwise_conv2d(x, w, **DILATED), [X, W],
           lambda x, w: depthwise_ref(x, w, dilations=(2, 2)), id="DepthwiseConv2dNative-dilated"),
    OpCase("DepthwiseConv2dNative", lambda x, w: gn.nn.depthwise_conv2d_native(
        x, w, [1, 1, 1, 1], [[0, 0], [1, 0], [2, 1], [0, 0]]), [X, W],
           lambda x, w: depthwise_ref(np.pad(x, ((0, 0), (1, 0), (2, 1), (0, 0))), w),
           id="DepthwiseConv2dNative-explicit-padding"),
    OpCase("DepthwiseConv2dNative", lambda x, w: gn.nn.depthwise_conv2d(x, w, [1, 1, 2, 1], "SAME",
                                                                        data_format="NCHW"),
           [X.transpose(0, 3, 1, 2).copy(), W], _nchw(lambda x, w: depthwise_ref(x, w, (2, 1), "SAME")),
           id="DepthwiseConv2dNative-NCHW"),
    OpCase("DepthwiseConv2dNative", lambda x, w, p: gn.nn.separable_conv2d(x, w, p, [1, 1, 1, 1], "SAME"),
           [X, W, rand(1, 1, 6, 4, seed=3)],
           lambda x, w, p: conv_ref(depthwise_ref(x, w, padding="SAME"), p), id="separable_conv2d"),
    OpCase("DepthwiseConv2dNativeBackpropInput", _input_grad(**STRIDE2_SAME), [X, W, rand(2, 3, 3, 6, seed=2)],
           lambda x, w, g: depthwise_input_grad_ref(x, w, g, (2, 2), "SAME"), grad_inputs=[1, 2]),
    OpCase("DepthwiseConv2dNativeBackpropInput", _input_grad(**DILATED), [X, W, rand(2, 2, 3, 6, seed=2)],
           lambda x, w, g: depthwise_input_grad_ref(x, w, g, dilations=(2, 2)), grad_inputs=[1, 2],
           id="DepthwiseConv2dNativeBackpropInput-dilated"),
    OpCase("DepthwiseConv2dNativeBackpropFilter", _filter_grad(**STRIDE2_SAME), [X, W, rand(2, 3, 3, 6, seed=2)],
           lambda x, w, g: depthwise_filter_grad_ref(x, w, g, (2, 2), "SAME"), grad_inputs=[0, 2]),
    OpCase("DepthwiseConv2dNativeBackpropFilter", _filter_grad(strides=[1, 1, 1, 1], padding="SAME",
                                                               data_format="NCHW"),
           [X.transpose(0, 3, 1, 2).copy(), W, rand(2, 6, 6, 5, seed=2)],
           lambda x, w, g: depthwise_filter_grad_ref(x.transpose(0, 2, 3, 1), w, g.transpose(0, 2, 3, 1),
                                                     padding="SAME"),
           grad_inputs=[0, 2], id="DepthwiseConv2dNativeBackpropFilter-NCHW"),
]

EXEMPT = {}
