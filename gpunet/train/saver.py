"""``gn.train.Saver``: save and restore variables as in TF1, through crash-safe checkpoint files.

The Saver adds its restore ops to the graph when it is built (under ``save/``, as TF1 does): one
placeholder and one ``Assign`` per variable, colocated with the variable, so a restore feeds host
arrays and the session copies each to its variable's device. Saving fetches every variable's
value in one run and writes them with ``_checkpoint_files`` (the checkpoint, then the directory's
state file, each atomically), so a crash at any instant leaves the previous checkpoint loadable.
"""
from __future__ import annotations

import numbers
import os
from time import time as _now

from .. import errors
from ..graph.core_ops import group, placeholder
from ..graph.graph import Tensor
from ..graph.variables import Variable, global_variables, variable_of
from . import _checkpoint_files as files
from .checkpoint_state import CheckpointState, update_checkpoint_state

__all__ = ["Saver"]


class Saver:
    """Saves and restores ``var_list`` (default: every global variable, optimizer slots and the
    global step included). A list is keyed by each variable's op name (``dense/kernel``,
    ``dense/kernel/Adam``), a dict by its keys. Keeps the ``max_to_keep`` newest checkpoints
    (all when None or 0) plus one every ``keep_checkpoint_every_n_hours``."""

    def __init__(self, var_list=None, max_to_keep=5, keep_checkpoint_every_n_hours=10000.0, name=None,
                 allow_empty=False, pad_step_number=False):
        self._variables = _named_variables(var_list)
        if not self._variables and not allow_empty:
            raise ValueError("No variables to save")
        self._max_to_keep = _checked_max_to_keep(max_to_keep)
        self._keep_every_s = keep_checkpoint_every_n_hours * 3600
        self._next_preserved = _now() + self._keep_every_s
        self._pad_step_number = pad_step_number
        self._last_checkpoints = []  # [(prefix, timestamp)], oldest first
        self._reads, self._feeds, self._restore_op = self._build(name or "save")

    def _build(self, name):
        if not self._variables:
            return [], [], None
        graph = next(iter(self._variables.values())).graph
        feeds, assigns = [], []
        with graph.as_default(), graph.name_scope(name):
            for var in self._variables.values():
                feeds.append(placeholder(var.dtype, var.shape, name="restore_value"))
                assigns.append(var.assign(feeds[-1], read_value=False))
            restore_op = group(*assigns, name="restore_all")
        return [var.value() for var in self._variables.values()], feeds, restore_op

    # -- saving ---------------------------------------------------------------------------------
    def save(self, sess, save_path, global_step=None, latest_filename=None, meta_graph_suffix="meta",
             write_meta_graph=True, write_state=True):
        """Write the variables' values to ``save_path`` (``save_path-<step>`` with a global step)
        and return that prefix. ``write_state`` records it in the directory's ``checkpoint`` file
        and deletes checkpoints beyond ``max_to_keep``. gpunet writes no meta graph (there is no
        ``import_meta_graph``); ``write_meta_graph`` and ``meta_graph_suffix`` are accepted so TF1
        scripts run unchanged."""
        _check_session(sess, self._reads)
        prefix = self._prefix(sess, save_path, global_step)
        directory = os.path.dirname(prefix) or "."
        if not os.path.isdir(directory):
            raise ValueError(f"Parent directory of {save_path} doesn't exist, can't save.")
        values = sess.run(self._reads) if self._reads else []
        files.write_checkpoint(prefix, dict(zip(self._variables, values)))
        if write_state:
            to_delete = self._record(prefix)
            update_checkpoint_state(directory, self._state(), latest_filename)
            self._delete(to_delete)
        return prefix

    def _prefix(self, sess, save_path, global_step):
        if not isinstance(save_path, (str, os.PathLike)):
            raise TypeError(f"save_path must be a string path, got {type(save_path).__name__}: {save_path!r}")
        save_path = os.fspath(save_path)
        if global_step is None:
            return save_path
        if isinstance(global_step, (Tensor, Variable)):
            global_step = sess.run(global_step)
        step = int(global_step)
        return f"{save_path}-{step:08d}" if self._pad_step_number else f"{save_path}-{step}"

    def _record(self, prefix):
        """Add ``prefix`` as the newest checkpoint; returns the ones that fell off the list."""
        self._last_checkpoints = [(p, t) for p, t in self._last_checkpoints if p != prefix]
        self._last_checkpoints.append((prefix, _now()))
        if not self._max_to_keep or len(self._last_checkpoints) <= self._max_to_keep:
            return []
        dropped = self._last_checkpoints[:-self._max_to_keep]
        self._last_checkpoints = self._last_checkpoints[-self._max_to_keep:]
        return dropped

    def _delete(self, dropped):
        for prefix, timestamp in dropped:
            if timestamp >= self._next_preserved:  # one kept per keep_checkpoint_every_n_hours
                self._next_preserved += self._keep_every_s
                continue
            files.delete_checkpoint(prefix)

    def _state(self) -> CheckpointState:
        return CheckpointState(self._last_checkpoints[-1][0], [p for p, _ in self._last_checkpoints],
                               [t for _, t in self._last_checkpoints],
                               self._next_preserved - self._keep_every_s)

    @property
    def last_checkpoints(self) -> list:
        """The prefixes this saver keeps, oldest first."""
        return [p for p, _ in self._last_checkpoints]

    def recover_last_checkpoints(self, checkpoint_paths):
        """Adopt existing checkpoints (e.g. ``get_checkpoint_state(d).all_model_checkpoint_paths``
        after a restart), so ``max_to_keep`` also deletes them in time."""
        existing = [p for p in checkpoint_paths if files.checkpoint_exists(p)]
        self._last_checkpoints = [(p, os.path.getmtime(p + files.DATA_SUFFIX)) for p in existing]

    # -- restoring ------------------------------------------------------------------------------
    def restore(self, sess, save_path):
        """Load every variable of this saver from checkpoint ``save_path``. Raises ``NotFoundError``
        for a variable the checkpoint lacks, ``InvalidArgumentError`` for a shape or dtype that
        differs, ``DataLossError`` for a truncated or corrupted file; nothing is assigned then."""
        if save_path is None:
            raise ValueError("Can't load save_path when it is None.")
        _check_session(sess, self._feeds)
        save_path = os.fspath(save_path)
        tensors = files.read_checkpoint(save_path)
        self._check_against(save_path, tensors)
        if self._restore_op is not None:
            sess.run(self._restore_op, dict(zip(self._feeds, (tensors[k] for k in self._variables))))

    def _check_against(self, save_path, stored):
        missing = [key for key in self._variables if key not in stored]
        if missing:
            more = f" (nor {', '.join(missing[1:])})" if len(missing) > 1 else ""
            raise errors.NotFoundError(None, self._variables[missing[0]].op, (
                f"Key {missing[0]} not found in checkpoint {save_path}{more}: the checkpoint holds "
                f"{', '.join(sorted(stored)) or 'no tensors'}."))
        for key, var in self._variables.items():
            dtype, shape = stored[key].dtype.name, stored[key].shape
            if dtype != var.dtype.name or not var.shape.is_compatible_with(shape):
                raise errors.InvalidArgumentError(None, var.op, (
                    f"Restoring variable {var.op.name} from checkpoint {save_path} (key {key}): the variable "
                    f"is {var.dtype.name} with shape {_dims(var.shape)}, the checkpoint holds "
                    f"{dtype} with shape {list(shape)}."))


