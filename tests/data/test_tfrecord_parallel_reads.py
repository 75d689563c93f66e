"""TFRecordDataset(num_parallel_reads=N): N files read at once, records in TF's interleaved order."""
import os
import threading

import pytest

import gpunet as gn
from gpunet.data import AUTOTUNE, TFRecordDataset

COUNTS = [3, 0, 5, 2, 4]  # an empty file and files of different lengths
# what tensorflow 2.21 (tf.compat.v1) gives for these files on a 2-core machine
TF_ORDER = {
    1: ["0-0", "0-1", "0-2", "2-0", "2-1", "2-2", "2-3", "2-4", "3-0", "3-1", "4-0", "4-1", "4-2", "4-3"],
    2: ["0-0", "0-1", "2-0", "0-2", "2-1", "2-2", "3-0", "2-3", "3-1", "2-4", "4-0", "4-1", "4-2", "4-3"],
    3: ["0-0", "2-0", "0-1", "3-0", "2-1", "0-2", "3-1", "2-2", "2-3", "4-0", "2-4", "4-1", "4-2", "4-3"],
}


@pytest.fixture
def files(tmp_path):
    paths = []
    for index, count in enumerate(COUNTS):
        paths.append(str(tmp_path / f"f{index}.tfrecord"))
        with gn.python_io.TFRecordWriter(paths[-1]) as writer:
            for record in range(count):
                writer.write(f"{index}-{record}".encode())
    return paths


def _read(dataset, feed=None):
    element = dataset.make_initializable_iterator() if feed else dataset.make_one_shot_iterator()
    out = []
    with gn.Session() as sess:
        if feed:
            sess.run(element.initializer, feed)
        next_element = element.get_next()
        try:
            while True:
                value = sess.run(next_element)
                out += [v.decode() for v in value] if getattr(value, "ndim", 0) else [value.decode()]
        except gn.errors.OutOfRangeError:
            return out


@pytest.mark.parametrize("reads", sorted(TF_ORDER))
def test_records_come_in_tfs_order(files, reads):
    assert _read(TFRecordDataset(files, num_parallel_reads=reads)) == TF_ORDER[reads]


def test_without_parallel_reads_the_files_come_one_after_another(files):
    assert _read(TFRecordDataset(files)) == TF_ORDER[1]


@pytest.mark.parametrize("cores,order", [(2, 1), (6, 2), (9, 3)])
def test_autotune_reads_one_file_per_three_cores_as_tf(files, monkeypatch, cores, order):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert _read(TFRecordDataset(files, num_parallel_reads=AUTOTUNE)) == TF_ORDER[order]


@pytest.mark.parametrize("reads", [2, 3])
def test_batches_hold_the_interleaved_records(files, reads):
    assert _read(TFRecordDataset(files, num_parallel_reads=reads).batch(4)) == TF_ORDER[reads]


def test_file_names_fed_at_initialization(files):
    names = gn.placeholder(gn.string, [None])
    assert _read(TFRecordDataset(names, num_parallel_reads=3), {names: files}) == TF_ORDER[3]


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_a_bad_count_is_refused_when_the_dataset_is_built(files, bad):
    with pytest.raises(ValueError, match=rf"num_parallel_reads must be a positive int or AUTOTUNE \(-1\), got {bad!r}"):
        TFRecordDataset(files, num_parallel_reads=bad)


def _until_error(dataset):
    next_element = dataset.make_one_shot_iterator().get_next()
    got = []
    with gn.Session() as sess:
        try:
            while True:
                got.append(sess.run(next_element).decode())
        except gn.errors.DataLossError as exc:
            return got, str(exc).splitlines()[0]  # the file and offset; the node names its iterator


def test_a_damaged_file_is_data_loss_where_the_files_interleaved_in_turn_meet_it(files):
    """The damaged last record of file 2 fails where TF meets it (the records before it come first, though a
    chunk of 256 is checked whole), as when the files are interleaved one at a time."""
    data = bytearray(open(files[2], "rb").read())
    data[-3] ^= 0xFF
    open(files[2], "wb").write(bytes(data))
    before = threading.active_count()
    in_turn = _until_error(gn.data.Dataset.from_tensor_slices(files).interleave(TFRecordDataset, 2))
    last = f"2-{COUNTS[2] - 1}"
    assert in_turn[0] == TF_ORDER[2][:TF_ORDER[2].index(last)] and "f2.tfrecord" in in_turn[1]
    assert _until_error(TFRecordDataset(files, num_parallel_reads=2)) == in_turn
    assert threading.active_count() == before


def test_an_abandoned_iterator_leaves_no_reader_threads(tmp_path):
    """Files longer than the readers' hand-offs hold (16 chunks of 256 records): the readers wait for room."""
    paths = [str(tmp_path / f"long{index}.tfrecord") for index in range(3)]
    for path in paths:
        with gn.python_io.TFRecordWriter(path) as writer:
            for record in range(20 * 256):
                writer.write(b"%d" % record)
    before = threading.active_count()
    next_element = TFRecordDataset(paths, num_parallel_reads=3).make_one_shot_iterator().get_next()
    with gn.Session() as sess:
        sess.run(next_element)
        assert threading.active_count() > before
    assert threading.active_count() == before
