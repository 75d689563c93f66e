"""Small Keras 2 training programs written against a module ``keras`` (tf_keras 2.21 or gpunet's Keras API); each
returns a dict of results (History values, weights, predictions, errors). make_reference.py runs them in tf_keras
and freezes the results; test_keras_sweep.py runs them in gpunet and compares. Every program is deterministic:
weights set from seeded NumPy arrays, fixed data, ``shuffle=False``."""
import csv
import os
import tempfile

import numpy as np

PROGRAMS = {}


def program(fn):
    """Register ``fn`` under its name."""
    PROGRAMS[fn.__name__] = fn
    return fn


def flatten(name, results):
    """``{"program/key": array}`` of one program's results (a list result becomes keys ``key/0``, ``key/1``...; a
    dict result ``key/sub``)."""
    flat = {}
    for key, value in results.items():
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, (list, tuple)) and value and not isinstance(value[0], str):
            items = enumerate(value)
        else:
            items = [(None, value)]
        for sub, item in items:
            flat[f"{name}/{key}" if sub is None else f"{name}/{key}/{sub}"] = np.asarray(item)
    return flat


def _data(n=10, features=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, features)).astype("float32")
    labels = rng.integers(0, classes, size=(n,))
    return x, labels, np.eye(classes, dtype="float32")[labels]


def _seeded(model, seed=1):
    """Sets every weight of ``model`` from a seeded generator (0.5 * standard normal)."""
    rng = np.random.default_rng(seed)
    model.set_weights([(0.5 * rng.standard_normal(w.shape)).astype("float32") for w in model.get_weights()])
    return model


def _mlp(keras, classes=3, activation="softmax", hidden=5, features=4):
    model = keras.models.Sequential([keras.layers.Dense(hidden, activation="tanh", input_shape=(features,)),
                                     keras.layers.Dense(classes, activation=activation)])
    return _seeded(model)


def _history(history):
    """The History's keys (sorted), its epochs and its values per key."""
    return {"keys": sorted(history.history), "epochs": np.asarray(history.epoch, "int64"),
            "history": {k: np.asarray(v, "float64") for k, v in history.history.items()}}


