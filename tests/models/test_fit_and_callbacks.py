"""fit's output (TTY bar, one line per epoch otherwise, silent at verbose=0), History keys,
validation_split, callbacks, Keras optimizer defaults, losses and metrics."""
import io
import os

import numpy as np
import pytest

import gpunet as gn
from gpunet import backend as K
from gpunet import layers as L


def toy(n=64):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3)).astype("float32")
    y = gn.utils.to_categorical((x[:, 0] > 0).astype(int), 2)
    model = gn.models.Sequential([L.Dense(8, activation="relu", input_dim=3), L.Dense(2, activation="softmax")])
    model.compile(gn.optimizers.Adam(0.05), "categorical_crossentropy", metrics=["accuracy"])
    return model, x, y


def test_fit_prints_one_line_per_epoch_when_not_a_tty(capsys):
    model, x, y = toy()
    history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25)
    out = capsys.readouterr().out
    assert "\r" not in out and "\b" not in out
    lines = out.splitlines()
    assert [item for item in lines if item.startswith("Epoch")] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    stats = [item for item in lines if "loss:" in item]
    assert len(stats) == 3 and all(item.startswith("3/3 - ") and "val_accuracy:" in item for item in stats)
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    assert history.epoch == [0, 1, 2] and all(isinstance(v, float) for v in history.history["val_loss"])


def test_fit_is_silent_at_verbose_0(capsys):
    model, x, y = toy()
    model.fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""


def test_progress_bar_on_a_tty():
    class Tty(io.StringIO):
        def isatty(self):
            return True
    stream = Tty()
    bar = gn.callbacks.ProgbarLogger(1, stream)
    bar.set_params({"epochs": 1, "steps": 4})
    bar.on_epoch_begin(0)
    bar.on_epoch_end(0, {"loss": 0.5})
    text = stream.getvalue()
    assert text.startswith("Epoch 1/1\n\r4/4 [==============================] - ")
    assert text.endswith("loss: 0.5000\n")


def test_epoch_averages_match_evaluate_at_fixed_weights():
    model, x, y = toy()
    model.compile(gn.optimizers.SGD(0.0), "categorical_crossentropy", metrics=["accuracy"])
    logs = model.fit(x, y, epochs=1, batch_size=10, verbose=0).history
    loss, accuracy = model.evaluate(x, y, verbose=0)
    probs = model.predict(x)
    np.testing.assert_allclose(loss, -np.mean(np.sum(y * np.log(probs), 1)), rtol=1e-4)
    np.testing.assert_allclose(accuracy, np.mean(probs.argmax(1) == y.argmax(1)))
    np.testing.assert_allclose(logs["loss"][0], loss, rtol=1e-5)
    assert model.metrics_names == ["loss", "accuracy"]


def test_early_stopping_csv_logger_and_checkpoint(tmp_path):
    model, x, y = toy()
    model.compile(gn.optimizers.SGD(0.0), "categorical_crossentropy")  # nothing improves
    csv_path, ckpt = tmp_path / "log.csv", str(tmp_path / "ckpt-{epoch:02d}")
    stop = gn.callbacks.EarlyStopping(monitor="loss", patience=2)
    history = model.fit(x, y, epochs=10, verbose=0, shuffle=False, callbacks=[
        stop, gn.callbacks.CSVLogger(csv_path), gn.callbacks.ModelCheckpoint(ckpt, monitor="loss",
                                                                             save_weights_only=True)])
    assert len(history.epoch) == 3 and stop.stopped_epoch == 2
    rows = open(csv_path).read().splitlines()
    # tf_keras 2 keeps columns for the validation values a fit without validation does not have
    assert rows[0] == "epoch,loss,val_loss" and len(rows) == 4 and rows[1].startswith("0,") and \
        rows[1].endswith(",NA")
    assert sorted(os.listdir(tmp_path))[:3] == ["ckpt-01.safetensors", "ckpt-02.safetensors", "ckpt-03.safetensors"]


