"""gn.summary.FileWriter: event files that TensorBoard's own reader loads back — scalars by step,
histograms, images, and the graph with each node's device."""
import os

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboardX.proto.event_pb2 import Event

import gpunet as gn
from tests.conftest import no_gpu_only

from .test_summary_ops import decode_png

CPU0 = "/job:localhost/replica:0/task:0/device:CPU:0"
GPU = "/job:localhost/replica:0/task:0/device:GPU:{}"


def _read(logdir):
    accumulator = EventAccumulator(str(logdir), size_guidance={"scalars": 0, "histograms": 0, "images": 0})
    accumulator.Reload()
    return accumulator


def test_training_summaries_read_back_by_tensorboard(tmp_path, device):
    with gn.device(device):
        x = gn.placeholder(gn.float32, [None, 2], name="x")
        w = gn.Variable(np.array([[1.0], [2.0]], np.float32), name="weights")
        loss = gn.reduce_mean(gn.square(gn.matmul(x, w)))
        train = gn.train.GradientDescentOptimizer(0.01).minimize(loss)
    gn.summary.scalar("loss", loss)
    gn.summary.histogram("weights_hist", w)
    gn.summary.image("input", gn.reshape(x, [1, -1, 2, 1]), max_outputs=1)
    merged = gn.summary.merge_all()
    batch = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], np.float32)
    losses, weights = [], []
    with gn.Session() as sess, gn.summary.FileWriter(tmp_path / "logs", sess.graph) as writer:
        sess.run(w.initializer)
        for step in range(4):
            summary, loss_value, w_value = sess.run([merged, loss, w], {x: batch})
            writer.add_summary(summary, step)
            losses.append(float(loss_value))
            weights.append(w_value)
            sess.run(train, {x: batch})
    events = _read(tmp_path / "logs")
    assert [(e.step, e.value) for e in events.Scalars("loss")] == list(enumerate(np.float32(losses).tolist()))
    histograms = events.Histograms("weights_hist")
    assert [h.step for h in histograms] == [0, 1, 2, 3]
    for h, w_value in zip(histograms, weights):
        assert h.histogram_value.num == 2 and h.histogram_value.max == float(w_value.max())
        assert h.histogram_value.sum == pytest.approx(float(w_value.sum()))
    (image, *_) = events.Images("input/image")
    assert (image.width, image.height) == (2, 3)
    decoded = decode_png(image.encoded_image_string)[..., 0]
    np.testing.assert_array_equal(decoded, np.round(batch * 255).astype(np.uint8))


def test_the_graph_carries_each_nodes_device(tmp_path, vgpus):
    with gn.device("/gpu:1"):
        a = gn.constant(np.ones((2, 2), np.float32), name="a")
        b = gn.matmul(a, a, name="product")
    with gn.device("/cpu:0"):
        c = gn.add(b, 1.0, name="on_cpu")
    unpinned = gn.identity(c, name="unpinned")
    summary = gn.summary.scalar("total", gn.reduce_sum(unpinned))
    with gn.summary.FileWriter(tmp_path) as writer:
        writer.add_graph(gn.get_default_graph())
    nodes = {n.name: n for n in _read(tmp_path).Graph().node}
    assert set(nodes) == {op.name for op in gn.get_default_graph().get_operations()}
    assert nodes["product"].device == GPU.format(1) and nodes["a"].device == GPU.format(1)
    assert nodes["on_cpu"].device == CPU0
    assert nodes["unpinned"].device == GPU.format(0)  # the default with GPUs present, as a session places it
    assert nodes[summary.op.name].device == CPU0  # summaries have only a CPU kernel
    assert list(nodes["on_cpu"].input) == ["product", "on_cpu/y"]
    assert nodes["product"].attr["_output_shapes"].list.shape[0].dim[0].size == 2


@no_gpu_only  # expects unscoped ops on the CPU
def test_graph_inputs_name_outputs_and_control_dependencies(tmp_path):
    values = gn.placeholder(gn.float32, [None, 3], name="values")
    parts = gn.split(values, 3, axis=1, name="parts")
    marker = gn.no_op(name="marker")
    with gn.control_dependencies([marker]):
        second = gn.identity(parts[1], name="second")
    with gn.summary.FileWriter(tmp_path, graph=gn.get_default_graph()):
        pass
    nodes = {n.name: n for n in _read(tmp_path).Graph().node}
    assert list(nodes["second"].input) == ["parts:1", "^marker"]
    assert nodes["values"].attr["_output_shapes"].list.shape[0].dim[0].size == -1  # unknown batch
    assert second.op.name in nodes and all(n.device == CPU0 for n in nodes.values())  # no GPU: all on CPU


def test_add_summary_takes_a_summary_proto_and_checks_its_argument(tmp_path):
    Summary = gn.summary.Summary
    with gn.summary.FileWriter(tmp_path / "new" / "dir") as writer:
        writer.add_summary(Summary(value=[Summary.Value(tag="accuracy", simple_value=0.75)]), global_step=np.int64(3))
        writer.flush()
        with pytest.raises(TypeError, match="serialized Summary"):
            writer.add_summary(0.75, 4)
        with pytest.raises(TypeError, match="gn.Graph"):
            writer.add_graph("graph")
        assert writer.get_logdir() == str(tmp_path / "new" / "dir")
    assert [(e.step, e.value) for e in _read(tmp_path / "new" / "dir").Scalars("accuracy")] == [(3, 0.75)]
    assert len(os.listdir(tmp_path / "new" / "dir")) == 1 and os.listdir(tmp_path / "new" / "dir")[0].startswith(
        "events.out.tfevents.")


def test_close_then_reopen_continues_in_a_new_event_file(tmp_path):
    Summary = gn.summary.Summary
    writer = gn.summary.FileWriter(tmp_path, filename_suffix=".run")
    writer.add_summary(Summary(value=[Summary.Value(tag="a", simple_value=1.0)]).SerializeToString(), 1)
    writer.close()
    writer.reopen()
    writer.add_event(Event(step=2, summary=Summary(value=[Summary.Value(tag="a", simple_value=2.0)])))
    writer.close()
    assert all(name.endswith(".run") for name in os.listdir(tmp_path))
    assert [(e.step, e.value) for e in _read(tmp_path).Scalars("a")] == [(1, 1.0), (2, 2.0)]


def test_writers_in_the_same_second_keep_their_own_files_and_a_closed_writer_refuses(tmp_path):
    Summary = gn.summary.Summary
    writers = [gn.summary.FileWriter(tmp_path) for _ in range(3)]
    for step, writer in enumerate(writers):
        writer.add_summary(Summary(value=[Summary.Value(tag="x", simple_value=float(step))]), step)
        writer.close()
    assert len(os.listdir(tmp_path)) == 3
    assert sorted(e.step for e in _read(tmp_path).Scalars("x")) == [0, 1, 2]
    with pytest.raises(RuntimeError, match="closed; call reopen"):
        writers[0].add_summary(Summary(), 5)
