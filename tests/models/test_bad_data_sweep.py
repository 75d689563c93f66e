"""Bad arguments and data given to compile/fit/evaluate/predict get Keras 2's errors, raised before any training
(an unknown loss at compile, not at the first fit; batch_size 0 is no silent default), and a 1-D target of a
(None, 1) output is one column as in Keras 2, not a (n, n) broadcast inside the loss."""
import numpy as np
import pytest

import gpunet as gn

L = gn.layers


def _model(units=2, loss="mse", **compile_args):
    model = gn.models.Sequential([L.Dense(units, input_shape=(3,), kernel_initializer="ones")])
    model.compile("sgd", loss, **compile_args)
    return model


def _x(n=4):
    return np.arange(n * 3, dtype=np.float32).reshape(n, 3) / 10


COMPILE_CASES = {  # compile arguments, error class, message
    "unknown-loss": (dict(loss="nope"), ValueError, "Unknown loss function: 'nope'"),
    "loss-not-a-loss": (dict(loss=3), TypeError, "Could not interpret loss function identifier: 3"),
    "unknown-metric": (dict(loss="mse", metrics=["nope"]), ValueError, "Unknown metric function: 'nope'"),
    "metrics-a-string": (dict(loss="mse", metrics="accuracy"), TypeError,
                         "Type of `metrics` argument not understood. Expected a list or dictionary, found: accuracy"),
    "loss-dict-unknown-output": (dict(loss={"nope": "mse"}), ValueError, "Unknown entries in loss dictionary: "
                                                                          "['nope']"),
}


@pytest.mark.parametrize("name", sorted(COMPILE_CASES))
def test_compile_refuses_what_fit_could_not_use(name):
    kwargs, error, message = COMPILE_CASES[name]
    model = gn.models.Sequential([L.Dense(2, input_shape=(3,))])
    with pytest.raises(error) as info:
        model.compile("sgd", **kwargs)
    assert str(info.value).startswith(message)


def test_an_unbuilt_model_checks_its_losses_at_the_first_fit():
    model = gn.models.Sequential([L.Dense(2)])
    model.compile("sgd", "nope")
    with pytest.raises(ValueError, match=r"^Unknown loss function: 'nope'"):
        model.fit(_x(), np.ones((4, 2), np.float32), verbose=0)


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
@pytest.mark.parametrize("batch_size, error, message", [
    (0, ValueError, "batch_size must be a positive integer, got 0"),
    (-1, ValueError, "batch_size must be a positive integer, got -1"),
    (2.5, TypeError, "batch_size must be a positive integer, got 2.5 of type float"),
    ("2", TypeError, "batch_size must be a positive integer, got '2' of type str"),
    (True, TypeError, "batch_size must be a positive integer, got True of type bool"),
])
def test_a_batch_size_that_is_no_positive_int_is_refused(method, batch_size, error, message):
    model = _model()
    args = (_x(),) if method == "predict" else (_x(), np.ones((4, 2), np.float32))
    with pytest.raises(error) as info:
        getattr(model, method)(*args, batch_size=batch_size, **({} if method == "predict" else {"verbose": 0}))
    assert str(info.value) == message


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_a_numpy_int_batch_size_is_a_batch_size(method):
    model = _model()
    args = (_x(),) if method == "predict" else (_x(), np.ones((4, 2), np.float32))
    getattr(model, method)(*args, batch_size=np.int64(3), **({} if method == "predict" else {"verbose": 0}))


def test_fit_refuses_empty_training_data():
    model = _model()
    with pytest.raises(ValueError, match=r"^Empty training data\.$"):
        model.fit(_x(0), np.ones((0, 2), np.float32), verbose=0)


def test_a_1d_target_of_a_one_unit_output_is_one_column(device):
    x, y = _x(), np.array([0.0, 1.0, 2.0, 3.0], np.float32)
    with gn.device(device):
        model = _model(units=1)
    predicted = x.sum(axis=1)  # the kernel is ones, the bias zero
    for loss, want in (("mse", np.mean((predicted - y) ** 2)), ("mae", np.mean(np.abs(predicted - y)))):
        model.compile("sgd", loss)
        np.testing.assert_allclose(model.evaluate(x, y, verbose=0), want, rtol=1e-6)
        np.testing.assert_allclose(model.evaluate(x, y[:, None], verbose=0), want, rtol=1e-6)


def test_sparse_labels_of_either_shape_still_train():
    x, labels = _x(), np.array([0, 1, 1, 0])
    for y in (labels, labels[:, None]):
        model = _model(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, epochs=2, batch_size=2, verbose=0).history
        assert len(history["loss"]) == 2 and np.isfinite(history["loss"]).all()


