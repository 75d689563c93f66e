"""``multi_gpu_model``: Keras 2's data-parallel wrapper, trained through the replica engine.

The parallel model takes the whole batch on ``/cpu:0``, gives replica ``i`` its rows (Keras 2's
split: equal parts, the remainder to the last replica) on ``/gpu:i``, runs the template there and
concatenates the outputs on ``/cpu:0``. It shares the template's layers and weights: training it
trains the template, and saving either saves the template."""
from __future__ import annotations

import time

import gpunet as gn
from gpunet.layers.base import to_list
from gpunet.models import Model

from .towers import gpu_devices, split_batch
from .trainer import ReplicatedTrainer


class ParallelModel(Model):
    """The model ``multi_gpu_model`` returns (build it through that function)."""

    def __init__(self, template, devices, cpu_merge=True):
        inputs, replica_outputs, merged = _replicate(template, list(devices), cpu_merge)
        super().__init__(inputs, merged[0] if len(merged) == 1 else merged, name=f"{template.name}_parallel")
        # plain attributes: the template is already this model's (only) sublayer with weights
        vars(self).update(template=template, replica_devices=list(devices), replica_outputs=replica_outputs)

    # -- training through the replica engine ------------------------------------------------------
    def _train_op(self, total, targets):
        if self.template.losses:
            raise NotImplementedError("multi_gpu_model: templates with layer losses (regularizers, add_loss) "
                                      "are not supported yet")
        weights = self.template.trainable_weights
        if not weights:
            raise ValueError(f"Model {self.template.name} has no trainable weights to fit.")
        trainer = ReplicatedTrainer(self.optimizer, gpus=[int(d.split(":")[-1]) for d in self.replica_devices])
        specs = self._loss_and_metric_specs()[0]
        tower_grads = []
        for i in range(len(self.replica_devices)):
            with gn.device("/cpu:0"), gn.name_scope("split_targets"):
                rows = [split_batch(t, len(self.replica_devices), i) for t in targets]
            with trainer.tower(i):
                loss_sum = _loss_sum(specs, rows, self.replica_outputs[i])
                tower_grads.append(list(zip(gn.gradients(loss_sum, weights), weights)))
        with gn.device("/cpu:0"):
            scale = gn.reciprocal(gn.cast(gn.shape(targets[0])[0], weights[0].dtype.base_dtype))
        return trainer.apply_gradients(tower_grads, scale=scale)

    def _run_epoch(self, step, arrays, batch_size, shuffle, names, cbs):
        start = time.perf_counter()
        logs = super()._run_epoch(step, arrays, batch_size, shuffle, names, cbs)
        logs["samples_per_sec"] = len(arrays[0]) / max(time.perf_counter() - start, 1e-9)
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


def _replicate(template, devices, cpu_merge):
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
            replica_outputs.append(to_list(template(rows[0] if len(rows) == 1 else rows)))
    with gn.device("/cpu:0" if cpu_merge else devices[0]):
        merged = [_merge(list(outs), name) for name, outs in zip(template.output_names, zip(*replica_outputs))]
    return inputs, replica_outputs, merged


def _merge(outputs, name):
    if len(outputs) == 1:  # a single replica: nothing to concatenate, the output under its own name
        return gn.layers.Lambda(_same, name=name)(outputs[0])
    return gn.layers.concatenate(outputs, axis=0, name=name)


def _same(tensor):
    return gn.identity(tensor)


def _loss_sum(specs, targets, outputs):
    """Sum over this replica's rows of each output's per-example loss (weighted as compiled), so the
    global loss is the sum over replicas divided by the global batch size."""
    total = None
    for (_, fn, weight), target, output in zip(specs, targets, outputs):
        per_example = fn(target, output)
        inner = 1
        for d in per_example.shape.as_list()[1:]:
            inner *= d
        term = gn.reduce_sum(per_example) * (float(weight) / inner)
        total = term if total is None else total + term
    return total


def multi_gpu_model(model, gpus=None, cpu_merge=True, cpu_relocation=False):
    """A model that runs ``model`` (built under ``/cpu:0``) on ``gpus`` (a count >= 1 or a list of
    ids) with the batch split across them and the outputs concatenated on ``/cpu:0``."""
    if cpu_relocation:
        raise NotImplementedError("multi_gpu_model: cpu_relocation=True is not supported; build the template "
                                  "under gn.device('/cpu:0')")
    if gpus is None:
        gpus = len(gn.config.list_logical_devices("GPU"))
    if model.inputs is None:
        raise ValueError(f"multi_gpu_model: model {model.name} has no inputs yet; build it (call it on an Input) "
                         f"first")
    return ParallelModel(model, gpu_devices(gpus), cpu_merge)
