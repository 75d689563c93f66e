"""K.get_session keeps one session per graph without keeping dropped graphs (and their sessions'
device worker threads) alive."""
import gc
import weakref

import gpunet as gn
from gpunet import backend as K


def test_a_graph_dropped_by_reset_default_graph_takes_its_keras_session_with_it():
    session = weakref.ref(K.get_session())
    graph = weakref.ref(gn.get_default_graph())
    assert K.get_session() is session()  # one per graph
    gn.reset_default_graph()
    gc.collect()
    assert session() is None and graph() is None
    assert K.get_session().graph is gn.get_default_graph()


def test_set_session_and_clear_session():
    mine = gn.Session()
    K.set_session(mine)
    assert K.get_session() is mine
    K.clear_session()
    assert mine._closed
    assert K.get_session() is not mine
