"""Restoring from bad checkpoints: each fault has its error, garbage only ever gives DataLossError,
a failed restore assigns nothing, and a save that dies part-way leaves the previous checkpoint."""
import json
import os
from pathlib import Path

import crc32c
import numpy as np
import pytest
import safetensors.numpy
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import gpunet as gn
from gpunet.train import _checkpoint_files as files


def _file(prefix):
    return Path(prefix + ".safetensors")


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


@pytest.mark.parametrize("cut", [0, 1, 7, 8, 50, -1])
def test_a_truncated_file_is_data_loss(saved, cut):
    prefix, sess, w, n = saved
    data = _file(prefix).read_bytes()
    _file(prefix).write_bytes(data[:cut if cut >= 0 else len(data) + cut])
    with pytest.raises(gn.errors.DataLossError, match="truncated"):
        _restore(prefix, sess)
    _unchanged(sess, w, n)


_PRISTINE = {}


def _pristine(prefix):
    """The checkpoint as saved, written back: each hypothesis example starts from it."""
    data = _PRISTINE.setdefault(prefix, _file(prefix).read_bytes())
    _file(prefix).write_bytes(data)
    return data


def _header_end(prefix):
    return 8 + int.from_bytes(_file(prefix).read_bytes()[:8], "little")


@pytest.mark.parametrize("where", ["first tensor byte", "last byte", "shape digit", "dtype"])
def test_an_altered_byte_is_data_loss(saved, where):
    prefix, sess, w, n = saved
    data = bytearray(_file(prefix).read_bytes())
    if where in ("first tensor byte", "last byte"):
        data[_header_end(prefix) if where == "first tensor byte" else -1] ^= 0x10
    elif where == "shape digit":  # [2,3] -> [3,2]: still a consistent safetensors file
        data[:] = data.replace(b'"shape":[2,3]', b'"shape":[3,2]')
    else:  # the int64 scalar read as a float64: same size, so only the checksum can tell
        data[:] = data.replace(b'"dtype":"I64"', b'"dtype":"F64"')
    _file(prefix).write_bytes(bytes(data))
    with pytest.raises(gn.errors.DataLossError, match="CRC32C does not match"):
        _restore(prefix, sess)
    _unchanged(sess, w, n)


def test_a_foreign_safetensors_file_is_data_loss(saved):
    prefix, sess, w, n = saved
    safetensors.numpy.save_file({"w": np.zeros((2, 3), np.float32), "n": np.zeros((), np.int64)},
                                prefix + ".safetensors")
    with pytest.raises(gn.errors.DataLossError, match="not a gpunet checkpoint header"):
        _restore(prefix, sess)
    _unchanged(sess, w, n)


def test_a_corrupt_state_file_is_data_loss(saved, tmp_path):
    (tmp_path / "checkpoint").write_bytes(b"model_checkpoint_path: 'm'")  # TF1's text format is not ours
    with pytest.raises(gn.errors.DataLossError, match="state"):
        gn.train.latest_checkpoint(str(tmp_path))


def _signed_file(prefix, table, payload):
    """A file in the checkpoint layout whose checksum matches ``table`` and ``payload``: only the
    parser and the consistency checks stand between it and the variables."""
    crc = crc32c.crc32c(payload, crc32c.crc32c(files._canonical(table)))
    header = json.dumps({"__metadata__": {"format": files.FORMAT, "crc32c": str(crc)}, **table}).encode()
    _file(prefix).write_bytes(len(header).to_bytes(8, "little") + header + payload)


def test_a_signed_file_that_safetensors_rejects_is_data_loss(saved):
    prefix, sess, _, _ = saved
    overlapping = {"w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
                   "n": {"dtype": "I64", "shape": [], "data_offsets": [16, 24]}}
    _signed_file(prefix, overlapping, bytes(24))
    with pytest.raises(gn.errors.DataLossError, match="not a valid safetensors file"):
        _restore(prefix, sess)


# -- garbage: whatever the bytes, the reader answers DataLossError and nothing else -------------------
_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                     lambda inner: (st.lists(inner, max_size=4)
                                    | st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                     max_leaves=12)


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
        expected = safetensors.numpy.load(_file(prefix).read_bytes())
        np.testing.assert_array_equal(sess.run(w), expected["w"])
        assert sess.run(n) == expected["n"]


