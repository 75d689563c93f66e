"""``ReplicatedTrainer``: the one replica engine under towers and ``multi_gpu_model``.

It builds graphs only (concurrency is the executor's business). Each replica (tower) runs on its
GPU under ``name_scope('tower_i')``; its gradients are flattened into ONE buffer on that GPU, so a
step moves one tensor per replica across devices, whatever the number of variables.

``variables_on='cpu'`` (default): one set of variables on ``/cpu:0`` (TF1's parameter-server
layout, ``replica_device_setter``); the buffers are summed and scaled on the host, split there and
applied there by the optimizer. ``variables_on='gpu'``: every replica builds its own mirrored copy
of the variables on its GPU; the buffers are combined by the communicator's all-reduce and every
replica applies the same update to its copy with its own optimizer (pass a zero-argument
optimizer factory); ``broadcast_op()`` makes the copies equal after the initializer. The default
communicator there is ``CollectiveAllReduce`` (NCCL on CuPy GPUs): the gradients never visit the host."""
from __future__ import annotations

import contextlib

import gpunet as gn

from .communicators import CollectiveAllReduce, HostAllReduce, scaled
from .fusion import fuse, shards, unfuse
from .towers import batch_rows, gpu_devices, row_bounds, split_batch, static_batch

__all__ = ["ReplicatedTrainer"]

_MODES = ("cpu", "gpu")


