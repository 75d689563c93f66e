"""Dataset.cache(filename): written by the first complete pass, read by later passes (and processes) without
running the input; abandoned passes, damaged files, other structures, concurrent writers, missing directories."""
import fcntl
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import gpunet as gn

Dataset = gn.data.Dataset
REPO = pathlib.Path(__file__).resolve().parents[2]


def _values(dataset):
    iterator = dataset.make_initializable_iterator()
    element = iterator.get_next()
    out = []
    with gn.Session() as sess:
        sess.run(iterator.initializer)
        try:
            while True:
                out.append(sess.run(element))
        except gn.errors.OutOfRangeError:
            return out


class Counted:
    """A generator function that counts its calls: the input pipeline ran once per call."""

    def __init__(self, elements):
        self.elements, self.calls = elements, 0

    def __call__(self):
        self.calls += 1
        yield from self.elements


def _files(directory):
    return sorted(p.name for p in directory.iterdir())


def _equal_exactly(got, want):
    if isinstance(got, bytes):  # a fetched 0-d string
        assert want.shape == () and got == want[()]
        return
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    if want.dtype == object:
        assert got.tolist() == want.tolist() and all(type(v) is bytes for v in got.ravel())
    else:
        assert got.tobytes() == want.tobytes()  # bit for bit: NaN payloads, -0.0, inf


# -- round trips ---------------------------------------------------------------------------------------------
def _sample(dtype, shape):
    count = int(np.prod(shape))
    if dtype is object:
        items = [b"", b"a", "\u00e9t\u00e9".encode(), b"\x00nul\xff", b"x" * 300]
        out = np.empty(count, dtype=object)
        out[:] = [items[i % len(items)] for i in range(count)]
        return out.reshape(shape)
    if np.dtype(dtype).kind == "f":
        special = [np.nan, np.inf, -np.inf, -0.0, np.finfo(dtype).max, np.finfo(dtype).tiny, 1.5]
        return np.resize(np.array(special, dtype=dtype), count).reshape(shape)
    if dtype == np.bool_:
        return (np.arange(count) % 3 == 0).reshape(shape)
    info = np.iinfo(dtype)
    return np.resize(np.array([info.min, info.max, 0, 1], dtype=dtype), count).reshape(shape)


DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8, np.bool_, object]
SHAPES = [(), (0,), (3, 0), (2, 3), (1, 1, 4)]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_every_dtype_and_shape_round_trips_exactly(tmp_path, dtype, shape):
    elements = [(_sample(dtype, shape),), (_sample(dtype, shape)[::-1] if shape else _sample(dtype, shape),)]
    gen = Counted(elements)
    gn_dtype = gn.string if dtype is object else gn.as_dtype(dtype)

    def dataset():
        return Dataset.from_generator(gen, gn_dtype, shape).cache(tmp_path / "c")
    written = _values(dataset())
    read = _values(dataset())
    assert gen.calls == 1
    for (want,), got_written, got_read in zip(elements, written, read):
        _equal_exactly(got_written, want)
        _equal_exactly(got_read, want)


def test_nested_structures_variable_shapes_and_strings_round_trip(tmp_path):
    def element(i):
        return {"image": np.arange(i * 3, dtype=np.float32).reshape(i, 3),
                "meta": (np.array([b"a" * i, b""], dtype=object), np.int64(i)),
                "label": (np.bool_(i % 2), {"name": f"n{i}".encode()})}
    gen = Counted([element(i) for i in range(4)])
    types = {"image": gn.float32, "meta": (gn.string, gn.int64), "label": (gn.bool, {"name": gn.string})}
    shapes = {"image": [None, 3], "meta": ([2], []), "label": ([], {"name": []})}

    def dataset():
        return Dataset.from_generator(gen, types, shapes).cache(tmp_path / "nested")
    first, second = _values(dataset()), _values(dataset())
    assert gen.calls == 1 and len(first) == len(second) == 4
    for i, got in enumerate(second):
        want = element(i)
        _equal_exactly(got["image"], want["image"])
        _equal_exactly(got["meta"][0], want["meta"][0])
        assert got["meta"][1] == i and got["meta"][1].dtype == np.int64
        assert got["label"][0] == bool(i % 2) and got["label"][1]["name"] == want["label"][1]["name"]


