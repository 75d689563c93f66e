"""Input pipelines side by side (run with OPENBLAS_NUM_THREADS=1):

* digits-mlp-epoch: one epoch of MLP training on digits fed by a Dataset (shuffle, batch, prefetch)
  vs the same loop fed from in-memory NumPy arrays by feed_dict (target: within 10%).
* tfrecord-read-100k: TFRecordDataset reading 100k small records (batched by 1000, CRCs checked) vs a
  plain Python loop over the same file's bytes (target: at least 50% of its throughput).
* interleave-4x25-sleep: interleave over 4 inner datasets of 25 elements that each cost 2 ms of GIL-free
  time (a py_func sleeping, as a read from disk or network would wait), sequential vs num_parallel_calls=4
  (the same order; ideally 4x faster).
* interleave-4-tfrecord-files: 4 files of 25k small records from the page cache, sequential vs
  num_parallel_calls=4: records that cost almost nothing to read show the hand-over's cost per element.
* tfrecord-4-files-parallel-reads: the same files through TFRecordDataset(num_parallel_reads=4), whose
  readers hand each file's records over 256 at a time, vs reading the files one after another.
* prefetch-100k-records: the 100k small records through prefetch(256) (one thread hands each record over)
  vs the same pipeline without it: the prefetch hand-off's cost per element.
* map-varied-sleep: 64 elements whose py_func sleeps 8 ms for every eighth one and 1 ms for the others
  (GIL-free waits of uneven length) through map(num_parallel_calls=4); interleave-varied-sleep: 16 inner
  datasets of 16 elements, every fourth one slow (2 ms an element, the others 0.25 ms), interleaved with cycle 4
  and 4 parallel calls. Each deterministic vs ``deterministic=False``: a slow element or inner dataset no longer
  holds the others back (the same elements; ``ratio_to_deterministic`` in extra_info, ideally well below 1).
"""
import struct
import time

import numpy as np
import pytest

import gpunet as gn

BATCH, HIDDEN, EPOCH_SEED = 64, 64, 7
N_RECORDS, RECORD = 100_000, b"0123456789abcdef"


@pytest.fixture(scope="module")
def digits():
    (x, y), _ = gn.datasets.digits.load_data()
    return x.reshape(len(x), -1).astype(np.float32) / 16.0, y.astype(np.int64)