class ReplicatedTrainer:
    """Data-parallel training over ``gpus`` (a count or a list of ids) with ``optimizer``."""

    def __init__(self, optimizer, gpus=None, variables_on="cpu", communicator=None, host="/cpu:0"):
        if variables_on not in _MODES:
            raise ValueError(f"variables_on must be one of {list(_MODES)}, got {variables_on!r}")
        if gpus is None:
            gpus = len(gn.config.list_logical_devices("GPU"))
        self.devices = gpu_devices(gpus)
        self.variables_on, self.host = variables_on, host
        # mirrored copies meet in one collective (NCCL on CuPy GPUs; on virtual GPUs a sum in place, measured
        # faster than through the host); the host all-reduce stays available by name
        self.communicator = communicator or (CollectiveAllReduce() if variables_on == "gpu" else HostAllReduce(host))
        self._optimizer_source = optimizer
        self._optimizers = []
        for index in range(self.num_replicas):
            self._optimizers.append(self._make_optimizer(index))
        self.tower_variables = []  # per replica, the variables apply_gradients updated (set by it)

    @property
    def num_replicas(self):
        return len(self.devices)

    @property
    def optimizer(self):
        """The optimizer that updates the host variables (replica 0's in 'gpu' mode)."""
        return self._optimizers[0]

    def _make_optimizer(self, index):
        """Replica ``index``'s optimizer: the one given (or made once) in 'cpu' mode; one made per
        replica by the given factory in 'gpu' mode (each copy has its own slots and step count)."""
        source = self._optimizer_source
        is_factory = callable(source) and not isinstance(source, gn.train.Optimizer)
        if self.variables_on == "cpu":
            return self._optimizers[0] if index > 0 else (source() if is_factory else source)
        if is_factory:
            return source()
        if index > 0:
            raise TypeError("variables_on='gpu' gives each replica its own optimizer: pass a zero-argument "
                            "factory, e.g. optimizer=lambda: gn.train.AdamOptimizer(1e-3)")
        return source

    # -- building the towers ----------------------------------------------------------------------
    @contextlib.contextmanager
    def tower(self, index):
        """Device, name scope and variable scope of replica ``index``: variables on the host and shared
        ('cpu'), or each replica's own copy on its GPU under ``replica_i`` ('gpu')."""
        device = self.devices[index]
        if self.variables_on == "cpu":
            placement = gn.train.replica_device_setter(ps_device=self.host, worker_device=device)
            scope = gn.variable_scope(gn.get_variable_scope(), reuse=True if index > 0 else None)
        else:
            placement = device
            scope = gn.variable_scope(f"replica_{index}") if index > 0 else contextlib.nullcontext()
        with gn.device(placement), scope, gn.name_scope(f"tower_{index}"):
            yield device

    def split(self, tensor, bounds=None):
        """``tensor`` cut into one batch slice per replica, Keras 2 style, on the host; ``bounds``: the
        replicas' ``(start, stop)`` rows when already computed (``row_bounds``) for another input of the batch."""
        with gn.device(self.host), gn.name_scope("split"):
            if bounds is None or static_batch([tensor]) is not None:
                return [split_batch(tensor, self.num_replicas, i) for i in range(self.num_replicas)]
            return [batch_rows(tensor, b, name=f"replica_{i}_rows") for i, b in enumerate(bounds)]

    def minimize(self, tower_loss, inputs, global_step=None, var_list=None):
        """Build the replicas and the update: ``tower_loss(*rows)`` returns the SUM of the per-example
        losses of its rows (so uneven and empty slices weigh right); the step minimises their total
        divided by the global batch size. ``inputs`` are the global batch tensors. Returns
        ``(train_op, [per-replica loss sums])``."""
        inputs, bounds = list(inputs), None
        if static_batch(inputs) is None:  # each replica's rows, computed once for every input of the batch
            with gn.device(self.host), gn.name_scope("split_rows"):
                n = gn.shape(inputs[0])[0]
                bounds = [row_bounds(n, self.num_replicas, i) for i in range(self.num_replicas)]
        shards = [self.split(t, bounds) for t in inputs]
        scale = self._batch_scale(inputs[0])
        tower_grads, sums = [], []
        for i in range(self.num_replicas):
            with self.tower(i):
                loss_sum = tower_loss(*[s[i] for s in shards])
                tower_grads.append(self.tower_gradients(loss_sum, self._variables_for(i, var_list), scale))
                sums.append(loss_sum)
        return self.apply_gradients(tower_grads, global_step=global_step, scale=1), sums

    def _batch_scale(self, batch):
        """1 / the global batch size, on the host, in the batch's float dtype (float32 for other batches);
        made before the towers, so the plan computes it with the host's other work before theirs."""
        dtype = batch.dtype.base_dtype if batch.dtype.is_floating else gn.float32
        with gn.device(self.host), gn.name_scope("batch_scale"):
            return gn.reciprocal(gn.cast(gn.shape(batch)[0], dtype))

    @staticmethod
    def tower_gradients(loss_sum, variables, scale, extra_loss=None, extra_weight=1.0):
        """``[(gradient of loss_sum * scale + extra_loss * extra_weight, variable)]``: each scale enters
        the backward pass as the seed (a scalar) of its loss, so the gradients come scaled and the update
        need not scale a whole buffer. ``extra_loss`` (a scalar, e.g. this tower's share of the model's
        layer losses, weighted ``1/replicas``) is optional."""
        dtype = loss_sum.dtype.base_dtype
        ys, seeds = [loss_sum], [scale if scale.dtype.base_dtype == dtype else gn.cast(scale, dtype)]
        if extra_loss is not None:
            ys.append(extra_loss)
            seeds.append(gn.convert_to_tensor(extra_weight, dtype=extra_loss.dtype.base_dtype))
        return list(zip(gn.gradients(ys, variables, grad_ys=seeds), variables))

    def _variables_for(self, index, var_list):
        if self.variables_on == "cpu" or index == 0:
            return list(var_list) if var_list is not None else gn.trainable_variables()
        prefix = f"replica_{index}/"
        return [v for v in gn.trainable_variables() if v.op.name.startswith(prefix)]

    # -- the update -------------------------------------------------------------------------------
    def apply_gradients(self, tower_grads, global_step=None, scale=None):
        """One update from one ``[(gradient, variable)]`` list per replica: the gradients summed over
        replicas and multiplied by ``scale`` (default ``1/N``: the average; 1: gradients that came scaled,
        see ``tower_gradients``), one fused buffer per replica. Returns the training op (it increments
        ``global_step`` once, when given)."""
        tower_grads = [list(g) for g in tower_grads]
        if len(tower_grads) != self.num_replicas:
            raise ValueError(f"apply_gradients: expected {self.num_replicas} gradient lists (one per replica), "
                             f"got {len(tower_grads)}")
        scale = 1.0 / self.num_replicas if scale is None else scale
        buffers = []
        for i, grads in enumerate(tower_grads):
            with gn.device(self.devices[i]), gn.name_scope(f"tower_{i}/"):
                buffers.append(fuse([g for g, _ in grads], [v for _, v in grads]))
        self.tower_variables = [[v for _, v in grads] for grads in tower_grads]
        if self.variables_on == "cpu":
            update = self._apply_on_host(buffers, tower_grads[0], scale)
        else:
            update = self._apply_mirrored(buffers, tower_grads, scale)
        if global_step is None:
            return update
        with gn.control_dependencies([update]), gn.device(self.host):
            return gn.assign_add(global_step, 1, name="replicated_step")

    def _apply_on_host(self, buffers, grads_and_vars, scale):
        """The buffers summed and the variables updated on the host, in one shard of variables per replica
        (contiguous in the buffers, of about equal size): the shards' sums and updates depend on nothing of
        each other, so the executor runs them at once (graph/host_tail.py)."""
        variables = [v for _, v in grads_and_vars]
        grads = []
        with gn.device(self.host), gn.name_scope("average_gradients"):
            for start, stop, shard in shards(variables, len(buffers)):
                parts = [buffer[start:stop] for buffer in buffers] if len(buffers) > 1 else buffers
                total = parts[0] if len(parts) == 1 else gn.add_n(parts)
                grads += unfuse(scaled(total, scale), shard)
            return self.optimizer.apply_gradients(list(zip(grads, variables)))

    def _apply_mirrored(self, buffers, tower_grads, scale):
        reduced = self.communicator.all_reduce(buffers, self.devices, scale)
        updates = []
        for i, (buffer, grads) in enumerate(zip(reduced, tower_grads)):
            variables = [v for _, v in grads]
            with gn.device(self.devices[i]), gn.name_scope(f"tower_{i}/apply"):
                pairs = list(zip(unfuse(buffer, variables), variables))
                updates.append(self._optimizers[i].apply_gradients(pairs))
        return gn.group(*updates, name="mirrored_update")

    def broadcast_op(self):
        """'gpu' mode: the op that copies replica 0's variables into every other replica's copy (run it
        once after the initializer); a no-op in 'cpu' mode."""
        assigns = []
        if self.variables_on == "gpu":
            for i, variables in enumerate(self.tower_variables[1:], start=1):
                with gn.device(self.devices[i]):
                    assigns += [gn.assign(mine, first) for mine, first in zip(variables, self.tower_variables[0])]
        return gn.group(*assigns, name="broadcast_variables")
