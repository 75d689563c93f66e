"""TF1's Adadelta, Ftrl, ProximalGradientDescent, ProximalAdagrad and AdagradDA optimizers: every
variable (weights, slots, global step, by TF1's names) after several steps of a small model equals
real TF1's (frozen in regularized_optimizers_reference.npz by
make_regularized_optimizers_reference.py) on every device; slot names; hyperparameter errors."""
import pathlib

import numpy as np
import pytest

import gpunet as gn
from tests.train.regularized_optimizer_cases import (ADVANCES_GLOBAL_STEP, CASES, IDS, MODES, STEPS,
                                                    assert_variables_equal_tf1, build_loss)

REFERENCE = np.load(pathlib.Path(__file__).with_name("regularized_optimizers_reference.npz"))


def tf1_variables(case_id, ids_name, mode="as_computed"):
    prefix = f"{case_id}|{ids_name}|{mode}|"
    return {key[len(prefix):]: REFERENCE[key] for key in REFERENCE.files if key.startswith(prefix)}


def make_optimizer(class_name, kwargs):
    if class_name == "AdagradDAOptimizer":
        kwargs = dict(kwargs, global_step=gn.train.get_or_create_global_step())
    return getattr(gn.train, class_name)(**kwargs)


def train(case_id, class_name, kwargs, ids_name, mode="as_computed", device=None):
    with gn.device(device):
        loss, ids = build_loss(gn)
        step = gn.train.get_or_create_global_step()
        optimizer = make_optimizer(class_name, kwargs)
        grads_and_vars = optimizer.compute_gradients(loss)
        if mode == "dense":  # no longer the gradient of a gather: every row is updated
            grads_and_vars = [(gn.identity(g), v) for g, v in grads_and_vars]
        train_op = optimizer.apply_gradients(grads_and_vars,
                                             global_step=step if case_id in ADVANCES_GLOBAL_STEP else None)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        for _ in range(STEPS):
            sess.run(train_op, {ids: IDS[ids_name]})
        return optimizer, {v.op.name: sess.run(v) for v in gn.global_variables()}


@pytest.mark.parametrize("ids_name, mode", MODES, ids=[f"{i}-{m}" for i, m in MODES])
@pytest.mark.parametrize("case_id, class_name, kwargs", CASES, ids=[c[0] for c in CASES])
def test_variables_after_training_equal_tf1(case_id, class_name, kwargs, ids_name, mode, device):
    optimizer, got = train(case_id, class_name, kwargs, ids_name, mode, device)
    want = tf1_variables(case_id, ids_name, mode)
    assert_variables_equal_tf1(got, want, f"{case_id} {ids_name} {mode}")
    update_types = {op.type for op in gn.get_default_graph().get_operations() if "Apply" in op.type}
    assert any(t.startswith("SparseApply") for t in update_types) == (mode == "as_computed"), update_types


def test_the_reference_cases_move_every_variable_and_regularize():
    """The fixture is not trivial: every weight moved, L1 made some weights exactly zero."""
    for case_id, _, _ in CASES:
        tf1 = tf1_variables(case_id, "all_rows")
        for name in ("dense/kernel", "dense/bias", "embedding"):
            assert not np.allclose(tf1[name], build_initial()[name]), (case_id, name)
    assert (tf1_variables("adagrad-da-l1-l2", "all_rows")["dense/kernel"] == 0).any()
    assert (tf1_variables("proximal-adagrad-l1-l2", "all_rows")["dense/bias"] == 0).any()


def test_the_sparse_update_keeps_rows_not_looked_up_and_the_dense_one_does_not():
    """rows 1 and 3 of the embedding are never looked up in ``some_rows``: the sparse update keeps
    them; the dense one moves them wherever a zero gradient still changes a row (FTRL and AdagradDA
    recompute the row from their slots, L1/L2 shrink it)"""
    differ = set()
    for case_id, _, _ in CASES:
        sparse, dense = tf1_variables(case_id, "some_rows"), tf1_variables(case_id, "some_rows", "dense")
        np.testing.assert_array_equal(sparse["embedding"][[1, 3]], build_initial()["embedding"][[1, 3]])
        if not np.array_equal(dense["embedding"][[1, 3]], sparse["embedding"][[1, 3]]):
            differ.add(case_id)
    assert differ == {c for c, _, _ in CASES if c.startswith(("ftrl", "adagrad-da")) or c.endswith("l1-l2")}


