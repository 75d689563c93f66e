"""The ``checkpoint`` state file of a directory (which checkpoints exist, which is the latest) and
readers for single checkpoints: ``latest_checkpoint``, ``get_checkpoint_state``,
``list_variables``, ``load_variable``, as in TF1.

The state file plays the role of TF1's text ``checkpoint`` file but is JSON; paths in it are
relative to its directory, so a directory of checkpoints can be moved.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from .. import errors
from . import _checkpoint_files as files

__all__ = ["CheckpointState", "STATE_FILENAME", "checkpoint_exists", "get_checkpoint_state", "latest_checkpoint",
           "list_variables", "load_variable", "update_checkpoint_state"]

STATE_FILENAME = "checkpoint"


@dataclass
class CheckpointState:
    """``model_checkpoint_path`` (the latest prefix) and ``all_model_checkpoint_paths`` (oldest
    first), as full prefixes; timestamps in seconds since the epoch."""
    model_checkpoint_path: str
    all_model_checkpoint_paths: list = field(default_factory=list)
    all_model_checkpoint_timestamps: list = field(default_factory=list)
    last_preserved_timestamp: float = 0.0


def get_checkpoint_state(checkpoint_dir, latest_filename=None) -> CheckpointState | None:
    """The state recorded in ``checkpoint_dir`` (None when it has no state file)."""
    path = os.path.join(checkpoint_dir, latest_filename or STATE_FILENAME)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        state = json.loads(raw)
        return CheckpointState(
            _in_dir(checkpoint_dir, state["model_checkpoint_path"]),
            [_in_dir(checkpoint_dir, p) for p in state["all_model_checkpoint_paths"]],
            [float(t) for t in state["all_model_checkpoint_timestamps"]],
            float(state["last_preserved_timestamp"]))
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
        raise errors.DataLossError(None, None, f"Unable to read checkpoint state file {path}: not valid "
                                               f"gpunet checkpoint state JSON ({exc}).") from None


def _in_dir(directory, name):
    if not isinstance(name, str):
        raise TypeError(f"a checkpoint path must be a string, got {name!r}")
    return name if os.path.isabs(name) else os.path.join(directory, name)


def update_checkpoint_state(checkpoint_dir, state: CheckpointState, latest_filename=None) -> None:
    """Atomically replace the state file of ``checkpoint_dir``."""
    record = {"model_checkpoint_path": _relative(checkpoint_dir, state.model_checkpoint_path),
              "all_model_checkpoint_paths": [_relative(checkpoint_dir, p) for p in state.all_model_checkpoint_paths],
              "all_model_checkpoint_timestamps": list(state.all_model_checkpoint_timestamps),
              "last_preserved_timestamp": state.last_preserved_timestamp}
    path = os.path.join(checkpoint_dir, latest_filename or STATE_FILENAME)
    files.write_atomic(path, json.dumps(record, indent=1).encode())


def _relative(directory, prefix):
    if os.path.dirname(os.path.abspath(prefix)) == os.path.abspath(directory):
        return os.path.basename(prefix)
    return os.path.abspath(prefix)


def latest_checkpoint(checkpoint_dir, latest_filename=None) -> str | None:
    """The prefix of the latest checkpoint recorded in ``checkpoint_dir``, or None when there is
    none (or its files are gone), as in TF1."""
    state = get_checkpoint_state(checkpoint_dir, latest_filename)
    if state is None or not files.checkpoint_exists(state.model_checkpoint_path):
        return None
    return state.model_checkpoint_path


def checkpoint_exists(checkpoint_prefix) -> bool:
    """Whether a checkpoint with this prefix was written (its file exists)."""
    return files.checkpoint_exists(checkpoint_prefix)


def list_variables(ckpt_dir_or_file) -> list:
    """``[(key, shape), ...]`` of a checkpoint (a prefix, or a directory: its latest), sorted by key."""
    tensors = files.read_checkpoint(_prefix_of(ckpt_dir_or_file))
    return sorted((key, list(array.shape)) for key, array in tensors.items())


def load_variable(ckpt_dir_or_file, name):
    """The value stored under ``name`` (checked against the checkpoint's checksum)."""
    prefix = _prefix_of(ckpt_dir_or_file)
    tensors = files.read_checkpoint(prefix)
    if name not in tensors:
        raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint {prefix}")
    return tensors[name]


def _prefix_of(ckpt_dir_or_file) -> str:
    if os.path.isdir(ckpt_dir_or_file):
        prefix = latest_checkpoint(ckpt_dir_or_file)
        if prefix is None:
            raise errors.NotFoundError(None, None, f"Couldn't find a checkpoint in directory {ckpt_dir_or_file}")
        return prefix
    return ckpt_dir_or_file
