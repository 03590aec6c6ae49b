"""The server's micro-batcher: requests that arrive together share one call, a full queue and a timeout are
refused at once, and a failing item fails alone."""

import threading
import time

import pytest

from audiopalm.batcher import Batcher, Busy


def _submit_all(batcher, items, timeout=10.0):
    results, errors = {}, {}

    def one(x):
        try:
            results[x] = batcher.submit(x, timeout)
        except Exception as e:  # noqa: BLE001 - recorded for the assertions
            errors[x] = e

    threads = [threading.Thread(target=one, args=(x,)) for x in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def test_requests_that_arrive_together_share_one_call():
    calls = []

    def square(xs):
        calls.append(list(xs))
        return [x * x for x in xs]

    batcher = Batcher(square, max_batch=16, wait_ms=200, max_queue=64)
    results, errors = _submit_all(batcher, range(8))
    assert not errors and results == {x: x * x for x in range(8)}
    assert max(len(c) for c in calls) > 1 and sum(len(c) for c in calls) == 8
    assert max(batcher.batch_sizes) <= 16


@pytest.mark.parametrize("told", [False, True])
def test_a_batch_waits_for_requests_on_their_way_when_told_of_them(told):
    """A request still being received (counted by `coming`) joins the batch of one already waiting; without
    the count, the batch leaves after wait_ms."""
    on_the_way = [1]
    batcher = Batcher(lambda xs: xs, max_batch=16, wait_ms=5, max_queue=64, max_wait_ms=2000,
                      coming=(lambda: on_the_way[0]) if told else None)

    def late():
        time.sleep(0.3)
        on_the_way[0] = 0
        batcher.submit("late", 10.0)

    thread = threading.Thread(target=late)
    thread.start()
    assert batcher.submit("first", 10.0) == "first"
    thread.join()
    assert list(batcher.batch_sizes) == ([2] if told else [1, 1])
    assert batcher.outstanding == 0


def test_a_timeout_and_a_full_queue_are_busy_at_once():
    gate, seen = threading.Event(), []

    def slow(xs):
        seen.extend(xs)
        gate.wait()
        return xs

    batcher = Batcher(slow, max_batch=1, wait_ms=0, max_queue=1)
    first = threading.Thread(target=batcher.submit, args=("first", 10.0))
    first.start()
    time.sleep(0.2)  # the worker is stuck on "first"
    started = time.monotonic()
    with pytest.raises(Busy, match="no result within 0.3 s"):
        batcher.submit("second", 0.3)  # queued behind it, given up
    with pytest.raises(Busy, match="1 requests waiting"):
        batcher.submit("third", 5.0)  # the queue (one place) still holds "second"
    assert time.monotonic() - started < 1.0
    gate.set()
    first.join()
    time.sleep(0.1)
    assert seen == ["first"]  # "second" was dropped, never decoded
    assert batcher.submit("fourth", 5.0) == "fourth"


def test_a_failing_item_fails_alone():
    def picky(xs):
        if "bad" in xs:
            raise ValueError("bad item")
        return [x.upper() for x in xs]

    batcher = Batcher(picky, max_batch=8, wait_ms=200, max_queue=16)
    results, errors = _submit_all(batcher, ["a", "b", "bad", "c"])
    assert results == {"a": "A", "b": "B", "c": "C"}
    assert list(errors) == ["bad"] and str(errors["bad"]) == "bad item"


def test_items_already_waiting_join_the_batch_whatever_the_wait():
    gate = threading.Event()

    def held(xs):
        gate.wait()
        return xs

    batcher = Batcher(held, max_batch=16, wait_ms=0, max_queue=64)
    first = threading.Thread(target=batcher.submit, args=("first", 10.0))
    first.start()
    time.sleep(0.2)  # the worker holds "first"; five more queue behind it
    rest = threading.Thread(target=_submit_all, args=(batcher, range(5)))
    rest.start()
    while batcher.queue.qsize() < 5:
        time.sleep(0.01)
    gate.set()
    first.join()
    rest.join()
    assert list(batcher.batch_sizes) == [1, 5] and (batcher.batches, batcher.batched_items) == (2, 6)


def test_a_lone_client_does_not_wait_for_company():
    batcher = Batcher(lambda xs: xs, max_batch=16, wait_ms=500, max_queue=64)
    batcher.submit("first", 10.0)  # nothing known yet: it waits wait_ms for company, and gets none
    started = time.monotonic()
    assert batcher.submit("second", 10.0) == "second"
    assert time.monotonic() - started < 0.25 and list(batcher.batch_sizes) == [1, 1]
