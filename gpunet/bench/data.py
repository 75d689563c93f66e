"""The benchmark's input batches: synthetic (learnable), the scikit-learn digits, or MNIST.

Synthetic images are a class prototype plus noise, and the label of an image is a fixed function
of the image alone (the prototype it correlates with most), so a model can learn it. A few global
batches are made up front and fed in turn: the timed steps measure the model, not the data."""
from __future__ import annotations

import numpy as np

__all__ = ["NUM_CLASSES", "Batches", "image_shape", "load"]

NUM_CLASSES = 10
POOL = 8  # distinct global batches fed in turn


class Batches:
    """Global batches of ``(images NHWC float32, labels int32)``, cycled."""

    def __init__(self, images, labels, batch_size):
        self.images, self.labels, self.batch_size = images, labels, batch_size
        self.position = 0

    def next(self):
        """The next global batch (wraps around the data)."""
        index = (np.arange(self.batch_size) + self.position) % len(self.labels)
        self.position = (self.position + self.batch_size) % len(self.labels)
        return self.images[index], self.labels[index]


def image_shape(data, model_size, model_channels, image_size=None):
    """``(height, width, channels)`` of the images ``data`` gives a model."""
    if data == "digits":
        return (8, 8, 1)
    if data == "mnist":
        return (28, 28, 1)
    size = image_size or model_size
    return (size, size, model_channels)


def load(data, batch_size, shape, seed):
    """``Batches`` of ``batch_size`` from ``data``; raises FileNotFoundError/ImportError with the fix."""
    if data == "digits":
        from gpunet.datasets import digits
        (x, y), _ = digits.load_data()
        return Batches((x / 16.0).astype(np.float32)[..., None], y.astype(np.int32), batch_size)
    if data == "mnist":
        from gpunet.datasets import mnist
        (x, y), _ = mnist.load_data()
        return Batches((x / 255.0).astype(np.float32).reshape(-1, 28, 28, 1), y.astype(np.int32), batch_size)
    return Batches(*synthetic(POOL * batch_size, shape, seed), batch_size)


def synthetic(count, shape, seed):
    """``count`` images of ``shape`` near one of ``NUM_CLASSES`` smooth prototypes, and their labels."""
    rng = np.random.default_rng(seed)
    prototypes = _prototypes(shape, rng)
    drawn = rng.integers(0, NUM_CLASSES, count)
    images = (prototypes[drawn] + 0.5 * rng.standard_normal((count, *shape))).astype(np.float32)
    return images, label_of(images, prototypes)


def label_of(images, prototypes):
    """The fixed labelling function: the prototype each image correlates with most."""
    scores = images.reshape(len(images), -1) @ prototypes.reshape(len(prototypes), -1).T
    return np.argmax(scores, axis=1).astype(np.int32)


def _prototypes(shape, rng):
    """Coarse random patterns (4x4 blocks scaled up) so convolutions and pooling keep them apart."""
    height, width, channels = shape
    coarse = rng.standard_normal((NUM_CLASSES, 4, 4, channels))
    rows = np.minimum(np.arange(height) * 4 // height, 3)
    cols = np.minimum(np.arange(width) * 4 // width, 3)
    return coarse[:, rows][:, :, cols].astype(np.float32)