def build_initial():
    from tests.train import regularized_optimizer_cases as cases
    return {"dense/kernel": cases.KERNEL, "dense/bias": cases.BIAS, "embedding": cases.EMBEDDING}


SLOTS = [  # class, kwargs, {slot name: (variable name suffix, initial value)}
    (gn.train.AdadeltaOptimizer, {}, {"accum": ("Adadelta", 0.0), "accum_update": ("Adadelta_1", 0.0)}),
    (gn.train.FtrlOptimizer, {"learning_rate": 0.1}, {"accum": ("Ftrl", 0.1), "linear": ("Ftrl_1", 0.0)}),
    (gn.train.FtrlOptimizer, {"learning_rate": 0.1, "initial_accumulator_value": 0.0, "accum_name": "a",
                              "linear_name": "b"}, {"accum": ("a", 0.0), "linear": ("b", 0.0)}),
    (gn.train.ProximalGradientDescentOptimizer, {"learning_rate": 0.1}, {}),
    (gn.train.ProximalAdagradOptimizer, {"learning_rate": 0.1, "initial_accumulator_value": 0.3},
     {"accumulator": ("ProximalAdagrad", 0.3)}),
    (gn.train.AdagradDAOptimizer, {"learning_rate": 0.1},
     {"gradient_accumulator": ("AdagradDA", 0.0), "gradient_squared_accumulator": ("AdagradDA_1", 0.1)}),
]


@pytest.mark.parametrize("cls, kwargs, slots", SLOTS, ids=lambda p: getattr(p, "__name__", ""))
def test_slot_names_variables_and_initial_values_are_tf1s(cls, kwargs, slots):
    w = gn.Variable(np.ones((2, 3), np.float32), name="w")
    if cls is gn.train.AdagradDAOptimizer:
        kwargs = dict(kwargs, global_step=gn.train.get_or_create_global_step())
    optimizer = cls(**kwargs)
    optimizer.minimize(gn.reduce_sum(w * w))
    assert optimizer.get_slot_names() == sorted(slots)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        for slot_name, (suffix, initial) in slots.items():
            slot = optimizer.get_slot(w, slot_name)
            assert slot.op.name == f"w/{suffix}" and not slot.trainable and slot.dtype == gn.float32
            np.testing.assert_array_equal(sess.run(slot), np.full((2, 3), initial, np.float32))
    assert {v.op.name for v in optimizer.variables()} == {f"w/{s}" for s, _ in slots.values()}


@pytest.mark.parametrize("make, message", [
    (lambda: gn.train.FtrlOptimizer(0.1, initial_accumulator_value=-0.5),
     "initial_accumulator_value -0.500000 needs to be positive or zero"),
    (lambda: gn.train.FtrlOptimizer(0.1, learning_rate_power=0.5),
     "learning_rate_power 0.500000 needs to be negative or zero"),
    (lambda: gn.train.FtrlOptimizer(0.1, l1_regularization_strength=-0.5),
     "l1_regularization_strength -0.500000 needs to be positive or zero"),
    (lambda: gn.train.FtrlOptimizer(0.1, l2_regularization_strength=-0.5),
     "l2_regularization_strength -0.500000 needs to be positive or zero"),
    (lambda: gn.train.FtrlOptimizer(0.1, l2_shrinkage_regularization_strength=-0.5),
     "l2_shrinkage_regularization_strength -0.500000 needs to be positive or zero"),
    (lambda: gn.train.ProximalAdagradOptimizer(0.1, initial_accumulator_value=0.0),
     "initial_accumulator_value must be positive: 0.0"),
    (lambda: gn.train.AdagradDAOptimizer(0.1, gn.train.get_or_create_global_step(),
                                         initial_gradient_squared_accumulator_value=0.0),
     "initial_gradient_squared_accumulator_value must be positive: 0.0"),
])
def test_bad_hyperparameters_raise_tf1s_value_errors(make, message):
    with pytest.raises(ValueError) as info:
        make()
    assert str(info.value) == message


def test_adagrad_da_needs_an_integer_global_step():
    with pytest.raises(TypeError, match="global_step must be an integer tensor or variable"):
        gn.train.AdagradDAOptimizer(0.1, 3)
    with pytest.raises(TypeError, match="global_step must be an integer tensor or variable"):
        gn.train.AdagradDAOptimizer(0.1, gn.Variable(1.0, name="not_a_step"))


