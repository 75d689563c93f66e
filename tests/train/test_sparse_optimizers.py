"""TF1's Momentum (and Nesterov), RMSProp (and centered), Adagrad and Adam optimizers on a gradient that is
gathered rows (an embedding looked up with repeated ids): every variable (weights, slots, beta powers, by
TF1's names) after several steps equals real TF1's (frozen in sparse_optimizers_reference.npz by
make_sparse_optimizers_reference.py) on every device, for TF1's sparse update (as computed) and its dense
one (the gradient made dense first)."""
import pathlib

import numpy as np
import pytest

import gpunet as gn
from tests.train.regularized_optimizer_cases import assert_variables_equal_tf1
from tests.train.sparse_optimizer_cases import CASES, EMBEDDING, MODES, NEVER_LOOKED_UP, STEPS, build_loss, ids_at

REFERENCE = np.load(pathlib.Path(__file__).with_name("sparse_optimizers_reference.npz"))


def tf1_variables(case_id, ids_name, mode="as_computed"):
    prefix = f"{case_id}|{ids_name}|{mode}|"
    found = {key[len(prefix):]: REFERENCE[key] for key in REFERENCE.files if key.startswith(prefix)}
    class_name, kwargs = next((n, k) for c, n, k in CASES if c == case_id)
    if class_name == "RMSPropOptimizer" and not kwargs.get("momentum"):  # no momentum slot in gpunet (API.md)
        last = "RMSProp_2" if kwargs.get("centered") else "RMSProp_1"
        found = {name: value for name, value in found.items() if not name.endswith(f"/{last}")}
    return found


def train(class_name, kwargs, ids_name, mode, device):
    with gn.device(device):
        loss, ids = build_loss(gn)
        optimizer = getattr(gn.train, class_name)(**kwargs)
        grads_and_vars = optimizer.compute_gradients(loss)
        if mode == "dense":  # no longer the gradient of a gather: TF1's dense update
            grads_and_vars = [(gn.identity(g), v) for g, v in grads_and_vars]
        train_op = optimizer.apply_gradients(grads_and_vars)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        for step in range(STEPS):
            sess.run(train_op, {ids: ids_at(ids_name, step)})
        return {v.op.name: sess.run(v) for v in gn.global_variables()}


def update_op_types():
    return sorted(op.type for op in gn.get_default_graph().get_operations() if "Apply" in op.type)


@pytest.mark.parametrize("ids_name, mode", MODES, ids=[f"{i}-{m}" for i, m in MODES])
@pytest.mark.parametrize("case_id, class_name, kwargs", CASES, ids=[c[0] for c in CASES])
def test_variables_after_training_equal_tf1(case_id, class_name, kwargs, ids_name, mode, device):
    got = train(class_name, kwargs, ids_name, mode, device)
    want = tf1_variables(case_id, ids_name, mode)
    assert_variables_equal_tf1(got, want, f"{case_id} {ids_name} {mode}")
    sparse_types = [t for t in update_op_types() if t.startswith("SparseApply")]
    assert len(sparse_types) == (mode == "as_computed"), update_op_types()  # the embedding's, only


@pytest.mark.parametrize("case_id, class_name, kwargs", CASES, ids=[c[0] for c in CASES])
def test_in_tf1_a_row_left_out_of_a_step_keeps_its_momentum_only_in_the_dense_update(case_id, class_name, kwargs):
    """The fixture shows what the sparse update changes: with ids that alternate, TF1's dense Momentum and
    RMSProp updates move a row left out of a step (its momentum, its decaying mean square) and the
    sparse ones do not, so the two runs end apart; Adagrad's and Adam's sparse updates equal their dense
    ones (Adagrad: a zero gradient changes nothing; Adam: m and v decay and var moves on every row)."""
    sparse, dense = tf1_variables(case_id, "alternating"), tf1_variables(case_id, "alternating", "dense")
    apart = not np.allclose(sparse["embedding"], dense["embedding"], rtol=1e-4, atol=1e-5)
    assert apart == (class_name in ("MomentumOptimizer", "RMSPropOptimizer"))
    for variables in (sparse, dense):  # no gradient ever reached the row never looked up: it did not move
        np.testing.assert_array_equal(variables["embedding"][NEVER_LOOKED_UP], EMBEDDING[NEVER_LOOKED_UP])
    if class_name == "RMSPropOptimizer":  # but the dense update decays its mean square
        assert (sparse["embedding/RMSProp"][NEVER_LOOKED_UP] == 1).all()
        assert (dense["embedding/RMSProp"][NEVER_LOOKED_UP] < 1).all()


@pytest.mark.parametrize("case_id, class_name, kwargs", CASES, ids=[c[0] for c in CASES])
def test_the_row_never_looked_up_and_its_slots_keep_their_initial_bits(case_id, class_name, kwargs, device):
    got = train(class_name, kwargs, "alternating", "as_computed", device)
    want = tf1_variables(case_id, "alternating")
    for name in want:
        if name.startswith("embedding"):
            np.testing.assert_array_equal(got[name][NEVER_LOOKED_UP], want[name][NEVER_LOOKED_UP], err_msg=name)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("make", [
    lambda: gn.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True), lambda: gn.train.AdagradOptimizer(0.1),
    lambda: gn.train.RMSPropOptimizer(0.1, momentum=0.5, centered=True),
    lambda: gn.train.AdamOptimizer(0.1, epsilon=1e-3)],  # epsilon 1e-8 is 0 in float16
    ids=["nesterov", "adagrad", "centered-rmsprop", "adam"])
def test_sparse_update_equals_the_dense_one_on_the_rows_it_touches_in_each_dtype(make, dtype, device):
    """One step from fresh slots on every float dtype: each touched row (a repeated id sums its
    gradients) equals the dense update's row; Adam's every row does."""
    table0 = np.arange(12, dtype=dtype).reshape(6, 2) / 4
    ids = np.array([4, 0, 4, 4], np.int32)
    results = []
    for make_dense in (False, True):
        with gn.Graph().as_default(), gn.device(device):
            table = gn.Variable(table0, name="table")
            rows = gn.gather(table, ids)
            grads_and_vars = make().compute_gradients(gn.reduce_sum(rows * rows * np.asarray(3, dtype)), [table])
            if make_dense:
                grads_and_vars = [(gn.identity(g), v) for g, v in grads_and_vars]
            train_op = make().apply_gradients(grads_and_vars)
            with gn.Session() as sess:
                sess.run(gn.global_variables_initializer())
                sess.run(train_op)
                results.append(sess.run(table))
            assert ("SparseApply" in " ".join(update_op_types())) == (not make_dense)
    sparse, dense = results
    assert sparse.dtype == dense.dtype == np.dtype(dtype)
    touched = slice(None) if make().get_name() == "Adam" else [0, 4]
    tolerance = 1e-3 if dtype == "float16" else 1e-6
    np.testing.assert_allclose(sparse[touched], dense[touched], rtol=tolerance, atol=tolerance)
    assert not np.array_equal(sparse[[0, 4]], table0[[0, 4]])