def _mlp(images, labels):
    hidden = gn.layers.dense(images, HIDDEN, activation=gn.nn.relu,
                             kernel_initializer=gn.glorot_uniform_initializer(seed=1))
    logits = gn.layers.dense(hidden, 10, kernel_initializer=gn.glorot_uniform_initializer(seed=2))
    loss = gn.reduce_mean(gn.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    return loss, gn.train.GradientDescentOptimizer(0.1).minimize(loss)


@pytest.mark.benchmark(group="digits-mlp-epoch")
def test_digits_epoch_dataset(benchmark, digits):
    x, y = digits
    dataset = gn.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=EPOCH_SEED).batch(BATCH).prefetch(2)
    iterator = dataset.make_initializable_iterator()
    images, labels = iterator.get_next()
    loss, train = _mlp(images, labels)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())

        def epoch():
            sess.run(iterator.initializer)
            steps, last = 0, None
            try:
                while True:
                    last = sess.run([train, loss])[1]
                    steps += 1
            except gn.errors.OutOfRangeError:
                return steps, last
        steps, last = benchmark.pedantic(epoch, rounds=5, warmup_rounds=1)
    benchmark.extra_info["impl"] = "gpunet Dataset"
    assert steps == -(-len(x) // BATCH) and 0.0 < last < 2.5


@pytest.mark.benchmark(group="digits-mlp-epoch")
def test_digits_epoch_feed_dict(benchmark, digits):
    x, y = digits
    images, labels = gn.placeholder(gn.float32, [None, x.shape[1]]), gn.placeholder(gn.int64, [None])
    loss, train = _mlp(images, labels)
    rng = np.random.default_rng(EPOCH_SEED)
    with gn.Session() as sess:
        sess.run(gn.global_variables_initializer())

        def epoch():
            order = rng.permutation(len(x))
            steps, last = 0, None
            for start in range(0, len(x), BATCH):
                rows = order[start:start + BATCH]
                last = sess.run([train, loss], {images: x[rows], labels: y[rows]})[1]
                steps += 1
            return steps, last
        steps, last = benchmark.pedantic(epoch, rounds=5, warmup_rounds=1)
    benchmark.extra_info["impl"] = "feed_dict"
    assert steps == -(-len(x) // BATCH) and 0.0 < last < 2.5


@pytest.fixture(scope="module")
def record_file(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("records") / "small.tfrecord")
    with gn.python_io.TFRecordWriter(path) as writer:
        for _ in range(N_RECORDS):
            writer.write(RECORD)
    return path


def _timed_records(benchmark, iterator):
    """Records (batched) read through ``iterator`` from its initializer to the end, timed by ``benchmark``."""
    element = iterator.get_next()
    with gn.Session() as sess:
        def read():
            sess.run(iterator.initializer)
            count = 0
            try:
                while True:
                    count += len(sess.run(element))
            except gn.errors.OutOfRangeError:
                return count
        return benchmark.pedantic(read, rounds=3, warmup_rounds=1)


def _timed_elements(benchmark, iterator):
    """The integer elements ``iterator`` gives from its initializer to the end, the reading timed by
    ``benchmark`` (5 rounds)."""
    element = iterator.get_next()
    with gn.Session() as sess:
        def read():
            sess.run(iterator.initializer)
            out = []
            try:
                while True:
                    out.append(int(sess.run(element)))
            except gn.errors.OutOfRangeError:
                return out
        return benchmark.pedantic(read, rounds=5, warmup_rounds=1)


@pytest.mark.benchmark(group="tfrecord-read-100k")
def test_tfrecord_read_dataset(benchmark, record_file):
    batch = gn.data.TFRecordDataset(record_file).batch(1000).make_initializable_iterator()
    count = _timed_records(benchmark, batch)
    benchmark.extra_info["impl"] = "gpunet TFRecordDataset"
    assert count == N_RECORDS


@pytest.mark.benchmark(group="tfrecord-read-100k")
def test_tfrecord_read_python_loop(benchmark, record_file):
    def read():
        with open(record_file, "rb") as f:
            data = f.read()
        records, offset = [], 0
        while offset < len(data):
            (length,) = struct.unpack_from("<Q", data, offset)
            records.append(data[offset + 12:offset + 12 + length])
            offset += length + 16
        return len(records)
    count = benchmark.pedantic(read, rounds=3, warmup_rounds=1)
    benchmark.extra_info["impl"] = "python loop"
    assert count == N_RECORDS


INNER, PER_INNER, WAIT_S = 4, 25, 0.002


def _slow_interleave(calls):
    def wait(v):
        time.sleep(WAIT_S)  # releases the GIL, as I/O does
        return v

    def inner(x):
        values = gn.range(x * PER_INNER, (x + 1) * PER_INNER)
        return gn.data.Dataset.from_tensor_slices(values).map(lambda v: gn.py_func(wait, [v], gn.int64))
    return gn.data.Dataset.range(INNER).interleave(inner, cycle_length=INNER, num_parallel_calls=calls)


@pytest.mark.benchmark(group="interleave-4x25-sleep")
@pytest.mark.parametrize("calls", [None, INNER])
def test_interleave_waiting_inner_datasets(benchmark, calls):
    out = _timed_elements(benchmark, _slow_interleave(calls).make_initializable_iterator())
    benchmark.extra_info["impl"] = "sequential" if calls is None else f"num_parallel_calls={calls}"
    assert out == [x * PER_INNER + i for i in range(PER_INNER) for x in range(INNER)]


@pytest.fixture(scope="module")
def record_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("interleave")
    paths = [str(folder / f"part-{index}.tfrecord") for index in range(INNER)]
    for path in paths:
        with gn.python_io.TFRecordWriter(path) as writer:
            for _ in range(N_RECORDS // INNER):
                writer.write(RECORD)
    return paths


@pytest.mark.benchmark(group="interleave-4-tfrecord-files")
@pytest.mark.parametrize("calls", [None, INNER])
def test_interleave_tfrecord_files(benchmark, record_files, calls):
    files = gn.data.Dataset.from_tensor_slices(record_files)
    records = files.interleave(gn.data.TFRecordDataset, cycle_length=INNER, num_parallel_calls=calls)
    iterator = records.batch(1000).make_initializable_iterator()
    count = _timed_records(benchmark, iterator)
    benchmark.extra_info["impl"] = "sequential" if calls is None else f"num_parallel_calls={calls}"
    assert count == N_RECORDS


@pytest.mark.benchmark(group="tfrecord-4-files-parallel-reads")
@pytest.mark.parametrize("reads", [None, INNER])
def test_tfrecord_dataset_parallel_reads(benchmark, record_files, reads):
    iterator = gn.data.TFRecordDataset(record_files, num_parallel_reads=reads).batch(1000).make_initializable_iterator()
    count = _timed_records(benchmark, iterator)
    benchmark.extra_info["impl"] = "sequential" if reads is None else f"num_parallel_reads={reads}"
    assert count == N_RECORDS


@pytest.mark.benchmark(group="prefetch-100k-records")
@pytest.mark.parametrize("buffer_size", [None, 256])
def test_prefetch_small_records(benchmark, record_file, buffer_size):
    records = gn.data.TFRecordDataset(record_file).take(N_RECORDS)  # take: element by element, as prefetch
    if buffer_size is not None:
        records = records.prefetch(buffer_size)
    iterator = records.batch(1000).make_initializable_iterator()
    count = _timed_records(benchmark, iterator)
    benchmark.extra_info["impl"] = "no prefetch" if buffer_size is None else f"prefetch({buffer_size})"
    assert count == N_RECORDS


VARIED, SLOW_S, FAST_S = 64, 0.008, 0.001  # map: every eighth element slow
INNERS, PER_INNER_VARIED, SLOW_INNER_S, FAST_INNER_S = 16, 16, 0.002, 0.00025  # interleave: every fourth inner slow
_deterministic_means = {}  # group -> the deterministic run's mean time, for the other run's ratio


def _map_wait(v):
    time.sleep(SLOW_S if v % 8 == 0 else FAST_S)  # releases the GIL, as I/O does
    return v


def _inner_wait(v):
    time.sleep(SLOW_INNER_S if (v // PER_INNER_VARIED) % 4 == 0 else FAST_INNER_S)
    return v


def _varied(kind, deterministic):
    def waiting(fn):
        return lambda x: gn.reshape(gn.py_func(fn, [x], gn.int64), [])
    if kind == "map":
        return gn.data.Dataset.range(VARIED).map(waiting(_map_wait), num_parallel_calls=4, deterministic=deterministic)

    def inner(x):
        values = gn.range(x * PER_INNER_VARIED, (x + 1) * PER_INNER_VARIED)
        return gn.data.Dataset.from_tensor_slices(values).map(waiting(_inner_wait))
    return gn.data.Dataset.range(INNERS).interleave(inner, cycle_length=4, num_parallel_calls=4,
                                                    deterministic=deterministic)


@pytest.mark.parametrize("kind", ["map", "interleave"])
@pytest.mark.parametrize("deterministic", [True, False])
def test_varied_costs_deterministic_or_not(benchmark, kind, deterministic):
    benchmark.group = f"{kind}-varied-sleep"
    out = _timed_elements(benchmark, _varied(kind, deterministic).make_initializable_iterator())
    benchmark.extra_info["impl"] = f"deterministic={deterministic}"
    _note_ratio(benchmark, deterministic)
    count = VARIED if kind == "map" else INNERS * PER_INNER_VARIED
    assert sorted(out) == list(range(count))
    if deterministic:
        assert out == (sorted(out) if kind == "map" else _varied_in_order())


def _varied_in_order():
    """The interleave's deterministic order: four inner datasets at a time, one element of each in turn."""
    return [x * PER_INNER_VARIED + i for group in range(0, INNERS, 4) for i in range(PER_INNER_VARIED)
            for x in range(group, group + 4)]


def _note_ratio(benchmark, deterministic):
    """Keeps the deterministic run's mean; the other run's extra_info gets its mean's ratio to it."""
    stats = getattr(benchmark.stats, "stats", None)
    if stats is None:  # --benchmark-disable: nothing timed
        return
    if deterministic:
        _deterministic_means[benchmark.group] = stats.mean
    elif benchmark.group in _deterministic_means:
        benchmark.extra_info["ratio_to_deterministic"] = round(stats.mean / _deterministic_means[benchmark.group], 3)