def _check_session(sess, needed):
    if needed and not callable(getattr(sess, "run", None)):
        raise TypeError(f"'sess' must be a Session; {sess!r}")


def _dims(shape) -> str:
    return "<unknown>" if shape.dims is None else str(shape.as_list())


def _named_variables(var_list) -> dict:
    """Checkpoint key -> Variable, checked: all variables of one graph, keys unique, storable dtypes."""
    if var_list is None:
        var_list = global_variables()
    if isinstance(var_list, dict):
        named = {key: variable_of(var) for key, var in var_list.items()}
    else:
        named = {}
        for var in map(variable_of, var_list):  # a variable or its own tensor ('w:0'), as TF1
            key = getattr(getattr(var, "op", None), "name", None)
            if key in named:
                raise ValueError(f"At least two variables have the same name: {key}")
            named[key] = var
    for key, var in named.items():
        _check_variable(key, var)
    if len({var.graph for var in named.values()}) > 1:
        raise ValueError("All variables of a Saver must be in one graph.")
    return named


def _check_variable(key, var):
    if not isinstance(var, Variable):
        raise TypeError(f"Saver var_list entries must be gn.Variable objects, got {type(var).__name__}: {var!r}")
    if not isinstance(key, str) or not key:
        raise TypeError(f"A checkpoint key must be a non-empty string, got {key!r} for {var.name}")
    if var.dtype.name not in files.SUPPORTED_DTYPES:
        raise TypeError(f"Saver cannot store variable {var.op.name} of dtype {var.dtype.name}: checkpoints "
                        f"hold {', '.join(sorted(files.SUPPORTED_DTYPES))}.")


def _checked_max_to_keep(value):
    """None or a count >= 0 (0 and None keep every checkpoint); TF1 fails on its second save otherwise."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0):
        raise ValueError(f"Saver: max_to_keep must be None or an integer >= 0, got {value!r}")
    return value
