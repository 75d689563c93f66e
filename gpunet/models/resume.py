"""The complete state of a Keras fit, saved after each epoch so a killed fit resumes exactly
(``ModelCheckpoint(..., resume=True)``).

A state is a ``gn.train.Saver`` checkpoint of every global variable — weights, optimizer slots,
the optimizer's ``iterations`` — plus a JSON sidecar (``<prefix>.json``) with the epoch, NumPy's
global random state (fit's shuffling order) and the state of the session's per-op generators
(dropout and other random ops). The sidecar is written first and the Saver's index last, each
atomically, so the index only ever names a state whose files are complete."""
from __future__ import annotations

import glob
import json
import os

import numpy as np

import gpunet as gn
from gpunet import backend as K

from .saving import atomic_write

__all__ = ["PREFIX", "TrainingState"]

PREFIX = "state"


class TrainingState:
    """Saves and restores a fit's state in ``directory`` (created when needed), keeping the newest
    ``max_to_keep``."""

    def __init__(self, directory, max_to_keep=2):
        self.directory = os.fspath(directory)
        self.max_to_keep = max_to_keep
        self._saver = None

    def _saver_for_graph(self):
        if self._saver is None:
            self._saver = gn.train.Saver(gn.global_variables(), max_to_keep=self.max_to_keep)
            state = gn.train.get_checkpoint_state(self.directory)
            if state is not None:  # so max_to_keep also deletes what an earlier process saved
                self._saver.recover_last_checkpoints(state.all_model_checkpoint_paths)
        return self._saver

    def save(self, model, epoch: int, extra: dict):
        """Saves the state after 0-based ``epoch``, with ``extra`` (JSON values) in the sidecar."""
        os.makedirs(self.directory, exist_ok=True)
        session = K.get_session()
        prefix = os.path.join(self.directory, f"{PREFIX}-{epoch + 1}")
        sidecar = {"epoch": epoch, "numpy_random": _numpy_state(), "op_generators": _op_generators(session)}
        atomic_write(prefix + ".json", json.dumps({**sidecar, **extra}).encode())
        saver = self._saver_for_graph()
        saver.save(session, os.path.join(self.directory, PREFIX), global_step=epoch + 1)
        self._delete_stale_sidecars(saver.last_checkpoints)

    def restore(self, model):
        """Restores the newest complete state, if any; returns its sidecar (``epoch``: the last
        finished epoch) or None when the directory holds none."""
        latest = gn.train.latest_checkpoint(self.directory)
        if latest is None:
            return None
        with open(latest + ".json", "rb") as f:
            sidecar = json.loads(f.read())
        session = K.get_session()
        self._saver_for_graph().restore(session, latest)
        _set_numpy_state(sidecar["numpy_random"])
        _set_op_generators(session, sidecar["op_generators"])
        return sidecar

    def _delete_stale_sidecars(self, kept):
        keep = {p + ".json" for p in kept}
        for path in glob.glob(os.path.join(glob.escape(self.directory), f"{PREFIX}-*.json")):
            if path not in keep:
                os.remove(path)


def _numpy_state() -> dict:
    state = np.random.get_state(legacy=False)
    return {**state, "state": {"key": state["state"]["key"].tolist(), "pos": int(state["state"]["pos"])}}


def _set_numpy_state(saved: dict):
    np.random.set_state({**saved, "state": {"key": np.array(saved["state"]["key"], np.uint32),
                                            "pos": saved["state"]["pos"]}})


# The session keeps one generator per random op (gpunet/graph/session.py, _SessionState.rng); a
# resumed fit must continue each from where it was, or its dropout masks would differ.
def _op_generators(session) -> dict:
    return {op.name: generator.bit_generator.state for op, generator in session._state._rngs.items()}


def _set_op_generators(session, saved: dict):
    for name, state in saved.items():
        session._state.rng(session.graph.get_operation_by_name(name)).bit_generator.state = state
