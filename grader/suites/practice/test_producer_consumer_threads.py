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
from grader.testing import LONG_TIMEOUT, call_within, run_threads, submission, threads_left_behind

PRODUCERS = 2
CONSUMERS = 3
ITEMS = 60  # per producer


@pytest.fixture
def mod() -> ModuleType:
    return submission("producer_consumer_threads")


def _first_problem(received: list[list[tuple[int, int]]]) -> str:
    """Every item exactly once, and per consumer each producer's items in put order."""
    everything = Multiset(item for items in received for item in items)
    twice = [item for item, count in everything.items() if count > 1]
    if twice:
        return f"item {twice[0]} was consumed {everything[twice[0]]} times ({len(twice)} items more than once)"
    missing = {(p, n) for p in range(PRODUCERS) for n in range(ITEMS)} - set(everything)
    if missing:
        return f"{len(missing)} of {PRODUCERS * ITEMS} items were never consumed, e.g. {min(missing)}"
    for consumer, items in enumerate(received):
        for producer in range(PRODUCERS):
            seq = [n for p, n in items if p == producer]
            if seq != sorted(seq):
                return f"consumer {consumer} got producer {producer}'s items out of order: the buffer is not FIFO"
    return ""


def test_practice_buffer_never_exceeds_capacity_and_delivers_each_item_once(mod: ModuleType) -> None:
    capacity = 1
    buffer = mod.BoundedBuffer(capacity)
    received: list[list[tuple[int, int]]] = [[] for _ in range(CONSUMERS)]
    most = [0]
    done = threading.Event()

    def probe() -> None:
        while not done.is_set():
            most[0] = max(most[0], len(buffer))

    def work(i: int) -> None:
        if i < PRODUCERS:
            for n in range(ITEMS):
                buffer.put((i, n), timeout=LONG_TIMEOUT)
        else:
            consumer = i - PRODUCERS
            share = PRODUCERS * ITEMS // CONSUMERS + (consumer < PRODUCERS * ITEMS % CONSUMERS)
            for _ in range(share):
                received[consumer].append(buffer.get(timeout=LONG_TIMEOUT))

    watcher = threading.Thread(target=probe, daemon=True)
    watcher.start()
    try:
        with preempted():
            run_threads(PRODUCERS + CONSUMERS, work, timed_waits_fail=True)  # a put or get that times out fails
    finally:
        done.set()
        watcher.join(LONG_TIMEOUT)
    assert most[0] <= capacity, (
        f"the buffer held {most[0]} items, above its capacity {capacity}: a producer that woke up "
        "did not re-check for room (use `while`, not `if`, around wait())"
    )
    problem = _first_problem(received)
    assert not problem, problem


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
