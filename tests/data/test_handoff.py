"""The thread hand-off of gn.data (gpunet/data/_handoff.py, _threads.py): elements in order with errors
and the end at their place, a waiting consumer served by the first element, a producer woken only once
the consumer has taken its buffer down to half, bounded buffers, the gate's places, bounded shutdown.

Waits here are guards (an Event or join with a timeout, so a failure fails rather than hangs), never
timings asserted; every thread a test blocks is released before it ends.
"""
import threading

import numpy as np
import pytest

import gpunet as gn
from gpunet.data import _threads
from gpunet.data._handoff import Handoff
from gpunet.data._resumable import Failed

Dataset = gn.data.Dataset
GUARD_S = 10


def _producer(source, handoff):
    thread = threading.Thread(target=_threads._produce, args=(source, handoff), daemon=True)
    thread.start()
    return thread


def _failing_after(count, error):
    yield from range(count)
    raise error


# -- order, errors, end, cancel ---------------------------------------------------------------
@pytest.mark.parametrize("capacity", [1, 2, 3, 8])
@pytest.mark.parametrize("count", [0, 1, 7, 100])
def test_elements_come_in_order_then_the_end(capacity, count):
    handoff = Handoff(capacity, threading.Event())
    thread = _producer(iter(range(count)), handoff)
    assert list(handoff.elements()) == list(range(count))
    thread.join(GUARD_S)
    assert not thread.is_alive()


@pytest.mark.parametrize("count", [0, 1, 5, 40])
def test_an_error_comes_after_the_elements_before_it(count):
    error = ValueError("source broke")
    handoff = Handoff(4, threading.Event())
    thread = _producer(_failing_after(count, error), handoff)
    got = list(handoff.elements())  # the producer reads on after an error: the source, a generator, has ended
    assert got[:-1] == list(range(count)) and isinstance(got[-1], Failed) and got[-1].error is error
    thread.join(GUARD_S)


def test_a_consumer_waiting_when_the_stop_is_set_is_cancelled():
    """The stop is set by the consumer's own wait (the on_wait hook): no thread, no timing."""
    stop = threading.Event()
    handoff = Handoff(2, stop, on_wait=lambda _: stop.set())
    with pytest.raises(gn.errors.CancelledError, match="closed while an element was awaited"):
        next(handoff.elements())


def test_elements_handed_over_before_the_stop_are_still_taken_then_cancelled():
    stop = threading.Event()
    handoff = Handoff(4, stop)
    assert handoff.put("a") and handoff.put("b")
    stop.set()
    assert not handoff.put("c")  # stopped: refused
    elements = handoff.elements()
    assert [next(elements), next(elements)] == ["a", "b"]
    with pytest.raises(gn.errors.CancelledError):
        next(elements)


# -- when each side is woken ------------------------------------------------------------------
def _blocking_second(release, first=0, second=1):
    yield first
    assert release.wait(GUARD_S), "the test never released the second element"
    yield second


def test_a_waiting_consumer_gets_the_first_element_while_the_second_is_still_produced():
    release, handoff = threading.Event(), Handoff(8, threading.Event())
    thread = _producer(_blocking_second(release), handoff)
    try:
        elements = handoff.elements()
        assert next(elements) == 0 and not release.is_set()
    finally:
        release.set()
    assert list(elements) == [1]
    thread.join(GUARD_S)


def test_a_producer_waiting_for_room_is_woken_once_the_buffer_is_down_to_refill_at():
    """capacity 8, refill at 4 (interleave's readers): the producer fills 8, produces the 9th and waits;
    while the consumer has taken 3 the buffer holds exactly the rest (the producer is not woken per
    element); at 4 taken it goes on."""
    asked, handoff = {}, Handoff(8, threading.Event(), refill_at=4)

    def counted():
        for index in range(20):
            asked.setdefault(index, threading.Event()).set()
            yield index
    for index in range(20):
        asked.setdefault(index, threading.Event())
    thread = _producer(counted(), handoff)
    assert asked[8].wait(GUARD_S)  # the 9th produced: it waits for room
    elements = handoff.elements()
    for taken in range(1, 4):
        assert next(elements) == taken - 1
        # not woken: no token put (one put and already taken would show as the 9th appended, the 10th asked)
        assert handoff._producer_tokens.empty() and len(handoff._items) == 8 - taken and not asked[9].is_set()
    assert next(elements) == 3  # 4 left: half the capacity
    assert asked[9].wait(GUARD_S)
    assert list(elements) == list(range(4, 20))
    thread.join(GUARD_S)


# -- bounds -----------------------------------------------------------------------------------
def _counting(count, produced):
    for index in range(count):
        produced[0] += 1
        yield index


@pytest.mark.parametrize("buffer_size", [1, 2, 5])
def test_prefetch_holds_at_most_buffer_size_elements_and_one_in_hand(buffer_size):
    produced = [0]
    element = Dataset.from_generator(lambda: _counting(40, produced), gn.int64).prefetch(buffer_size) \
        .make_one_shot_iterator().get_next()
    with gn.Session() as sess:
        for taken in range(1, 41):
            assert sess.run(element) == taken - 1
            assert produced[0] <= taken + buffer_size + 1, (taken, produced[0])


