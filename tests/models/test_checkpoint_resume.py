"""ModelCheckpoint(resume=True) in one process: a fit stopped after some epochs and started again
on a freshly built model ends exactly where one uninterrupted fit ends."""
import json
import os

import numpy as np
import pytest

import gpunet as gn
from gpunet import layers as L


def _fit(ckpt_dir, epochs, seed_numpy=True, initial_epoch=0, **checkpoint_kwargs):
    """Builds the model in a fresh graph (same seeds each time) and fits it up to ``epochs``."""
    os.makedirs(ckpt_dir, exist_ok=True)
    gn.reset_default_graph()
    gn.set_random_seed(3)
    if seed_numpy:
        np.random.seed(0)
    data = np.random.default_rng(1)
    x = data.standard_normal((96, 5)).astype(np.float32)
    y = gn.utils.to_categorical(np.argmax(x[:, :3], axis=1), 3)
    model = gn.models.Sequential([L.Dense(16, activation="relu", input_dim=5), L.Dropout(0.25),
                                  L.Dense(3, activation="softmax")])
    model.compile(gn.optimizers.Adam(0.02), "categorical_crossentropy", metrics=["accuracy"])
    checkpoint = gn.callbacks.ModelCheckpoint(os.path.join(ckpt_dir, "m-{epoch}"), monitor="loss",
                                              save_weights_only=True, resume=True, **checkpoint_kwargs)
    history = model.fit(x, y, batch_size=8, epochs=epochs, verbose=0, callbacks=[checkpoint],
                        initial_epoch=initial_epoch)
    return model.get_weights(), history, checkpoint   # read now: the next _fit resets the graph


@pytest.mark.parametrize("stops", [[2], [1, 3], [4]])
def test_a_fit_resumed_after_each_stop_ends_with_the_uninterrupted_weights(tmp_path, stops):
    reference, _, _ = _fit(tmp_path / "reference", 4)
    for k, stop in enumerate(stops):
        # after the first run NumPy's global state is whatever it is: the checkpoint brings it back
        _fit(tmp_path / "resumed", stop, seed_numpy=k == 0)
    np.random.seed(12345)
    resumed, history, _ = _fit(tmp_path / "resumed", 4, seed_numpy=False)
    assert history.epoch == list(range(stops[-1], 4))
    for got, want in zip(resumed, reference, strict=True):
        np.testing.assert_array_equal(got, want)


def test_without_resume_a_second_fit_starts_over_and_differs(tmp_path):
    reference, _, _ = _fit(tmp_path / "a", 3)
    np.random.seed(999)
    again, history, _ = _fit(tmp_path / "c", 3, seed_numpy=False)   # another directory: nothing to resume
    assert history.epoch == [0, 1, 2]
    assert not all(np.array_equal(a, b) for a, b in zip(again, reference, strict=True))


def test_the_best_value_and_the_epoch_come_back_with_the_state(tmp_path):
    _, _, first = _fit(tmp_path, 2, save_best_only=True)
    with open(tmp_path / "training_state" / "state-2.json") as f:
        sidecar = json.load(f)
    assert sidecar["epoch"] == 1 and sidecar["best"] == first.best
    assert set(sidecar["op_generators"]) and sidecar["numpy_random"]["bit_generator"] == "MT19937"
    _, history, second = _fit(tmp_path, 3, save_best_only=True)
    assert history.epoch == [2] and second.best <= first.best


def test_an_initial_epoch_beyond_the_saved_state_wins(tmp_path):
    _fit(tmp_path, 1)
    assert _fit(tmp_path, 4, initial_epoch=2)[1].epoch == [2, 3]
    assert _fit(tmp_path, 5, initial_epoch=1)[1].epoch == [4]   # the state (after epoch 4) is further
