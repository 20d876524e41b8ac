"""The buffer's stress scenario, shared by the practice and hidden suites of
producer_consumer_threads (they differ only in sizes): producers and consumers around one tiny
BoundedBuffer, under forced thread switches.

Items carry (producer, sequence number), so a loss, a duplicate and a reordering are told apart,
and a probe thread watches len() for a buffer above capacity.
"""

from __future__ import annotations

import threading
from collections import Counter as Multiset
from collections.abc import Sequence
from types import ModuleType

from grader.preempt import preempted
from grader.testing import LONG_TIMEOUT, run_threads


def first_problem(received: Sequence[list[tuple[int, int]]], producers: int, items: int) -> str:
    """Every item exactly once, and per consumer each producer's items in put order; '' if so."""
    everything = Multiset(item for got in received for item in got)
    expected = {(p, n) for p in range(producers) for n in range(items)}
    twice = [item for item, count in everything.items() if count > 1]
    if twice:
        return f"item {twice[0]} was consumed {everything[twice[0]]} times ({len(twice)} items more than once)"
    missing = expected - set(everything)
    if missing:
        return f"{len(missing)} of {len(expected)} items were never consumed, e.g. {min(missing)}"
    for consumer, got in enumerate(received):
        for producer in range(producers):
            seq = [n for p, n in got if p == producer]
            if seq != sorted(seq):
                return f"consumer {consumer} got producer {producer}'s items out of order: the buffer is not FIFO"
    return ""


def check_buffer_under_stress(mod: ModuleType, *, capacity: int, producers: int, consumers: int,
                              items: int) -> None:
    """Run *producers* x *items* puts against *consumers* getters; assert capacity and delivery."""
    buffer = mod.BoundedBuffer(capacity)
    received: list[list[tuple[int, int]]] = [[] for _ in range(consumers)]
    most = [0]
    done = threading.Event()

    def probe() -> None:
        while not done.is_set():
            most[0] = max(most[0], len(buffer))

    def work(i: int) -> None:
        if i < producers:
            for n in range(items):
                buffer.put((i, n), timeout=LONG_TIMEOUT)
        else:
            consumer = i - producers
            share = producers * items // consumers + (consumer < producers * items % consumers)
            for _ in range(share):
                received[consumer].append(buffer.get(timeout=LONG_TIMEOUT))

    watcher = threading.Thread(target=probe, daemon=True)
    watcher.start()
    try:
        with preempted():
            run_threads(producers + consumers, work, timed_waits_fail=True)  # a put or get that times out fails
    finally:
        done.set()
        watcher.join(LONG_TIMEOUT)
    assert most[0] <= capacity, (
        f"the buffer held {most[0]} items, above its capacity {capacity}: a producer that woke up "
        "did not re-check for room (use `while`, not `if`, around wait())"
    )
    problem = first_problem(received, producers, items)
    assert not problem, problem