def test_an_empty_dataset_is_cached_as_empty(tmp_path):
    gen = Counted([])
    for _ in range(2):
        assert _values(Dataset.from_generator(gen, gn.int64, []).cache(tmp_path / "e")) == []
    assert gen.calls == 1 and _files(tmp_path) == ["e.gncache"]


def test_the_file_is_a_tfrecord_file_of_a_header_the_elements_and_an_end_record(tmp_path):
    _values(Dataset.range(3).cache(tmp_path / "r"))
    records = list(gn.python_io.tf_record_iterator(tmp_path / "r.gncache"))
    assert records[0].startswith(b"gpunet.data.cache/1\n{") and b'"dtypes": ["int64"]' in records[0]
    assert [r[:1] for r in records[1:]] == [b"E"] * 3 + [b"Z"]
    assert records[-1] == b"Z" + (3).to_bytes(8, "little")


# -- the input runs once ------------------------------------------------------------------------------------
def test_later_passes_read_the_file_without_running_the_input(tmp_path):
    gen, mapped = Counted(range(5)), []

    def count(x):
        mapped.append(int(x))
        return x * 10

    def dataset():
        return (Dataset.from_generator(gen, gn.int64, []).map(lambda x: gn.py_func(count, [x], gn.int64))
                .cache(str(tmp_path / "p")))
    want = [0, 10, 20, 30, 40]
    assert [int(v) for v in _values(dataset().repeat(3))] == want * 3  # epochs 2 and 3 read the file
    assert gen.calls == 1 and mapped == list(range(5))
    iterator = dataset().make_initializable_iterator()  # a re-initialized iterator
    element = iterator.get_next()
    with gn.Session() as sess:
        for _ in range(2):
            sess.run(iterator.initializer)
            assert [int(sess.run(element)) for _ in range(5)] == want
    with gn.Graph().as_default():  # a new graph and session, the dataset built again
        assert [int(v) for v in _values(dataset())] == want
    assert gen.calls == 1 and mapped == list(range(5))


def test_a_new_process_reads_the_cache_another_wrote(tmp_path):
    script = textwrap.dedent(f"""
        import sys, gpunet as gn
        calls = []
        def gen():
            calls.append(1)
            yield from [1.5, 2.5]
        ds = gn.data.Dataset.from_generator(gen, gn.float32, []).cache({str(tmp_path / "proc")!r})
        element = ds.make_one_shot_iterator().get_next()
        got = []
        with gn.Session() as sess:
            try:
                while True:
                    got.append(float(sess.run(element)))
            except gn.errors.OutOfRangeError:  # the end: the cache is complete
                print(got, len(calls))
    """)
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO,
                           env={**os.environ, "PYTHONPATH": str(REPO)}, check=True) for _ in range(2)]
    assert [r.stdout.split("\n")[-2] for r in runs] == ["[1.5, 2.5] 1", "[1.5, 2.5] 0"]


def test_in_memory_cache_is_unchanged_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    gen = Counted(range(3))
    for filename in ("", None):
        for _ in range(2):  # kept per initialization: each new iterator runs the input again
            assert [int(v) for v in _values(Dataset.from_generator(gen, gn.int64, []).cache(filename).repeat(2))] \
                == [0, 1, 2] * 2
    assert gen.calls == 4 and _files(tmp_path) == []


def test_filename_may_be_a_path_or_bytes_and_nothing_else(tmp_path):
    assert [int(v) for v in _values(Dataset.range(2).cache(pathlib.Path(tmp_path) / "a"))] == [0, 1]
    assert [int(v) for v in _values(Dataset.range(2).cache(os.fsencode(tmp_path / "b")))] == [0, 1]
    assert _files(tmp_path) == ["a.gncache", "b.gncache"]
    with pytest.raises(TypeError, match="takes a str, os.PathLike or a string tensor, got int"):
        Dataset.range(2).cache(3)


