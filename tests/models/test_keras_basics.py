"""Sequential/functional/subclassed models: summary, names, learning phase, training, sharing."""
import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L


def mlp(input_dim=784):
    return gn.models.Sequential([L.Dense(512, activation="relu", input_shape=(input_dim,)), L.Dropout(0.2),
                                 L.Dense(512, activation="relu"), L.Dropout(0.2), L.Dense(10, activation="softmax")])


def test_mnist_mlp_summary_matches_tf_keras_layout():
    lines = []
    mlp().summary(print_fn=lines.append)
    assert lines[0] == 'Model: "sequential"'
    assert lines[1] == "_" * 65
    assert lines[2] == " Layer (type)                Output Shape              Param #   "
    assert lines[4] == " dense (Dense)               (None, 512)               401920    "
    assert lines[6] == " dropout (Dropout)           (None, 512)               0         "
    assert lines[12] == " dense_2 (Dense)             (None, 10)                5130      "
    assert lines[-4:] == ["Total params: 669706 (2.55 MB)", "Trainable params: 669706 (2.55 MB)",
                          "Non-trainable params: 0 (0.00 Byte)", "_" * 65]


def test_count_params_and_output_shape():
    model = mlp()
    assert model.count_params() == 669706
    assert model.output_shape == (None, 10) and model.input_shape == (None, 784)
    assert model.layers[0].get_output_at(0).shape.as_list() == [None, 512]
    assert model.metrics_names == []


def test_auto_names_per_session_and_clear_session():
    first, second = mlp(), mlp()
    assert [item.name for item in first.layers[::2]] == ["dense", "dense_1", "dense_2"]
    assert [item.name for item in second.layers[::2]] == ["dense_3", "dense_4", "dense_5"]
    assert (first.name, second.name) == ("sequential", "sequential_1")
    K.clear_session()
    third = mlp()
    assert third.layers[0].name == "dense" and third.name == "sequential"
    assert third.layers[0].weights[0].name == "dense/kernel:0"


def test_weights_named_under_variable_scope():
    with gn.variable_scope("mlp_model"):
        x = gn.placeholder(gn.float32, (None, 784))
        layer = L.Dense(512, name="my_dense1")
        layer(x)
    assert [w.name for w in layer.weights] == ["mlp_model/my_dense1/kernel:0", "mlp_model/my_dense1/bias:0"]


def test_calling_a_layer_on_an_array_is_a_type_error():
    with pytest.raises(TypeError, match=r"Layer dense was called on ndarray .*not a gn.Tensor"):
        L.Dense(2)(np.ones((1, 3)))


def test_layer_reuse_shares_weights():
    a, b = gn.placeholder(gn.float32, (None, 3)), gn.placeholder(gn.float32, (None, 3))
    layer = L.Dense(2)
    layer(a), layer(b)
    assert len(layer.weights) == 2 and len(gn.trainable_variables()) == 2


