"""TFRecord files (against TF-written fixtures), readers, decode_csv, decode_raw and Example parsing."""
import os
import struct

import numpy as np
import pytest

import gpunet as gn
from gpunet.ops.example_proto import Example
from tests.data.fixtures.make_tfrecord_fixtures import EXAMPLES, RAW_RECORDS

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
RAW = os.path.join(FIXTURES, "raw.tfrecord")
EXAMPLES_FILE = os.path.join(FIXTURES, "examples.tfrecord")


def _run_reader(reader, files, fetch=None, num_epochs=1):
    queue = gn.train.string_input_producer(files, num_epochs=num_epochs, shuffle=False)
    key, value = reader.read(queue)
    out = []
    with gn.Session() as sess:
        sess.run(gn.local_variables_initializer())
        coord = gn.train.Coordinator()
        threads = gn.train.start_queue_runners(sess, coord)
        try:
            while True:
                out.append(sess.run(fetch(key, value) if fetch else [key, value]))
        except gn.errors.OutOfRangeError:
            pass
        coord.request_stop()
        coord.join(threads)
    return out


def test_tf_written_records_read_back_with_iterator_reader_and_dataset():
    assert list(gn.python_io.tf_record_iterator(RAW)) == RAW_RECORDS
    got = _run_reader(gn.TFRecordReader(), [RAW])
    assert [v for _, v in got] == RAW_RECORDS
    offsets = [int(k.decode().rsplit(":", 1)[1]) for k, _ in got]
    assert offsets == list(np.cumsum([0] + [len(r) + 16 for r in RAW_RECORDS[:-1]]))
    value = gn.data.TFRecordDataset(RAW).make_one_shot_iterator().get_next()
    with gn.Session() as sess:
        assert [sess.run(value) for _ in RAW_RECORDS] == RAW_RECORDS
        with pytest.raises(gn.errors.OutOfRangeError):
            sess.run(value)


def test_gpunet_writes_the_bytes_tensorflow_writes(tmp_path):
    for fixture, records in ((RAW, RAW_RECORDS), (EXAMPLES_FILE, list(gn.python_io.tf_record_iterator(EXAMPLES_FILE)))):
        path = tmp_path / "out.tfrecord"
        with gn.python_io.TFRecordWriter(str(path)) as writer:
            for record in records:
                writer.write(record)
        with open(fixture, "rb") as a, open(path, "rb") as b:
            assert a.read() == b.read()


@pytest.mark.parametrize("flip", [0, 9, 13, 30])
def test_corrupt_record_is_data_loss_naming_file_and_offset(tmp_path, flip):
    data = bytearray(open(RAW, "rb").read())
    data[flip] ^= 0xFF
    path = tmp_path / "bad.tfrecord"
    path.write_bytes(bytes(data))
    with pytest.raises(gn.errors.DataLossError, match=rf"at offset \d+ in file {path}"):
        list(gn.python_io.tf_record_iterator(str(path)))
    value = gn.data.TFRecordDataset(str(path)).make_one_shot_iterator().get_next()
    with gn.Session() as sess, pytest.raises(gn.errors.DataLossError, match=r"at offset \d+ in file"):
        for _ in RAW_RECORDS:
            sess.run(value)


def _dataset_records(path):
    value = gn.data.TFRecordDataset(str(path)).make_one_shot_iterator().get_next()
    out = []
    with gn.Session() as sess:
        try:
            while True:
                out.append(sess.run(value))
        except gn.errors.OutOfRangeError:
            return out


_LAST = len(RAW_RECORDS[-1])


