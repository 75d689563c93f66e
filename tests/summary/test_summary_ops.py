"""gn.summary ops: graph ops on the CPU returning serialized Summary protos, values as TF1 computes
them (histogram buckets and image scaling checked against TensorFlow 1.x's own output)."""
import bisect
import sys
import zlib

import numpy as np
import pytest
from tensorboardX.proto.summary_pb2 import Summary

import gpunet as gn

DBL_MAX = sys.float_info.max


def _values(serialized):
    assert isinstance(serialized, bytes)
    return list(Summary.FromString(serialized).value)


def test_scalar_is_tagged_by_its_name_scope_and_collected(device):
    with gn.device(device):
        x = gn.placeholder(gn.float32, [])
        loss = x * 2.0
    with gn.name_scope("train"):
        summary = gn.summary.scalar("loss", loss)
    assert summary.name == "train/loss:0" and summary.dtype == gn.string and summary.shape == ()
    assert gn.get_collection(gn.GraphKeys.SUMMARIES) == [summary]
    with gn.Session() as sess:
        (value,) = _values(sess.run(summary, {x: 1.25}))
        report = sess.placement_report(summary, {x: 1.25})
    assert value.tag == "train/loss" and value.simple_value == 2.5
    assert report.row("train/loss").assigned.endswith("CPU:0")  # summaries run on the host
    assert report.row("mul").assigned.endswith(device[1:].upper())  # "/gpu:1" -> ".../device:GPU:1"


@pytest.mark.parametrize("dtype", [gn.float16, gn.float32, gn.float64, gn.int32, gn.int64, gn.uint8])
def test_scalar_accepts_every_real_dtype(dtype):
    summary = gn.summary.scalar("v", gn.constant(7, dtype=dtype))
    with gn.Session() as sess:
        assert _values(sess.run(summary))[0].simple_value == 7.0


def test_scalar_rejects_non_scalars_and_non_numbers():
    with pytest.raises(ValueError, match=r"scalar tensor, got Const:0 with shape \(2,\)"):
        gn.summary.scalar("v", gn.constant([1.0, 2.0]))
    with pytest.raises(TypeError, match="real numeric"):
        gn.summary.scalar("s", gn.constant("text"))
    unknown = gn.placeholder(gn.float32, None)
    summary = gn.summary.scalar("u", unknown)
    mismatch = r"not the same shape: \[\] != \[3\]"
    with gn.Session() as sess, pytest.raises(gn.errors.InvalidArgumentError, match=mismatch):
        sess.run(summary, {unknown: [1.0, 2.0, 3.0]})


def test_collections_argument_chooses_where_a_summary_goes():
    a = gn.summary.scalar("a", 1.0, collections=[])
    b = gn.summary.scalar("b", 2.0, collections=["mine"])
    assert gn.get_collection(gn.GraphKeys.SUMMARIES) == [] and gn.get_collection("mine") == [b]
    assert gn.summary.merge_all() is None
    with gn.Session() as sess:
        assert [v.tag for v in _values(sess.run(gn.summary.merge_all("mine")))] == ["b"]
        assert [v.tag for v in _values(sess.run(gn.summary.merge([a, b])))] == ["a", "b"]


def _reference_histogram(values):
    """TF's Histogram::Add / EncodeToProto, written as TF's C++ loop (independent of the code)."""
    limits = []
    v = 1e-12
    while v < 1e20:
        limits.append(v)
        v *= 1.1
    limits = [-DBL_MAX] + [-x for x in reversed(limits)] + [0.0] + limits + [DBL_MAX]
    counts = [0.0] * len(limits)
    for value in values:
        counts[bisect.bisect_right(limits, float(value))] += 1
    out_limits, out_counts, i = [], [], 0
    while i < len(counts):
        end, count = limits[i], counts[i]
        i += 1
        if count <= 0:
            while i < len(counts) and counts[i] <= 0:
                end, count = limits[i], counts[i]
                i += 1
        out_limits.append(end)
        out_counts.append(count)
    return out_limits, out_counts


@pytest.mark.parametrize("values", [
    np.array([1.0, -2.5, 3.0, 3.0, 1e-13, 7e5], np.float32),
    np.zeros((0,), np.float32), np.zeros((2, 3)), np.arange(-50, 50, dtype=np.int32).reshape(10, 10),
    np.random.default_rng(0).standard_normal(1000).astype(np.float16)])
def test_histogram_buckets_as_tensorflow(values, device):
    with gn.device(device):
        tensor = gn.constant(values)
    summary = gn.summary.histogram("h", tensor)
    with gn.Session() as sess:
        (value,) = _values(sess.run(summary))
    histo = value.histo
    limits, counts = _reference_histogram(values.ravel())
    assert value.tag == "h" and list(histo.bucket_limit) == limits and list(histo.bucket) == counts
    assert histo.num == values.size and histo.sum == pytest.approx(float(values.astype(np.float64).sum()))
    assert histo.sum_squares == pytest.approx(float((values.astype(np.float64) ** 2).sum()))
    if values.size:
        assert (histo.min, histo.max) == (float(values.min()), float(values.max()))
    else:
        assert (histo.min, histo.max) == (DBL_MAX, -DBL_MAX)  # TF's empty histogram


