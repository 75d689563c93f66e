"""Per variable, in plan order, between threads: a read waits for the last write, a write for the last
write and every read since; steps of one thread, and steps sharing no variable, are not ordered."""
import numpy as np
import pytest

import gpunet as gn
from gpunet.graph.variable_order import ANY_VARIABLE, NO_TOUCH, Touch, ordering

V, W = "v", "w"  # stand-ins for two variables' VariableV2 ops
A, B = "thread a", "thread b"


def reads(*variables):
    return Touch(reads=frozenset(variables))


def writes(*variables):
    return Touch(reads=frozenset(variables), writes=frozenset(variables))


@pytest.mark.parametrize("touches, threads, want", [
    # read, read, write on three threads: the write waits for both reads, the reads for nothing
    ([reads(V), reads(V), writes(V)], [A, B, A], {(2, 1)}),
    ([reads(V), reads(V), writes(V)], [A, B, B], {(2, 0)}),
    # write then reads elsewhere: each read waits for it; a later write waits for them and for it
    ([writes(V), reads(V), reads(V), writes(V)], [A, B, B, A], {(1, 0), (2, 0), (3, 1), (3, 2)}),
    # two variables on two threads: nothing to order
    ([writes(V), writes(W), reads(V), reads(W)], [A, B, A, B], set()),
    # one thread: plan order is kept by the thread itself
    ([writes(V), reads(V), writes(V)], [A, A, A], set()),
    # a step that touches no variable is never ordered
    ([writes(V), NO_TOUCH, reads(V)], [A, B, B], {(2, 0)}),
    # an unknown buffer orders against every variable
    ([writes(V), writes(W), Touch(reads=frozenset([ANY_VARIABLE])), writes(W)], [A, A, B, A],
     {(2, 0), (2, 1), (3, 2)}),
])
def test_readers_wait_for_writers_and_writers_for_everyone_before(touches, threads, want):
    assert set(ordering(touches, threads)) == want


@pytest.mark.parametrize("vgpus", [2], indirect=True)
def test_updates_of_different_variables_on_other_threads_wait_only_for_their_own_reads(vgpus):
    """Two variables on the CPU, each read by a GPU and bumped afterwards: each bump waits for the GPU's
    readers of its own variable only (the copy shares the buffer), and the values are those of the flat
    loop, run after run."""
    with gn.device("/gpu:0"):
        start = gn.reduce_sum(gn.constant(np.ones(3, np.float32)))  # GPU 0 first: it shares the CPU's thread
    variables, sums, bumps = [], [], []
    for k in range(2):
        with gn.device("/cpu:0"):
            variables.append(gn.Variable(np.full(3, k + 1.0, np.float32), name=f"v{k}"))
        with gn.device("/gpu:1"):
            sums.append(gn.reduce_sum(variables[k].value() * 1.0))
        with gn.device("/cpu:0"), gn.control_dependencies([start]):
            bumps.append(gn.assign_add(variables[k], np.ones(3, np.float32)))
    fetches = [start] + sums + bumps
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        got = [sess.run(fetches)[1:3] for _ in range(3)]
        plan = sess._plan(tuple(fetches), ())
    assert got == [[3.0 * (1 + r), 3.0 * (2 + r)] for r in range(3)]
    schedule, steps = plan._schedule, plan._steps
    gpu1 = next(k for k, d in enumerate(schedule.devices) if d.name.endswith("GPU:1"))
    done = {steps[i][4].name: n + 1 for n, (i, _, _) in enumerate(schedule.tasks[gpu1])}
    shares = {type(fn).__name__ == "CopyStep" and fn.shares for fn, *_ in steps} - {False}
    for thread, tasks in enumerate(schedule.tasks):
        for i, waits, _ in tasks:
            if steps[i][4].type == "AssignAdd":
                k = bumps.index(steps[i][4].outputs[0])
                # on GPU 1's thread the bump follows the reads there; elsewhere it waits for its own reads
                # only: the sum of the shared buffer, or the copy of its bytes (device memory)
                want = None if thread == gpu1 else done[sums[k].op.name if shares else f"v{k}/read"]
                assert dict(waits).get(gpu1) == want, (k, thread, waits)
    assert done[sums[0].op.name] < done["v1/read"]  # so the first bump need not wait for v1's readers
