"""More of the Keras 2 surface: functional summary, multi-output training with loss_weights, custom
layers, regularizers, model configs, LSTM against NumPy, Embedding + LSTM, K helpers."""
import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L


def test_functional_summary_matches_tf_keras_layout():
    inp = L.Input((3,))
    joined = L.concatenate([L.Dense(2)(inp), L.Dense(2)(inp)])
    lines = []
    gn.models.Model(inp, joined).summary(print_fn=lines.append)
    # tf_keras 2.21 prints exactly these lines for the same model
    assert lines[:12] == [
        'Model: "model"', "_" * 98,
        " Layer (type)                Output Shape                 Param #   Connected to                  ",
        "=" * 98,
        " input_1 (InputLayer)        [(None, 3)]                  0         []                            ",
        " " * 98,
        " dense (Dense)               (None, 2)                    8         ['input_1[0][0]']             ",
        " " * 98,
        " dense_1 (Dense)             (None, 2)                    8         ['input_1[0][0]']             ",
        " " * 98,
        " concatenate (Concatenate)   (None, 4)                    0         ['dense[0][0]',               ",
        "                                                                     'dense_1[0][0]']             "]
    assert lines[-4] == "Total params: 16 (64.00 Byte)"


def test_multi_output_fit_with_loss_weights_and_dict_targets():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 4)).astype("float32")
    inp = L.Input((4,), name="x")
    h = L.Dense(16, activation="relu")(inp)
    reg = L.Dense(1, name="reg")(h)
    cls = L.Dense(2, activation="softmax", name="cls")(h)
    model = gn.models.Model(inp, [reg, cls])
    model.compile(gn.optimizers.Adam(0.01), loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  loss_weights={"reg": 0.5, "cls": 2.0}, metrics={"cls": ["accuracy"]})
    targets = {"reg": x[:, :1] * 3, "cls": (x[:, 1] > 0).astype("int32")}
    history = model.fit(x, targets, epochs=20, batch_size=32, verbose=0)
    assert list(history.history) == ["loss", "reg_loss", "cls_loss", "cls_accuracy"]
    assert model.metrics_names == ["loss", "reg_loss", "cls_loss", "cls_accuracy"]
    loss, reg_loss, cls_loss, accuracy = model.evaluate(x, targets, verbose=0)
    assert loss == pytest.approx(0.5 * reg_loss + 2.0 * cls_loss, rel=1e-5)
    assert accuracy > 0.9
    with pytest.raises(ValueError, match="Unknown entries in loss dictionary"):
        model.compile("adam", loss={"nope": "mse"})
        model.fit(x, targets, verbose=0)


class Scale(L.Layer):
    """A custom layer: one trainable scale per feature and an activity penalty via add_loss."""

    def build(self, input_shape):
        self.scale = self.add_weight(name="scale", shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        out = inputs * self.scale.value()
        self.add_loss(0.01 * gn.reduce_sum(gn.square(out)))
        return out


def test_custom_layer_add_weight_add_loss_and_regularizer():
    inp = L.Input((3,))
    scale = Scale(name="scale_layer")
    out = L.Dense(1, kernel_regularizer=gn.layers.regularizers.l2(0.1), kernel_initializer="ones")(scale(inp))
    model = gn.models.Model(inp, out)
    assert [w.name for w in scale.weights] == ["scale_layer/scale:0"]
    assert len(model.losses) == 2
    model.compile("sgd", "mse")
    x = np.ones((2, 3), "float32")
    # mse(3, 0) = 9; activity penalty 0.01 * 6 = 0.06; kernel penalty 0.1 * 3 = 0.3
    assert model.evaluate(x, np.zeros((2, 1), "float32"), verbose=0) == pytest.approx(9.36, rel=1e-5)


def test_functional_config_round_trip_rebuilds_the_same_model():
    a, b = L.Input((4,), name="a"), L.Input((2,), name="b")
    shared = L.Dense(3, name="shared")
    out = L.Concatenate(name="cat")([shared(a), L.Dense(3)(b), shared(a)])
    model = gn.models.Model([a, b], L.Dense(1, name="head")(out))
    clone = gn.models.Model.from_config(model.get_config())
    assert [item.name for item in clone.layers] == [item.name for item in model.layers]
    clone.set_weights(model.get_weights())
    data = [np.ones((2, 4), "float32"), np.ones((2, 2), "float32")]
    np.testing.assert_array_equal(clone.predict(data), model.predict(data))
    seq = gn.models.Sequential([L.Dense(2, input_shape=(3,)), L.Activation("relu")])
    again = gn.models.Sequential.from_config(seq.get_config())
    assert again.input_shape == (None, 3) and [type(item) for item in again.layers] == [L.Dense, L.Activation]


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def test_lstm_matches_a_numpy_reference_with_tf_keras_gate_order():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 3)).astype("float32")
    layer = L.LSTM(5, return_sequences=True, return_state=True)
    seq, h_out, c_out = layer(L.Input((4, 3)))
    model = gn.models.Model(layer.get_input_at(0), [seq, h_out, c_out])
    kernel, recurrent, bias = layer.get_weights()
    h, c, hs = np.zeros((2, 5)), np.zeros((2, 5)), []
    for t in range(4):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = sigmoid(z[:, :5]), sigmoid(z[:, 5:10]), np.tanh(z[:, 10:15]), sigmoid(z[:, 15:])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
    got_seq, got_h, got_c = model.predict(x)
    np.testing.assert_allclose(got_seq, np.stack(hs, 1), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_h, h, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got_c, c, rtol=1e-4, atol=1e-5)