TARGET_CASES = {  # loss, target, message: targets of a shape the loss cannot compare with the (None, 2) output
    "mse-3-columns": ("mse", np.ones((4, 3), np.float32),
                      "A target array with shape (4, 3) was passed for an output of shape (None, 2) while using as "
                      "loss `mean_squared_error`. This loss expects targets to have the same shape as the output."),
    "mse-1d": ("mean_squared_error", np.ones(4, np.float32),
               "A target array with shape (4, 1) was passed for an output of shape (None, 2) while using as loss "
               "`mean_squared_error`."),
    "binary-3d": ("binary_crossentropy", np.ones((4, 2, 1), np.float32),
                  "A target array with shape (4, 2, 1) was passed for an output of shape (None, 2) while using as "
                  "loss `binary_crossentropy`."),
    "categorical-class-ids": ("categorical_crossentropy", np.array([0, 1, 0, 1]),
                              "You are passing a target array of shape (4, 1) while using as loss "
                              "`categorical_crossentropy`. `categorical_crossentropy` expects targets to be binary "
                              "matrices (1s and 0s) of shape (samples, classes)."),
}


@pytest.mark.parametrize("method", ["fit", "evaluate"])
@pytest.mark.parametrize("name", sorted(TARGET_CASES))
def test_targets_of_the_wrong_shape_for_the_loss_are_refused_before_running(method, name):
    loss, y, message = TARGET_CASES[name]
    model = _model(loss=loss)
    with pytest.raises(ValueError) as info:
        getattr(model, method)(_x(), y, verbose=0)
    assert str(info.value).startswith(message)


def test_a_custom_loss_gets_its_targets_unchecked():
    model = _model(loss=lambda y_true, y_pred: gn.reduce_mean(y_pred, axis=-1) * 0 + gn.reduce_sum(y_true))
    assert model.evaluate(_x(), np.ones((4, 5), np.float32), batch_size=4, verbose=0) == pytest.approx(20.0)


def test_callbacks_must_be_callbacks():
    with pytest.raises(TypeError, match=r"^callbacks must be a list of Callback instances, got 'a' of type str$"):
        _model().fit(_x(), np.ones((4, 2), np.float32), callbacks=["a"], verbose=0)


def test_predict_refuses_inputs_of_different_lengths():
    a, b = L.Input((3,)), L.Input((2,))
    model = gn.models.Model([a, b], L.Concatenate()([a, b]))
    with pytest.raises(ValueError, match=r"^Data cardinality is ambiguous: the input arrays have different numbers "
                                         r"of samples: \[4, 5\]$"):
        model.predict([_x(4), np.ones((5, 2), np.float32)])
    assert model.predict([_x(4), np.ones((4, 2), np.float32)]).shape == (4, 5)


def test_summary_of_an_unbuilt_model_says_so():
    model = gn.models.Sequential([L.Dense(2)])
    with pytest.raises(ValueError, match=r"^This model has not yet been built\. Build the model first"):
        model.summary()
    model.build((None, 3))
    lines = []
    model.summary(print_fn=lines.append)
    assert any("Total params: 8" in line for line in lines)


@pytest.mark.parametrize("inputs", ["a", 3, {"x": 1}])
def test_a_model_of_things_that_are_no_tensors_is_a_type_error(inputs):
    with pytest.raises(TypeError, match=r"^Input tensors to a Model must be tensors from gpunet layers, got "):
        gn.models.Model(inputs, L.Dense(2)(L.Input((3,))))


@pytest.mark.parametrize("validation_data, got", [
    ((_x(),), "1 items"), ((_x(), np.ones((4, 2), np.float32), None, None), "4 items"), (_x(), "a ndarray"),
    ({"x": _x()}, "a dict"),
])
def test_validation_data_must_be_a_pair_or_a_triple(validation_data, got):
    with pytest.raises(ValueError) as info:
        _model().fit(_x(), np.ones((4, 2), np.float32), validation_data=validation_data, verbose=0)
    assert str(info.value) == ("When passing a `validation_data` argument, it must contain 2 items (x_val, y_val) or "
                               f"3 items (x_val, y_val, val_sample_weights), got {got}")


def test_a_validation_pair_is_evaluated_each_epoch():
    history = _model().fit(_x(), np.ones((4, 2), np.float32), epochs=2, verbose=0,
                           validation_data=[_x(2), np.ones((2, 2), np.float32)]).history
    assert len(history["val_loss"]) == 2
