"""A batch is cut into each replica's rows by slices (views of the batch on the host: no row indices, no
gather, the rows' one copy is the one to their GPU): static slices when the batch size is known when the
graph is built, slices with bounds read at run time otherwise, with the same Keras 2 split and training."""
import numpy as np
import pytest

import gpunet as gn
from gpunet.parallel import ReplicatedTrainer, split_batch

from .nets import OPTIMIZERS, SIZES, data, initial_weights, per_example_loss
from .test_engine import single_device_weights


def static_replicated(n, batch, static_labels=True):
    gn.reset_default_graph()
    x = gn.placeholder(gn.float32, [batch, SIZES[0]])
    y = gn.placeholder(gn.int32, [batch if static_labels else None])
    trainer = ReplicatedTrainer(OPTIMIZERS["sgd"](), gpus=n)
    train_op, sums = trainer.minimize(lambda xs, ys: gn.reduce_sum(per_example_loss(xs, ys, initial_weights())),
                                      [x, y])
    return x, y, train_op, sums


def split_op_types(graph):
    """The op types that make the replicas' rows."""
    return {op.type for op in graph.get_operations() if op.name.startswith("split") and op.name.endswith("_rows")}


@pytest.mark.parametrize("vgpus", [4], indirect=True)
@pytest.mark.parametrize("n, batch", [(2, 22), (4, 22), (4, 3), (2, 1)])  # uneven, and replicas with no rows
def test_a_static_batch_is_sliced_and_one_step_equals_one_device(vgpus, n, batch):
    batches = [data(batch)]
    want = single_device_weights("sgd", 1, batches)
    x, y, train_op, sums = static_replicated(n, batch)
    assert split_op_types(gn.get_default_graph()) == {"Slice"}
    step = batch // n
    counts = [step] * (n - 1) + [batch - step * (n - 1)]
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        feed = {x: batches[0][0], y: batches[0][1]}
        rows = sess.run([f"split/replica_{i}_rows:0" for i in range(n)], feed)
        report = sess.placement_report(train_op, feed)
        sess.run(train_op, feed)
        got = sess.run(gn.trainable_variables())
    starts = np.cumsum([0] + counts[:-1])
    for part, start, count in zip(rows, starts, counts):  # Keras 2: n // parts each, the rest to the last
        np.testing.assert_array_equal(part, batches[0][0][start:start + count])
    for i, count in enumerate(counts):
        moved = sorted((c.tensor.name, c.bytes) for c in report.copies
                       if "rows" in c.tensor.name and c.dst.name.endswith(f"GPU:{i}"))
        assert moved == [(f"split/replica_{i}_rows:0", count * SIZES[0] * 4),
                         (f"split_1/replica_{i}_rows:0", count * 4)]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_the_slices_hold_each_replicas_rows(vgpus):
    xv = np.arange(7 * 3, dtype=np.float32).reshape(7, 3)
    x = gn.placeholder(gn.float32, [7, 3])
    parts = [split_batch(x, 2, i) for i in range(2)]
    assert [p.op.type for p in parts] == ["Slice", "Slice"]
    assert [p.shape.as_list() for p in parts] == [[3, 3], [4, 3]]
    with gn.Session() as sess:
        first, second = sess.run(parts, {x: xv})
    np.testing.assert_array_equal(first, xv[:3])
    np.testing.assert_array_equal(second, xv[3:])


@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_an_input_of_run_time_batch_size_is_sliced_at_run_time_one_of_known_size_statically(vgpus):
    batches = [data(22)]
    want = single_device_weights("sgd", 1, batches)
    x, y, train_op, _ = static_replicated(2, 22, static_labels=False)
    graph = gn.get_default_graph()
    assert [graph.get_tensor_by_name(f"split/replica_{i}_rows:0").op.type for i in range(2)] == ["Slice"] * 2
    run_time = [graph.get_tensor_by_name(f"split_1/replica_{i}_rows:0").op for i in range(2)]
    assert [(op.type, op.attrs["call"].target) for op in run_time] == [("RunTimeArgs", "Slice")] * 2
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        sess.run(train_op, {x: batches[0][0], y: batches[0][1]})
        got = sess.run(gn.trainable_variables())
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_run_time_slices_follow_the_batch_size_from_run_to_run(vgpus):
    """The bounds of a run-time slice are computed once per input shape and kept: a batch size seen
    before gets its rows again, a new one its own (Keras 2's split each time)."""
    x = gn.placeholder(gn.float32, [None, 3])
    parts = [split_batch(x, 2, i) for i in range(2)]
    with gn.Session() as sess:
        for n in (7, 4, 7, 1, 0, 4):
            xv = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
            first, second = sess.run(parts, {x: xv})
            np.testing.assert_array_equal(first, xv[:n // 2])
            np.testing.assert_array_equal(second, xv[n // 2:])
