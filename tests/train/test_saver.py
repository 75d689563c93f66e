"""gn.train.Saver: round trips (every device, dtype, var_list form), prefixes, max_to_keep, state file."""
import json
import os

import numpy as np
import pytest
import safetensors.numpy

import gpunet as gn


def _adam_model(device="/cpu:0"):
    """A small model trained with Adam: weights, slots, beta powers and the global step."""
    with gn.device(device):
        w = gn.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="w")
        b = gn.get_variable("b", shape=[3], initializer=gn.zeros_initializer())
        x = gn.placeholder(gn.float32, [None, 2])
        loss = gn.reduce_sum(gn.square(gn.matmul(x, w) + b))
        step = gn.train.get_or_create_global_step()
        train = gn.train.AdamOptimizer(0.1).minimize(loss, global_step=step)
    return x, train, step


def _values(sess):
    return {v.op.name: sess.run(v) for v in gn.global_variables()}


def _train(sess, x, train, steps):
    for i in range(steps):
        sess.run(train, {x: np.full((4, 2), i + 1.0, np.float32)})


def test_default_saver_round_trips_weights_slots_and_global_step(device, tmp_path):
    x, train, step = _adam_model(device)
    saver = gn.train.Saver()
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        _train(sess, x, train, 3)
        prefix = saver.save(sess, str(tmp_path / "model.ckpt"), global_step=step)
        saved = _values(sess)
        _train(sess, x, train, 2)  # move every variable away from the saved values
        saver.restore(sess, prefix)
        restored = _values(sess)
    assert prefix == str(tmp_path / "model.ckpt-3")
    assert sorted(saved) == ["b", "b/Adam", "b/Adam_1", "beta1_power", "beta2_power", "global_step",
                             "w", "w/Adam", "w/Adam_1"]
    assert [k for k, _ in gn.train.list_variables(prefix)] == sorted(saved)
    for name, value in saved.items():
        assert restored[name].dtype == value.dtype
        np.testing.assert_array_equal(restored[name], value, err_msg=name)
    assert restored["global_step"] == 3


def test_restore_into_a_fresh_graph_on_another_device(device, tmp_path):
    x, train, _ = _adam_model("/cpu:0")
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        _train(sess, x, train, 2)
        prefix = gn.train.Saver().save(sess, str(tmp_path / "m"))
        saved = _values(sess)
    gn.reset_default_graph()
    _adam_model(device)  # same names, variables now on `device`, never initialized
    with gn.Session() as sess:
        gn.train.Saver().restore(sess, prefix)
        restored = _values(sess)
    assert set(restored) == set(saved)
    for name in saved:
        np.testing.assert_array_equal(restored[name], saved[name], err_msg=name)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "int64", "uint8", "bool"])
@pytest.mark.parametrize("shape", [(), (0,), (3, 0), (5,), (2, 3, 4)])
def test_every_dtype_and_shape_round_trips_exactly(dtype, shape, tmp_path):
    rng = np.random.default_rng(0)
    value = (rng.standard_normal(shape) * 100).astype(dtype)
    var = gn.Variable(value, name="v")
    saver = gn.train.Saver([var])
    with gn.Session() as sess:
        sess.run(var.initializer)
        prefix = saver.save(sess, str(tmp_path / "c"))
        sess.run(var.assign(np.ones(shape, dtype)))
        saver.restore(sess, prefix)
        restored = sess.run(var)
    assert restored.dtype == np.dtype(dtype) and restored.shape == shape
    np.testing.assert_array_equal(restored, value)
    by_safetensors = safetensors.numpy.load_file(prefix + ".safetensors")["v"]  # the format, not just our reader
    assert by_safetensors.dtype == np.dtype(dtype) and by_safetensors.shape == shape
    np.testing.assert_array_equal(by_safetensors, value)


def test_dict_var_list_uses_its_keys_and_maps_onto_other_variables(tmp_path):
    a = gn.Variable([1.0, 2.0], name="a")
    b = gn.Variable([[3]], name="b")
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        prefix = gn.train.Saver({"layer/kernel": a, "count": b}).save(sess, str(tmp_path / "d"))
    assert gn.train.list_variables(prefix) == [("count", [1, 1]), ("layer/kernel", [2])]
    other = gn.Variable([0.0, 0.0], name="other")
    with gn.Session() as sess:
        gn.train.Saver({"layer/kernel": other}).restore(sess, prefix)  # a subset of the keys
        np.testing.assert_array_equal(sess.run(other), [1.0, 2.0])


