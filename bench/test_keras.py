"""Keras-style API overhead, side by side per group: one epoch of ``fit`` for the Keras MNIST MLP vs
a hand-written TF1 loop over the same batches (same graph ops, same optimizer update), and
``predict`` on one sample vs ``Session.run`` of the same graph. The Keras side is impl "gpunet",
the hand-written side impl "baseline" (``python -m gpunet.bench`` prints their ratio). Both sides run
every op on ``GPUNET_BENCH_DEVICE`` (default ``/cpu:0``): ``fit`` builds its loss and update ops on first
use, so that first call runs under the same device scope as the model."""
import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L

from .models import BENCH_DEVICE

SAMPLES, BATCH = 1024, 128


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.random((SAMPLES, 784), dtype=np.float32)
    return x, gn.utils.to_categorical(rng.integers(0, 10, SAMPLES), 10)


def keras_mlp():
    with gn.device(BENCH_DEVICE):
        model = gn.models.Sequential([L.Dense(512, activation="relu", input_shape=(784,)), L.Dropout(0.2),
                                      L.Dense(512, activation="relu"), L.Dropout(0.2),
                                      L.Dense(10, activation="softmax")])
    model.compile(gn.optimizers.RMSprop(), "categorical_crossentropy")
    return model


def raw_mlp():
    """The same network by hand: placeholders, matmuls, dropout, softmax cross-entropy, RMSprop."""
    with gn.device(BENCH_DEVICE):
        x, y = gn.placeholder(gn.float32, (None, 784)), gn.placeholder(gn.float32, (None, 10))
        h = x
        for n_in, n_out, last in ((784, 512, False), (512, 512, False), (512, 10, True)):
            w = gn.Variable(gn.glorot_uniform_initializer()((n_in, n_out)))
            b = gn.Variable(gn.zeros([n_out]))
            h = gn.nn.bias_add(gn.matmul(h, w), b)
            if not last:
                h = gn.nn.dropout(gn.nn.relu(h), rate=0.2)
        loss = gn.reduce_mean(gn.nn.softmax_cross_entropy_with_logits(labels=y, logits=h))
        train = gn.optimizers.RMSprop().minimize(loss, gn.trainable_variables())
    return x, y, loss, train


@pytest.mark.benchmark(group="keras-mlp-fit-epoch")
def test_fit_epoch_keras(benchmark, data):
    benchmark.extra_info["impl"] = "gpunet"
    model = keras_mlp()
    with gn.device(BENCH_DEVICE):  # builds the loss and update ops, and compiles the plan
        model.fit(*data, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    history = benchmark(model.fit, *data, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.benchmark(group="keras-mlp-fit-epoch")
def test_fit_epoch_raw_loop(benchmark, data):
    benchmark.extra_info["impl"] = "baseline"
    x, y, loss, train = raw_mlp()
    sess = K.get_session()
    sess.run(gn.global_variables_initializer())
    xs, ys = data

    def epoch():
        total = 0.0
        for start in range(0, SAMPLES, BATCH):
            _, value = sess.run([train, loss], {x: xs[start:start + BATCH], y: ys[start:start + BATCH]})
            total += value * len(xs[start:start + BATCH])
        return total / SAMPLES
    epoch()
    assert np.isfinite(benchmark(epoch))


@pytest.mark.benchmark(group="keras-mlp-predict-1")
def test_predict_one_sample_keras(benchmark, data):
    benchmark.extra_info["impl"] = "gpunet"
    model = keras_mlp()
    sample = data[0][:1]
    model.predict(sample)
    assert benchmark(model.predict, sample).shape == (1, 10)


@pytest.mark.benchmark(group="keras-mlp-predict-1")
def test_predict_one_sample_raw_run(benchmark, data):
    benchmark.extra_info["impl"] = "baseline"
    model = keras_mlp()
    model.predict(data[0][:1])  # initializes the variables in the Keras session
    sess, fetch, feed = K.get_session(), model.outputs[0], {model.inputs[0]: data[0][:1]}
    sess.run(fetch, feed)
    assert benchmark(sess.run, fetch, feed).shape == (1, 10)