def test_tf1_loop_with_learning_phase_fed():
    """Keras as a simplified interface to TF: layers on placeholders, a TF1 train op, phase fed 1/0."""
    rng = np.random.default_rng(0)
    x_data = rng.standard_normal((256, 8)).astype("float32")
    labels = (x_data[:, 0] + x_data[:, 1] > 0).astype("int64")
    x = gn.placeholder(gn.float32, (None, 8))
    y = gn.placeholder(gn.int64, (None,))
    h = L.Dropout(0.5)(L.Dense(32, activation="relu")(x))
    logits = L.Dense(2)(h)
    loss = gn.reduce_mean(gn.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    train = gn.train.AdamOptimizer(0.01).minimize(loss)
    sess = K.get_session()
    sess.run(gn.global_variables_initializer())
    phase = K.learning_phase()
    assert phase is K.learning_phase() and phase.dtype == gn.bool
    for _ in range(150):
        sess.run(train, {x: x_data, y: labels, phase: 1})
    first = sess.run(h, {x: x_data[:4], phase: 0})
    np.testing.assert_array_equal(first, sess.run(h, {x: x_data[:4], phase: 0}))  # inference: no dropout
    dropped = sess.run(h, {x: x_data, phase: 1})
    kept = sess.run(h, {x: x_data})
    assert np.mean(dropped == 0) > np.mean(kept == 0) + 0.2  # training drops about half
    accuracy = np.mean(sess.run(gn.argmax(logits, 1), {x: x_data, phase: 0}) == labels)
    assert accuracy > 0.9


def test_tf_layers_dense_honours_variable_scope_reuse():
    x = gn.placeholder(gn.float32, (None, 3))
    with gn.variable_scope("net"):
        a = L.dense(x, 4, activation=gn.nn.relu, name="fc")
    with gn.variable_scope("net", reuse=True):
        b = L.dense(x, 4, activation=gn.nn.relu, name="fc")
    assert [v.name for v in gn.trainable_variables()] == ["net/fc/kernel:0", "net/fc/bias:0"]
    sess = K.get_session()
    sess.run(gn.global_variables_initializer())
    data = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(*sess.run([a, b], {x: data}))
    with gn.variable_scope("net"), pytest.raises(ValueError, match="Variable net/fc/kernel already exists"):
        L.dense(x, 4, name="fc")
    dropped = L.dropout(x, rate=0.5, training=True)
    assert np.mean(sess.run(dropped, {x: np.ones((100, 3), "float32")}) == 0) > 0.3
    assert np.all(sess.run(L.dropout(x, rate=0.5, training=False), {x: data}) == 1)


def test_two_input_functional_model_trains():
    rng = np.random.default_rng(1)
    a_data, b_data = rng.standard_normal((200, 4)).astype("float32"), rng.standard_normal((200, 3)).astype("float32")
    target = a_data[:, :1] * 2 - b_data[:, 1:2]
    a, b = L.Input((4,), name="a"), L.Input((3,), name="b")
    merged = L.concatenate([L.Dense(8, activation="tanh")(a), L.Dense(8, activation="tanh")(b)])
    out = L.Dense(1, name="out")(merged)
    model = gn.models.Model([a, b], out)
    assert model.input_names == ["a", "b"] and model.output_names == ["out"]
    model.compile(gn.optimizers.Adam(0.02), "mse")
    before = model.evaluate([a_data, b_data], target, verbose=0)
    history = model.fit({"a": a_data, "b": b_data}, target, epochs=30, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 0.2 * before
    assert [item.name for item in model.layers][:2] == ["a", "b"]


def test_lambda_splits_a_vector():
    inp = L.Input((10,))
    first, second = L.Lambda(lambda t: gn.split(t, 2, axis=1), output_shape=lambda s: [(s[0], 5), (s[0], 5)])(inp)
    model = gn.models.Model(inp, [first, second])
    data = np.arange(20, dtype="float32").reshape(2, 10)
    left, right = model.predict(data)
    np.testing.assert_array_equal(left, data[:, :5])
    np.testing.assert_array_equal(right, data[:, 5:])


def test_shared_inner_model_keeps_one_set_of_weights():
    inner_in = L.Input((4,))
    inner = gn.models.Model(inner_in, L.Dense(3)(inner_in), name="inner")
    a, b = L.Input((4,)), L.Input((4,))
    outer = gn.models.Model([a, b], L.add([inner(a), inner(b)]))
    assert len(outer.weights) == 2 and outer.count_params() == 15
    data = np.ones((2, 4), "float32")
    np.testing.assert_allclose(outer.predict([data, data]), 2 * inner.predict(data), rtol=1e-6)
    outer.compile("sgd", "mse")
    outer.fit([data, data], np.zeros((2, 3), "float32"), epochs=2, verbose=0)
    np.testing.assert_allclose(outer.predict([data, data]), 2 * inner.predict(data), rtol=1e-6)


class LeNet(gn.models.Model):
    def __init__(self):
        super().__init__(name="lenet")
        self.conv1 = L.Conv2D(8, 3, padding="same", activation="relu")
        self.pool1 = L.MaxPooling2D()
        self.conv2 = L.Conv2D(16, 3, padding="same", activation="relu")
        self.flatten = L.Flatten()
        self.fc = L.Dense(32, activation="relu")
        self.out = L.Dense(10, activation="softmax")

    def call(self, x, training=None):
        return self.out(self.fc(self.flatten(self.conv2(self.pool1(self.conv1(x))))))


def test_subclassed_lenet_trains_on_digits():
    (x, y), (xt, yt) = gn.datasets.digits.load_data()
    x = (x.reshape(-1, 8, 8, 1) / 16).astype("float32")
    xt = (xt.reshape(-1, 8, 8, 1) / 16).astype("float32")
    model = LeNet()
    model.compile(gn.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    assert [w.name for w in model.weights][:2] == ["lenet/conv2d/kernel:0", "lenet/conv2d/bias:0"]
    loss, accuracy = model.evaluate(xt, yt, verbose=0)
    assert accuracy > 0.9


def test_lstm_learns_to_sum_a_sequence_sign():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((512, 6, 1)).astype("float32")
    y = (x.sum(axis=(1, 2)) > 0).astype("float32")[:, None]
    model = gn.models.Sequential([L.LSTM(8, input_shape=(6, 1)), L.Dense(1, activation="sigmoid")])
    model.compile(gn.optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=15, batch_size=64, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] > 0.9


def test_lstm_defaults_match_tf_keras():
    layer = L.LSTM(3)
    seq, h, c = L.LSTM(3, return_state=True, return_sequences=True)(L.Input((5, 2)))
    layer(L.Input((5, 2)))
    assert seq.shape.as_list() == [None, 5, 3] and h.shape.as_list() == c.shape.as_list() == [None, 3]
    bias = layer.get_weights()[2]
    np.testing.assert_array_equal(bias, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    assert [w.name for w in layer.weights] == ["lstm/kernel:0", "lstm/recurrent_kernel:0", "lstm/bias:0"]


def test_batchnorm_moving_stats_update_in_fit_and_serve_inference():
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((256, 3)) * 4 + 10).astype("float32")
    bn = L.BatchNormalization(momentum=0.5)
    model = gn.models.Sequential([bn, L.Dense(1)])
    model.compile("sgd", "mse")
    model.build((None, 3))
    assert [w.name for w in bn.weights] == ["batch_normalization/gamma:0", "batch_normalization/beta:0",
                                            "batch_normalization/moving_mean:0",
                                            "batch_normalization/moving_variance:0"]
    model.fit(x, np.zeros((256, 1), "float32"), epochs=3, batch_size=64, verbose=0)
    gamma, beta, mean, variance = bn.get_weights()
    np.testing.assert_allclose(mean, x.mean(0), rtol=0.1)
    np.testing.assert_allclose(variance, x.var(0), rtol=0.3)
    probe = gn.models.Model(model.inputs, bn.output)
    expected = gamma * (x[:4] - mean) / np.sqrt(variance + 1e-3) + beta
    np.testing.assert_allclose(probe.predict(x[:4]), expected, rtol=1e-4, atol=1e-4)
    before = bn.get_weights()
    model.predict(x)  # inference never moves the statistics
    for a, b in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_device_scope_places_layer_ops_and_variables(vgpus):
    x = gn.placeholder(gn.float32, (None, 3))
    with gn.device("/gpu:1"):
        dense = L.Dense(2)
        y = dense(x)
    with gn.device("/cpu:0"):
        pinned = L.Dense(2)
        pinned.build((None, 2))
        pinned.built = True
    with gn.device("/gpu:0"):
        z = pinned(y)
    gpu1 = gn.DeviceSpec.from_string("/gpu:1").canonical()
    assert all(w.device == gpu1 for w in dense.weights) and y.device == gpu1
    assert all(w.device.endswith("CPU:0") for w in pinned.weights) and z.device.endswith("GPU:0")
    sess = K.get_session()
    sess.run(gn.global_variables_initializer())
    assert sess.run(z, {x: np.ones((2, 3), "float32")}).shape == (2, 2)
    lines = []
    inp = L.Input((3,))
    with gn.device("/gpu:0"):
        h = L.Dense(4, name="on_gpu0")(inp)
    with gn.device("/gpu:1"):
        out = L.Dense(1, name="on_gpu1")(h)
    gn.models.Model(inp, out).summary(print_fn=lines.append)
    assert "Device" in lines[2] and any("on_gpu1" in item and item.rstrip().endswith("GPU:1") for item in lines)