def _error(fn):
    """The class names of the error ``fn()`` raises, most derived first ('none' when it raises nothing)."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 (the class is the result)
        return " ".join(c.__name__ for c in type(e).__mro__ if c not in (object, BaseException))
    return "none"


@program
def fit_metrics_by_name(keras):
    x, _, onehot = _data()
    out = {}
    for metric in ("acc", "accuracy", "categorical_accuracy", "mae", "mse", "top_k_categorical_accuracy"):
        model = _mlp(keras)
        model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=[metric])
        h = model.fit(x, onehot, batch_size=4, epochs=2, shuffle=False, verbose=0)
        for key, value in _history(h).items():
            out[f"{metric}_{key}"] = value
    x, labels, onehot = _data(n=12, classes=8)
    for metric, y in (("top_k_categorical_accuracy", onehot), ("sparse_top_k_categorical_accuracy", labels)):
        model = _mlp(keras, classes=8)
        loss = "sparse_categorical_crossentropy" if metric.startswith("sparse") else "categorical_crossentropy"
        model.compile(keras.optimizers.SGD(0.5), loss, metrics=[metric])
        h = model.fit(x, y, batch_size=5, epochs=3, shuffle=False, verbose=0)
        out.update({f"{metric}_8_{key}": value for key, value in _history(h).items()})
    return out


@program
def fit_sparse_and_binary_accuracy(keras):
    x, labels, _ = _data()
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy",
                  metrics=["acc", "sparse_categorical_accuracy"])
    out = {"sparse": _history(model.fit(x, labels, batch_size=3, epochs=3, shuffle=False, verbose=0))}
    binary = _mlp(keras, classes=1, activation="sigmoid")
    binary.compile(keras.optimizers.SGD(0.2), "binary_crossentropy", metrics=["accuracy", "binary_accuracy"])
    y = (labels > 0).astype("float32")[:, None]
    out["binary"] = _history(binary.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0))
    out["binary_weights"] = binary.get_weights()
    return _flat(out)


def _flat(nested):
    """One level of ``{group: {key: value}}`` flattened to ``{group_key: value}``."""
    out = {}
    for group, value in nested.items():
        if isinstance(value, dict) and "keys" in value:
            out.update({f"{group}_{k}": v for k, v in value.items()})
        else:
            out[group] = value
    return out


@program
def fit_partial_last_batch(keras):
    x, _, onehot = _data(n=11)
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["acc"])
    h = model.fit(x, onehot, batch_size=4, epochs=3, shuffle=False, verbose=0)
    return _flat({"h": _history(h), "weights": model.get_weights(),
                  "evaluate": model.evaluate(x, onehot, batch_size=4, verbose=0),
                  "predict": model.predict(x, batch_size=4, verbose=0), "predict_one": model.predict(x[:1], verbose=0)})


@program
def fit_batch_larger_than_data(keras):
    x, _, onehot = _data(n=5)
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy")
    h = model.fit(x, onehot, batch_size=64, epochs=2, shuffle=False, verbose=0)
    return _flat({"h": _history(h), "weights": model.get_weights()})


@program
def fit_epochs_zero_and_initial_epoch(keras):
    x, _, onehot = _data()
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["acc"])
    zero = _error(lambda: model.fit(x, onehot, epochs=0, verbose=0, shuffle=False))
    after_zero = model.get_weights()
    later = model.fit(x, onehot, batch_size=5, epochs=4, initial_epoch=2, verbose=0, shuffle=False)
    return _flat({"error_epochs_zero": zero, "after_zero": after_zero, "later": _history(later),
                  "weights": model.get_weights()})


@program
def fit_validation_split(keras):
    x, _, onehot = _data(n=12)
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["accuracy", "mae"])
    h = model.fit(x, onehot, batch_size=4, epochs=3, validation_split=0.25, shuffle=False, verbose=0)
    return _flat({"h": _history(h), "weights": model.get_weights()})


@program
def fit_validation_data(keras):
    x, _, onehot = _data(n=12)
    vx, _, vy = _data(n=7, seed=3)
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["acc"])
    h = model.fit(x, onehot, batch_size=5, epochs=2, validation_data=(vx, vy), shuffle=False, verbose=0)
    return _flat({"h": _history(h), "weights": model.get_weights()})


@program
def evaluate_and_predict_formats(keras):
    x, _, onehot = _data(n=9)
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy")
    alone = model.evaluate(x, onehot, batch_size=4, verbose=0)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["acc", "mse"])
    listed = model.evaluate(x, onehot, batch_size=4, verbose=0)
    return {"loss_only_is_scalar": np.ndim(alone) == 0 and not isinstance(alone, list), "loss_only": alone,
            "with_metrics": listed, "metrics_names": list(model.metrics_names),
            "predict_partial": model.predict(x, batch_size=2, verbose=0),
            "predict_on_batch": model.predict_on_batch(x[:3]),
            "as_dict": _sorted_dict(model.evaluate(x, onehot, batch_size=4, verbose=0, return_dict=True)),
            "test_as_dict": _sorted_dict(model.test_on_batch(x, onehot, return_dict=True)),
            "train_as_dict": _sorted_dict(model.train_on_batch(x, onehot, return_dict=True))}


def _sorted_dict(values):
    """``{name: value}`` as ``["name=value"...]`` sorted by name, the values rounded to 5 digits."""
    return [f"{k}={float(v):.5f}" for k, v in sorted(values.items())]


@program
def train_and_test_on_batch(keras):
    x, _, onehot = _data(n=6)
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["acc"])
    first = model.train_on_batch(x, onehot)
    second = model.train_on_batch(x, onehot)
    tested = model.test_on_batch(x, onehot)
    plain = _mlp(keras)
    plain.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy")
    scalar = plain.train_on_batch(x, onehot)
    return {"first": first, "second": second, "tested": tested, "scalar": scalar,
            "scalar_is_scalar": np.ndim(scalar) == 0, "weights": model.get_weights()}


def _two_outputs(keras):
    inputs = keras.layers.Input(shape=(4,))
    hidden = keras.layers.Dense(5, activation="tanh", name="hidden")(inputs)
    classes = keras.layers.Dense(3, activation="softmax", name="cls")(hidden)
    value = keras.layers.Dense(1, name="reg")(hidden)
    return _seeded(keras.models.Model(inputs, [classes, value]))


@program
def multi_output_loss_weights(keras):
    x, labels, onehot = _data(n=10)
    target = x[:, :1] * 2.0
    model = _two_outputs(keras)
    model.compile(keras.optimizers.SGD(0.05), ["categorical_crossentropy", "mse"], loss_weights=[1.0, 0.5],
                  metrics={"cls": ["acc"], "reg": ["mae"]})
    h = model.fit(x, [onehot, target], batch_size=4, epochs=3, shuffle=False, verbose=0)
    return _flat({"h": _history(h), "weights": model.get_weights(), "metrics_names": list(model.metrics_names),
                  "evaluate": model.evaluate(x, [onehot, target], batch_size=3, verbose=0),
                  "predict": model.predict(x, batch_size=3, verbose=0)})


@program
def multi_output_dict_losses(keras):
    x, labels, _ = _data(n=8)
    target = x[:, 1:2] - x[:, :1]
    model = _two_outputs(keras)
    model.compile(keras.optimizers.Adam(0.01), {"cls": "sparse_categorical_crossentropy", "reg": "mae"},
                  loss_weights={"cls": 0.3, "reg": 2.0}, metrics=["mse"])
    h = model.fit(x, {"cls": labels, "reg": target}, batch_size=3, epochs=2, shuffle=False, verbose=0,
                  validation_data=(x[:4], {"cls": labels[:4], "reg": target[:4]}))
    return _flat({"h": _history(h), "weights": model.get_weights()})


def _optimizer_run(keras, optimizer, steps=4, eager=False):
    x, _, onehot = _data(n=8)
    model = _mlp(keras)
    # tf_keras's Nadam keeps its momentum product's step counter in Python, which tf.function traces once: in graph
    # mode the product is multiplied several times per step. Its eager run computes what its formula says.
    model.compile(optimizer, "categorical_crossentropy",
                  **({"run_eagerly": True} if eager and keras.__name__ == "tf_keras" else {}))
    h = model.fit(x, onehot, batch_size=4, epochs=steps // 2, shuffle=False, verbose=0)
    return {"loss": np.asarray(h.history["loss"]), "weights": model.get_weights()}


@program
def optimizers_sgd_variants(keras):
    sgd = keras.optimizers.SGD
    runs = {"plain": sgd(0.1), "momentum": sgd(0.1, momentum=0.9), "nesterov": sgd(0.1, momentum=0.8, nesterov=True),
            "decay": _legacy(keras).SGD(0.1, momentum=0.5, decay=0.1)}
    return _flat_runs({name: _optimizer_run(keras, opt, steps=6) for name, opt in runs.items()})


def _legacy(keras):
    """Keras 2's optimizers that take ``decay=`` (tf_keras keeps them in ``optimizers.legacy``)."""
    return getattr(keras.optimizers, "legacy", keras.optimizers)