def test_filename_may_be_a_string_tensor_fed_to_the_initializer(tmp_path):
    gen = Counted(range(3))
    name = gn.placeholder(gn.string, [])
    iterator = Dataset.from_generator(gen, gn.int64, []).cache(name).repeat(2).make_initializable_iterator()
    element = iterator.get_next()
    with gn.Session() as sess:
        for prefix, calls in [(str(tmp_path / "a"), 1), (str(tmp_path / "a"), 1), ("", 2), ("", 3),
                              (str(tmp_path / "b"), 4)]:
            sess.run(iterator.initializer, {name: prefix})
            assert [int(sess.run(element)) for _ in range(6)] == [0, 1, 2] * 2 and gen.calls == calls
    assert _files(tmp_path) == ["a.gncache", "b.gncache"]
    with pytest.raises(ValueError, match="filename: Tensor conversion requested dtype string for Tensor with "
                                         "dtype int32"):
        Dataset.range(1).cache(gn.constant(1))
    with pytest.raises(ValueError, match="filename: Shape must be rank 0 but is rank 1"):
        Dataset.range(1).cache(gn.constant(["a", "b"]))


def test_the_usual_recipe_shuffles_and_batches_the_cached_elements_every_epoch(tmp_path):
    gen = Counted([np.full(2, i, np.float32) for i in range(6)])
    dataset = (Dataset.from_generator(gen, gn.float32, [2]).map(lambda x: x + 1).cache(tmp_path / "rec")
               .shuffle(6, seed=3).batch(4).repeat(3))
    batches = _values(dataset)
    assert [b.shape for b in batches] == [(4, 2), (2, 2)] * 3 and gen.calls == 1
    epochs = [np.concatenate(batches[i:i + 2])[:, 0] for i in range(0, 6, 2)]
    assert all(sorted(e.tolist()) == [1, 2, 3, 4, 5, 6] for e in epochs)
    assert len({tuple(e) for e in epochs}) > 1  # reshuffled each epoch, from the file


