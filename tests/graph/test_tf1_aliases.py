"""The TF 0.x/1.x variable names, gn.compat.v1, and Variable(collections=[])."""
import numpy as np
import pytest

import gpunet as gn


def test_compat_v1_is_the_same_namespace():
    import gpunet.compat.v1 as tf
    assert tf is gn and gn.compat.v1.placeholder is gn.placeholder and gn.compat.v1.train is gn.train
    gn.compat.v1.disable_v2_behavior()  # TF2-era scripts call these; nothing to do
    gn.compat.v1.disable_eager_execution()


def test_old_initializer_names_initialize():
    a, b = gn.Variable(1.0, name="a"), gn.Variable(2.0, name="b")
    local = gn.Variable(3.0, name="local", collections=[gn.GraphKeys.LOCAL_VARIABLES])
    assert gn.all_variables() == [a, b] and gn.GraphKeys.VARIABLES == gn.GraphKeys.GLOBAL_VARIABLES
    assert gn.get_collection(gn.GraphKeys.VARIABLES) == [a, b]
    with gn.Session() as sess:
        sess.run(gn.initialize_variables([a]))
        assert sess.run(gn.is_variable_initialized(a)) and not sess.run(gn.is_variable_initialized(b))
        sess.run(gn.initialize_all_variables())
        assert not sess.run(gn.is_variable_initialized(local))
        sess.run(gn.initialize_local_variables())
        assert sess.run([a, b, local]) == [1.0, 2.0, 3.0]


def test_assert_variables_initialized_raises_naming_the_variable():
    v = gn.Variable(np.ones((2, 3), np.float32), name="v")
    u = gn.Variable(2.0, name="u")
    check, check_v = gn.assert_variables_initialized(), gn.assert_variables_initialized([v])
    assert check.shape == [2] and check.dtype == gn.int32 and check_v.shape == []
    with gn.Session() as sess:
        with pytest.raises(gn.errors.FailedPreconditionError, match="uninitialized value v"):
            sess.run(check)
        sess.run(v.initializer)
        assert sess.run(check_v) == 2
        with pytest.raises(gn.errors.FailedPreconditionError, match="uninitialized value u"):
            sess.run(check)
        sess.run(u.initializer)
        np.testing.assert_array_equal(sess.run(check), [2, 0])
    assert gn.assert_variables_initialized([]) is None


def test_assert_variables_initialized_beside_a_gpu_variable(vgpus):
    with gn.device("/gpu:1"):
        v = gn.Variable([1.0, 2.0], name="v")
    with gn.device("/cpu:0"):
        w = gn.Variable(0.0, name="w")
    check = gn.assert_variables_initialized([v, w])
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        np.testing.assert_array_equal(sess.run(check), [1, 0])
        report = sess.placement_report(check)
    v_rank, w_rank = (t.op.name for t in check.op.inputs)
    assert report.row(v_rank).assigned.endswith("GPU:1") and report.row(w_rank).assigned.endswith("CPU:0")


def test_variable_with_no_collections_is_in_none_but_initialisable():
    """As TF1: ``collections=[]`` keeps a variable out of GLOBAL_VARIABLES (so out of
    ``global_variables_initializer``); only ``trainable=True`` still adds TRAINABLE_VARIABLES."""
    hidden = gn.Variable(5.0, name="hidden", collections=[], trainable=False)
    hidden_trainable = gn.Variable(6.0, name="hidden_trainable", collections=[])
    shown = gn.Variable(1.0, name="shown")
    assert gn.global_variables() == [shown] and gn.trainable_variables() == [hidden_trainable, shown]
    assert all(hidden not in gn.get_collection(key) for key in gn.get_default_graph().get_all_collection_keys())
    with gn.Session() as sess:
        sess.run(hidden.initializer)
        assert sess.run(hidden) == 5.0