# a well-formed header may describe other variables: their own errors are right then
_DESCRIBES_OTHER_VARIABLES = (gn.errors.InvalidArgumentError, gn.errors.NotFoundError)
_GARBAGE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_GARBAGE
@given(garbage=st.binary(max_size=300))
def test_garbage_files_are_data_loss(saved, garbage):
    _file(saved[0]).write_bytes(garbage)
    _restore_expecting_data_loss(saved[0])


@_GARBAGE
@given(edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=6),
       cut=st.integers(0, 400))
def test_edited_and_cut_files_are_data_loss(saved, edits, cut):
    """Byte edits anywhere (header length, JSON, tensors), then truncation: the checksum or the
    parser must notice; an edit that changes nothing restores the saved values."""
    data = bytearray(_pristine(saved[0]))
    for position, value in edits:
        data[position % len(data)] = value
    _file(saved[0]).write_bytes(bytes(data[:cut] if cut < len(data) else data))
    _restore_expecting_data_loss(saved[0])


_entry = st.fixed_dictionaries({"dtype": st.sampled_from(["F32", "I64", "F64", "BOOL", "U8", "X"]) | _json,
                                "shape": st.lists(st.integers(-1, 4), max_size=3) | _json,
                                "data_offsets": st.lists(st.integers(-1, 40), min_size=2, max_size=2) | _json})


@_GARBAGE
@given(table=st.dictionaries(st.sampled_from(["w", "n", "x"]), _entry | _json, min_size=1, max_size=3),
       payload=st.binary(max_size=48))
def test_signed_garbage_tables_are_data_loss(saved, table, payload):
    """Headers whose checksum is right but whose tensor table is nonsense: wrong dtypes, negative
    or mismatched shapes, overlapping or out-of-range offsets, non-dict entries."""
    try:
        _signed_file(saved[0], table, payload)
    except (TypeError, ValueError):
        return  # the table is not even JSON-serialisable: nothing to write
    _restore_expecting_data_loss(saved[0], _DESCRIBES_OTHER_VARIABLES)


@_GARBAGE
@given(metadata=_json)
@example(metadata={"format": files.FORMAT, "crc32c": float("inf")})  # int(inf) is an OverflowError
@example(metadata={"format": files.FORMAT, "crc32c": "12x"})
def test_garbage_metadata_is_data_loss(saved, metadata):
    data = _pristine(saved[0])
    header = json.loads(data[8:_header_end(saved[0])])
    header["__metadata__"] = metadata
    text = json.dumps(header).encode()
    _file(saved[0]).write_bytes(len(text).to_bytes(8, "little") + text + data[_header_end(saved[0]):])
    _restore_expecting_data_loss(saved[0])


# -- a save that dies part-way --------------------------------------------------------------------
@pytest.mark.parametrize("dies_at", [0, 1])  # renaming the checkpoint file, the state file
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


@_GARBAGE
@given(state=st.binary(max_size=200) | _json.map(lambda v: json.dumps(v).encode()) | st.fixed_dictionaries(
    {"model_checkpoint_path": _json, "all_model_checkpoint_paths": _json, "all_model_checkpoint_timestamps": _json,
     "last_preserved_timestamp": _json}).map(lambda v: json.dumps(v).encode()))
@example(state=b'{"model_checkpoint_path": "m", "all_model_checkpoint_paths": [], '
               b'"all_model_checkpoint_timestamps": [1' + b"0" * 400 + b'], "last_preserved_timestamp": 0}')
@example(state=b"[" * 100_000)  # nesting deeper than the JSON parser recurses
def test_garbage_state_files_are_data_loss(tmp_path, state):
    (tmp_path / "checkpoint").write_bytes(state)
    try:
        found = gn.train.get_checkpoint_state(str(tmp_path))
    except gn.errors.DataLossError:
        return
    assert isinstance(found.model_checkpoint_path, str)  # garbage that happens to be a valid state
    assert gn.train.latest_checkpoint(str(tmp_path)) in (None, found.model_checkpoint_path)
