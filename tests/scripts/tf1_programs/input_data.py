"""Stand-in for the tutorial's ``input_data.read_data_sets``: the digits (8x8) as DataSets."""
import collections

import numpy

import gpunet.compat.v1 as tf

Datasets = collections.namedtuple("Datasets", ["train", "validation", "test"])


class DataSet(object):
    def __init__(self, images, labels, seed=0, one_hot=False):
        self._images = images.reshape(len(images), -1).astype(numpy.float32) / 16.0
        self._labels = numpy.eye(10, dtype=numpy.float32)[labels] if one_hot else labels.astype(numpy.int32)
        self._num_examples = len(images)
        self._index_in_epoch = 0
        self._rng = numpy.random.RandomState(seed)

    @property
    def images(self):
        return self._images

    @property
    def labels(self):
        return self._labels

    @property
    def num_examples(self):
        return self._num_examples

    def next_batch(self, batch_size, fake_data=False):
        if fake_data:
            return numpy.ones((batch_size, 64), numpy.float32), numpy.zeros(batch_size, numpy.int32)
        if self._index_in_epoch + batch_size > self._num_examples:
            order = self._rng.permutation(self._num_examples)
            self._images, self._labels = self._images[order], self._labels[order]
            self._index_in_epoch = 0
        start = self._index_in_epoch
        self._index_in_epoch += batch_size
        return self._images[start:self._index_in_epoch], self._labels[start:self._index_in_epoch]


def read_data_sets(train_dir, fake_data=False, validation_size=200, one_hot=False):
    (x_train, y_train), (x_test, y_test) = tf.datasets.digits.load_data()
    return Datasets(train=DataSet(x_train[validation_size:], y_train[validation_size:], one_hot=one_hot),
                    validation=DataSet(x_train[:validation_size], y_train[:validation_size], one_hot=one_hot),
                    test=DataSet(x_test, y_test, one_hot=one_hot))