def _flat_runs(runs):
    out = {}
    for name, run in runs.items():
        out.update({f"{name}_{k}": v for k, v in run.items()})
    return out


@program
def optimizers_adaptive(keras):
    o = keras.optimizers
    runs = {"adam": o.Adam(0.01), "amsgrad": o.Adam(0.01, amsgrad=True),
            "adam_decay": _legacy(keras).Adam(0.01, decay=0.05),
            "rmsprop": o.RMSprop(0.01), "rmsprop_momentum": o.RMSprop(0.01, rho=0.8, momentum=0.5),
            "rmsprop_centered": o.RMSprop(0.01, centered=True), "adagrad": o.Adagrad(0.1),
            "clipnorm": o.SGD(0.5, clipnorm=0.1), "clipvalue": o.SGD(0.5, clipvalue=0.05)}
    return _flat_runs({name: _optimizer_run(keras, opt, steps=6) for name, opt in runs.items()})


@program
def optimizers_by_name(keras):
    runs = {name: _optimizer_run(keras, name) for name in ("sgd", "adam", "rmsprop", "adagrad")}
    return _flat_runs(runs)


@program
def optimizers_more(keras):
    o = keras.optimizers
    runs = {"adadelta": o.Adadelta(1.0), "adamax": o.Adamax(0.02), "nadam": o.Nadam(0.02)}
    return _flat_runs({name: _optimizer_run(keras, opt, steps=6, eager=name == "nadam") for name, opt in runs.items()})


