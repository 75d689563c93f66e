"""``multi_gpu_model``: Keras 2's data-parallel wrapper, trained through the replica engine.

The parallel model takes the whole batch on ``/cpu:0``, gives replica ``i`` its rows (Keras 2's
split: equal parts, the remainder to the last replica) on ``/gpu:i``, runs the template there and
concatenates the outputs on ``/cpu:0``. It shares the template's layers and weights: training it
trains the template, and saving either saves the template. The template's layer losses (regularizers,
``add_loss`` of weights) enter the objective once, a ``1/replicas`` share per tower;
``cpu_relocation=True`` makes the template a copy of the model rebuilt under ``/cpu:0``."""
from __future__ import annotations

import time

import gpunet as gn
from gpunet.layers.base import tensor_mask, to_list
from gpunet.models import Model
from gpunet.models.training import kept_weights

from ._layer_losses import carry_losses, check_weights_only, tower_share
from .towers import gpu_devices, split_batch
from .trainer import ReplicatedTrainer

__all__ = ["ParallelModel", "multi_gpu_model"]


class ParallelModel(Model):
    """The model ``multi_gpu_model`` returns (build it through that function)."""

    def __init__(self, template, devices, cpu_merge=True, variables_on="cpu"):
        if variables_on not in ("cpu", "gpu"):
            raise ValueError(f"variables_on must be 'cpu' or 'gpu', got {variables_on!r}")
        check_weights_only(template)
        replicas = [template] * len(devices) if variables_on == "cpu" else \
            [_mirror(template, device, i) for i, device in enumerate(devices)]
        # before the replicas are called: a layer's add_loss in call() would add its loss once more per call
        layer_losses = [list(replica.losses) for replica in replicas]
        inputs, replica_outputs, merged = _replicate(template, replicas, list(devices), cpu_merge)
        super().__init__(inputs, merged[0] if len(merged) == 1 else merged, name=f"{template.name}_parallel")
        # plain attributes, not sublayers: the replicas are already this model's sublayers
        vars(self).update(template=template, replica_devices=list(devices), replica_outputs=replica_outputs,
                          replicas=replicas, variables_on=variables_on, _mirrored_in=None,
                          replica_losses=layer_losses)
        if variables_on == "gpu":
            vars(self).update(_to_replicas=_assign_all(replicas, template), _to_template=_assign_all([template],
                                                                                                     replicas[0]))

    @property
    def losses(self):
        """The template's layer losses once, as replica 0 computes them (not once per mirrored copy)."""
        return list(self.replica_losses[0])

    # -- training through the replica engine ------------------------------------------------------
    def _train_op(self, total, targets):
        if not self.template.trainable_weights:
            raise ValueError(f"Model {self.template.name} has no trainable weights to fit.")
        optimizer = self.optimizer
        if self.variables_on == "gpu":  # one optimizer (slots, iterations) per mirrored copy
            optimizer = lambda: type(self.optimizer).from_config(self.optimizer.get_config())  # noqa: E731
        trainer = ReplicatedTrainer(optimizer, gpus=[int(d.split(":")[-1]) for d in self.replica_devices],
                                    variables_on=self.variables_on)
        specs = self._loss_and_metric_specs()[0]
        tower_grads = []
        with gn.device("/cpu:0"):
            scale = gn.reciprocal(gn.cast(gn.shape(targets[0])[0], self.template.trainable_weights[0].dtype.base_dtype))
            kept = _kept_counts(self.replica_outputs, scale.dtype)
        for i, replica in enumerate(self.replicas):
            with gn.device("/cpu:0"), gn.name_scope("split_targets"):
                rows = [split_batch(t, len(self.replica_devices), i) for t in targets]
            with trainer.tower(i):
                loss_sum = _loss_sum(specs, rows, self.replica_outputs[i], kept, scale)
                extra, weight = tower_share(self.replica_losses[i], loss_sum.dtype.base_dtype, len(self.replicas))
                tower_grads.append(trainer.tower_gradients(loss_sum, replica.trainable_weights, scale, extra, weight))
        return trainer.apply_gradients(tower_grads, scale=1)

    def _function(self, mode, ys=None):
        function = super()._function(mode, ys)
        if self.variables_on == "gpu":
            self._mirror_template()
        return function

    def _mirror_template(self):
        """'gpu' mode: the template's weights into every copy, once per session (at first use)."""
        session = gn.backend.get_session()
        if self._mirrored_in is not session:
            gn.backend.initialize_variables(self.template.weights, session)  # the copies get their values
            session.run(self._to_replicas)
            vars(self)["_mirrored_in"] = session

    def _sync_template(self):
        """'gpu' mode: replica 0's (trained) weights back into the template, so saving either saves them."""
        if self.variables_on == "gpu":
            gn.backend.get_session().run(self._to_template)

    def train_on_batch(self, x, y):
        """One step on the global batch split across the replicas."""
        values = super().train_on_batch(x, y)
        self._sync_template()
        return values

    def _run_epoch(self, step, arrays, batch_size, shuffle, names, cbs):
        start = time.perf_counter()
        logs = super()._run_epoch(step, arrays, batch_size, shuffle, names, cbs)
        logs["samples_per_sec"] = len(arrays[0]) / max(time.perf_counter() - start, 1e-9)
        self._sync_template()  # before the epoch's callbacks (ModelCheckpoint) see the template
        return logs

    # -- saving: the template's weights, whichever model is saved ------------------------------------
    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Saves the template (Keras 2's advice for multi_gpu_model, done for you)."""
        self.template.save(filepath, overwrite, include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        """The template's weights, as ``template.save_weights`` writes them."""
        self.template.save_weights(filepath, overwrite)

    def load_weights(self, filepath, by_name=False):
        """Loads into the template, so into every replica."""
        self.template.load_weights(filepath, by_name)


def _mirror(template, device, index):
    """A copy of ``template`` with its own weights (and layer losses on them) on ``device`` ('gpu' mode)."""
    with gn.device(device), gn.name_scope(f"replica_{index}"):
        mirror = type(template).from_config(template.get_config())
        carry_losses(template, mirror)
    return mirror


def _relocated_to_cpu(model):
    """``model`` rebuilt from its config under ``/cpu:0``, with ``model``'s current weights (its initial
    ones if the session has not initialised them yet: get_weights initialises them) and its layer losses."""
    try:
        config = model.get_config()
    except NotImplementedError as exc:
        raise ValueError(f"multi_gpu_model(cpu_relocation=True): model {model.name} cannot be rebuilt from its "
                         f"config ({exc}); build it under gn.device('/cpu:0') and pass cpu_relocation=False") from exc
    with gn.device("/cpu:0"):
        relocated = type(model).from_config(config)
        carry_losses(model, relocated)
    relocated.set_weights(model.get_weights())
    return relocated


def _assign_all(targets, source):
    """One op setting every model of ``targets`` to ``source``'s weights (each on its own device)."""
    return gn.group(*[gn.assign(mine, theirs) for target in targets
                      for mine, theirs in zip(target.weights, source.weights)])


def _replicate(template, replicas, devices, cpu_merge):
    """Inputs on /cpu:0, each replica's rows cut there, the template called on each GPU, the outputs
    concatenated on /cpu:0 (or the first GPU without ``cpu_merge``)."""
    with gn.device("/cpu:0"):
        inputs = [gn.layers.Input(batch_shape=tuple(t.shape.as_list()), dtype=t.dtype, name=f"parallel_{n}")
                  for t, n in zip(template.inputs, template.input_names)]
    replica_outputs = []
    for i, device in enumerate(devices):
        with gn.device("/cpu:0"):
            rows = [gn.layers.Lambda(split_batch, arguments={"parts": len(devices), "index": i},
                                     name=f"replica_{i}_{n}")(x) for x, n in zip(inputs, template.input_names)]
        with gn.device(device), gn.name_scope(f"replica_{i}"):
            replica_outputs.append(to_list(replicas[i](rows[0] if len(rows) == 1 else rows)))
    with gn.device("/cpu:0" if cpu_merge else devices[0]):
        merged = [_merge(list(outs), name) for name, outs in zip(template.output_names, zip(*replica_outputs))]
    return inputs, replica_outputs, merged


def _merge(outputs, name):
    if len(outputs) == 1:  # a single replica: nothing to concatenate, the output under its own name (and mask)
        return gn.layers.Lambda(_same, mask=_same_mask, name=name)(outputs[0])
    return gn.layers.concatenate(outputs, axis=0, name=name)


def _same(tensor):
    return gn.identity(tensor)


def _same_mask(tensor, mask):
    return mask


def _kept_counts(replica_outputs, dtype):
    """For each output: the number of entries its Keras mask keeps over all replicas (None without a mask)."""
    counts = []
    for outs in zip(*replica_outputs):
        masks = [tensor_mask(out) for out in outs]
        counts.append(None if masks[0] is None else gn.add_n([gn.reduce_sum(gn.cast(m, dtype)) for m in masks]))
    return counts


def _loss_sum(specs, targets, outputs, kept, scale):
    """Sum over this replica's rows of each output's per-example loss (weighted as compiled), so the
    global loss is the sum over replicas divided by the global batch size (``scale`` is its inverse). An output
    with a Keras mask sums the kept entries only and counts over the kept entries of every replica, as
    ``compile`` weights a masked loss (``sum(loss * mask) / sum(mask)``)."""
    total = None
    for (_, fn, weight), target, output, count in zip(specs, targets, outputs, kept):
        per_example = fn(target, output)
        weights = kept_weights(per_example, output)
        if weights is None:
            inner = 1
            for d in per_example.shape.as_list()[1:]:
                inner *= d
            term = gn.reduce_sum(per_example) * (float(weight) / inner)
        else:  # times 1/scale: the engine multiplies every tower's loss by scale
            term = gn.reduce_sum(per_example * weights) * float(weight) / (count * scale)
        total = term if total is None else total + term
    return total


def multi_gpu_model(model, gpus=None, cpu_merge=True, cpu_relocation=False, variables_on="cpu"):
    """A model that runs ``model`` (built under ``/cpu:0``) on ``gpus`` (a count >= 1 or a list of
    ids) with the batch split across them and the outputs concatenated on ``/cpu:0``.

    ``variables_on='cpu'``: the replicas share the template's weights. ``'gpu'``: each GPU holds its
    own copy (set from the template when the parallel model first runs in a session, combined by
    all-reduce each step, copied back into the template after each epoch or ``train_on_batch``).

    ``cpu_relocation=True``: the template is a copy of ``model`` rebuilt from its config under
    ``/cpu:0`` with ``model``'s current weights (Keras 2 rebuilds it too, but re-initialised), for a
    ``model`` built outside any device scope; the parallel model then trains and saves that copy, not
    ``model`` (as in Keras 2). A model without a config (subclassed) raises ``ValueError``.

    Layer losses (weight regularizers, ``add_loss`` of weights) count once in the objective and in the
    reported loss, as on one device: each replica adds ``1/len(gpus)`` of them (its own copy's in
    ``'gpu'`` mode). A layer loss computed from the model's inputs raises ``ValueError``."""
    if cpu_relocation:
        model = _relocated_to_cpu(model)
    if gpus is None:
        gpus = len(gn.config.list_logical_devices("GPU"))
    if model.inputs is None:
        raise ValueError(f"multi_gpu_model: model {model.name} has no inputs yet; build it (call it on an Input) "
                         f"first")
    return ParallelModel(model, gpu_devices(gpus), cpu_merge, variables_on)
