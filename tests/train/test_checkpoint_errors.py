"""Restoring from bad checkpoints: each fault has its error, garbage only ever gives DataLossError,
a failed restore assigns nothing, and a save that dies part-way leaves the previous checkpoint."""
import json
import os

import crc32c
import numpy as np
import pytest
import safetensors.numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gpunet as gn
from gpunet.train import _checkpoint_files as files


@pytest.fixture
def saved(tmp_path):
    """A checkpoint of w (float32 [2, 3]) and n (int64 []); the session and variables, set to
    other values, so a test can see that a failed restore changed nothing."""
    w = gn.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="w")
    n = gn.Variable(np.int64(7), name="n")
    sess = gn.Session()
    sess.run(gn.global_variables_initializer())
    prefix = gn.train.Saver().save(sess, str(tmp_path / "m"))
    sess.run([w.assign(np.full((2, 3), -1, np.float32)), n.assign(-1)])
    yield prefix, sess, w, n
    sess.close()


def _unchanged(sess, w, n):
    np.testing.assert_array_equal(sess.run(w), np.full((2, 3), -1, np.float32))
    assert sess.run(n) == -1


def _restore(prefix, sess):
    gn.train.Saver().restore(sess, prefix)


def test_a_variable_missing_from_the_checkpoint_is_not_found_by_name(saved):
    prefix, sess, w, n = saved
    gn.Variable(1.0, name="extra")
    gn.Variable(2.0, name="also_new")
    with pytest.raises(gn.errors.NotFoundError, match=r"Key extra not found in checkpoint .*m \(nor also_new\)"):
        _restore(prefix, sess)
    _unchanged(sess, w, n)


def test_a_shape_mismatch_names_the_variable_and_both_shapes(saved, tmp_path):
    prefix, _, _, _ = saved
    gn.reset_default_graph()
    gn.Variable(np.zeros((3, 2), np.float32), name="w")
    gn.Variable(np.int64(0), name="n")
    with gn.Session() as sess, pytest.raises(gn.errors.InvalidArgumentError) as info:
        _restore(prefix, sess)
    assert "variable w " in str(info.value) and "shape [3, 2]" in str(info.value) and "shape [2, 3]" in str(info.value)


def test_a_rank_mismatch_and_a_dtype_mismatch_are_invalid_arguments(saved):
    prefix, _, _, _ = saved
    gn.reset_default_graph()
    gn.Variable(np.zeros((2, 3), np.float32), name="w")
    gn.Variable(np.zeros((1,), np.int64), name="n")
    with gn.Session() as sess, pytest.raises(gn.errors.InvalidArgumentError, match=r"n .*shape \[1\].*shape \[\]"):
        _restore(prefix, sess)
    gn.reset_default_graph()
    gn.Variable(np.zeros((2, 3), np.float64), name="w")
    gn.Variable(np.int64(0), name="n")
    with gn.Session() as sess, pytest.raises(gn.errors.InvalidArgumentError, match="float64 .*float32"):
        _restore(prefix, sess)


def test_a_missing_checkpoint_is_not_found(tmp_path):
    gn.Variable(1.0, name="v")
    with gn.Session() as sess, pytest.raises(gn.errors.NotFoundError, match="not a valid checkpoint"):
        _restore(str(tmp_path / "nothing-here"), sess)


@pytest.mark.parametrize("cut", [0, 1, 8, 50, -1])
def test_a_truncated_data_file_is_data_loss(saved, cut):
    prefix, sess, w, n = saved
    data = open(prefix + ".safetensors", "rb").read()
    open(prefix + ".safetensors", "wb").write(data[:cut if cut >= 0 else len(data) + cut])
    with pytest.raises(gn.errors.DataLossError, match="truncated"):
        _restore(prefix, sess)
    _unchanged(sess, w, n)


@pytest.mark.parametrize("position", [0, 9, -1, -13])
def test_a_flipped_byte_is_data_loss(saved, position):
    prefix, sess, w, n = saved
    data = bytearray(open(prefix + ".safetensors", "rb").read())
    data[position] ^= 0x10
    open(prefix + ".safetensors", "wb").write(bytes(data))
    with pytest.raises(gn.errors.DataLossError, match="CRC32C"):
        _restore(prefix, sess)
    _unchanged(sess, w, n)


