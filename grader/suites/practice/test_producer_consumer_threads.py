"""Practice stress checks of producer_consumer_threads.py: forced switches around a tiny buffer.

They ship with the student edition so that a race shows up where you work. Items carry
(producer, sequence number), so a loss, a duplicate and a reordering are told apart, and a probe
thread watches len() for a buffer above capacity. Threads are switched by force between bytecodes
of your code. When one fails, the grader searches for the interleaving behind it and prints it step
by step with a ``--replay`` ID. Your instructor's grading runs more scenarios, at other sizes,
many more times.
"""

from __future__ import annotations

import threading
from collections import Counter as Multiset
from types import ModuleType

import pytest

from grader.preempt import preempted
from grader.suites.buffer_stress import check_buffer_under_stress
from grader.testing import LONG_TIMEOUT, call_within, submission, threads_left_behind

PRODUCERS = 2
CONSUMERS = 3
ITEMS = 60  # per producer


@pytest.fixture
def mod() -> ModuleType:
    return submission("producer_consumer_threads")


def test_practice_buffer_never_exceeds_capacity_and_delivers_each_item_once(mod: ModuleType) -> None:
    check_buffer_under_stress(mod, capacity=1, producers=PRODUCERS, consumers=CONSUMERS, items=ITEMS)


def test_practice_pipeline_consumes_every_item_exactly_once(mod: ModuleType) -> None:
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
            f"run_pipeline with {PRODUCERS} producers, {CONSUMERS} consumers and capacity 1",
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
