"""EarlyStopping, ReduceLROnPlateau and ModelCheckpoint(save_best_only) whose ``monitor`` is not in an epoch's logs:
tf_keras 2.21's warning (its exact text), and training goes on."""
import logging
import os

import numpy as np
import pytest

import gpunet as gn
from gpunet import layers as L


def _fit(callbacks, epochs=3):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 3)).astype("float32"), rng.standard_normal((8, 1)).astype("float32")
    model = gn.models.Sequential([L.Dense(1, input_shape=(3,))])
    model.compile(gn.optimizers.SGD(0.01), "mse", metrics=["mae"])
    return model, model.fit(x, y, epochs=epochs, verbose=0, callbacks=callbacks)


def _warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "gpunet.callbacks" and r.levelno == logging.WARNING]


def test_early_stopping_warns_each_epoch_and_never_stops(caplog):
    with caplog.at_level(logging.WARNING, "gpunet.callbacks"):
        model, history = _fit([gn.callbacks.EarlyStopping(patience=0)])
    assert history.epoch == [0, 1, 2] and not model.stop_training
    assert _warnings(caplog) == ["Early stopping conditioned on metric `val_loss` which is not available. Available "
                                 "metrics are: loss,mae"] * 3


def test_reduce_lr_on_plateau_warns_and_keeps_the_rate(caplog):
    with caplog.at_level(logging.WARNING, "gpunet.callbacks"):
        model, history = _fit([gn.callbacks.ReduceLROnPlateau(monitor="val_mae", patience=0, factor=0.5)])
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01) and len(history.epoch) == 3
    assert _warnings(caplog) == ["Learning rate reduction is conditioned on metric `val_mae` which is not "
                                 "available. Available metrics are: loss,mae,lr"] * 3


def test_checkpoint_saving_the_best_only_warns_and_saves_nothing(tmp_path, caplog):
    path = str(tmp_path / "best")
    with caplog.at_level(logging.WARNING, "gpunet.callbacks"):
        _, history = _fit([gn.callbacks.ModelCheckpoint(path, save_best_only=True, save_weights_only=True)], 2)
    assert len(history.epoch) == 2 and os.listdir(tmp_path) == []
    assert _warnings(caplog) == ["Can save best model only with val_loss available, skipping."] * 2


def test_a_monitor_present_gives_no_warning(caplog):
    with caplog.at_level(logging.WARNING, "gpunet.callbacks"):
        _fit([gn.callbacks.EarlyStopping(monitor="loss"), gn.callbacks.ReduceLROnPlateau(monitor="mae")])
    assert _warnings(caplog) == []
