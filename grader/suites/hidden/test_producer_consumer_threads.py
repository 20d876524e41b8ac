"""Hidden stress checks of producer_consumer_threads.py: tiny buffers, many threads, forced switches.

Items carry (producer, sequence number), so the checks can tell every loss, duplicate and
reordering apart. A probe thread watches len() for a buffer above capacity. The pipeline checks
give run_pipeline a bounded time and then look for threads it left running.
"""

from __future__ import annotations

import threading
from collections import Counter as Multiset
from types import ModuleType

import pytest

from grader.preempt import preempted
from grader.suites.buffer_stress import check_buffer_under_stress
from grader.testing import (
    LONG_TIMEOUT,
    SHORT_TIMEOUT,
    call_within,
    still_running,
    submission,
    threads_left_behind,
)

PRODUCERS = 3
CONSUMERS = 4
ITEMS = 150  # per producer


@pytest.fixture
def mod() -> ModuleType:
    return submission("producer_consumer_threads")


def test_buffer_never_exceeds_capacity_and_delivers_each_item_once(mod: ModuleType) -> None:
    check_buffer_under_stress(mod, capacity=2, producers=PRODUCERS, consumers=CONSUMERS, items=ITEMS)


def test_close_under_load_wakes_every_waiter(mod: ModuleType) -> None:
    for _ in range(3):
        buffer = mod.BoundedBuffer(1)
        outcomes: list[str] = []
        lock = threading.Lock()
        closed = threading.Event()  # set once close() has returned

        def work(i: int) -> None:
            try:
                if i % 2:
                    while True:
                        buffer.get()
                else:
                    while not closed.is_set():
                        buffer.put(i)
                    buffer.put(i)  # close() has returned: this put must raise Closed
                    with lock:
                        outcomes.append("put accepted")
            except mod.Closed:
                with lock:
                    outcomes.append("closed")

        def closer() -> None:
            threading.Event().wait(0.05)
            buffer.close()
            closed.set()

        with preempted():
            threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(8)]
            for thread in threads:
                thread.start()
            closer()
            stuck = len(still_running(threads, SHORT_TIMEOUT))
        assert "put accepted" not in outcomes, "put() returned normally after close(): it must raise Closed"
        assert stuck == 0, (
            f"{stuck} of 8 threads stayed blocked in put() or get() after close(): "
            "close() must wake every waiter of both conditions (notify_all)"
        )


def test_pipeline_consumes_every_item_exactly_once_under_stress(mod: ModuleType) -> None:
    before = threading.enumerate()
    seen: list[tuple[int, int]] = []
    lock = threading.Lock()

    def consume(item: tuple[int, int]) -> tuple[int, int]:
        with lock:
            seen.append(item)
        return item

    producers = [[(p, n) for n in range(ITEMS)] for p in range(PRODUCERS)]
    with preempted():
        results = call_within(
            lambda: mod.run_pipeline(producers, consume, consumers=CONSUMERS, capacity=1),
            "run_pipeline with 3 producers, 4 consumers and capacity 1",
            timeout=LONG_TIMEOUT,
        )
    counted = Multiset(seen)
    twice = [item for item, count in counted.items() if count > 1]
    assert not twice, f"item {twice[0]} was consumed {counted[twice[0]]} times"
    expected = sorted(item for p in producers for item in p)
    assert sorted(results) == expected, (
        f"run_pipeline returned {len(results)} results for {len(expected)} items: "
        "each item must be consumed exactly once and its result returned"
    )
    left = threads_left_behind(before)
    assert not left, f"run_pipeline returned with {len(left)} thread(s) still running ({', '.join(left[:3])})"


class Boom(Exception):
    pass


def test_pipeline_stops_and_reraises_under_stress(mod: ModuleType) -> None:
    before = threading.enumerate()

    def failing(n: int):  # type: ignore[no-untyped-def]
        yield from range(n)
        raise Boom(f"producer failed after {n} items")

    def consume(x: int) -> int:
        if x == 77:
            raise Boom("consume failed on item 77")
        return x

    cases = [
        ([failing(40), range(200), range(200)], lambda x: x, "a producer"),
        ([range(100), range(100, 200)], consume, "consume"),
    ]
    for producers, fn, who in cases:
        with preempted():
            try:
                call_within(
                    lambda: mod.run_pipeline(producers, fn, consumers=CONSUMERS, capacity=2),
                    f"run_pipeline whose {who} raised",
                    timeout=LONG_TIMEOUT,
                )
            except Boom:
                pass
            else:
                pytest.fail(f"run_pipeline returned normally although {who} raised: the exception was lost in a thread")
        left = threads_left_behind(before)
        assert not left, (
            f"after {who} raised, run_pipeline returned with {len(left)} thread(s) still running "
            f"({', '.join(left[:3])}): join every thread, also on the error path"
        )