def test_histogram_matches_tensorflow_output():
    """The proto TensorFlow 1.15's HistogramSummary gives for these values."""
    summary = gn.summary.histogram("h", np.array([1.0, -2.5, 3.0, 3.0, 1e-13, 7e5], np.float32))
    with gn.Session() as sess:
        histo = _values(sess.run(summary))[0].histo
    assert list(histo.bucket_limit) == [-2.6170109961884593, -2.379100905625872, 0.0, 1e-12, 0.917246389039776,
                                        1.0089710279437536, 2.8787120958073054, 3.1665833053880363,
                                        692225.0370167625, 761447.5407184388, DBL_MAX]
    assert list(histo.bucket) == [0, 1, 0, 1, 0, 1, 0, 2, 0, 1, 0]
    assert (histo.sum, histo.sum_squares) == (700004.5, 490000000025.25)


def test_histogram_of_nan_is_an_invalid_argument():
    summary = gn.summary.histogram("bad", gn.constant([1.0, np.nan]))
    with gn.Session() as sess, pytest.raises(gn.errors.InvalidArgumentError, match="Nan in summary histogram for: bad"):
        sess.run(summary)


# the float images TensorFlow 1.15's ImageSummary was given, and the pixels it encoded
TF_IMAGES = np.array([[[[-1.0, 0.5, 2.0], [0.0, 0.25, -0.5], [1.0, 1.0, 1.0]],
                       [[np.nan, 0, 0], [3, 2, 1], [-4, 0, 4]]],
                      [[[0.0, 0.5, 2.0], [0.0, 0.25, 0.5], [1.0, 1.0, 1.0]],
                       [[8, 0, 0], [3, 2, 1], [0, 0, 4]]]], np.float32)
TF_PIXELS = [[[[96, 143, 191], [128, 135, 112], [159, 159, 159]], [[255, 0, 0], [223, 191, 159], [1, 128, 255]]],
             [[[0, 15, 63], [0, 7, 15], [31, 31, 31]], [[255, 0, 0], [95, 63, 31], [0, 0, 127]]]]


def decode_png(data):
    """A minimal PNG reader for 8-bit, filter-0 images (what gpunet writes), independent of the writer."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = {}, 8
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        assert zlib.crc32(kind + body) == int.from_bytes(data[pos + 8 + length:pos + 12 + length], "big")
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    width, height = int.from_bytes(chunks[b"IHDR"][:4], "big"), int.from_bytes(chunks[b"IHDR"][4:8], "big")
    channels = {0: 1, 4: 2, 2: 3, 6: 4}[chunks[b"IHDR"][9]]
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, 1 + width * channels)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(height, width, channels)


def test_float_images_are_scaled_as_tensorflow_does(device):
    with gn.device(device):
        images = gn.constant(TF_IMAGES)
    summary = gn.summary.image("im", images, max_outputs=5)
    with gn.Session() as sess:
        values = _values(sess.run(summary))
    assert [v.tag for v in values] == ["im/image/0", "im/image/1"]  # max_outputs beyond the batch
    for value, pixels in zip(values, TF_PIXELS):
        assert (value.image.height, value.image.width, value.image.colorspace) == (2, 3, 3)
        np.testing.assert_array_equal(decode_png(value.image.encoded_image_string), pixels)


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_uint8_images_pass_unchanged_and_max_outputs_limits(channels):
    pixels = np.random.default_rng(channels).integers(0, 256, (4, 5, 6, channels), dtype=np.uint8)
    summary = gn.summary.image("pics", pixels, max_outputs=2)
    one = gn.summary.image("single", pixels, max_outputs=1)
    with gn.Session() as sess:
        values, single = _values(sess.run(summary)), _values(sess.run(one))
    assert [v.tag for v in values] == ["pics/image/0", "pics/image/1"] and [v.tag for v in single] == ["single/image"]
    for i, value in enumerate(values):
        assert value.image.colorspace == channels
        np.testing.assert_array_equal(decode_png(value.image.encoded_image_string), pixels[i])


def test_image_argument_errors():
    with pytest.raises(ValueError, match=r"\[batch, height, width, 1\|3\|4\]"):
        gn.summary.image("x", np.zeros((2, 3, 3), np.float32))
    with pytest.raises(ValueError, match=r"\[batch, height, width, 1\|3\|4\]"):
        gn.summary.image("x", np.zeros((1, 2, 3, 2), np.float32))
    with pytest.raises(TypeError, match="uint8 or float"):
        gn.summary.image("x", np.zeros((1, 2, 3, 1), np.int32))
    with pytest.raises(ValueError, match="max_outputs"):
        gn.summary.image("x", np.zeros((1, 2, 3, 1), np.float32), max_outputs=0)


def test_merge_all_and_duplicate_tags():
    a = gn.summary.scalar("a", 1.0)
    gn.summary.histogram("b", [1.0, 2.0])
    merged = gn.summary.merge_all()
    assert merged.name == "Merge/MergeSummary:0"
    duplicate = gn.summary.merge([a, a])
    with gn.Session() as sess:
        assert [v.tag for v in _values(sess.run(merged))] == ["a", "b"]
        with pytest.raises(gn.errors.InvalidArgumentError, match="Duplicate tag a found in summary inputs"):
            sess.run(duplicate)
    with pytest.raises(TypeError, match="string tensors"):
        gn.summary.merge([gn.constant(1.0)])
