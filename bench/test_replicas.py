"""Replica engine benchmarks (see bench/replicas.py): 1, 2, 4 replicas on virtual GPUs, and the
engine against a hand-written TF1 tower graph, both computing the same step."""
import io

import numpy as np
import pytest

import gpunet as gn

from . import models, replicas


@pytest.fixture(autouse=True)
def four_virtual_gpus():
    replicas.use_virtual_gpus(4)
    yield
    replicas.use_virtual_gpus(0)


@pytest.fixture(scope="module")
def global_batch():
    return models.batch((replicas.GLOBAL_BATCH, models.MLP_WIDTHS[0]))


def run(benchmark, step, data, replica_count, impl):
    benchmark.extra_info.update(impl=impl, replicas=replica_count, global_batch=replicas.GLOBAL_BATCH)
    step(*data)
    loss = benchmark(step, *data)
    assert 0.0 < loss < 10.0


@pytest.mark.benchmark(group="replicas-mlp-b256")
@pytest.mark.parametrize("n", [1, 2, 4])
def test_engine_step(benchmark, global_batch, n):
    run(benchmark, replicas.EngineStep(n, models.mlp_params()).step, global_batch, n, "engine")


@pytest.mark.benchmark(group="replicas-engine-vs-towers-2")
@pytest.mark.parametrize("impl", ["engine", "towers"])
def test_engine_against_hand_written_towers(benchmark, global_batch, impl):
    build = replicas.EngineStep if impl == "engine" else replicas.HandTowerStep
    run(benchmark, build(2, models.mlp_params()).step, global_batch, 2, impl)


def test_engine_and_hand_written_towers_compute_the_same_step(global_batch):
    engine, towers = replicas.EngineStep(2, models.mlp_params()), replicas.HandTowerStep(2, models.mlp_params())
    assert engine.step(*global_batch) == pytest.approx(towers.step(*global_batch), rel=1e-5)
    for a, b in zip(engine.session.run(engine.graph.get_collection("trainable_variables")),
                    towers.session.run(towers.graph.get_collection("trainable_variables"))):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_static_batch_size_computes_the_same_step(global_batch):
    sliced = replicas.EngineStep(2, models.mlp_params(), static_batch=True)
    gathered = replicas.EngineStep(2, models.mlp_params())
    assert {op.type for op in sliced.graph.get_operations() if op.name.endswith("_rows")} == {"Slice"}
    assert sliced.step(*global_batch) == gathered.step(*global_batch)
    for a, b in zip(sliced.session.run(sliced.graph.get_collection("trainable_variables")),
                    gathered.session.run(gathered.graph.get_collection("trainable_variables"))):
        np.testing.assert_array_equal(a, b)


COMMUNICATORS = {"host": gn.parallel.HostAllReduce, "collective": gn.parallel.CollectiveAllReduce}


@pytest.mark.benchmark(group="replicas-mirrored-2")
@pytest.mark.parametrize("communicator", sorted(COMMUNICATORS))
def test_mirrored_replicas_by_communicator(benchmark, global_batch, communicator):
    step = replicas.EngineStep(2, models.mlp_params(), variables_on="gpu", communicator=COMMUNICATORS[communicator]())
    run(benchmark, step.step, global_batch, 2, f"mirrored, {communicator} all-reduce")


def test_both_communicators_compute_the_same_step(global_batch):
    steps = [replicas.EngineStep(2, models.mlp_params(), variables_on="gpu", communicator=make())
             for make in COMMUNICATORS.values()]
    losses = [s.step(*global_batch) for s in steps]
    assert losses[0] == pytest.approx(losses[1], rel=1e-6)
    weights = [s.session.run(s.graph.get_collection("trainable_variables")) for s in steps]
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_paired_quartiles_are_those_of_the_per_round_ratios():
    times, base = [2.0, 8.0, 4.0, 6.0], [1.0, 2.0, 1.0, 1.0]  # ratios 2, 4, 4, 6
    assert replicas.paired_ratio(times, base) == 4.0
    assert replicas.paired_quartiles(times, base) == (3.5, 4.5)


def test_the_lean_table_measures_the_baseline_the_engine_the_towers_and_the_control():
    table = io.StringIO()
    result = replicas.main(out=table, rounds=1, repeats=1, lean=True)
    assert list(result) == [replicas.BASELINE, replicas.ENGINE_2, replicas.TOWERS_2, replicas.CONTROL]
    rows = [line.split("  ")[0] for line in table.getvalue().splitlines()[3:7]]
    assert rows == list(result)
    last = table.getvalue().splitlines()[-2:]
    assert last[0].startswith("engine over hand-written towers, 2 replicas: ")
    assert last[1].startswith("engine over NumPy's own two threads (the control): ")


def test_the_command_line_takes_lean_and_rounds_and_refuses_zero_rounds(capsys):
    assert vars(replicas._arguments(["--lean", "--rounds", "3"])) == {"lean": True, "rounds": 3}
    assert vars(replicas._arguments([])) == {"lean": False, "rounds": 9}
    with pytest.raises(SystemExit):
        replicas._arguments(["--rounds", "0"])
    assert "--rounds must be at least 1, got 0" in capsys.readouterr().err