class _Recorder:
    """Records each hook a callback sees, and the sorted keys of its logs."""

    def __init__(self):
        self.events = []

    def hook(self, name):
        def record(*args, logs=None):
            index = [str(a) for a in args if isinstance(a, int)]
            logs = logs if logs is not None else next((a for a in args if isinstance(a, dict)), {})
            self.events.append(":".join([name] + index + [",".join(sorted(logs))]))
        return record


def _recording_callback(keras, recorder):
    cls = type("Recording", (keras.callbacks.Callback,), {
        name: (lambda self, *args, _n=name, **kwargs: recorder.hook(_n)(*args, **kwargs))
        for name in ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_batch_end")})
    return cls()


@program
def callback_hooks_and_logs(keras):
    x, _, onehot = _data(n=6)
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["acc"])
    recorder = _Recorder()
    model.fit(x, onehot, batch_size=4, epochs=2, shuffle=False, verbose=0, validation_data=(x[:2], onehot[:2]),
              callbacks=[_recording_callback(keras, recorder)])
    return {"events": recorder.events}


@program
def lambda_callback(keras):
    x, _, onehot = _data(n=6)
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy")
    seen = []
    cb = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(logs["loss"]),
                                        on_train_end=lambda logs: seen.append(-1.0))
    h = model.fit(x, onehot, batch_size=4, epochs=3, shuffle=False, verbose=0, callbacks=[cb])
    return {"seen": np.asarray(seen), "loss": np.asarray(h.history["loss"])}


@program
def early_stopping_restore_best(keras):
    x, _, onehot = _data(n=10)
    vx, _, vy = _data(n=6, seed=5)
    out = {}
    settings = {"restore": dict(monitor="val_loss", patience=1, restore_best_weights=True),
                "min_delta": dict(monitor="loss", min_delta=0.05, patience=1),
                "baseline": dict(monitor="val_loss", baseline=0.1, patience=2),
                "acc_max": dict(monitor="val_acc", patience=1, mode="max"),
                "restore_without_stopping": dict(monitor="val_loss", patience=20, restore_best_weights=True),
                "baseline_restore": dict(monitor="val_loss", baseline=0.01, patience=3, restore_best_weights=True),
                "patience_zero": dict(monitor="loss", patience=0, min_delta=10.0),
                "start_from_epoch": dict(monitor="val_loss", patience=1, start_from_epoch=3)}
    for name, kwargs in settings.items():
        model = _mlp(keras)
        model.compile(keras.optimizers.SGD(0.8, momentum=0.9), "categorical_crossentropy", metrics=["acc"])
        stop = keras.callbacks.EarlyStopping(**kwargs)
        h = model.fit(x, onehot, batch_size=5, epochs=12, validation_data=(vx, vy), shuffle=False, verbose=0,
                      callbacks=[stop])
        out.update({f"{name}_epochs": np.asarray(h.epoch, "int64"), f"{name}_stopped": stop.stopped_epoch,
                    f"{name}_weights": model.get_weights(), f"{name}_val_loss": h.history["val_loss"]})
    return out


@program
def model_checkpoint_best_only(keras):
    x, _, onehot = _data(n=10)
    vx, _, vy = _data(n=6, seed=5)
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.8, momentum=0.9), "categorical_crossentropy")
    with tempfile.TemporaryDirectory() as tmp:
        pattern = os.path.join(tmp, "w-{epoch:02d}-{val_loss:.3f}.weights.h5")
        check = keras.callbacks.ModelCheckpoint(pattern, save_best_only=True, save_weights_only=True)
        h = model.fit(x, onehot, batch_size=5, epochs=8, validation_data=(vx, vy), shuffle=False, verbose=0,
                      callbacks=[check])
        saved = sorted(name.split(".weights")[0] for name in os.listdir(tmp))
    return {"saved": saved, "val_loss": h.history["val_loss"], "best": check.best}


