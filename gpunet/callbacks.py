"""``gn.callbacks``: History, ModelCheckpoint, EarlyStopping, CSVLogger and the progress output of
``fit`` (a progress bar on a terminal, one line per epoch otherwise, nothing at ``verbose=0``),
and TensorBoard (event files through ``gn.summary.FileWriter``)."""
from __future__ import annotations

import csv
import io
import logging
import os
import sys
import time

import numpy as np

__all__ = ["CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History", "LambdaCallback", "ModelCheckpoint",
           "ProgbarLogger", "TensorBoard", "TerminateOnNaN"]

# a monitor missing from an epoch's logs is warned about here and skipped (tf_keras 2 logs the same lines)
_log = logging.getLogger("gpunet.callbacks")


class Callback:
    """Base class: override the ``on_*`` hooks; ``self.model`` and ``self.params`` are set by fit."""

    def __init__(self):
        self.model, self.params = None, {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        """tf_keras 2's name of the training batch hooks (by default, ``on_batch_begin``)."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        """tf_keras 2's name of the training batch hooks (by default, ``on_batch_end``)."""
        self.on_batch_end(batch, logs)

    # evaluate, and fit's validation after each epoch: on_test_begin, the batch hooks (logs: the running loss and
    # metrics), on_test_end (logs: the results); predict: on_predict_begin, the batch hooks (logs: 'outputs')...
    def on_test_begin(self, logs=None):
        """Called when evaluate, or a validation pass of fit, starts."""

    def on_test_end(self, logs=None):
        """Called when evaluate, or a validation pass of fit, ends; ``logs``: its loss and metrics."""

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each batch of evaluate or of a validation pass."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each batch of evaluate or of a validation pass; ``logs``: the running loss and metrics."""

    def on_predict_begin(self, logs=None):
        """Called when predict starts."""

    def on_predict_end(self, logs=None):
        """Called when predict ends."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each batch of predict."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each batch of predict; ``logs['outputs']``: the batch's outputs."""


class History(Callback):
    """Records every epoch's logs: ``history.history['loss']`` etc."""

    def on_train_begin(self, logs=None):
        self.epoch, self.history = [], {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


def _format_logs(logs):
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())


class ProgbarLogger(Callback):
    """Keras-style progress: a redrawn bar on a TTY (verbose=1), else one line per epoch."""

    def __init__(self, verbose=1, stream=None):
        super().__init__()
        self.stream = stream or sys.stdout
        tty = getattr(self.stream, "isatty", lambda: False)()
        self.bar = verbose == 1 and tty

    def on_epoch_begin(self, epoch, logs=None):
        self.stream.write(f"Epoch {epoch + 1}/{self.params['epochs']}\n")
        self.start = self.last_draw = time.perf_counter()
        self.seen_steps = 0

    def on_batch_end(self, batch, logs=None):
        self.seen_steps = batch + 1
        now = time.perf_counter()
        if self.bar and now - self.last_draw > 0.05 and self.seen_steps < self.params["steps"]:
            self.last_draw = now
            self.stream.write("\r" + self._bar() + f" - ETA: {self._eta(now):.0f}s - " + _format_logs(logs))
            self.stream.flush()

    def _bar(self):
        steps = self.params["steps"]
        width = 30
        done = int(width * self.seen_steps / steps)
        arrow = ">" if done < width else ""
        return f"{self.seen_steps}/{steps} [" + "=" * done + arrow + "." * (width - done - len(arrow)) + "]"

    def _eta(self, now):
        per_step = (now - self.start) / max(self.seen_steps, 1)
        return per_step * (self.params["steps"] - self.seen_steps)

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self.start
        steps = self.params["steps"]
        self.seen_steps = steps
        timing = f"{elapsed:.0f}s {1000 * elapsed / max(steps, 1):.0f}ms/step"
        head = ("\r" + self._bar()) if self.bar else f"{steps}/{steps}"
        self.stream.write(f"{head} - {timing} - {_format_logs(logs or {})}\n")
        self.stream.flush()


def _overrides(callback, *hooks):
    """Whether ``callback`` does something in one of ``hooks`` (batch hooks are skipped otherwise: they run per
    step)."""
    return any(getattr(type(callback), hook) is not getattr(Callback, hook) or hook in vars(callback)
               for hook in hooks)


class CallbackList:
    """The callbacks of one fit: the progress logger first, the user's, History last."""

    def __init__(self, callbacks, model, history, verbose, params):
        callbacks = list(callbacks or [])
        wrong = [cb for cb in callbacks if not isinstance(cb, Callback)]
        if wrong:
            raise TypeError(f"callbacks must be a list of Callback instances, got {wrong[0]!r} of type "
                            f"{type(wrong[0]).__name__}")
        self.callbacks = ([ProgbarLogger(verbose)] if verbose else []) + callbacks + ([history] if history else [])
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)
        self._batch_hooks = [cb for cb in self.callbacks if _overrides(cb, "on_batch_end", "on_train_batch_end")]
        self._batch_begin_hooks = [cb for cb in self.callbacks
                                   if _overrides(cb, "on_batch_begin", "on_train_batch_begin")]
        self._mode_batch_hooks = {hook: [cb for cb in self.callbacks if _overrides(cb, hook)] for hook in (
            "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end")}

    def call(self, hook, *args):
        """Calls ``hook`` (a test or predict hook: ``'on_test_begin'``...) of every callback with ``args``, the
        last of them the logs (each callback gets its own copy)."""
        *head, logs = args
        for cb in self._mode_batch_hooks.get(hook, self.callbacks):
            getattr(cb, hook)(*head, dict(logs))

    def on_train_begin(self):
        for cb in self.callbacks:
            cb.on_train_begin({})

    def on_train_end(self, logs=None):
        """``logs``: the last epoch's (tf_keras 2 passes them on)."""
        for cb in self.callbacks:
            cb.on_train_end(dict(logs or {}))

    def on_epoch_begin(self, epoch):
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, {})

    def on_epoch_end(self, epoch, logs):
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch):
        for cb in self._batch_begin_hooks:
            cb.on_train_batch_begin(batch, {})

    def on_batch_end(self, batch, logs):
        # tf_keras 2 gives the running loss and metrics only (Keras 2.2 also gave 'batch' and 'size')
        for cb in self._batch_hooks:
            cb.on_train_batch_end(batch, dict(logs))


