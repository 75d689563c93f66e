"""A dropped graph and its session are collected without ``close()``, with their worker threads and
device memory: nothing in the executor, the Keras backend or the random ops keeps them alive. (The
CuPy double run of the suite ran out of fake GPU memory when each of these did.)"""
import gc
import threading
import weakref

import numpy as np

import gpunet as gn
from gpunet import backend as K


def _collected(ref) -> bool:
    gc.collect()
    return ref() is None


def _tower_graph():
    graph = gn.Graph()
    with graph.as_default():
        x = gn.placeholder(gn.float32, [4], name="x")
        parts = []
        for k in range(2):
            with gn.device(f"/gpu:{k}"):
                parts.append(gn.reduce_sum(x * float(k + 1)))
        total = gn.add_n(parts)
    return graph, x, total


def _workers():
    return {t for t in threading.enumerate() if t.name.startswith("gpunet-")}


def _keras_session(graph):
    """The graph's Keras session, which the graph refers to (as every Keras model's graph does)."""
    with graph.as_default():
        return K.get_session()


def test_a_session_whose_plan_ran_on_device_workers_is_collected_with_its_threads(vgpus):
    before = _workers()
    graph, x, total = _tower_graph()
    sess = _keras_session(graph)
    assert sess.run(total, {x: np.ones(4, np.float32)}) == 12.0
    started = _workers() - before
    assert started  # the two GPUs' parts ran on worker threads
    refs = [weakref.ref(sess), weakref.ref(graph)]
    del sess, graph, x, total
    assert all(_collected(ref) for ref in refs)  # an idle worker held its last run, so the graph and session
    for thread in started:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in started)


def test_a_graph_whose_keras_learning_phase_was_made_is_collected():
    graph = gn.Graph()
    with graph.as_default():
        phase = K.learning_phase()
        assert K.learning_phase() is phase  # one per graph
    ref = weakref.ref(graph)
    del graph, phase
    assert _collected(ref)  # a table keyed weakly by graph held the phase tensor, which holds its graph


def test_a_dropped_session_gives_back_its_random_generators_device_memory(cupy_gpus):
    pool = cupy_gpus.get_default_memory_pool()
    graph = gn.Graph()
    with graph.as_default(), gn.device("/gpu:0"):
        noise = gn.random_normal([8], seed=1)
    sess = _keras_session(graph)
    with cupy_gpus.cuda.Device(0):
        before = pool.used_bytes()
        assert sess.run(noise).shape == (8,)
        assert pool.used_bytes() > before  # the generator's state lives on the device
    ref = weakref.ref(sess)
    del sess, graph, noise
    assert _collected(ref)  # a table keyed weakly by session state named the op, whose graph holds the session
    with cupy_gpus.cuda.Device(0):
        assert pool.used_bytes() == before