def test_keras_optimizer_defaults():
    assert gn.optimizers.RMSprop().get_config() == {"name": "RMSprop", "learning_rate": 0.001, "decay": 0.0,
                                                   "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False}
    assert gn.optimizers.Adam().hyper == {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
                                           "amsgrad": False}
    assert gn.optimizers.Adagrad().hyper["initial_accumulator_value"] == 0.1
    assert gn.optimizers.SGD().learning_rate == 0.01 and gn.optimizers.SGD(lr=0.5).lr == 0.5
    assert isinstance(gn.optimizers.get("rmsprop"), gn.optimizers.RMSprop)
    with pytest.raises(ValueError, match="Unknown optimizer"):
        gn.optimizers.get("nadamx")


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adagrad", "adam"])
def test_keras_optimizer_first_step_against_numpy(name):
    w0, g = np.array([0.5, -1.0], "float32"), np.array([0.2, -0.4], "float32")
    var = gn.Variable(w0)
    loss = gn.reduce_sum(var * g)
    optimizer = gn.optimizers.get(name)
    train = optimizer.minimize(loss, [var])
    sess = K.get_session()
    sess.run(gn.global_variables_initializer())
    sess.run(train)
    lr = optimizer.learning_rate
    expected = {"sgd": w0 - lr * g,
                "rmsprop": w0 - lr * g / np.sqrt(0.1 * g * g + 1e-7),  # the mean square starts at 0
                "adagrad": w0 - lr * g / np.sqrt(0.1 + g * g),
                "adam": w0 - lr * np.sqrt(1 - 0.999) / (1 - 0.9) * (0.1 * g) / (np.sqrt(0.001 * g * g) + 1e-7)}
    np.testing.assert_allclose(sess.run(var), expected[name], rtol=1e-5)
    assert sess.run(optimizer.iterations) == 1


def test_sgd_decay_and_momentum():
    var = gn.Variable(np.array([1.0], "float32"))
    optimizer = gn.optimizers.SGD(0.1, momentum=0.9, decay=1.0)
    train = optimizer.minimize(gn.reduce_sum(var * 2.0), [var])
    sess = K.get_session()
    sess.run(gn.global_variables_initializer())
    sess.run(train)
    sess.run(train)
    # step 1: lr 0.1, v = -0.2; step 2: lr 0.05, v = 0.9 * -0.2 - 0.1 = -0.28
    np.testing.assert_allclose(sess.run(var), [1.0 - 0.2 - 0.28], rtol=1e-5)


def test_keras_losses_and_metrics_against_numpy():
    y_true = np.array([[0, 1, 0], [1, 0, 0]], "float32")
    y_pred = np.array([[0.2, 0.7, 0.1], [0.5, 0.3, 0.2]], "float32")
    t, p = gn.constant(y_true), gn.constant(y_pred)
    sess = K.get_session()
    np.testing.assert_allclose(sess.run(gn.losses.categorical_crossentropy(t, p)),
                               -np.log([0.7, 0.5]), rtol=1e-5)
    np.testing.assert_allclose(sess.run(gn.losses.mse(t, p)), np.mean((y_true - y_pred) ** 2, 1), rtol=1e-5)
    np.testing.assert_allclose(sess.run(gn.losses.CategoricalCrossentropy()(t, p)), np.mean(-np.log([0.7, 0.5])),
                               rtol=1e-5)
    logits = gn.constant(np.log(y_pred))
    sparse = gn.losses.SparseCategoricalCrossentropy(from_logits=True)(gn.constant([1, 0]), logits)
    np.testing.assert_allclose(sess.run(sparse), np.mean(-np.log([0.7, 0.5])), rtol=1e-5)
    np.testing.assert_allclose(sess.run(gn.losses.binary_crossentropy(gn.constant([[1.0], [0.0]]),
                                                                      gn.constant([[0.9], [0.2]]))),
                               -np.log([0.9, 0.8]), rtol=1e-4)
    np.testing.assert_array_equal(sess.run(gn.metrics.categorical_accuracy(t, p)), [1, 1])
    # TF1's gn.losses still reduce and collect
    assert sess.run(gn.losses.mean_squared_error(t, p)).shape == ()


def test_custom_loss_and_add_loss_enter_the_objective():
    x = np.ones((4, 2), "float32")
    inp = L.Input((2,))
    dense = L.Dense(1, kernel_initializer="zeros", bias_initializer="zeros")
    model = gn.models.Model(inp, dense(inp))
    model.add_loss(gn.constant(5.0))
    model.compile("sgd", lambda y_true, y_pred: gn.reduce_mean(gn.abs(y_pred - y_true), axis=-1))
    assert model.evaluate(x, np.full((4, 1), 2.0, "float32"), verbose=0) == pytest.approx(7.0)


def test_to_categorical():
    np.testing.assert_array_equal(gn.utils.to_categorical([0, 2, 1]), np.eye(3)[[0, 2, 1]])
    assert gn.utils.to_categorical(np.array([[1], [0]]), 3).shape == (2, 3)
    with pytest.raises(ValueError, match="out of range"):
        gn.utils.to_categorical([3], 3)


def test_fit_rejects_wrong_shapes_and_uncompiled_models():
    model, x, y = toy()
    with pytest.raises(ValueError, match=r"expected dense_input to have shape \(3,\) but got array with shape \(4,\)"):
        model.predict(np.ones((2, 4), "float32"))
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit(x, y[:10], verbose=0)
    fresh = gn.models.Sequential([L.Dense(1, input_dim=3)])
    with pytest.raises(RuntimeError, match="must compile"):
        fresh.fit(x, y[:, :1], verbose=0)


def test_deferred_sequential_builds_on_first_fit_and_trainable_false():
    model = gn.models.Sequential()
    model.add(L.Dense(4, activation="relu"))
    model.add(L.Dense(1))
    model.compile("adam", "mse")
    model.fit(np.ones((8, 5), "float32"), np.ones((8, 1), "float32"), epochs=1, verbose=0)
    assert model.input_shape == (None, 5) and model.count_params() == 29
    model.layers[0].trainable = False
    frozen = model.layers[0].get_weights()
    model.compile("adam", "mse")  # recompile to take effect
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    model.fit(np.ones((8, 5), "float32"), np.zeros((8, 1), "float32"), epochs=2, verbose=0)
    for a, b in zip(frozen, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