def test_a_prefetch_buffer_fills_up_to_its_size():
    full = threading.Event()

    def gen():
        for index in range(100):
            if index == 4:  # asked for the 5th: 3 waiting (buffer_size) and one taken
                full.set()
            yield index
    element = Dataset.from_generator(gen, gn.int64).prefetch(3).make_one_shot_iterator().get_next()
    with gn.Session() as sess:
        assert sess.run(element) == 0
        assert full.wait(GUARD_S)


def _one_then(event):
    event.set()
    yield (0,)


@pytest.mark.parametrize("capacity", [1, 2, 4, 7])
def test_a_reader_holds_at_most_its_buffer(capacity):
    """One place: a second reader gets it once the first is full, which has then produced its capacity."""
    produced, filled, second_in = [0], threading.Event(), threading.Event()

    def source():
        for index in range(30):
            produced[0] += 1
            if produced[0] == capacity:
                filled.set()
            yield index
    readers = _threads.Readers(1, capacity)
    try:
        elements = readers.read(source())
        assert filled.wait(GUARD_S)
        other = readers.read(_one_then(second_in))
        assert second_in.wait(GUARD_S) and produced[0] == capacity
        for taken in range(1, 31):
            assert next(elements) == taken - 1
            assert produced[0] <= taken + capacity, (taken, produced[0])
        assert list(elements) == [] and list(other) == [(0,)]
    finally:
        readers.close()


