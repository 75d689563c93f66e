"""The Keras TensorBoard callback: per-epoch scalars (loss, metrics, val_*), weight histograms and
the graph with devices, read back with TensorBoard's own EventAccumulator."""
import numpy as np
import pytest

import gpunet as gn

from .test_fit_and_callbacks import toy

EventAccumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator").EventAccumulator


def _read(logdir):
    events = EventAccumulator(str(logdir), size_guidance={"scalars": 0, "histograms": 0})
    events.Reload()
    return events


def test_every_epochs_logs_are_scalars_at_the_epoch(tmp_path):
    model, x, y = toy()
    history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
                        callbacks=[gn.callbacks.TensorBoard(tmp_path / "logs")]).history
    events = _read(tmp_path / "logs")
    assert sorted(events.Tags()["scalars"]) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    for tag in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert [(e.step, e.value) for e in events.Scalars(tag)] == list(enumerate(np.float32(history[tag]).tolist()))
    assert events.Tags()["histograms"] == []


def test_the_graph_carries_devices_and_histograms_follow_histogram_freq(tmp_path, vgpus):
    model, x, y = toy()
    with gn.device("/gpu:1"):
        model.fit(x, y, epochs=4, batch_size=32, verbose=0,
                  callbacks=[gn.callbacks.TensorBoard(tmp_path / "logs", histogram_freq=2)])
    events = _read(tmp_path / "logs")
    nodes = events.Graph().node
    assert any(n.device.endswith("device:GPU:1") for n in nodes) and any(n.op == "MatMul" for n in nodes)
    tags = sorted(events.Tags()["histograms"])
    assert len(tags) == len(model.weights) and all("/" in t for t in tags)
    weights = dict(zip(gn.models.saving.weight_keys(model), model.get_weights(), strict=True))
    for tag in tags:
        histograms = events.Histograms(tag)
        assert [h.step for h in histograms] == [1, 3]
        assert histograms[-1].histogram_value.num == weights[tag].size
        assert histograms[-1].histogram_value.max == float(weights[tag].max())


def test_a_resumed_fit_logs_from_its_initial_epoch_and_without_the_graph(tmp_path):
    model, x, y = toy()
    model.fit(x, y, epochs=4, initial_epoch=2, verbose=0,
              callbacks=[gn.callbacks.TensorBoard(tmp_path, write_graph=False)])
    events = _read(tmp_path)
    assert [e.step for e in events.Scalars("loss")] == [2, 3]
    with pytest.raises(ValueError):
        events.Graph()


@pytest.mark.parametrize("kwargs, message", [({"update_freq": "batch"}, "only update_freq='epoch'"),
                                             ({"histogram_freq": -1}, "histogram_freq must be an int >= 0")])
def test_unsupported_options_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gn.callbacks.TensorBoard(**kwargs)