def test_lstm_initial_state_and_dropout_follow_the_learning_phase():
    inp, h0, c0 = L.Input((3, 2)), L.Input((4,)), L.Input((4,))
    out = L.LSTM(4, dropout=0.5, recurrent_dropout=0.5)(inp, initial_state=[h0, c0])
    sess = K.get_session()
    sess.run(gn.global_variables_initializer())
    feed = {inp: np.ones((3, 3, 2), "float32"), h0: np.ones((3, 4), "float32"), c0: np.ones((3, 4), "float32")}
    first = sess.run(out, feed)
    np.testing.assert_array_equal(first, sess.run(out, feed))  # inference: no dropout
    assert not np.array_equal(first, sess.run(out, {**feed, K.learning_phase(): 1}))
    zero_state = sess.run(out, {**feed, h0: np.zeros((3, 4), "float32"), c0: np.zeros((3, 4), "float32")})
    assert not np.allclose(first, zero_state)


def test_embedding_lstm_classifier_trains():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 20, size=(256, 5)).astype("int32")
    y = (x[:, 0] < 10).astype("float32")[:, None]
    model = gn.models.Sequential([L.Embedding(20, 8, input_length=5), L.LSTM(8), L.Dense(1, activation="sigmoid")])
    assert model.input_shape == (None, 5) and model.layers[0].output_shape == (None, 5, 8)
    model.compile(gn.optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] > 0.9


def test_backend_helpers():
    sess = K.get_session()
    v = K.variable([[1.0, -2.0], [3.0, 4.0]], name="kv")
    assert K.get_value(v).tolist() == [[1.0, -2.0], [3.0, 4.0]] and K.int_shape(v.value()) == (2, 2)
    K.set_value(v, np.zeros((2, 2)))
    assert K.get_value(v).sum() == 0
    t = gn.constant([[1.0, -4.0], [9.0, 16.0]])
    assert sess.run(K.sum(t)) == 22 and sess.run(K.mean(t, axis=0)).tolist() == [5.0, 6.0]
    assert sess.run(K.sqrt(K.abs(t))).tolist() == [[1, 2], [3, 4]]
    assert sess.run(K.clip(t, 0.0, 10.0)).tolist() == [[1, 0], [9, 10]]
    assert sess.run(K.relu(t, max_value=5.0)).tolist() == [[1, 0], [5, 5]]
    assert sess.run(K.concatenate([t, t], axis=0)).shape == (4, 2)
    assert K.floatx() == "float32" and K.epsilon() == 1e-7 and K.image_data_format() == "channels_last"
    assert K.int_shape(K.placeholder(shape=(None, 3))) == (None, 3)
    s = K.get_session()
    K.set_session(s)
    assert K.get_session() is s
    with pytest.raises(ValueError, match="0 or 1"):
        K.set_learning_phase(2)


def test_set_learning_phase_fixes_dropout_for_new_layers():
    K.set_learning_phase(1)
    x = gn.placeholder(gn.float32, (None, 100))
    out = L.Dropout(0.5)(x)
    dropped = K.get_session().run(out, {x: np.ones((4, 100), "float32")})
    assert 0.3 < np.mean(dropped == 0) < 0.7


def test_input_layer_in_sequential_and_model_calls_on_tensors():
    model = gn.models.Sequential([L.InputLayer(input_shape=(3,)), L.Dense(2)])
    assert model.input_shape == (None, 3)
    x = gn.placeholder(gn.float32, (None, 3))
    y = model(x)
    assert y.shape.as_list() == [None, 2] and len(model.weights) == 2
    data = np.ones((1, 3), "float32")
    expected = model.predict(data)  # initializes the weights in the Keras session
    np.testing.assert_array_equal(K.get_session().run(y, {x: data}), expected)


def test_subclassed_model_tracks_layer_lists_and_needs_super_init():
    class Stack(gn.models.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [L.Dense(4, activation="relu"), L.Dense(2)]

        def call(self, x, training=None):
            for block in self.blocks:
                x = block(x)
            return x
    model = Stack()
    model.predict(np.ones((1, 3), "float32"))
    assert len(model.weights) == 4 and model.count_params() == 3 * 4 + 4 + 4 * 2 + 2

    class Forgot(gn.models.Model):
        def __init__(self):
            self.dense = L.Dense(1)
    with pytest.raises(RuntimeError, match=r"call super\(\).__init__\(\) before assigning layers"):
        Forgot()


class _Constrained(L.Layer):
    def build(self, input_shape):
        self.scale = self.add_weight(name="scale", shape=(input_shape[-1],), initializer="ones", constraint="non_neg")

    def call(self, inputs):
        return inputs * self.scale.value()


def test_a_weight_constraint_is_applied_after_each_update():
    # add_weight(constraint='non_neg'): the optimizer zeroes the entries its step made negative
    inputs = L.Input((3,))
    model = gn.models.Model(inputs, _Constrained(name="constrained")(inputs))
    model.compile(gn.optimizers.SGD(1.0), "mse")
    x = np.array([[1.0, 1.0, 1.0]], np.float32)
    model.train_on_batch(x, np.array([[-5.0, 0.5, 2.0]], np.float32))
    # unconstrained: scale = 1 - 2 / 3 * (scale - y) = [-3, 2/3, 5/3]; NonNeg zeroes the first
    np.testing.assert_allclose(model.get_weights()[0], [0.0, 2 / 3, 5 / 3], rtol=1e-6)
    assert isinstance(model.layers[-1].scale.constraint, gn.layers.constraints.NonNeg)