@program
def csv_logger_rows(keras):
    x, _, onehot = _data(n=8)
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["acc"])
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "log.csv")
        model.fit(x, onehot, batch_size=4, epochs=2, validation_split=0.25, shuffle=False, verbose=0,
                  callbacks=[keras.callbacks.CSVLogger(path)])
        model.fit(x, onehot, batch_size=4, epochs=1, shuffle=False, verbose=0,
                  callbacks=[keras.callbacks.CSVLogger(path, append=True, separator=";")])
        with open(path, newline="") as f:
            rows = [line.rstrip("\r\n") for line in f]
    header = rows[0].split(",")
    values = [list(csv.reader([row]))[0] for row in rows[1:3]]
    appended = rows[3].split(";")
    return {"header": header, "values": np.asarray([[float(v) for v in row] for row in values]),
            "rows": len(rows), "appended_na": [v for v in appended if v == "NA"],
            "appended_values": np.asarray([float(v) for v in appended if v != "NA"])}


@program
def terminate_on_nan(keras):
    x, _, onehot = _data(n=8)
    model = _mlp(keras, activation="linear")
    model.compile(keras.optimizers.SGD(1e20), "mse")
    seen = []
    count = keras.callbacks.LambdaCallback(on_batch_end=lambda batch, logs: seen.append(batch))
    h = model.fit(x * 1e3, onehot, batch_size=2, epochs=5, shuffle=False, verbose=0,
                  callbacks=[count, keras.callbacks.TerminateOnNaN()])
    return {"epochs": np.asarray(h.epoch, "int64"), "batches": np.asarray(seen, "int64"),
            "loss_finite": np.isfinite(h.history["loss"])}


@program
def learning_rate_scheduler(keras):
    x, _, onehot = _data(n=8)
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy")
    schedule = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr)
    h = model.fit(x, onehot, batch_size=4, epochs=3, shuffle=False, verbose=0, callbacks=[schedule])
    return {"loss": h.history["loss"], "lr": h.history.get("lr", []), "weights": model.get_weights()}


@program
def reduce_lr_on_plateau(keras):
    x, _, onehot = _data(n=8)
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(2.0, momentum=0.9), "categorical_crossentropy")
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_lr=0.1)
    h = model.fit(x, onehot, batch_size=4, epochs=8, shuffle=False, verbose=0, callbacks=[reduce])
    return {"loss": h.history["loss"], "lr": h.history.get("lr", []), "weights": model.get_weights()}


@program
def sample_and_class_weights(keras):
    x, labels, onehot = _data(n=9)
    weights = np.linspace(0.2, 2.0, 9).astype("float32")
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["acc"])
    sw = model.fit(x, onehot, sample_weight=weights, batch_size=4, epochs=2, shuffle=False, verbose=0)
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    cw = model.fit(x, labels, class_weight={0: 1.0, 1: 3.0, 2: 0.5}, batch_size=4, epochs=2, shuffle=False,
                   verbose=0)
    return _flat({"sw": _history(sw), "cw": _history(cw), "cw_weights": model.get_weights()})


