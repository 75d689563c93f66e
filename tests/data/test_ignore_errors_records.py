"""ignore_errors over damaged TFRecord files: as in TF 2.21, the records before the damage come, the error ends
that file, and the next file follows (each expected list is what TF 2.21 gave for the same files)."""
import pytest

import gpunet as gn

Dataset, TFRecordDataset, experimental = gn.data.Dataset, gn.data.TFRecordDataset, gn.data.experimental
_RECORD_BYTES = 18  # 8 length + 4 CRC + 2 data + 4 CRC


def _write(path, tag, count):
    with gn.python_io.TFRecordWriter(str(path)) as writer:
        for index in range(count):
            writer.write(f"{tag}{index}".encode())
    return str(path)


@pytest.fixture(params=["data", "length"])
def files(tmp_path, request):
    """a.tfrecord (a0..a4) with record 2 damaged (its data, or its length), then b.tfrecord (b0..b2)."""
    damaged = _write(tmp_path / "a.tfrecord", "a", 5)
    data = bytearray(open(damaged, "rb").read())
    data[2 * _RECORD_BYTES + (12 if request.param == "data" else 0)] ^= 1
    open(damaged, "wb").write(bytes(data))
    return [damaged, _write(tmp_path / "b.tfrecord", "b", 3)]


def _values(dataset, ignore=True):
    """The records (a batch as a list); without ``ignore``, the records up to the error and the error."""
    if ignore:
        dataset = dataset.apply(experimental.ignore_errors())
    with gn.Graph().as_default():
        element, out = dataset.make_one_shot_iterator().get_next(), []
        with gn.Session() as sess:
            try:
                while True:
                    value = sess.run(element)
                    out.append(value.decode() if isinstance(value, bytes) else [v.decode() for v in value])
            except gn.errors.OutOfRangeError:
                return out
            except gn.errors.DataLossError as exc:
                return out, exc


@pytest.mark.parametrize("pipeline, expected", [
    (lambda f: TFRecordDataset(f), ["a0", "a1", "b0", "b1", "b2"]),
    (lambda f: TFRecordDataset(f).repeat(2), ["a0", "a1", "b0", "b1", "b2"] * 2),
    (lambda f: TFRecordDataset(f, num_parallel_reads=2), ["a0", "b0", "a1", "b1", "b2"]),
    (lambda f: Dataset.from_tensor_slices(f).interleave(TFRecordDataset, 2), ["a0", "b0", "a1", "b1", "b2"]),
    (lambda f: TFRecordDataset(f).batch(3), [["b0", "b1", "b2"]]),  # the batch met by the error is dropped
    (lambda f: TFRecordDataset(f).batch(2), [["a0", "a1"], ["b0", "b1"], ["b2"]]),
    (lambda f: TFRecordDataset(f, num_parallel_reads=2).batch(3), [["a0", "b0", "a1"], ["b2"]]),  # b1 E b2
], ids=["files", "repeat", "parallel-reads", "interleave", "batch-3", "batch-2", "parallel-reads-batch"])
def test_a_damaged_file_ends_and_the_next_one_follows(files, pipeline, expected):
    assert _values(pipeline(files)) == expected


def test_without_ignore_errors_the_error_comes_after_the_records_before_the_damage(files):
    got, error = _values(TFRecordDataset(files), ignore=False)
    assert got == ["a0", "a1"] and f"at offset {2 * _RECORD_BYTES} in file {files[0]}" in str(error)
