"""The benchmark models, built with the graph API (``gn.get_variable``, ``gn.nn``) in NHWC.

Every model is a function ``logits(images, num_classes, width)`` that creates its variables with
``gn.get_variable`` in the current variable scope, so the replica engine can share them (variables
on the host) or mirror them (one copy per replica) by scope. ``width`` scales the channels of the
convolutional models (16 is the published ResNet-20 width; tests use 4)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import gpunet as gn

__all__ = ["MODELS", "ModelSpec"]


@dataclass(frozen=True)
class ModelSpec:
    """A model's builder, its synthetic input (``image_size`` square images of ``channels``) and its SGD
    learning rate (graph.default_learning_rate derives the momentum and Adam ones)."""

    name: str
    build: object
    image_size: int
    channels: int
    learning_rate: float


def _weight(name, shape, stddev):
    return gn.get_variable(name, shape=shape, initializer=gn.truncated_normal_initializer(stddev=stddev))


def _bias(name, size):
    return gn.get_variable(name, shape=[size], initializer=gn.zeros_initializer())


def _dense(name, x, units, relu=True):
    fan_in = x.shape.as_list()[-1]
    with gn.variable_scope(name):
        y = gn.matmul(x, _weight("weights", [fan_in, units], math.sqrt(2.0 / fan_in))) + _bias("biases", units)
    return gn.nn.relu(y) if relu else y


def _conv(name, x, filters, kernel=3, stride=1, relu=True, gain=1.0):
    fan_in = x.shape.as_list()[-1] * kernel * kernel
    with gn.variable_scope(name):
        w = _weight("weights", [kernel, kernel, x.shape.as_list()[-1], filters], gain * math.sqrt(2.0 / fan_in))
        y = gn.nn.conv2d(x, w, [1, stride, stride, 1], "SAME") + _bias("biases", filters)
    return gn.nn.relu(y) if relu else y


def _pool(x):
    """2x2 max pooling, skipped once the image is down to one pixel (small inputs such as 8x8 digits)."""
    if x.shape.as_list()[1] < 2:
        return x
    return gn.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "SAME")


def _flatten(x):
    size = int(math.prod(x.shape.as_list()[1:]))
    return gn.reshape(x, [-1, size])


def trivial(images, num_classes, width):
    """tf_cnn_benchmarks' 'trivial': one dense layer on the flattened image (measures the overhead)."""
    return _dense("logits", _flatten(images), num_classes, relu=False)


def mlp(images, num_classes, width):
    """Two hidden layers of 8x and 4x ``width`` units."""
    x = _dense("hidden1", _flatten(images), 8 * width)
    x = _dense("hidden2", x, 4 * width)
    return _dense("logits", x, num_classes, relu=False)


def lenet(images, num_classes, width):
    """LeNet-5 shaped: conv 5x5, pool, conv 5x5, pool, two dense layers."""
    x = _pool(_conv("conv1", images, 2 * width, kernel=5))
    x = _pool(_conv("conv2", x, 4 * width, kernel=5))
    x = _dense("fc1", _flatten(x), 16 * width)
    return _dense("logits", x, num_classes, relu=False)


def resnet20(images, num_classes, width):
    """ResNet-20 (CIFAR): a 3x3 conv, three stages of three residual blocks (``width``, 2x, 4x channels,
    stride 2 between stages), global average pooling and a dense layer. No batch normalisation: each
    block's last convolution starts small, so the residual branches start near identity."""
    x = _conv("conv0", images, width)
    for stage in range(3):
        for block in range(3):
            stride = 2 if stage > 0 and block == 0 else 1
            x = _residual_block(f"stage{stage}/block{block}", x, width * 2 ** stage, stride)
    return _dense("logits", gn.reduce_mean(x, axis=[1, 2]), num_classes, relu=False)


def _residual_block(name, x, filters, stride):
    with gn.variable_scope(name):
        y = _conv("conv1", x, filters, stride=stride)
        y = _conv("conv2", y, filters, relu=False, gain=0.1)
        shortcut = x if stride == 1 and x.shape.as_list()[-1] == filters else \
            _conv("shortcut", x, filters, kernel=1, stride=stride, relu=False)
    return gn.nn.relu(y + shortcut)


_VGG11 = (1, "pool", 2, "pool", 4, 4, "pool", 8, 8, "pool", 8, 8, "pool")  # channels in units of width


def vgg11_small(images, num_classes, width):
    """VGG-11 (configuration A) with ``width`` channels in place of 64 and one 8x-width dense layer."""
    x, index = images, 0
    for item in _VGG11:
        if item == "pool":
            x = _pool(x)
        else:
            index += 1
            x = _conv(f"conv{index}", x, item * width)
    x = _dense("fc1", _flatten(x), 8 * width)
    return _dense("logits", x, num_classes, relu=False)


MODELS = {spec.name: spec for spec in (
    ModelSpec("trivial", trivial, 16, 3, 0.1),
    ModelSpec("mlp", mlp, 28, 1, 0.1),
    ModelSpec("lenet", lenet, 28, 1, 0.05),
    ModelSpec("resnet20", resnet20, 32, 3, 0.02),
    ModelSpec("vgg11-small", vgg11_small, 32, 3, 0.1),
)}