def test_the_cache_file_has_the_permissions_of_any_file_written(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    _values(Dataset.range(2).cache(tmp_path / "m"))
    assert (tmp_path / "m.gncache").stat().st_mode & 0o777 == 0o666 & ~umask


def test_elements_read_from_the_file_are_fetched_as_copies(tmp_path):
    dataset = Dataset.from_tensor_slices(np.arange(6, dtype=np.float32).reshape(3, 2)).cache(tmp_path / "ro")
    _values(dataset)
    element = dataset.repeat(2).make_one_shot_iterator().get_next()
    with gn.Session() as sess:
        first = sess.run(element)
        assert first.flags.writeable
        first[:] = -1  # must not reach the elements the next epoch reads
        rest = [sess.run(element) for _ in range(5)]
    np.testing.assert_array_equal(rest[2], [0, 1])
    np.testing.assert_array_equal(np.stack(rest[:2]), [[2, 3], [4, 5]])


# -- passes that stop before the end --------------------------------------------------------------------------
def test_an_abandoned_pass_leaves_no_cache_and_the_next_pass_writes_it(tmp_path):
    gen = Counted(range(5))
    dataset = Dataset.from_generator(gen, gn.int64, []).cache(tmp_path / "ab")
    iterator = dataset.make_initializable_iterator()
    element = iterator.get_next()
    with gn.Session() as sess:
        sess.run(iterator.initializer)
        assert [int(sess.run(element)) for _ in range(2)] == [0, 1]
        written = _files(tmp_path)
        assert written[0] == "ab.gncache.lockfile" and written[1].startswith("ab.gncache.tmp-") and len(written) == 2
        sess.run(iterator.initializer)  # abandons the pass
        assert _files(tmp_path) == []
        assert [int(sess.run(element)) for _ in range(3)] == [0, 1, 2]
    assert _files(tmp_path) == [] and gen.calls == 2  # the session closed mid-pass too
    assert [int(v) for v in _values(dataset)] == [0, 1, 2, 3, 4] and _files(tmp_path) == ["ab.gncache"]
    assert [int(v) for v in _values(dataset)] == [0, 1, 2, 3, 4] and gen.calls == 3


def test_a_pass_written_from_a_prefetch_thread_is_abandoned_when_the_session_closes(tmp_path):
    dataset = Dataset.range(50).map(lambda x: x * 2, num_parallel_calls=2).cache(tmp_path / "th").prefetch(3)
    element = dataset.make_one_shot_iterator().get_next()
    with gn.Session() as sess:
        assert [int(sess.run(element)) for _ in range(3)] == [0, 2, 4]
        assert "th.gncache.lockfile" in _files(tmp_path)
    assert _files(tmp_path) == []
    assert [int(v) for v in _values(dataset)] == list(range(0, 100, 2)) and _files(tmp_path) == ["th.gncache"]


def test_take_after_cache_never_completes_it_and_says_so(tmp_path, caplog):
    gen = Counted(range(4))
    dataset = Dataset.from_generator(gen, gn.int64, []).cache(tmp_path / "t").take(2).repeat(2)
    with caplog.at_level("WARNING", logger="gpunet.data"):
        assert [int(v) for v in _values(dataset)] == [0, 1, 0, 1] and _files(tmp_path) == [] and gen.calls == 2
    assert [r.getMessage() for r in caplog.records] == [
        f"Dataset.cache: the pass writing {tmp_path / 't.gncache'} stopped after 2 elements, before the end: what "
        "it wrote is discarded. A pipeline like cache(f).take(k) never completes the cache; use take(k).cache(f)."
    ] * 2


def test_an_error_upstream_leaves_no_cache_and_no_lock(tmp_path):
    def failing():
        yield 1
        raise RuntimeError("upstream broke")
    with pytest.raises(Exception, match="upstream broke"):
        _values(Dataset.from_generator(failing, gn.int64, []).cache(tmp_path / "f"))
    assert _files(tmp_path) == []
    assert [int(v) for v in _values(Dataset.range(2).cache(tmp_path / "f"))] == [0, 1]


def test_a_writer_killed_mid_pass_blocks_nothing_and_its_temp_file_is_removed(tmp_path):
    ready = tmp_path / "ready"
    script = textwrap.dedent(f"""
        import pathlib, time, gpunet as gn
        def gen():
            yield 1
            yield 2
            pathlib.Path({str(ready)!r}).touch()
            time.sleep(600)
        ds = gn.data.Dataset.from_generator(gen, gn.int64, []).cache({str(tmp_path / "k")!r})
        element = ds.make_one_shot_iterator().get_next()
        with gn.Session() as sess:
            sess.run(element); sess.run(element); sess.run(element)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        for _ in range(1200):  # waits for the child to be mid-pass (not a timed assertion)
            if ready.exists() or child.poll() is not None:
                break
            time.sleep(0.1)
        assert ready.exists()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    left = _files(tmp_path)
    assert "k.gncache.lockfile" in left and any(n.startswith("k.gncache.tmp-") for n in left)
    assert "k.gncache" not in left
    assert [int(v) for v in _values(Dataset.range(3).cache(tmp_path / "k"))] == [0, 1, 2]
    assert _files(tmp_path) == ["k.gncache", "ready"]


# -- damaged files and other structures ----------------------------------------------------------------------
def _written(tmp_path, count=4):
    _values(Dataset.range(count).cache(tmp_path / "d"))
    return tmp_path / "d.gncache"


@pytest.mark.parametrize("cut", [1, 5, 25, 40, "half", "all but the header"])
def test_a_truncated_file_is_refused_before_any_element(tmp_path, cut):
    path = _written(tmp_path)
    data = path.read_bytes()
    keep = {"half": len(data) // 2, "all but the header": 64}.get(cut, len(data) - cut if isinstance(cut, int) else 0)
    path.write_bytes(data[:keep])
    element = Dataset.range(4).cache(tmp_path / "d").make_one_shot_iterator().get_next()
    with gn.Session() as sess, pytest.raises(gn.errors.DataLossError, match=f"cache file {path} is (truncated|"
                                                                             f"corrupted: a truncated record)"):
        sess.run(element)


def test_a_corrupted_element_is_a_data_loss_error_naming_the_file(tmp_path):
    path = _written(tmp_path)
    data = bytearray(path.read_bytes())
    data[-25 - 8] ^= 0x40  # a byte of the last element's value
    path.write_bytes(bytes(data))
    element = Dataset.range(4).cache(tmp_path / "d").make_one_shot_iterator().get_next()
    with gn.Session() as sess:
        assert [int(sess.run(element)) for _ in range(3)] == [0, 1, 2]
        with pytest.raises(gn.errors.DataLossError, match=f"cache file {path} is corrupted: a corrupted record "
                                                          f"\\(CRC mismatch\\) at offset"):
            sess.run(element)


def test_a_file_that_is_not_a_cache_is_refused(tmp_path):
    path = tmp_path / "x.gncache"
    with gn.python_io.TFRecordWriter(path) as writer:
        for record in (b"hello", b"Z" + bytes(8)):
            writer.write(record)
    with pytest.raises(gn.errors.DataLossError, match=f"{path} is not a gpunet cache file"):
        _values(Dataset.range(1).cache(tmp_path / "x"))


def test_a_file_of_something_else_is_refused(tmp_path):
    (tmp_path / "t.gncache").write_text("some text, not a cache\n" * 10)
    with pytest.raises(gn.errors.DataLossError, match=f"cache file {tmp_path / 't.gncache'} is corrupted: a "
                                                      "corrupted record length at offset 0"):
        _values(Dataset.range(1).cache(tmp_path / "t"))


@pytest.mark.parametrize("other", ["dtype", "components", "shape", "rank"])
def test_a_file_written_for_other_elements_is_refused(tmp_path, other):
    _values(Dataset.from_tensor_slices(np.zeros((2, 3), np.int64)).cache(tmp_path / "s"))
    reader = {"dtype": Dataset.from_tensor_slices(np.zeros((2, 3), np.float32)),
              "components": Dataset.from_tensor_slices((np.zeros((2, 3), np.int64), np.zeros(2, np.int64))),
              "shape": Dataset.from_tensor_slices(np.zeros((2, 4), np.int64)),
              "rank": Dataset.from_tensor_slices(np.zeros((2, 3, 1), np.int64))}[other]
    with pytest.raises(gn.errors.InvalidArgumentError, match=(
            f"cache file {tmp_path / 's.gncache'} holds elements of dtypes \\['int64'\\] and shapes \\[\\(3,\\)\\], "
            "but this dataset's elements have .*: it was written by another pipeline")):
        _values(reader.cache(tmp_path / "s"))


def test_declared_shapes_may_differ_where_the_elements_fit_them(tmp_path):
    gen = Counted([np.arange(3), np.arange(3) + 3])
    _values(Dataset.from_generator(gen, gn.int64, [None]).cache(tmp_path / "u"))
    got = _values(Dataset.from_generator(gen, gn.int64, [3]).cache(tmp_path / "u"))
    assert gen.calls == 1 and [g.tolist() for g in got] == [[0, 1, 2], [3, 4, 5]]
    _values(Dataset.from_generator(gen, gn.int64, [3]).cache(tmp_path / "k"))
    got = _values(Dataset.from_generator(gen, gn.int64, [None]).cache(tmp_path / "k"))
    assert gen.calls == 2 and [g.tolist() for g in got] == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(gn.errors.InvalidArgumentError, match="holds an element of shape \\[3\\] where the dataset "
                                                             "declares \\(2,\\)"):
        _values(Dataset.from_generator(gen, gn.int64, [2]).cache(tmp_path / "u"))


# -- concurrent writers, directories -------------------------------------------------------------------------
def test_a_second_writer_of_the_same_cache_is_refused_until_the_first_ends(tmp_path):
    dataset = Dataset.range(3).cache(tmp_path / "w")
    first, second = dataset.make_initializable_iterator(), dataset.make_initializable_iterator()
    a, b = first.get_next(), second.get_next()
    lockfile = tmp_path / "w.gncache.lockfile"
    with gn.Session() as sess:
        sess.run([first.initializer, second.initializer])
        assert int(sess.run(a)) == 0
        with pytest.raises(gn.errors.AlreadyExistsError, match=f"cache lockfile {lockfile} is locked by another "
                                                               f"pass writing the same cache \\(pid {os.getpid()}"):
            sess.run(b)
        assert [int(sess.run(a)) for _ in range(2)] == [1, 2]
        with pytest.raises(gn.errors.OutOfRangeError):
            sess.run(a)  # the end: the cache is complete
        sess.run(second.initializer)
        assert [int(sess.run(b)) for _ in range(3)] == [0, 1, 2]
    assert _files(tmp_path) == ["w.gncache"]


def test_a_lock_held_by_another_process_is_refused_and_an_unlocked_lockfile_is_taken(tmp_path):
    lockfile = tmp_path / "l.gncache.lockfile"
    lockfile.write_text("pid 1 on elsewhere\n")
    holder = open(lockfile, "rb")  # noqa: SIM115 — an flock of another open file, as another process holds it
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        with pytest.raises(gn.errors.AlreadyExistsError, match="pid 1 on elsewhere"):
            _values(Dataset.range(2).cache(tmp_path / "l"))
    finally:
        holder.close()
    assert [int(v) for v in _values(Dataset.range(2).cache(tmp_path / "l"))] == [0, 1]
    assert _files(tmp_path) == ["l.gncache"]


def test_a_missing_directory_is_not_found_at_the_first_element_and_is_not_created(tmp_path):
    missing = tmp_path / "no" / "such"
    element = Dataset.range(2).cache(missing / "c").make_one_shot_iterator().get_next()
    with gn.Session() as sess, pytest.raises(gn.errors.NotFoundError, match=(
            f"{missing / 'c.gncache.lockfile'}: No such file or directory \\(the directory {missing} does not "
            "exist: Dataset.cache does not create it\\)")):
        sess.run(element)
    assert _files(tmp_path) == []


def test_a_file_in_place_of_the_directory_is_a_failed_precondition(tmp_path):
    (tmp_path / "plain").write_bytes(b"")
    with pytest.raises(gn.errors.FailedPreconditionError, match="plain/c.gncache.lockfile: Not a directory"):
        _values(Dataset.range(2).cache(tmp_path / "plain" / "c"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in read-only directories")
def test_an_unwritable_directory_is_permission_denied(tmp_path):
    locked = tmp_path / "ro"
    locked.mkdir(mode=0o500)
    with pytest.raises(gn.errors.PermissionDeniedError, match="ro/c.gncache.lockfile: Permission denied"):
        _values(Dataset.range(2).cache(locked / "c"))


def test_os_errors_writing_the_cache_become_gn_errors_and_leave_nothing(tmp_path, monkeypatch):
    from gpunet.data import _file_cache
    real_open = os.open

    def refusing(path, flags, mode=0o777):
        if ".tmp-" in str(path):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, mode)
    monkeypatch.setattr(_file_cache.os, "open", refusing)
    with pytest.raises(gn.errors.PermissionDeniedError, match="c.gncache: Permission denied"):
        _values(Dataset.range(2).cache(tmp_path / "c"))
    monkeypatch.undo()
    assert _files(tmp_path) == []