class _Batches:
    """Yields (x, y) batches of 3 forever."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __iter__(self):
        while True:
            for start in range(0, len(self.x), 3):
                yield self.x[start:start + 3], self.y[start:start + 3]


@program
def fit_generator_steps(keras):
    x, _, onehot = _data(n=9)
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["acc"])
    h = model.fit(iter(_Batches(x, onehot)), steps_per_epoch=2, epochs=3, verbose=0)
    return _flat({"h": _history(h), "weights": model.get_weights()})


def _compile_and_fit(keras, x, y, loss, metrics):
    model = _mlp(keras)
    model.compile("sgd", loss, metrics=metrics)
    model.fit(x, y, verbose=0)


@program
def errors_for_bad_input(keras):
    x, _, onehot = _data(n=6)
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy")
    fresh = _mlp(keras)
    return {
        "wrong_feature_count": _error(lambda: model.fit(x[:, :3], onehot, verbose=0)),
        "sample_count_mismatch": _error(lambda: model.fit(x, onehot[:4], verbose=0)),
        "not_compiled": _error(lambda: fresh.fit(x, onehot, verbose=0)),
        "unknown_metric": _error(lambda: _compile_and_fit(keras, x, onehot, "mse", ["no_such_metric"])),
        "unknown_loss": _error(lambda: _compile_and_fit(keras, x, onehot, "no_such_loss", [])),
        "unknown_optimizer": _error(lambda: model.compile("no_such_optimizer", "mse")),
        "bad_validation_split": _error(lambda: model.fit(x, onehot, validation_split=1.5, verbose=0)),
        "unknown_fit_keyword": _error(lambda: model.fit(x, onehot, verbose=0, no_such_argument=1)),
        "predict_wrong_shape": _error(lambda: model.predict(x[:, :2], verbose=0)),
        "schedule_not_float": _error(lambda: model.fit(x, onehot, verbose=0, callbacks=[
            keras.callbacks.LearningRateScheduler(lambda epoch, lr: "fast")])),
        "reduce_factor_one": _error(lambda: keras.callbacks.ReduceLROnPlateau(factor=1.0)),
        "epochs_negative": _error(lambda: model.fit(x, onehot, epochs=-1, verbose=0)),
    }


@program
def regression_targets_without_last_axis(keras):
    x, _, _ = _data(n=10)
    y = (x[:, 0] - 0.5 * x[:, 1]).astype("float32")  # shape (10,) for an output of shape (10, 1)
    model = _mlp(keras, classes=1, activation="linear")
    model.compile(keras.optimizers.SGD(0.05), "mse", metrics=["mae"])
    h = model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    return _flat({"h": _history(h), "weights": model.get_weights(),
                  "evaluate": model.evaluate(x, y, batch_size=3, verbose=0)})


@program
def sample_weights_more(keras):
    x, labels, onehot = _data(n=9)
    vx, _, vy = _data(n=5, seed=4)
    weights = np.linspace(0.2, 2.0, 9).astype("float32")
    out = {}
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["acc"])
    h = model.fit(x, onehot, batch_size=4, epochs=2, shuffle=False, verbose=0, sample_weight=weights,
                  validation_data=(vx, vy, np.arange(1, 6, dtype="float32")))
    out.update({"val_" + k: v for k, v in _history(h).items()})
    out["evaluate"] = model.evaluate(x, onehot, sample_weight=weights, batch_size=4, verbose=0)
    out["train_on_batch"] = model.train_on_batch(x[:4], onehot[:4], sample_weight=weights[:4])
    out["train_on_batch_cw"] = model.train_on_batch(x[:4], onehot[:4], class_weight={0: 1.0, 1: 2.0, 2: 3.0})
    out["test_on_batch"] = model.test_on_batch(x[:4], onehot[:4], sample_weight=weights[:4])
    split = _mlp(keras)
    split.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy")
    h = split.fit(x, onehot, sample_weight=weights, validation_split=0.34, batch_size=3, epochs=2, shuffle=False,
                  verbose=0)
    out.update({"split_" + k: v for k, v in _history(h).items()})
    model = _two_outputs(keras)
    model.compile(keras.optimizers.SGD(0.05), ["categorical_crossentropy", "mse"])
    h = model.fit(x, [onehot, x[:, :1]], sample_weight={"cls": weights, "reg": weights[::-1].copy()}, batch_size=4,
                  epochs=2, shuffle=False, verbose=0)
    out.update({"two_" + k: v for k, v in _history(h).items()})
    out["errors"] = [_error(lambda: model.fit(x, [onehot, x[:, :1]], class_weight={0: 1.0}, verbose=0)),
                     _error(lambda: split.fit(x, onehot, sample_weight=weights[:5], verbose=0))]
    return out


@program
def temporal_sample_weights(keras):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 5, 3)).astype("float32")
    y = rng.standard_normal((6, 5, 2)).astype("float32")
    weights = (rng.random((6, 5)) > 0.3).astype("float32")
    model = _seeded(keras.models.Sequential([keras.layers.TimeDistributed(keras.layers.Dense(2), input_shape=(5, 3))]))
    model.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"], sample_weight_mode="temporal")
    h = model.fit(x, y, sample_weight=weights, batch_size=4, epochs=3, shuffle=False, verbose=0)
    return _flat({"h": _history(h), "weights": model.get_weights(),
                  "evaluate": model.evaluate(x, y, sample_weight=weights, batch_size=4, verbose=0)})


@program
def fit_sequence_and_weighted_generator(keras):
    x, _, onehot = _data(n=10)
    ends = []

    class Batches(keras.utils.Sequence):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return x[index * 3:index * 3 + 3], onehot[index * 3:index * 3 + 3]

        def on_epoch_end(self):
            ends.append(len(ends))

    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["acc"])
    h = model.fit(Batches(), epochs=2, shuffle=False, verbose=0, validation_data=(x[:4], onehot[:4]))
    out = {"sequence_" + k: v for k, v in _history(h).items()}
    out["sequence_weights"], out["epoch_ends"] = model.get_weights(), np.asarray(ends, "int64")
    weights = np.linspace(0.5, 1.5, 10).astype("float32")

    def weighted():
        while True:
            for start in (0, 4, 8):
                yield x[start:start + 4], onehot[start:start + 4], weights[start:start + 4]

    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy")
    h = model.fit(weighted(), steps_per_epoch=3, epochs=2, verbose=0)
    out.update({"weighted_" + k: v for k, v in _history(h).items()})
    out["weighted_weights"] = model.get_weights()
    return out


@program
def evaluate_and_predict_generators(keras):
    x, _, onehot = _data(n=10)
    weights = np.linspace(0.5, 1.5, 10).astype("float32")

    def batches(with_weights=False, inputs_only=False):
        for start in (0, 4, 8):
            part = slice(start, start + 4)
            yield x[part] if inputs_only else (x[part], onehot[part]) + ((weights[part],) if with_weights else ())

    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["acc"])
    h = model.fit_generator(batches(), steps_per_epoch=3, epochs=1, verbose=0)
    return {"fit_loss": h.history["loss"], "evaluate": model.evaluate(batches(), steps=3, verbose=0),
            "evaluate_weighted": model.evaluate(batches(True), steps=3, verbose=0),
            "evaluate_generator": model.evaluate_generator(batches(), steps=2),
            "predict": model.predict(batches(inputs_only=True), steps=3, verbose=0),
            "predict_pairs": model.predict_generator(batches(), steps=2),
            "no_steps": _error(lambda: model.fit(batches(), epochs=1, verbose=0))}


@program
def callback_train_batch_hooks(keras):
    x, _, onehot = _data(n=6)
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["mae"])
    recorder = _Recorder()
    hooks = ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_epoch_end")
    cls = type("TrainBatches", (keras.callbacks.Callback,), {
        name: (lambda self, *args, _n=name, **kwargs: recorder.hook(_n)(*args, **kwargs)) for name in hooks})
    model.fit(x, onehot, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[cls()])
    return {"events": recorder.events}


_TEST_AND_PREDICT_HOOKS = ("on_epoch_begin", "on_epoch_end", "on_train_batch_end", "on_test_begin", "on_test_end",
                           "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
                           "on_predict_batch_begin", "on_predict_batch_end")


@program
def callback_test_and_predict_hooks(keras):
    x, _, onehot = _data(n=6)
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["acc"])
    recorder = _Recorder()
    cls = type("TestAndPredict", (keras.callbacks.Callback,), {
        name: (lambda self, *args, _n=name, **kwargs: recorder.hook(_n)(*args, **kwargs))
        for name in _TEST_AND_PREDICT_HOOKS})
    model.fit(x, onehot, batch_size=4, epochs=1, shuffle=False, verbose=0, validation_data=(x[:5], onehot[:5]),
              callbacks=[cls()])
    recorder.events.append("evaluate")
    model.evaluate(x, onehot, batch_size=4, verbose=0, callbacks=[cls()])
    recorder.events.append("predict")
    model.predict(x, batch_size=4, verbose=0, callbacks=[cls()])
    seen = {}
    values = type("Values", (keras.callbacks.Callback,), {
        "on_test_batch_end": lambda self, batch, logs=None: seen.setdefault("test_batches", []).append(
            [logs["loss"], logs["acc"]]),
        "on_test_end": lambda self, logs=None: seen.setdefault("test_end", []).append([logs["loss"], logs["acc"]]),
        "on_predict_batch_end": lambda self, batch, logs=None: seen.setdefault("outputs", []).append(
            np.asarray(logs["outputs"]))})
    model.fit(x, onehot, batch_size=4, epochs=1, shuffle=False, verbose=0, validation_data=(x[:5], onehot[:5]),
              callbacks=[values()])
    model.evaluate(x, onehot, batch_size=4, verbose=0, callbacks=[values()])
    model.predict(x, batch_size=4, verbose=0, callbacks=[values()])
    return {"events": recorder.events, "test_batches": np.asarray(seen["test_batches"]),
            "test_end": np.asarray(seen["test_end"]), "predicted": np.concatenate(seen["outputs"]),
            "outputs_shapes": np.asarray([o.shape for o in seen["outputs"]])}


@program
def weighted_metrics(keras):
    x, labels, onehot = _data(n=10)
    weights = np.linspace(0.5, 1.5, 10).astype("float32")
    out = {}
    for tag, metrics, weighted in (("same", ["acc"], ["acc"]), ("only", None, ["acc", "mae"]),
                                   ("other", ["mae"], ["mse"])):
        model = _mlp(keras)
        model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=metrics, weighted_metrics=weighted)
        h = model.fit(x, onehot, sample_weight=weights, batch_size=4, epochs=2, shuffle=False, verbose=0,
                      validation_data=(x[:6], onehot[:6], weights[:6]))
        out.update({f"{tag}_{k}": v for k, v in _history(h).items()})
        out[f"{tag}_names"] = list(model.metrics_names)
        out[f"{tag}_unweighted"] = model.evaluate(x, onehot, batch_size=4, verbose=0)
        out[f"{tag}_evaluate"] = model.evaluate(x, onehot, sample_weight=weights, batch_size=4, verbose=0)
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy", weighted_metrics=["acc"])
    h = model.fit(x, labels, class_weight={0: 2.0, 1: 1.0, 2: 0.5}, batch_size=4, epochs=2, shuffle=False, verbose=0)
    out.update({f"class_{k}": v for k, v in _history(h).items()})
    inputs = keras.layers.Input(shape=(4,))
    a = keras.layers.Dense(3, activation="softmax", name="a")(inputs)
    b = keras.layers.Dense(1, name="b")(inputs)
    model = _seeded(keras.models.Model(inputs, [a, b]))
    model.compile(keras.optimizers.SGD(0.1), ["categorical_crossentropy", "mse"], metrics=["mae"],
                  weighted_metrics=["mae"])
    h = model.fit(x, [onehot, x[:, :1]], sample_weight=[weights, weights[::-1].copy()], batch_size=4, epochs=2,
                  shuffle=False, verbose=0)
    out.update({f"two_{k}": v for k, v in _history(h).items()})
    out["two_names"] = list(model.metrics_names)
    return out


@program
def validation_generators_and_freq(keras):
    x, _, onehot = _data(n=12)
    vx, _, vonehot = _data(n=12, seed=5)
    weights = np.linspace(0.5, 1.5, 12).astype("float32")

    def validation_batches():
        # tf_keras prefetches from a generator, so which of its batches a validation pass gets is not defined; with
        # two batches in a cycle and validation_steps=2, every pass sees both
        while True:
            for start in (0, 3):
                yield vx[start:start + 3], vonehot[start:start + 3], weights[start:start + 3]

    class Validation(keras.utils.Sequence):
        def __len__(self):
            return 3

        def __getitem__(self, index):
            return vx[index * 4:index * 4 + 4], vonehot[index * 4:index * 4 + 4]

    out = {}
    runs = {"generator": dict(validation_data=validation_batches(), validation_steps=2),
            "sequence": dict(validation_data=Validation()),
            "sequence_steps": dict(validation_data=Validation(), validation_steps=2),
            "arrays_steps": dict(validation_data=(vx, vonehot), validation_steps=2),
            "split_freq": dict(validation_split=0.25, validation_freq=[2]),
            "freq_int": dict(validation_data=(vx, vonehot), validation_freq=2),
            "freq_list": dict(validation_data=Validation(), validation_freq=[1, 3])}
    for tag, kwargs in runs.items():
        model = _mlp(keras)
        model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy", metrics=["acc"])
        h = model.fit(x, onehot, batch_size=4, epochs=3, shuffle=False, verbose=0, **kwargs)
        out.update({f"{tag}_{k}": v for k, v in _history(h).items()})
    model = _mlp(keras)
    model.compile(keras.optimizers.SGD(0.1), "categorical_crossentropy")
    out["error_freq_str"] = _error(lambda: model.fit(x, onehot, epochs=1, verbose=0, validation_data=(vx, vonehot),
                                                     validation_freq="2"))
    return out