def test_list_var_list_saves_only_those_variables(tmp_path):
    a = gn.Variable(1.0, name="a")
    gn.Variable(2.0, name="not_saved")
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())
        prefix = gn.train.Saver([a]).save(sess, str(tmp_path / "l"))
    assert gn.train.list_variables(prefix) == [("a", [])]
    assert gn.train.load_variable(prefix, "a") == np.float32(1.0)


def test_global_step_forms_and_padding(tmp_path):
    step = gn.train.get_or_create_global_step()
    with gn.Session() as sess:
        sess.run(step.initializer)
        sess.run(step.assign(42))
        path = str(tmp_path / "s")
        assert gn.train.Saver().save(sess, path) == path
        assert gn.train.Saver().save(sess, path, global_step=7) == path + "-7"
        assert gn.train.Saver().save(sess, path, global_step=np.int64(8)) == path + "-8"
        assert gn.train.Saver().save(sess, path, global_step=step) == path + "-42"
        assert gn.train.Saver(pad_step_number=True).save(sess, path, global_step=step) == path + "-00000042"
    assert gn.train.load_variable(path + "-42", "global_step") == 42


def test_max_to_keep_deletes_the_oldest_and_updates_the_state_file(tmp_path):
    var = gn.Variable(0, name="v")
    saver = gn.train.Saver(max_to_keep=3)
    path = str(tmp_path / "model")
    with gn.Session() as sess:
        sess.run(var.initializer)
        for i in range(7):
            sess.run(var.assign(i))
            saver.save(sess, path, global_step=i)
    kept = [f"{path}-{i}" for i in (4, 5, 6)]
    assert saver.last_checkpoints == kept
    assert sorted(os.listdir(tmp_path)) == ["checkpoint"] + [f"model-{i}.safetensors" for i in (4, 5, 6)]
    state = gn.train.get_checkpoint_state(str(tmp_path))
    assert state.model_checkpoint_path == kept[-1]
    assert state.all_model_checkpoint_paths == kept
    assert len(state.all_model_checkpoint_timestamps) == 3
    record = json.loads((tmp_path / "checkpoint").read_text())  # relative paths: the directory can move
    assert record["all_model_checkpoint_paths"] == ["model-4", "model-5", "model-6"]
    assert gn.train.latest_checkpoint(str(tmp_path)) == kept[-1]
    assert gn.train.load_variable(str(tmp_path), "v") == 6


@pytest.mark.parametrize("max_to_keep", [None, 0])
def test_max_to_keep_none_or_zero_keeps_everything(max_to_keep, tmp_path):
    var = gn.Variable(0, name="v")
    saver = gn.train.Saver(max_to_keep=max_to_keep)
    with gn.Session() as sess:
        sess.run(var.initializer)
        for i in range(7):
            saver.save(sess, str(tmp_path / "m"), global_step=i)
    assert all(gn.train.checkpoint_exists(str(tmp_path / f"m-{i}")) for i in range(7))
    assert len(saver.last_checkpoints) == 7


def test_recover_last_checkpoints_lets_a_restarted_job_delete_old_ones(tmp_path):
    var = gn.Variable(0, name="v")
    with gn.Session() as sess:
        sess.run(var.initializer)
        first = gn.train.Saver(max_to_keep=2)
        for i in range(2):
            first.save(sess, str(tmp_path / "m"), global_step=i)
        restarted = gn.train.Saver(max_to_keep=2)
        restarted.recover_last_checkpoints(gn.train.get_checkpoint_state(str(tmp_path)).all_model_checkpoint_paths)
        restarted.save(sess, str(tmp_path / "m"), global_step=2)
    assert [gn.train.checkpoint_exists(str(tmp_path / f"m-{i}")) for i in range(3)] == [False, True, True]


def test_resaving_the_same_prefix_keeps_one_entry(tmp_path):
    var = gn.Variable(0, name="v")
    saver = gn.train.Saver()
    with gn.Session() as sess:
        sess.run(var.initializer)
        saver.save(sess, str(tmp_path / "m"), global_step=1)
        sess.run(var.assign(5))
        saver.save(sess, str(tmp_path / "m"), global_step=1)
    assert saver.last_checkpoints == [str(tmp_path / "m-1")]
    assert gn.train.load_variable(str(tmp_path / "m-1"), "v") == 5


def test_latest_checkpoint_is_none_without_state_or_files(tmp_path):
    assert gn.train.latest_checkpoint(str(tmp_path)) is None
    assert gn.train.latest_checkpoint(str(tmp_path / "missing_dir")) is None
    var = gn.Variable(0, name="v")
    with gn.Session() as sess:
        sess.run(var.initializer)
        prefix = gn.train.Saver().save(sess, str(tmp_path / "m"))
    os.unlink(prefix + ".safetensors")
    assert gn.train.latest_checkpoint(str(tmp_path)) is None