@pytest.mark.parametrize("kwargs, message", [
    ({"learning_rate": 0.0}, "lr is not a positive scalar: 0.0"),
    ({"learning_rate": -0.1}, "lr is not a positive scalar: -0.1"),
    ({"learning_rate": 0.1, "l1_regularization_strength": -1.0},
     "l1 regularization strength is not a non-negative scalar: -1.0"),
    ({"learning_rate": 0.1, "l2_regularization_strength": -1.0},
     "l2 regularization strength is not a non-negative scalar: -1.0"),
])
def test_proximal_adagrad_checks_its_hyperparameters_at_run_time_as_tf1(kwargs, message, device):
    with gn.device(device):
        w = gn.Variable(np.ones(3, np.float32), name="w")
        train_op = gn.train.ProximalAdagradOptimizer(**kwargs).minimize(gn.reduce_sum(w * w))
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        with pytest.raises(gn.errors.InvalidArgumentError, match=message):
            sess.run(train_op)


CLASSES = [(gn.train.AdadeltaOptimizer, {"learning_rate": 1.0}), (gn.train.FtrlOptimizer, {"learning_rate": 0.1}),
           (gn.train.ProximalGradientDescentOptimizer, {"learning_rate": 0.1, "l2_regularization_strength": 0.1}),
           (gn.train.ProximalAdagradOptimizer, {"learning_rate": 0.1, "l1_regularization_strength": 0.01}),
           (gn.train.AdagradDAOptimizer, {"learning_rate": 0.1})]


def _minimize_once(cls, kwargs, dtype, learning_rate=None):
    w = gn.Variable(np.linspace(-1, 1, 6).astype(dtype.np), name="w")
    if learning_rate is not None:
        kwargs = dict(kwargs, learning_rate=learning_rate)
    if cls is gn.train.AdagradDAOptimizer:
        kwargs = dict(kwargs, global_step=gn.train.get_or_create_global_step())
    optimizer = cls(**kwargs, use_locking=True)
    return w, optimizer, optimizer.minimize(gn.reduce_sum(gn.square(w - 0.3)))


@pytest.mark.parametrize("cls, kwargs", CLASSES, ids=lambda p: getattr(p, "__name__", ""))
def test_float64_stays_float64_tensor_learning_rates_and_use_locking(cls, kwargs):
    results = {}
    for how in ("number", "tensor"):
        with gn.Graph().as_default():
            rate = gn.placeholder(gn.float32, [], name="rate") if how == "tensor" else None
            w, optimizer, train_op = _minimize_once(cls, kwargs, gn.float64, rate)
            updates = [op for op in train_op.graph.get_operations() if op.type.startswith("Apply")]
            assert updates and all(op.get_attr("use_locking") is True for op in updates)
            with gn.Session() as sess:
                sess.run(gn.global_variables_initializer())
                for _ in range(3):
                    sess.run(train_op, {rate: kwargs["learning_rate"]} if rate is not None else None)
                results[how] = sess.run(w)
    assert results["number"].dtype == np.float64
    assert not np.allclose(results["number"], np.linspace(-1, 1, 6))
    np.testing.assert_allclose(results["tensor"], results["number"], rtol=1e-6)


def test_checkpoints_hold_tf1s_variable_names(tmp_path):
    loss, ids = build_loss(gn)
    train_op = gn.train.FtrlOptimizer(0.1).minimize(loss)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        sess.run(train_op, {ids: IDS["all_rows"]})
        prefix = gn.train.Saver().save(sess, str(tmp_path / "model"))
        accum = sess.run(gn.get_default_graph().get_tensor_by_name("embedding/Ftrl:0"))
    names = {name for name, _ in gn.train.list_variables(prefix)}
    assert names == {"dense/kernel", "dense/bias", "embedding", "dense/kernel/Ftrl", "dense/kernel/Ftrl_1",
                     "dense/bias/Ftrl", "dense/bias/Ftrl_1", "embedding/Ftrl", "embedding/Ftrl_1"}
    np.testing.assert_array_equal(gn.train.load_variable(prefix, "embedding/Ftrl"), accum)


