"""compile / fit / evaluate / predict: the Keras 2 training loop on one session.

Each mode (train, test, predict) compiles into one ``sess.run`` signature, so after the first batch
a step is a feed dictionary and one run of a cached plan."""
from __future__ import annotations

import numpy as np

import gpunet as gn
from gpunet import backend as K
from gpunet import callbacks as callbacks_module
from gpunet import optimizers
from gpunet.keras_losses import get as get_loss
from gpunet.layers.base import tensor_mask, unpack

from . import optimizer_state
from .batch_source import BatchSource, BatchSourceMixin, is_batch_source
from .data import batch_size_arg, batches, check_targets, split_validation, standardize
from .sample_weights import standardize_weights
from .saving import weight_keys
from .validation_data import ValidationArrays, check_validation_freq, should_validate, validation_set
from .weighted_metrics import metric_entries, weighted_mean

__all__ = ["TrainingMixin", "kept_weights"]


def kept_weights(values, output):
    """``output``'s Keras mask as weights (1.0 where an entry of the per-sample ``values`` counts), or None when
    it carries no mask; the mask's rank must be that of ``values``."""
    mask = tensor_mask(output)
    if mask is None:
        return None
    if mask.shape.ndims != values.shape.ndims:
        raise ValueError(f"The mask of output {output.name} has shape {mask.shape}, but the loss or metric gives "
                         f"values of shape {values.shape} per sample: their ranks must match to weight them")
    return gn.cast(mask, values.dtype)


def _masked_mean(values, output):
    """``(mean, kept)``: the mean of per-sample ``values`` over the entries ``output``'s Keras mask keeps
    (``sum(values * mask) / sum(mask)``, tf_keras's weighting of a masked output's loss) and how many it
    kept; ``(the plain mean, None)`` when it carries no mask."""
    weights = kept_weights(values, output)
    if weights is None:
        return gn.reduce_mean(values), None
    kept = gn.reduce_sum(weights)
    return gn.reduce_sum(values * weights) / kept, kept


def _with_last_axis(target, output):
    """``target`` given a last axis of 1 when it has one axis less than ``output`` (targets of shape ``(n,)`` for an
    output of shape ``(n, 1)``), as tf_keras 2 expands them; otherwise a loss would broadcast them to ``(n, n)``."""
    if target.shape.ndims is not None and output.shape.ndims is not None and \
            target.shape.ndims == output.shape.ndims - 1:
        return gn.expand_dims(target, -1)
    return target


def _weighted_mean(values, weights, output):
    """The loss of a batch with sample ``weights``: ``sum(values * weights) / number of values`` (tf_keras 2's
    sum over batch size); weights of shape ``(n,)`` weigh every step of a per-step loss alike."""
    if tensor_mask(output) is not None:
        raise ValueError(f"Sample weights for output {output.name}, which carries a Keras mask, are not supported: "
                         f"give the mask or the weights")
    weights = gn.cast(weights, values.dtype)
    for _ in range(values.shape.ndims - weights.shape.ndims):
        weights = gn.expand_dims(weights, -1)
    return gn.reduce_sum(values * weights) / gn.cast(gn.size(values), values.dtype)


class _RunningMeans:
    """The loss and metrics over an epoch's batches so far, each batch weighted as ``_Function.report`` says."""

    def __init__(self, n):
        self.sums, self.weights = np.zeros(n), np.zeros(n)

    def add(self, values, weights):
        # a batch whose mask kept nothing adds nothing (its mean is 0/0)
        self.sums += np.where(weights > 0, values * weights, 0.0)
        self.weights += weights

    def value(self):
        return self.sums / np.maximum(self.weights, 1e-300)


