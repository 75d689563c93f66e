"""The session's plan cache: least recently used plans go first, its size is configurable and
visible (``sess.plan_cache_info()`` and the placement report)."""
import threading

import pytest

import gpunet as gn


def _fetches(n):
    x = gn.constant(1.0, name="x")
    return [x + float(i) for i in range(n)]


def test_default_size_is_64_and_counts_hits_and_misses():
    a, b = _fetches(2)
    with gn.Session() as sess:
        sess.run(a)
        sess.run(a)
        sess.run([a, b])
        info = sess.plan_cache_info()
    assert (info.hits, info.misses, info.evictions, info.size, info.max_size) == (1, 2, 0, 2, 64)


@pytest.mark.parametrize("size", [1, 2, 5])
def test_the_cache_never_holds_more_than_its_size(size):
    fetches = _fetches(size + 3)
    with gn.Session(config=gn.ConfigProto(plan_cache_size=size)) as sess:
        for f in fetches:
            assert sess.run(f) == 1.0 + fetches.index(f)
        info = sess.plan_cache_info()
    assert (info.size, info.max_size, info.misses, info.evictions) == (size, size, size + 3, 3)


def test_the_least_recently_used_plan_is_evicted_first():
    a, b, c = _fetches(3)
    with gn.Session(config=gn.ConfigProto(plan_cache_size=2)) as sess:
        sess.run(a)
        sess.run(b)
        sess.run(a)        # a is now the most recent
        sess.run(c)        # evicts b
        misses = sess.plan_cache_info().misses
        sess.run(a)        # still cached
        assert sess.plan_cache_info().misses == misses
        sess.run(b)        # was evicted: compiled again
        assert sess.plan_cache_info().misses == misses + 1


def test_an_evicted_plan_gives_the_same_values_when_rebuilt():
    x = gn.placeholder(gn.float32, [None], name="x")
    outs = [x * float(i) for i in range(4)]
    with gn.Session(config=gn.ConfigProto(plan_cache_size=1)) as sess:
        for _ in range(2):
            for i, out in enumerate(outs):
                assert sess.run(out, {x: [1.0, 2.0]}).tolist() == [i, 2.0 * i]
        assert sess.plan_cache_info().evictions == 7


def test_the_placement_report_shows_the_cache():
    a, = _fetches(1)
    with gn.Session(config=gn.ConfigProto(plan_cache_size=3)) as sess:
        sess.run(a)
        report = sess.placement_report(a)
    assert report.plan_cache.size == 1 and report.plan_cache.max_size == 3
    assert str(report).splitlines()[-1] == "plan cache: 1/3 plans, 1 hits, 1 misses, 0 evictions"


def test_threads_share_one_bounded_cache():
    fetches = _fetches(6)
    errors = []
    with gn.Session(config=gn.ConfigProto(plan_cache_size=2)) as sess:
        def work(offset):
            try:
                for k in range(30):
                    i = (k + offset) % len(fetches)
                    assert sess.run(fetches[i]) == 1.0 + i
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
        threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        info = sess.plan_cache_info()
    assert errors == [] and info.size <= 2 and info.hits + info.misses == 120