def _monitor_op(mode, monitor):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "max" or (mode == "auto" and ("acc" in monitor or monitor.startswith("fmeasure"))):
        return np.greater, -np.inf
    return np.less, np.inf


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs (counted from
    ``start_from_epoch``), as tf_keras 2: an epoch that improves on the best so far resets the count only when it
    also beats ``baseline``, and ``restore_best_weights`` restores the best epoch's weights when training ends."""

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor, self.patience, self.verbose = monitor, patience, verbose
        self.baseline, self.restore_best_weights = baseline, restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.maximize = mode == "max" or (mode == "auto" and monitor.endswith(("acc", "accuracy", "auc")))
        self.min_delta = abs(min_delta) if self.maximize else -abs(min_delta)

    def _is_improvement(self, value, reference):
        return value - self.min_delta > reference if self.maximize else value - self.min_delta < reference

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_weights, self.best_epoch = 0, 0, None, 0
        self.best = -np.inf if self.maximize else np.inf

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            _log.warning("Early stopping conditioned on metric `%s` which is not available. Available metrics "
                         "are: %s", self.monitor, ",".join(logs or {}))
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model (or its weights) after each epoch to ``filepath`` formatted with the epoch
    number and the logs (``'ckpt-{epoch:02d}-{val_loss:.2f}'``); ``save_best_only`` keeps the best.

    ``resume=True`` also saves the whole training state after each epoch in ``training_state/``
    next to ``filepath`` (see gpunet/models/resume.py) and, when fit starts and finds one there,
    restores the latest and continues after its epoch: a fit killed at any moment and started
    again ends with the weights of an uninterrupted fit (same seeds, same data)."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", period=1, resume=False):
        super().__init__()
        self.filepath, self.monitor, self.verbose = os.fspath(filepath), monitor, verbose
        self.save_best_only, self.save_weights_only, self.period = save_best_only, save_weights_only, period
        self.better, self.best = _monitor_op(mode, monitor)
        self.resume = resume
        self._state = None

    def on_train_begin(self, logs=None):
        if not self.resume:
            return
        from gpunet.models.resume import TrainingState
        self._state = TrainingState(os.path.join(os.path.dirname(self.filepath) or ".", "training_state"))
        restored = self._state.restore(self.model)
        if restored is not None:
            self.model.resume_from_epoch(restored["epoch"] + 1)
            self.best = restored.get("best", self.best)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if (epoch + 1) % self.period:
            return
        self._save_model(epoch, logs)
        if self._state is not None:  # after the model file: the state names the newest complete save
            self._state.save(self.model, epoch, {"best": float(self.best)})

    def _save_model(self, epoch, logs):
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                _log.warning("Can save best model only with %s available, skipping.", self.monitor)
                return
            if not self.better(current, self.best):
                return
            if self.verbose:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {current:.5f}, "
                      f"saving model to {path}")
            self.best = current
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class CSVLogger(Callback):
    """One CSV row per epoch (``epoch`` then the logs in sorted order) written to ``filename``."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename, self.sep, self.append = os.fspath(filename), separator, append

    def on_train_begin(self, logs=None):
        self.keys = None
        exists = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self.write_header = not exists
        self.file = open(self.filename, "a" if self.append else "w", newline="")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if not any(key.startswith("val_") for key in self.keys):  # tf_keras keeps columns for them (NA)
                self.keys += [f"val_{key}" for key in self.keys]
        row = io.StringIO()
        writer = csv.writer(row, delimiter=self.sep, lineterminator="\n")
        if self.write_header:
            writer.writerow(["epoch"] + self.keys)
            self.write_header = False
        writer.writerow([epoch] + [logs.get(k, "NA") for k in self.keys])
        self.file.write(row.getvalue())
        self.file.flush()

    def on_train_end(self, logs=None):
        self.file.close()


class TensorBoard(Callback):
    """Writes TensorBoard event files to ``log_dir``: every epoch's logs (loss, metrics, ``val_*``)
    as scalars at step ``epoch``, the graph (with each op's device) when ``write_graph``, and a
    histogram of each weight every ``histogram_freq`` epochs (0: none). Needs tensorboardX."""

    def __init__(self, log_dir="./logs", histogram_freq=0, write_graph=True, update_freq="epoch"):
        super().__init__()
        if update_freq != "epoch":
            raise ValueError(f"TensorBoard: only update_freq='epoch' is supported, got {update_freq!r}")
        if not isinstance(histogram_freq, int) or histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be an int >= 0, got {histogram_freq!r}")
        self.log_dir, self.histogram_freq, self.write_graph = os.fspath(log_dir), histogram_freq, write_graph
        self.writer = None

    def on_train_begin(self, logs=None):
        from gpunet import backend as K
        from gpunet import summary
        self.writer = summary.FileWriter(self.log_dir, graph=K.get_session().graph if self.write_graph else None)

    def on_epoch_end(self, epoch, logs=None):
        from gpunet.summary import Summary
        values = [Summary.Value(tag=key, simple_value=float(value)) for key, value in (logs or {}).items()]
        if self.histogram_freq and (epoch + 1) % self.histogram_freq == 0:
            values += self._histograms()
        self.writer.add_summary(Summary(value=values), epoch)
        self.writer.flush()

    def _histograms(self):
        from gpunet.models.saving import weight_keys
        from gpunet.summary import Summary
        from gpunet.summary._encode import histogram_fields
        from gpunet.summary.summary_ops import summary_pb2
        histogram = summary_pb2().HistogramProto
        return [Summary.Value(tag=key, histo=histogram(**histogram_fields(value)))
                for key, value in zip(weight_keys(self.model), self.model.get_weights(), strict=True)]

    def on_train_end(self, logs=None):
        self.writer.close()


# the hooks a LambdaCallback takes as keywords beyond its named ones (tf_keras 2 sets any keyword as an attribute)
_LAMBDA_HOOKS = frozenset({"on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
                           "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end"})


class LambdaCallback(Callback):
    """A callback from functions: ``on_epoch_begin(epoch, logs)``, ``on_epoch_end(epoch, logs)``,
    ``on_batch_begin(batch, logs)``, ``on_batch_end(batch, logs)``, ``on_train_begin(logs)``, ``on_train_end(logs)``,
    and as keywords ``on_train_batch_begin/end`` and the test and predict hooks (``on_test_begin(logs)``,
    ``on_test_batch_end(batch, logs)``, ...); the hooks not given do nothing."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None, on_batch_end=None,
                 on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        given = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end, "on_batch_begin": on_batch_begin,
                 "on_batch_end": on_batch_end, "on_train_begin": on_train_begin, "on_train_end": on_train_end}
        unknown = set(kwargs) - {"on_train_batch_begin", "on_train_batch_end"} - _LAMBDA_HOOKS
        if unknown:
            raise TypeError(f"LambdaCallback: unexpected keyword argument(s) {sorted(unknown)}")
        given["on_batch_begin"] = kwargs.get("on_train_batch_begin", on_batch_begin)
        given["on_batch_end"] = kwargs.get("on_train_batch_end", on_batch_end)
        given.update((hook, kwargs[hook]) for hook in _LAMBDA_HOOKS & set(kwargs))
        for hook, fn in given.items():
            if fn is not None:  # an instance attribute: CallbackList sees the batch hooks overridden
                setattr(self, hook, fn)


class TerminateOnNaN(Callback):
    """Stops training at the first batch whose loss is NaN or infinite (that epoch still ends and is logged)."""

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


# the callbacks that change the learning rate (they subclass Callback)
from ._lr_callbacks import LearningRateScheduler, ReduceLROnPlateau  # noqa: E402

__all__ += ["LearningRateScheduler", "ReduceLROnPlateau"]