class _Function:
    """One compiled step: feeds arrays to ``inputs``, runs ``fetches`` (the first may be an op)."""

    def __init__(self, inputs, fetches, training, reported=slice(0), kept=()):
        self.inputs, self.fetches = inputs, fetches
        self.reported = reported  # where the loss and metrics are in ``fetches``
        self.kept = kept  # per reported value: None, or the index in ``fetches`` of its kept-entry count
        self.phase = K.phase_feed(training)
        self.variables = gn.global_variables()
        self._session = None

    def __call__(self, arrays):
        session = K.get_session()
        if session is not self._session:
            K.initialize_variables(self.variables, session)
            self._session = session
        feed = dict(zip(self.inputs, arrays))
        feed.update(self.phase)
        return session.run(self.fetches, feed)

    def report(self, arrays):
        """``(values, weights)`` of one batch: the loss and metrics, and the weight each has in a mean over
        batches: the batch size, or the entries a masked metric kept (tf_keras pools those)."""
        fetched = self(arrays)
        values = np.asarray(fetched[self.reported], dtype=np.float64)
        weights = np.array([len(arrays[0]) if k is None else fetched[k] for k in self.kept], dtype=np.float64)
        return values, weights


class TrainingMixin(BatchSourceMixin):
    """The training API of ``Model``."""

    def _init_training(self):
        self.optimizer = None
        self._compile_args = None
        self._functions = {}
        self.stop_training = False
        self.history = None
        self._resume_epoch = None

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, weighted_metrics=None,
                **kwargs):
        """Choose the optimizer, the loss(es) and the metrics (``weighted_metrics``: weighted by the sample or class
        weights given to fit/evaluate); takes effect at the next fit/evaluate."""
        mode = kwargs.pop("sample_weight_mode", None)  # Keras 2's; the shape of the weights given decides now
        if kwargs:
            raise TypeError(f"compile: unexpected keyword argument(s) {sorted(kwargs)}")
        if mode not in (None, "temporal") and not isinstance(mode, (dict, list)):
            raise ValueError(f"sample_weight_mode should be None or 'temporal', got {mode!r}")
        if loss is None:
            raise ValueError("compile needs a loss (a name such as 'categorical_crossentropy' or a callable)")
        self.optimizer = optimizers.get(optimizer)
        if metrics is not None and not isinstance(metrics, (list, tuple, dict)):  # "accuracy" is no list of names
            raise TypeError(f"Type of `metrics` argument not understood. Expected a list or dictionary, found: "
                            f"{metrics}")
        metrics = dict(metrics) if isinstance(metrics, dict) else list(metrics or [])
        weighted = dict(weighted_metrics) if isinstance(weighted_metrics, dict) else list(weighted_metrics or [])
        self._compile_args = {"loss": loss, "metrics": metrics, "loss_weights": loss_weights,
                              "weighted_metrics": weighted}
        if self.outputs is not None:  # an unknown loss or metric fails here, as in Keras 2, not at the first fit
            self._loss_and_metric_specs()
        self._functions = {}
        self._pending_optimizer_state = None  # a new optimizer starts fresh (load_model restores after compiling)

    # -- the compiled graph ------------------------------------------------------------------------
    def _per_output(self, value, default, what):
        names = self.output_names
        if isinstance(value, dict):
            missing = [n for n in value if n not in names]
            if missing:
                raise ValueError(f"Unknown entries in {what} dictionary: {missing}. Only expected the following "
                                 f"keys: {names}")
            return [value.get(n, default) for n in names]
        if what in ("metrics", "weighted_metrics") and isinstance(value, (list, tuple)) and \
                not any(isinstance(item, (list, tuple, dict)) for item in value):
            return [list(value)] * len(names)  # a flat list of metrics is computed for every output (tf_keras 2)
        if isinstance(value, (list, tuple)):
            if len(value) != len(names):
                raise ValueError(f"When passing a list as {what}, it should have one entry per model output. "
                                 f"The model has {len(names)} outputs, but you passed {what}={value!r}")
            return list(value)
        return [value] * len(names)

    @property
    def metrics_names(self):
        """``['loss', ...]``: the names of the values evaluate returns (and fit logs)."""
        if self._compile_args is None or self.outputs is None:
            return []
        return ["loss"] + [name for name, _ in self._loss_and_metric_specs()[1]]

    def _loss_and_metric_specs(self):
        args = self._compile_args
        names = self.output_names
        losses = self._per_output(args["loss"], None, "loss")
        weights = self._per_output(args["loss_weights"], 1.0, "loss_weights") if args["loss_weights"] else \
            [1.0] * len(names)
        metric_lists = self._per_output(args["metrics"], [], "metrics")
        weighted_lists = self._per_output(args["weighted_metrics"], [], "weighted_metrics")
        specs, metric_specs = [], []
        several = len(names) > 1
        for i, (name, loss, weight) in enumerate(zip(names, losses, weights)):
            specs.append((name, get_loss(loss), weight))
            if several:  # every output's loss, then the metrics (tf_keras 2's order)
                metric_specs.append((f"{name}_loss", ("loss", i)))
        for i, (name, loss) in enumerate(zip(names, losses)):
            loss_name = loss if isinstance(loss, str) else getattr(loss, "__name__", type(loss).__name__)
            shape = self.outputs[i].shape.as_list() if self.outputs[i].shape.ndims else None
            for label, weighted, fn in metric_entries(metric_lists[i], weighted_lists[i], loss_name, shape):
                metric_specs.append((f"{name}_{label}" if several else label,
                                     ("weighted" if weighted else "metric", i, fn)))
        return specs, metric_specs

    def _loss_graph(self, targets, weights=None):
        specs, metric_specs = self._loss_and_metric_specs()
        targets = [_with_last_axis(t, out) for t, out in zip(targets, self.outputs)]
        weights = weights or [None] * len(specs)
        with gn.name_scope("loss"):
            per_output = [_masked_mean(fn(t, out), out)[0] if w is None else _weighted_mean(fn(t, out), w, out)
                          for (_, fn, _), t, out, w in zip(specs, targets, self.outputs, weights)]
            total = gn.add_n([w * item for (_, _, w), item in zip(specs, per_output)]) if len(specs) > 1 else \
                per_output[0] * specs[0][2]
            extra = self.losses
            if extra:
                total = total + gn.add_n([gn.cast(item, total.dtype) for item in extra])
        with gn.name_scope("metrics"):
            values = [(per_output[what[1]], None) if what[0] == "loss" else
                      weighted_mean(what[2](targets[what[1]], self.outputs[what[1]]), weights[what[1]])
                      if what[0] == "weighted" and weights[what[1]] is not None else
                      _masked_mean(what[2](targets[what[1]], self.outputs[what[1]]), self.outputs[what[1]])
                      for _, what in metric_specs]
        return total, values

    def _targets(self, ys):
        targets = []
        for name, out, y in zip(self.output_names, self.outputs, ys):
            dtype = y.dtype.name if y.dtype.kind in "iu" else out.dtype
            targets.append(gn.placeholder(dtype, shape=(None,) + y.shape[1:], name=f"{name}_target"))
        return targets

    def _function(self, mode, ys=None, weights=None):
        key = (mode,) + tuple((y.ndim, y.dtype.kind) for y in (ys or [])) + \
            (() if weights is None else ("weights",) + tuple(w.ndim for w in weights))
        if key not in self._functions:
            if mode != "predict" and self._compile_args is None:
                raise RuntimeError("You must compile your model before training/testing. Use "
                                   "`model.compile(optimizer, loss)`.")
            self._functions[key] = self._make_function(mode, ys, weights)
        return self._functions[key]

    def _step(self, mode, ys, weights):
        """The train or test function, weighted when ``weights`` (one array per output) are given."""
        if weights is None:
            return self._function(mode, ys)
        if self._builds_own_train_step():  # it builds its own loss, without the weights
            raise ValueError(f"Model {self.name} builds its own training step: sample_weight and class_weight "
                             f"are not supported for it")
        return self._function(mode, ys, weights=weights)

    def _builds_own_train_step(self):
        """Whether a subclass builds its own training step (gn.parallel's replicated models)."""
        return type(self)._train_op is not TrainingMixin._train_op

    def _make_function(self, mode, ys, weights=None):
        if mode == "predict":
            return _Function(self.inputs, list(self.outputs), training=False)
        targets = self._targets(ys)
        weight_inputs = [gn.placeholder(gn.float32, shape=(None,) * w.ndim, name=f"{name}_sample_weights")
                         for name, w in zip(self.output_names, weights or [])]
        total, values = self._loss_graph(targets, weight_inputs or None)
        fetches = [total] + [value for value, _ in values]
        if mode == "train":
            fetches = [gn.group(self._train_op(total, targets), *self.updates)] + fetches
            optimizer_state.apply_pending(self, weight_keys(self))
        reported, kept = slice(len(fetches) - len(values) - 1, len(fetches)), [None]
        for _, count in values:  # a masked metric's count of kept entries, fetched after the values
            kept.append(None if count is None else len(fetches))
            fetches += [] if count is None else [count]
        return _Function(self.inputs + targets + weight_inputs, fetches, training=mode == "train", reported=reported,
                         kept=tuple(kept))

    def _train_op(self, total, targets):
        """The op of one training step (a hook: gn.parallel's replicated models build their own)."""
        weights = self.trainable_weights
        if not weights:
            raise ValueError(f"Model {self.name} has no trainable weights to fit.")
        return self.optimizer.minimize(total, weights)

    # -- data ---------------------------------------------------------------------------------------
    def _standardize_x(self, x):
        if self.outputs is None:
            arrays = standardize(x, None, "input")
            self._build_for_data(arrays)
        xs = standardize(x, self.inputs, "input", self.input_names)
        if len({len(a) for a in xs}) > 1:
            raise ValueError(f"Data cardinality is ambiguous: the input arrays have different numbers of samples: "
                             f"{[len(a) for a in xs]}")
        return xs

    def _standardize(self, x, y):
        xs = self._standardize_x(x)
        ys = standardize(y, self.outputs, "target", self.output_names, check_shape=False)
        if self._compile_args is not None:
            ys = check_targets(ys, self.outputs, self._per_output(self._compile_args["loss"], None, "loss"))
        sizes = {len(a) for a in xs + ys}
        if len(sizes) > 1:
            raise ValueError(f"All input and target arrays should have the same number of samples. Got array "
                             f"lengths {[len(a) for a in xs]} (inputs) and {[len(a) for a in ys]} (targets)")
        return xs, ys

    # -- fit / evaluate / predict -----------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, initial_epoch=0, sample_weight=None, class_weight=None,
            steps_per_epoch=None, validation_steps=None, validation_freq=1, **kwargs):
        """Train for ``epochs`` passes over the data; returns the ``History`` callback. ``sample_weight`` and
        ``class_weight`` weigh each sample's loss (``validation_data`` may be ``(x, y, sample_weight)``). ``x`` may
        be a generator of batches (``steps_per_epoch`` of them make an epoch) or a ``gn.utils.Sequence``, and so may
        ``validation_data`` (``validation_steps`` batches per pass); ``validation_freq``: validate every that many
        epochs, or after the 1-based epochs of a list."""
        if kwargs:
            raise TypeError(f"fit: unexpected keyword argument(s) {sorted(kwargs)}")
        if epochs <= 0:  # tf_keras 2 refuses it too
            raise ValueError(f"Expected epochs to be positive. Received: epochs={epochs!r}")
        check_validation_freq(validation_freq)
        batch_size = batch_size_arg(batch_size)
        source = self._batch_source(x, y, steps_per_epoch, shuffle, class_weight)
        xs, ys, ws = self._weighted_data(x, y, sample_weight, class_weight) if source is None else \
            self._weighted_data(*source.first()[:3], class_weight)
        if source is None and not len(xs[0]):
            raise ValueError("Empty training data.")
        if validation_data is not None:
            val = validation_set(self, validation_data, validation_steps)
        elif validation_split:
            (xs, rest), (vx, vrest) = split_validation(xs, ys + (ws or []), validation_split)
            ys, ws = rest[:len(ys)], rest[len(ys):] or None
            val = ValidationArrays(vx, vrest[:len(ys)], vrest[len(ys):] or None, validation_steps)
        else:
            val = None
        step = self._step("train", ys, ws)
        names = self.metrics_names
        history = callbacks_module.History()
        cbs = callbacks_module.CallbackList(callbacks, self, history, verbose,
                                            {"epochs": epochs, "verbose": verbose, "metrics": names,
                                             "steps": -(-len(xs[0]) // batch_size) if source is None else source.steps,
                                             "samples": len(xs[0]) if source is None else None})
        self.stop_training = False
        self._resume_epoch = None
        cbs.on_train_begin()  # a callback restoring a saved fit sets where it resumes
        start = initial_epoch if self._resume_epoch is None else max(initial_epoch, self._resume_epoch)
        logs = None
        for epoch in range(start, epochs):
            cbs.on_epoch_begin(epoch)
            logs = self._run_epoch(step, xs + ys + (ws or []) if source is None else source, batch_size, shuffle,
                                   names, cbs)
            if source is not None and source.exhausted:
                break
            if val is not None and should_validate(epoch, validation_freq):
                logs.update({f"val_{n}": v for n, v in zip(names, self._validate(val, batch_size, cbs))})
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        cbs.on_train_end(logs)
        self.history = history
        return history

    def resume_from_epoch(self, epoch: int):
        """Called by a callback's ``on_train_begin`` that restored a saved fit: the running fit
        continues at 0-based ``epoch`` (not before its ``initial_epoch``)."""
        self._resume_epoch = int(epoch)

    def _run_epoch(self, step, arrays, batch_size, shuffle, names, cbs):
        means = _RunningMeans(len(names))
        for index, chunk in enumerate(self._epoch_chunks(arrays, batch_size, shuffle)):
            cbs.on_batch_begin(index)
            means.add(*step.report(chunk))
            cbs.on_batch_end(index, dict(zip(names, means.value())))
            if self.stop_training:  # a callback stopped training within the epoch (TerminateOnNaN)
                break
        return {name: float(v) for name, v in zip(names, means.value())}

    def _weighted_data(self, x, y, sample_weight=None, class_weight=None):
        """``(inputs, targets, weights)``: the arrays of ``x`` and ``y``, and one weights array per output (None
        without ``sample_weight`` and ``class_weight``)."""
        xs, ys = self._standardize(x, y)
        return xs, ys, standardize_weights(sample_weight, class_weight, ys, self.output_names)

    def _validate(self, val, batch_size, cbs):
        if isinstance(val, ValidationArrays):
            return self._run_test(self._step("test", val.ys, val.weights), val.chunks(batch_size), cbs)
        return self._test_source(val, cbs)

    def _test_loop(self, xs, ys, batch_size, weights, cbs):
        step = self._step("test", ys, weights)
        return self._run_test(step, batches(xs + ys + (weights or []), batch_size, shuffle=False), cbs)

    def _run_test(self, step, chunks, cbs):
        """The loss and metrics over ``chunks``, each batch between ``cbs``'s test hooks (tf_keras 2's order)."""
        names = self.metrics_names
        means = _RunningMeans(len(step.kept))
        cbs.call("on_test_begin", {})
        for index, chunk in enumerate(chunks):
            cbs.call("on_test_batch_begin", index, {})
            means.add(*step.report(chunk))
            cbs.call("on_test_batch_end", index, dict(zip(names, means.value())))
        results = [float(v) for v in means.value()]
        cbs.call("on_test_end", dict(zip(names, results)))
        return results

    def evaluate(self, x=None, y=None, batch_size=None, verbose=1, sample_weight=None, steps=None, callbacks=None,
                 return_dict=False, **kwargs):
        """The loss (and metrics) over the data, averaged over samples: a scalar or a list (a dict by name with
        ``return_dict``). ``x`` may be a generator (``steps`` batches of it) or a ``gn.utils.Sequence``;
        ``callbacks`` see the test hooks."""
        if kwargs:
            raise TypeError(f"evaluate: unexpected keyword argument(s) {sorted(kwargs)}")
        source = self._batch_source(x, y, steps, False, None)
        cbs = callbacks_module.CallbackList(callbacks, self, None, 0, {"verbose": verbose, "epochs": 1,
                                                                       "steps": steps})
        if source is None:
            xs, ys, ws = self._weighted_data(x, y, sample_weight)
            results = self._test_loop(xs, ys, batch_size_arg(batch_size), ws, cbs)
        else:
            results = self._test_source(source, cbs)
        if verbose:
            print(" - ".join(f"{n}: {v:.4f}" for n, v in zip(self.metrics_names, results)))
        return self._results(results, return_dict)

    def _results(self, values, return_dict):
        """Keras 2's return format: a scalar for the loss alone, else a list, or a dict by name."""
        if return_dict:
            return dict(zip(self.metrics_names, values))
        return values[0] if len(values) == 1 else values

    def _test_source(self, source, cbs):
        """The loss and metrics over the batches of a generator or Sequence."""
        _, ys, ws = self._weighted_data(*source.first())
        return self._run_test(self._step("test", ys, ws), self._epoch_chunks(source, None, False), cbs)

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None, **kwargs):
        """The model outputs for ``x``, computed in batches (an array, or a list for several outputs); ``x`` may be
        a generator (``steps`` batches of ``x`` or ``(x, ...)``) or a ``gn.utils.Sequence``; ``callbacks`` see the
        predict hooks."""
        if kwargs:
            raise TypeError(f"predict: unexpected keyword argument(s) {sorted(kwargs)}")
        if is_batch_source(x):
            chunks = (self._standardize_x(batch[0]) for batch in BatchSource(x, steps, False).epoch())
        else:
            xs = self._standardize_x(x)
            batch_size = batch_size_arg(batch_size)
            chunks = [xs] if len(xs[0]) <= batch_size else batches(xs, batch_size, shuffle=False)
        step = self._function("predict")
        if not callbacks:  # the common call, one batch and no hooks: no per-call callback machinery
            parts = [step(chunk) for chunk in chunks]
        else:
            parts = self._predict_with_hooks(step, chunks, callbacks, verbose, steps)
        return unpack(parts[0] if len(parts) == 1 else [np.concatenate(column) for column in zip(*parts)])

    def _predict_with_hooks(self, step, chunks, callbacks, verbose, steps):
        cbs = callbacks_module.CallbackList(callbacks, self, None, 0, {"verbose": verbose, "epochs": 1,
                                                                       "steps": steps})
        cbs.call("on_predict_begin", {})
        parts = []
        for index, chunk in enumerate(chunks):
            cbs.call("on_predict_batch_begin", index, {})
            parts.append(step(chunk))
            cbs.call("on_predict_batch_end", index, {"outputs": unpack(parts[-1])})
        cbs.call("on_predict_end", {})
        return parts

    def predict_on_batch(self, x):
        return unpack(self._function("predict")(self._standardize_x(x)))

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on one batch; the loss (and metrics) of that batch before the update."""
        return self._results(self._on_batch("train", x, y, sample_weight, class_weight), return_dict)

    def test_on_batch(self, x, y, sample_weight=None, return_dict=False):
        """The loss (and metrics) of one batch."""
        return self._results(self._on_batch("test", x, y, sample_weight, None), return_dict)

    def _on_batch(self, mode, x, y, sample_weight, class_weight):
        xs, ys, ws = self._weighted_data(x, y, sample_weight, class_weight)
        return [float(v) for v in self._step(mode, ys, ws).report(xs + ys + (ws or []))[0]]