def test_a_missing_data_file_or_a_broken_index_is_data_loss(saved):
    prefix, sess, w, n = saved
    index = open(prefix + ".index", "rb").read()
    open(prefix + ".index", "wb").write(index[: len(index) // 2])
    with pytest.raises(gn.errors.DataLossError, match="index"):
        _restore(prefix, sess)
    open(prefix + ".index", "wb").write(index)
    os.unlink(prefix + ".safetensors")
    with pytest.raises(gn.errors.DataLossError, match="missing"):
        _restore(prefix, sess)
    _unchanged(sess, w, n)


def test_a_corrupt_state_file_is_data_loss(saved, tmp_path):
    (tmp_path / "checkpoint").write_bytes(b"model_checkpoint_path: 'm'")  # TF1's text format is not ours
    with pytest.raises(gn.errors.DataLossError, match="state"):
        gn.train.latest_checkpoint(str(tmp_path))


def test_data_that_passes_the_checksum_but_disagrees_with_the_index_is_data_loss(saved):
    prefix, sess, _, _ = saved
    other = safetensors.numpy.save({"w": np.zeros((3, 2), np.float32), "n": np.zeros((), np.int64)})
    _write_with_matching_index(prefix, other, json.loads(open(prefix + ".index").read())["tensors"])
    with pytest.raises(gn.errors.DataLossError, match=r"'w' is float32\[3, 2\] in the data file"):
        _restore(prefix, sess)


def _write_with_matching_index(prefix, data, tensors):
    """Data plus an index whose size and checksum match it: only the parser stands in the way."""
    index = {"format": files.FORMAT, "size": len(data), "crc32c": crc32c.crc32c(data), "tensors": tensors}
    open(prefix + ".safetensors", "wb").write(data)
    open(prefix + ".index", "w").write(json.dumps(index))


# -- garbage: whatever the bytes, the reader answers DataLossError and nothing else -------------------
_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                     max_leaves=12)
# a well-formed index may describe other variables: their own errors are right then
_DESCRIBES_OTHER_VARIABLES = (gn.errors.InvalidArgumentError, gn.errors.NotFoundError)
_GOOD_TENSORS = {"w": {"dtype": "float32", "shape": [2, 3]}, "n": {"dtype": "int64", "shape": []}}


def _restore_expecting_data_loss(prefix, also=()):
    """Restore from a doctored checkpoint: DataLossError (or one of ``also``), or success only if
    the bytes are a genuine checkpoint of w and n — then the values must be exactly what
    safetensors itself reads from them."""
    gn.reset_default_graph()
    w = gn.Variable(np.zeros((2, 3), np.float32), name="w")
    n = gn.Variable(np.int64(0), name="n")
    with gn.Session() as sess:
        try:
            _restore(prefix, sess)
        except (gn.errors.DataLossError, *also):
            return
        expected = safetensors.numpy.load(open(prefix + ".safetensors", "rb").read())
        np.testing.assert_array_equal(sess.run(w), expected["w"])
        assert sess.run(n) == expected["n"]


_GARBAGE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_GARBAGE
@given(garbage=st.binary(max_size=300))
def test_garbage_data_with_a_matching_checksum_is_data_loss(saved, garbage):
    _write_with_matching_index(saved[0], garbage, _GOOD_TENSORS)
    _restore_expecting_data_loss(saved[0])


@_GARBAGE
@given(edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=6),
       cut=st.integers(0, 400))
def test_mutated_headers_with_a_matching_checksum_are_data_loss(saved, edits, cut):
    """Byte edits mostly in the safetensors header (its length, JSON, offsets), then truncation."""
    good = bytearray(safetensors.numpy.save({"w": np.zeros((2, 3), np.float32), "n": np.zeros((), np.int64)}))
    for position, value in edits:
        good[position % len(good)] = value
    _write_with_matching_index(saved[0], bytes(good[:cut] if cut < len(good) else good), _GOOD_TENSORS)
    _restore_expecting_data_loss(saved[0])


@_GARBAGE
@given(index=st.binary(max_size=200) | _json.map(lambda v: json.dumps(v).encode()))
def test_garbage_index_files_are_data_loss(saved, index):
    open(saved[0] + ".index", "wb").write(index)
    _restore_expecting_data_loss(saved[0], _DESCRIBES_OTHER_VARIABLES)


@_GARBAGE
@given(tensors=st.dictionaries(st.sampled_from(["w", "n"]), _json, min_size=2))
def test_garbage_tensor_entries_in_the_index_are_data_loss(saved, tensors):
    index = json.loads(open(saved[0] + ".index").read())
    index["tensors"] = tensors
    open(saved[0] + ".index", "w").write(json.dumps(index))
    _restore_expecting_data_loss(saved[0], _DESCRIBES_OTHER_VARIABLES)


# -- a save that dies part-way --------------------------------------------------------------------
@pytest.mark.parametrize("dies_at", [0, 1, 2])  # renaming the data file, the index, the state file
def test_a_save_that_dies_part_way_leaves_the_previous_checkpoint(tmp_path, monkeypatch, dies_at):
    var = gn.Variable(1.0, name="v")
    saver = gn.train.Saver()
    with gn.Session() as sess:
        sess.run(var.initializer)
        first = saver.save(sess, str(tmp_path / "m"), global_step=1)
        sess.run(var.assign(2.0))
        calls = []

        def dying_replace(src, dst):
            calls.append(dst)
            if len(calls) > dies_at:
                raise OSError("simulated crash")
            os.rename(src, dst)
        monkeypatch.setattr(files.os, "replace", dying_replace)
        with pytest.raises(OSError, match="simulated crash"):
            saver.save(sess, str(tmp_path / "m"), global_step=2)
    monkeypatch.undo()
    assert gn.train.latest_checkpoint(str(tmp_path)) == first
    assert gn.train.load_variable(str(tmp_path), "v") == 1.0
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]