@pytest.mark.parametrize("shape,ahead", [((), 256), ((64,), 256), ((4096,), 63), ((100_000,), 16)])
def test_a_fitted_reader_reads_ahead_as_many_elements_as_fit_a_megabyte(shape, ahead):
    """At least 16, at most 256 (a 16 KiB element and its headers: 63): small elements travel in large
    groups, large ones take no more memory. One place: a second reader gets it once the first is full."""
    assert max(16, min(256, (1 << 20) // _threads._nbytes((np.zeros(shape, np.float32),)))) == ahead
    produced, filled, second_in = [0], threading.Event(), threading.Event()

    def source():
        for index in range(ahead + 40):
            produced[0] += 1
            if produced[0] == ahead:
                filled.set()
            yield (np.full(shape, index, np.float32),)

    readers = _threads.Readers(1, 16, fitted=True)
    try:
        elements = readers.read(source())
        assert filled.wait(GUARD_S)
        other = readers.read(_one_then(second_in))
        assert second_in.wait(GUARD_S) and produced[0] == ahead  # the first reader is full: it left its place
        for taken in range(1, ahead + 41):
            assert next(elements)[0].flat[0] == taken - 1
            assert produced[0] <= taken + ahead, (taken, produced[0])
        assert len(list(other)) == 1
    finally:
        readers.close()


def test_sizes_count_arrays_data_object_items_and_views():
    record = np.empty((), dtype=object)
    record[()] = b"x" * 1000
    assert 1000 < _threads._nbytes((record,)) < 1300
    assert 4 * 10_000 < _threads._nbytes([np.zeros(10_000, np.float32)]) < 4 * 10_000 + 300
    view = np.zeros((100, 100), np.float64)[1:]
    assert 8 * 9_900 < _threads._nbytes(view) < 8 * 9_900 + 300


# -- the gate ---------------------------------------------------------------------------------
def _until(predicate):
    """Whether ``predicate`` came true, looked at every millisecond for at most GUARD_S seconds (a guard)."""
    pause = threading.Event()
    for _ in range(GUARD_S * 1000):
        if predicate():
            return True
        pause.wait(0.001)
    return predicate()


def _enter_in_thread(gate, handoff, stop):
    entered = threading.Event()
    thread = threading.Thread(target=lambda: gate.enter(handoff, stop) and entered.set(), daemon=True)
    thread.start()
    return thread, entered


def test_the_reader_the_consumer_awaits_gets_the_next_place_before_the_others():
    stop = threading.Event()
    gate = _threads._Gate(1)
    holder, awaited, other = (Handoff(4, stop) for _ in range(3))
    assert gate.enter(holder, stop) and gate.wanted is None
    other_thread, other_entered = _enter_in_thread(gate, other, stop)
    awaited_thread, awaited_entered = _enter_in_thread(gate, awaited, stop)
    try:
        assert _until(lambda: awaited in gate._waiting and other in gate._waiting)
        gate.awaited(awaited)
        assert gate.wanted is awaited  # what a holder looks at after each element
        gate.leave()
        assert awaited_entered.wait(GUARD_S) and not other_entered.is_set() and gate.wanted is None
        gate.leave()
        assert other_entered.wait(GUARD_S)
        gate.leave()
    finally:
        stop.set()
        for thread in (other_thread, awaited_thread):
            thread.join(GUARD_S)


def test_a_reader_entering_while_awaited_is_wanted_at_once():
    stop = threading.Event()
    gate, handoff = _threads._Gate(1), Handoff(4, stop)
    assert gate.enter(Handoff(4, stop), stop)
    handoff._consumer_waits = True  # as the consumer sets it before it waits
    thread, entered = _enter_in_thread(gate, handoff, stop)
    try:
        assert _until(lambda: gate.wanted is handoff)
        gate.leave()
        assert entered.wait(GUARD_S)
    finally:
        stop.set()
        thread.join(GUARD_S)


def test_a_reader_holding_the_one_place_gives_it_up_when_the_consumer_awaits_another():
    """The holder's source goes on only once the gate wants its place back (the consumer awaits the other
    reader, which waits for the place); the holder must then leave after that element, so that the other
    enters: its source goes on only then (keeping the place, the holder would fail its guard)."""
    readers, other_in = _threads.Readers(1, 16), threading.Event()

    def holder():
        yield 0
        assert _until(lambda: readers._gate.wanted is not None), "the place was never wanted"
        yield 1
        assert other_in.wait(GUARD_S), "the holder kept the place"
        yield 2

    def other():
        other_in.set()
        yield from (10, 11)
    try:
        first = readers.read(holder())
        assert next(first) == 0  # its reader now holds the place, inside its source
        second = readers.read(other())
        assert next(second) == 10
        assert list(first) == [1, 2] and list(second) == [11]
    finally:
        readers.close()


def test_a_stop_ends_a_wait_for_a_place():
    stop = threading.Event()
    gate = _threads._Gate(1)
    assert gate.enter(Handoff(1, stop), stop)
    stop.set()
    assert not gate.enter(Handoff(1, stop), stop)


def _slow(v):
    threading.Event().wait(0.001)  # a little GIL-free work: the reader holding the place is often inside it
    return v


@pytest.mark.parametrize("calls", [1, 2])
def test_one_place_among_four_readers_with_a_slow_one_keeps_the_order(calls):
    """cycle 4 with 1 or 2 places: the consumer keeps waiting on readers waiting for a place while others
    hold it; the order is the sequential one and no thread is left."""
    def inner(x):
        values = Dataset.from_tensor_slices(gn.range(x * 100, x * 100 + 40))
        return gn.data.Dataset.zip((values, Dataset.from_tensors(x).repeat())).map(
            lambda v, k: gn.cond(gn.equal(k, 1), lambda: gn.py_func(_slow, [v], gn.int64), lambda: v))
    before = threading.active_count()
    parallel = Dataset.range(6).interleave(inner, 4, 2, num_parallel_calls=calls)
    iterator = parallel.make_initializable_iterator()
    element = iterator.get_next()
    with gn.Session() as sess:
        sess.run(iterator.initializer)
        got = []
        try:
            while True:
                got.append(int(sess.run(element)))
        except gn.errors.OutOfRangeError:
            pass
    expected = [x * 100 + i for x in range(6) for i in range(40)]
    assert sorted(got) == expected
    sequential = Dataset.range(6).interleave(lambda x: Dataset.from_tensor_slices(gn.range(x * 100, x * 100 + 40)),
                                             4, 2).make_one_shot_iterator().get_next()
    with gn.Session() as sess:
        assert got == [int(sess.run(sequential)) for _ in range(240)]
    assert threading.active_count() == before


def test_an_interleave_reader_hands_its_first_element_over_while_producing_the_second():
    release = threading.Event()

    def wait_on_second(v):
        if v == 1:
            assert release.wait(GUARD_S)
        return v

    def inner(x):
        return Dataset.from_tensor_slices(gn.range(x * 10, x * 10 + 2)).map(
            lambda v: gn.py_func(wait_on_second, [v], gn.int64))
    element = Dataset.range(2).interleave(inner, 2, num_parallel_calls=2).make_one_shot_iterator().get_next()
    with gn.Session() as sess:
        try:
            assert [int(sess.run(element)), int(sess.run(element))] == [0, 10] and not release.is_set()
        finally:
            release.set()
        assert [int(sess.run(element)), int(sess.run(element))] == [1, 11]


# -- shutdown ---------------------------------------------------------------------------------
def test_closing_a_session_does_not_wait_forever_for_a_prefetch_thread_stuck_in_a_call(monkeypatch):
    """The producer blocks inside a py_func; Session.close waits for it at most _JOIN_TIMEOUT (made short
    here), then returns; the thread ends once released."""
    monkeypatch.setattr(_threads, "_JOIN_TIMEOUT", 0.05)
    release, stuck = threading.Event(), threading.Event()

    def block(v):
        if v == 1:
            stuck.set()
            release.wait(GUARD_S)
        return v
    element = Dataset.range(5).map(lambda v: gn.py_func(block, [v], gn.int64)).prefetch(1) \
        .make_one_shot_iterator().get_next()
    sess = gn.Session()
    closer = threading.Thread(target=sess.close, daemon=True)
    try:
        assert sess.run(element) == 0
        assert stuck.wait(GUARD_S)
        producer = next(t for t in threading.enumerate() if t.name == "gn.data.prefetch")
        closer.start()
        closer.join(GUARD_S)
        assert not closer.is_alive() and producer.is_alive()  # closed while the producer is still stuck
    finally:
        release.set()
    producer.join(GUARD_S)
    closer.join(GUARD_S)
    assert not producer.is_alive()