SPARSE_MAKERS = {
    "adadelta": lambda: gn.train.AdadeltaOptimizer(1.0),
    "ftrl": lambda: gn.train.FtrlOptimizer(0.1, l1_regularization_strength=0.01),
    "ftrl-shrinkage": lambda: gn.train.FtrlOptimizer(0.1, l2_shrinkage_regularization_strength=0.1),
    "proximal-gd": lambda: gn.train.ProximalGradientDescentOptimizer(0.1, 0.01, 0.02),
    "proximal-adagrad": lambda: gn.train.ProximalAdagradOptimizer(0.1, l1_regularization_strength=0.01),
    "adagrad-da": lambda: gn.train.AdagradDAOptimizer(0.1, gn.train.get_or_create_global_step(), 0.1, 0.01),
}
TABLE = np.random.default_rng(11).normal(size=(6, 3)).astype(np.float32)


def _train_table(make, loss_of, ids0, dense, device, steps=3):
    gn.reset_default_graph()
    with gn.device(device):
        table = gn.Variable(TABLE, name="table")
        ids = gn.placeholder(gn.int64, [None])
        loss = loss_of(table, ids)
        optimizer = make()
        grads_and_vars = optimizer.compute_gradients(loss, [table])
        if dense:
            grads_and_vars = [(gn.identity(g), v) for g, v in grads_and_vars]
        train_op = optimizer.apply_gradients(grads_and_vars)
    types = {op.type for op in gn.get_default_graph().get_operations() if "Apply" in op.type}
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        for _ in range(steps):
            sess.run(train_op, {ids: ids0})
        return sess.run(table), types


def _two_lookups(table, ids):
    first, second = gn.nn.embedding_lookup(table, ids), gn.gather(table, ids[:2])
    return gn.reduce_sum(gn.square(first) * 0.5) + gn.reduce_sum(gn.sin(second))


@pytest.mark.parametrize("name", sorted(SPARSE_MAKERS))
def test_sparse_update_changes_only_the_rows_looked_up_and_those_as_the_dense_one(name, device):
    ids0 = np.array([4, 0, 4, 2], np.int64)  # rows 1, 3, 5 never looked up; row 4 twice
    sparse, sparse_types = _train_table(SPARSE_MAKERS[name], _two_lookups, ids0, False, device, steps=1)
    dense, dense_types = _train_table(SPARSE_MAKERS[name], _two_lookups, ids0, True, device, steps=1)
    assert all(t.startswith("SparseApply") for t in sparse_types) and sparse_types
    assert not any(t.startswith("SparseApply") for t in dense_types) and dense_types
    np.testing.assert_array_equal(sparse[[1, 3, 5]], TABLE[[1, 3, 5]])
    np.testing.assert_allclose(sparse[[0, 2, 4]], dense[[0, 2, 4]], rtol=1e-6, atol=1e-7)
    assert not np.allclose(sparse[[0, 2, 4]], TABLE[[0, 2, 4]])


def test_a_gradient_not_only_of_gathers_updates_every_row():
    def loss_of(table, ids):
        return gn.reduce_sum(gn.nn.embedding_lookup(table, ids)) + gn.reduce_sum(table * 0.01)
    _, types = _train_table(SPARSE_MAKERS["ftrl"], loss_of, np.array([1], np.int64), False, None)
    assert types == {"ApplyFtrl"}


def test_sparse_update_op_rejects_indices_out_of_range_and_bad_rows(device):
    from gpunet.ops.sparse_training_ops import apply_sparse_update
    with gn.device(device):
        table = gn.Variable(TABLE, name="table")
        scalars = [gn.constant(v, gn.float32) for v in (0.1, 0.0, 0.0)]
        values, indices = gn.placeholder(gn.float32, [None, 3]), gn.placeholder(gn.int32, [None])
        update = apply_sparse_update("SparseApplyProximalGradientDescent", [table], scalars, values, indices)
        with pytest.raises(ValueError, match="do not hold rows of the variable"):
            apply_sparse_update("SparseApplyProximalGradientDescent", [table], scalars, gn.zeros([2, 2]), indices)
    with gn.Session() as sess:
        sess.run(table.initializer)
        with pytest.raises(gn.errors.InvalidArgumentError, match=r"indices\[1\] = 6 is not in \[0, 6\)"):
            sess.run(update, {values: np.ones((2, 3), np.float32), indices: [0, 6]})
        sess.run(table.initializer)
        got = sess.run(update, {values: np.ones((3, 3), np.float32), indices: [5, 0, 5]})
    want = TABLE.copy()
    want[0] -= 0.1
    want[5] -= 0.2  # repeated rows add up
    np.testing.assert_allclose(got, want, rtol=1e-6)
