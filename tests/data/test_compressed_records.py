"""GZIP and ZLIB TFRecord files (TF-written fixtures read back, gpunet writes TF's bytes, damage is DataLoss)
and compressed text files."""
import gzip
import os
import zlib

import pytest

import gpunet as gn
from tests.data.fixtures.make_tfrecord_fixtures import COMPRESSIBLE, RAW_RECORDS

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
RECORDS = RAW_RECORDS + COMPRESSIBLE
KINDS = {"GZIP": gn.python_io.TFRecordCompressionType.GZIP, "ZLIB": gn.python_io.TFRecordCompressionType.ZLIB}


def _fixture(kind):
    return os.path.join(FIXTURES, f"raw.{kind.lower()}.tfrecord")


def _dataset_records(path, compression_type, batch=None):
    dataset = gn.data.TFRecordDataset(path, compression_type=compression_type)
    iterator = (dataset.batch(batch) if batch else dataset).make_one_shot_iterator().get_next()
    out = []
    with gn.Session() as sess:
        try:
            while True:
                value = sess.run(iterator)
                out += list(value) if batch else [value]
        except gn.errors.OutOfRangeError:
            return out


def _reader_records(path, options):
    queue = gn.train.string_input_producer([path], num_epochs=1, shuffle=False)
    _, value = gn.TFRecordReader(options=options).read(queue)
    out = []
    with gn.Session() as sess:
        sess.run(gn.local_variables_initializer())
        coord = gn.train.Coordinator()
        threads = gn.train.start_queue_runners(sess, coord)
        try:
            while True:
                out.append(sess.run(value))
        except gn.errors.OutOfRangeError:
            pass
        coord.request_stop()
        coord.join(threads)
    return out


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_tf_written_compressed_files_read_back_every_way(kind):
    path = _fixture(kind)
    for options in (kind, kind.lower(), KINDS[kind], gn.python_io.TFRecordOptions(kind),
                    gn.python_io.TFRecordOptions(KINDS[kind])):
        assert list(gn.python_io.tf_record_iterator(path, options)) == RECORDS
    assert _dataset_records(path, kind) == RECORDS
    assert _dataset_records(path, kind, batch=64) == RECORDS
    assert _reader_records(path, gn.python_io.TFRecordOptions(KINDS[kind])) == RECORDS
    assert gn.python_io.TFRecordOptions.get_compression_type_string(gn.python_io.TFRecordOptions(KINDS[kind])) == kind


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_gpunet_writes_the_compressed_bytes_tensorflow_writes(tmp_path, kind):
    path = tmp_path / "out.tfrecord"
    with gn.python_io.TFRecordWriter(str(path), gn.python_io.TFRecordOptions(kind)) as writer:
        for record in RECORDS:
            writer.write(record)
    with open(_fixture(kind), "rb") as want:
        assert path.read_bytes() == want.read()


def test_an_empty_compressed_file_has_no_records(tmp_path):
    path = str(tmp_path / "empty.tfrecord")
    gn.python_io.TFRecordWriter(path, "GZIP").close()
    assert list(gn.python_io.tf_record_iterator(path, "GZIP")) == [] and _dataset_records(path, "GZIP") == []


@pytest.mark.parametrize("damage", ["truncate", "flip", "uncompressed"])
def test_damaged_compressed_files_are_data_loss_naming_the_file(tmp_path, damage):
    data = bytearray(open(_fixture("GZIP"), "rb").read())
    if damage == "truncate":
        data = data[:len(data) // 2]
    elif damage == "flip":
        data[len(data) // 2] ^= 0xFF
    else:
        data = bytearray(open(os.path.join(FIXTURES, "raw.tfrecord"), "rb").read())
    path = tmp_path / "bad.tfrecord"
    path.write_bytes(bytes(data))
    with pytest.raises(gn.errors.DataLossError, match=f"GZIP data in file {path}"):
        list(gn.python_io.tf_record_iterator(str(path), "GZIP"))
    with pytest.raises(gn.errors.DataLossError, match=f"in file {path}"):
        _dataset_records(str(path), "GZIP")


@pytest.mark.parametrize("bad", ["BZIP2", 3, True, "gz"])
def test_unknown_compression_types_are_refused_at_build_time(bad):
    with pytest.raises(ValueError, match="compression_type .* is not supported: use None, 'ZLIB' or 'GZIP'"):
        gn.data.TFRecordDataset("x.tfrecord", compression_type=bad)
    with pytest.raises(ValueError, match="is not supported"):
        gn.python_io.TFRecordOptions(bad)
    with pytest.raises(ValueError, match="is not supported"):
        gn.TFRecordReader(options=bad)


@pytest.mark.parametrize("kind", [None, "GZIP", "ZLIB"])
def test_text_line_dataset_reads_compressed_files(tmp_path, kind):
    text = b"header\r\nfirst line\n\nlast, no newline"
    data = {None: text, "GZIP": gzip.compress(text), "ZLIB": zlib.compress(text)}[kind]
    path = tmp_path / "lines.txt"
    path.write_bytes(data)
    lines = gn.data.TextLineDataset(str(path), compression_type=kind).skip(1)
    assert _dataset_records_of(lines) == [b"first line", b"", b"last, no newline"]


def _dataset_records_of(dataset):
    element = dataset.make_one_shot_iterator().get_next()
    out = []
    with gn.Session() as sess:
        try:
            while True:
                out.append(sess.run(element))
        except gn.errors.OutOfRangeError:
            return out