def test_write_state_false_records_nothing(tmp_path):
    var = gn.Variable(0, name="v")
    saver = gn.train.Saver()
    with gn.Session() as sess:
        sess.run(var.initializer)
        prefix = saver.save(sess, str(tmp_path / "m"), write_state=False)
    assert gn.train.checkpoint_exists(prefix)
    assert not (tmp_path / "checkpoint").exists() and saver.last_checkpoints == []


def test_files_are_plain_safetensors(tmp_path):
    """Other tools can read the data (no pickle anywhere): safetensors' own loader and metadata."""
    var = gn.Variable(np.arange(12, dtype=np.float32).reshape(3, 4), name="dense/kernel")
    with gn.Session() as sess:
        sess.run(var.initializer)
        prefix = gn.train.Saver().save(sess, str(tmp_path / "m"))
    loaded = safetensors.numpy.load_file(prefix + ".safetensors")
    np.testing.assert_array_equal(loaded["dense/kernel"], np.arange(12, dtype=np.float32).reshape(3, 4))
    with safetensors.safe_open(prefix + ".safetensors", framework="np") as f:
        assert f.metadata()["format"] == "gpunet-checkpoint-1" and int(f.metadata()["crc32c"]) >= 0
        assert list(f.keys()) == ["dense/kernel"]


def test_views_and_big_endian_arrays_are_written_in_logical_order(tmp_path):
    from gpunet.train import _checkpoint_files as files
    view = np.arange(6, dtype=np.float32).reshape(2, 3).T
    big_endian = np.arange(4, dtype=">i4")
    files.write_checkpoint(str(tmp_path / "v"), {"t": view, "b": big_endian, "s": view[::2, 1]})
    for key, value in {"t": view, "b": big_endian, "s": view[::2, 1]}.items():
        np.testing.assert_array_equal(gn.train.load_variable(str(tmp_path / "v"), key), value)
        np.testing.assert_array_equal(safetensors.numpy.load_file(str(tmp_path / "v.safetensors"))[key], value)


def test_saver_build_errors(tmp_path):
    with pytest.raises(ValueError, match="No variables to save"):
        gn.train.Saver()
    assert gn.train.Saver(allow_empty=True).save(None, str(tmp_path / "empty")) == str(tmp_path / "empty")
    with pytest.raises(TypeError, match="string"):
        gn.train.Saver([gn.Variable(np.array([b"x"], dtype=object), dtype=gn.string, name="s")])
    a = gn.Variable(1.0, name="a")
    with pytest.raises(TypeError, match="gn.Variable"):
        gn.train.Saver([a, gn.constant(1.0)])
    with pytest.raises(ValueError, match="same name: a"):
        gn.train.Saver([a, a])


def test_save_into_a_missing_directory_and_restore_none(tmp_path):
    var = gn.Variable(0, name="v")
    saver = gn.train.Saver()
    with gn.Session() as sess:
        sess.run(var.initializer)
        with pytest.raises(ValueError, match="doesn't exist"):
            saver.save(sess, str(tmp_path / "no" / "m"))
        with pytest.raises(ValueError, match="None"):
            saver.restore(sess, None)
    with pytest.raises(TypeError, match="'sess' must be a Session; None"):
        saver.save(None, str(tmp_path / "m"))
    with pytest.raises(TypeError, match="'sess' must be a Session"):
        saver.restore("not a session", str(tmp_path / "m"))


def test_keep_checkpoint_every_n_hours_preserves_one_per_period(tmp_path, monkeypatch):
    clock = iter([0.0] + [1800.0 * i for i in range(5)])  # construction, then one save each half hour
    monkeypatch.setattr("gpunet.train.saver._now", lambda: next(clock))
    var = gn.Variable(0, name="v")
    saver = gn.train.Saver(max_to_keep=1, keep_checkpoint_every_n_hours=1.0)
    with gn.Session() as sess:
        sess.run(var.initializer)
        for i in range(5):
            saver.save(sess, str(tmp_path / "m"), global_step=i)
    # the checkpoint made at 1 h is kept when it leaves the list; the others are deleted
    assert [i for i in range(5) if gn.train.checkpoint_exists(str(tmp_path / f"m-{i}"))] == [2, 4]
    assert saver.last_checkpoints == [str(tmp_path / "m-4")]


@pytest.mark.parametrize("value", [-1, "a", 2.5, True])
def test_max_to_keep_must_be_none_or_a_count(value):
    gn.Variable(1.0, name="w")
    with pytest.raises(ValueError, match=f"max_to_keep must be None or an integer >= 0, got {value!r}"):
        gn.train.Saver(max_to_keep=value)