# bytes cut off the end: into the last record's CRC (1-4), its data (5 to _LAST + 4), its header (up to
# _LAST + 15), or the whole record (_LAST + 16)
@pytest.mark.parametrize("cut", [1, 4, 5, _LAST // 2, _LAST + 4, _LAST + 5, _LAST + 10, _LAST + 15, _LAST + 16])
def test_a_file_cut_off_in_its_last_record_ends_or_is_data_loss_as_in_tf(tmp_path, cut):
    # TF 2.21 (TFRecordDataset and tf_record_iterator): with fewer bytes left than a record header (12) the
    # file just ends; a whole header with the data or its CRC cut off is DataLossError "truncated record"
    path = tmp_path / "short.tfrecord"
    data = open(RAW, "rb").read()
    path.write_bytes(data[:len(data) - cut])
    kept = RAW_RECORDS[:-1]
    if cut > _LAST + 4:  # only part of the last header (or nothing of the record) is left
        assert list(gn.python_io.tf_record_iterator(str(path))) == kept
        assert _dataset_records(path) == kept
        return
    with pytest.raises(gn.errors.DataLossError, match=r"truncated record of \d+ bytes at offset"):
        list(gn.python_io.tf_record_iterator(str(path)))
    with pytest.raises(gn.errors.DataLossError, match="truncated record"):
        _dataset_records(path)


def test_parse_single_example_and_parse_example_match_the_tf_examples():
    serialized = list(gn.python_io.tf_record_iterator(EXAMPLES_FILE))
    features = {"label": gn.FixedLenFeature([], gn.int64), "pixels": gn.FixedLenFeature([3], gn.float32),
                "name": gn.FixedLenFeature([], gn.string), "tags": gn.VarLenFeature(gn.int64)}
    s = gn.placeholder(gn.string, [])
    single = gn.parse_single_example(s, features)
    batch = gn.io.parse_example(gn.constant(serialized), features)
    assert single["pixels"].shape.as_list() == [3] and batch["pixels"].shape.as_list() == [None, 3]
    with gn.Session() as sess:
        for record, expected in zip(serialized, EXAMPLES):
            got = sess.run(single, {s: record})
            assert got["label"] == expected["label"][0] and got["label"].dtype == np.int64
            np.testing.assert_array_equal(got["pixels"], np.float32(expected["pixels"]))
            assert got["name"] == expected["name"][0]
            assert isinstance(got["tags"], gn.SparseTensor)
            assert got["tags"].values.tolist() == expected["tags"]
            assert got["tags"].indices.tolist() == [[i] for i in range(len(expected["tags"]))]
            assert got["tags"].dense_shape.tolist() == [len(expected["tags"])]
        got = sess.run(batch)
    assert got["label"].tolist() == [e["label"][0] for e in EXAMPLES]
    assert got["tags"].indices.tolist() == [[0, 0], [0, 1], [0, 2], [2, 0]]
    assert got["tags"].values.tolist() == [1, 2, 3, 42] and got["tags"].dense_shape.tolist() == [3, 3]


def test_example_errors_and_defaults():
    record = Example().SerializeToString()
    s = gn.placeholder(gn.string, [])
    missing = gn.parse_single_example(s, {"x": gn.FixedLenFeature([2], gn.float32)})
    default = gn.parse_single_example(s, {"x": gn.FixedLenFeature([2], gn.float32, default_value=[1.0, 2.0])})
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError, match="Feature: x .* is required"):
            sess.run(missing, {s: record})
        np.testing.assert_array_equal(sess.run(default, {s: record})["x"], [1.0, 2.0])
        with pytest.raises(gn.errors.InvalidArgumentError, match="Could not parse example input"):
            sess.run(missing, {s: b"\xff\xff\xff"})
    with pytest.raises(TypeError, match="float32, int64 or string"):
        gn.parse_single_example(s, {"x": gn.FixedLenFeature([], gn.int32)})


@pytest.mark.parametrize("dtype,defaults", [(gn.int32, [[0], [0]]), (gn.int64, [[0], [0]]),
                                            (gn.float32, [[0.0], [0.0]]), (gn.float64, [[0.0], [0.0]])])
def test_decode_csv_per_dtype(dtype, defaults):
    records = gn.constant(["1,2", "3,", ",4"])
    defaults = [gn.constant(np.array(d, dtype=dtype.np)) for d in defaults]
    a, b = gn.decode_csv(records, defaults)
    assert a.dtype == dtype and a.shape.as_list() == [3]
    with gn.Session() as sess:
        ra, rb = sess.run([a, b])
    np.testing.assert_array_equal(ra, np.array([1, 3, 0], dtype.np))
    np.testing.assert_array_equal(rb, np.array([2, 0, 4], dtype.np))


def test_decode_csv_strings_quotes_delim_and_errors():
    a, b = gn.io.decode_csv(gn.constant(['"x;y";2', "z;5"]), [["?"], [0]], field_delim=";")
    required = gn.decode_csv(gn.constant(["1,"]), [[0], gn.constant([], gn.int32)])
    wrong = gn.decode_csv(gn.constant(["1,2,3"]), [[0], [0]])
    bad = gn.decode_csv(gn.constant(["1,x"]), [[0], [0]])
    with gn.Session() as sess:
        assert sess.run(a).tolist() == [b"x;y", b"z"] and sess.run(b).tolist() == [2, 5]
        with pytest.raises(gn.errors.InvalidArgumentError, match="Field 1 is required but missing"):
            sess.run(required)
        with pytest.raises(gn.errors.InvalidArgumentError, match="Expect 2 fields but have 3"):
            sess.run(wrong)
        with pytest.raises(gn.errors.InvalidArgumentError, match="not a valid int32"):
            sess.run(bad)
    with pytest.raises(TypeError, match="record_defaults\\[0\\] has dtype bool"):
        gn.decode_csv(gn.constant(["1"]), [[True]])


@pytest.mark.parametrize("dtype", [gn.uint8, gn.int16, gn.int32, gn.int64, gn.float16, gn.float32, gn.float64])
@pytest.mark.parametrize("little_endian", [True, False])
def test_decode_raw(dtype, little_endian):
    values = (np.arange(6) * 3 - 2).astype(dtype.np) if dtype != gn.uint8 else np.arange(6, dtype=np.uint8)
    order = "<" if little_endian else ">"
    raw = [values[:3].astype(values.dtype.newbyteorder(order)).tobytes(),
           values[3:].astype(values.dtype.newbyteorder(order)).tobytes()]
    out = gn.decode_raw(gn.constant(raw), dtype, little_endian=little_endian)
    assert out.shape.as_list() == [2, None] and out.dtype == dtype
    with gn.Session() as sess:
        got = sess.run(out)
    assert got.dtype == dtype.np
    np.testing.assert_array_equal(got, values.reshape(2, 3))


def test_decode_raw_errors():
    uneven = gn.decode_raw(gn.constant([b"abcd", b"ab"]), gn.uint8)
    odd = gn.decode_raw(gn.constant(b"abc"), gn.int16)
    with gn.Session() as sess:
        with pytest.raises(gn.errors.InvalidArgumentError, match="same size"):
            sess.run(uneven)
        with pytest.raises(gn.errors.InvalidArgumentError, match="not a multiple of 2"):
            sess.run(odd)
        assert sess.run(gn.decode_raw(gn.constant(b""), gn.int32)).shape == (0,)


def test_text_line_reader_skips_header_per_file_and_keys_lines(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("h\n1\n2\n")
    b.write_text("h\r\n3\r\n")
    got = _run_reader(gn.TextLineReader(skip_header_lines=1), [str(a), str(b)])
    assert [v for _, v in got] == [b"1", b"2", b"3"]
    assert [k.decode() for k, _ in got] == [f"{a}:2", f"{a}:3", f"{b}:2"]


def test_fixed_length_reader_header_footer_and_partial_record(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"HH" + bytes(range(12)) + b"F")
    got = _run_reader(gn.FixedLengthRecordReader(4, header_bytes=2, footer_bytes=1), [str(path)])
    assert [v for _, v in got] == [bytes(range(0, 4)), bytes(range(4, 8)), bytes(range(8, 12))]
    path.write_bytes(bytes(range(10)))
    with pytest.raises(gn.errors.DataLossError, match="2 bytes left over"):
        _run_reader(gn.FixedLengthRecordReader(4), [str(path)])


def test_read_up_to_and_missing_file(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("a\nb\nc\n")
    got = _run_reader(gn.TextLineReader(), [str(path)], lambda k, v: v, num_epochs=1)
    assert got == [b"a", b"b", b"c"]
    queue = gn.train.string_input_producer([str(path)], num_epochs=1, shuffle=False)
    keys, values = gn.TextLineReader().read_up_to(queue, 2)
    with gn.Session() as sess:
        sess.run(gn.local_variables_initializer())
        threads = gn.train.start_queue_runners(sess)
        assert sess.run(values).tolist() == [b"a", b"b"]
        assert sess.run(values).tolist() == [b"c"]
        with pytest.raises(gn.errors.OutOfRangeError):
            sess.run(values)
    for t in threads:
        t.join(1)
    missing = gn.data.TextLineDataset(str(tmp_path / "nope.txt")).make_one_shot_iterator().get_next()
    with gn.Session() as sess, pytest.raises(gn.errors.NotFoundError, match="nope.txt"):
        sess.run(missing)


def test_masked_crc_matches_the_tfrecord_format():
    data = open(RAW, "rb").read()
    length = data[:8]
    assert struct.unpack("<Q", length)[0] == 0
    from gpunet.ops.record_io import masked_crc
    assert struct.unpack("<I", data[8:12])[0] == masked_crc(length)
