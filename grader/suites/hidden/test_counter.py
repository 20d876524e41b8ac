"""Hidden stress checks of counter.py: many threads, started together, switched by force.

Every scenario runs under ``grader.preempt.preempted()``, which forces thread switches at random
bytecodes of the student's own code; without it CPython almost never interleaves a short
read-modify-write (see grader/preempt.py). Each check asserts an invariant that a race breaks
whatever the timing: a final value, a set of distinct return values, a limit never passed.
"""

from __future__ import annotations

import threading
from types import ModuleType

import pytest

from grader.preempt import preempted
from grader.testing import run_threads, submission

THREADS = 8
CALLS = 250  # per thread


@pytest.fixture
def mod() -> ModuleType:
    return submission("counter")


def test_increments_are_never_lost(mod: ModuleType) -> None:
    counter = mod.Counter()
    with preempted():
        returned = run_threads(THREADS, lambda i: [counter.increment() for _ in range(CALLS)])
    total = THREADS * CALLS
    final = counter.value
    assert final == total, (
        f"{total - final} of {total} increments were lost (final value {final}, expected {total}): "
        "two threads read the same value before either wrote it back"
    )
    values = [v for chunk in returned for v in chunk]
    duplicates = len(values) - len(set(values))
    assert duplicates == 0 and set(values) == set(range(1, total + 1)), (
        f"increment() returned {duplicates} duplicate value(s) across threads: each call must return "
        "the value its own update produced, read while still holding the lock"
    )


def test_mixed_increments_and_decrements_keep_the_balance(mod: ModuleType) -> None:
    start = 10_000
    counter = mod.Counter(start)

    def work(i: int) -> None:
        for n in range(CALLS):
            if i % 2:
                counter.decrement(n % 3)
            else:
                counter.increment(n % 3 + 1)

    with preempted():
        run_threads(THREADS, work)
    ups = sum(n % 3 + 1 for n in range(CALLS)) * (THREADS // 2)
    downs = sum(n % 3 for n in range(CALLS)) * (THREADS // 2)
    expected = start + ups - downs
    final = counter.value
    assert final == expected, (
        f"the value is {final}, it should be {expected} (start {start}, +{ups} -{downs}): "
        f"{abs(final - expected)} worth of updates were lost when increment and decrement ran at once; "
        "every method must hold the same lock"
    )


def test_add_if_below_never_passes_the_limit(mod: ModuleType) -> None:
    limit = 600
    counter = mod.Counter()
    with preempted():
        answers = run_threads(THREADS, lambda i: [counter.add_if_below(3, limit) for _ in range(CALLS // 2)])
    accepted = sum(1 for chunk in answers for ok in chunk if ok)
    final = counter.value
    assert final <= limit, (
        f"the value reached {final}, above the limit {limit}: two threads both saw room for one more "
        "and both added (check-then-act outside the lock)"
    )
    assert final == 3 * accepted, (
        f"add_if_below returned True {accepted} times (so the value should be {3 * accepted}) but the "
        f"value is {final}: an update was lost or an answer does not match what was done"
    )
    assert final == limit, (
        f"the value stopped at {final}, below the limit {limit}, although {THREADS * (CALLS // 2)} calls "
        "tried to add 3 each: add_if_below refused additions that fitted"
    )


def test_concurrent_resets_account_for_every_increment(mod: ModuleType) -> None:
    counter = mod.Counter()
    incrementers = THREADS - 2
    collected: list[int] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        if i < incrementers:
            for _ in range(CALLS):
                counter.increment()
        else:
            for _ in range(CALLS // 5):
                old = counter.reset()
                with lock:
                    collected.append(old)

    with preempted():
        run_threads(THREADS, work)
    total = incrementers * CALLS
    accounted = sum(collected) + counter.value
    assert accounted == total, (
        f"the values returned by reset() plus the final value add up to {accounted}, but {total} "
        f"increments were made: {abs(total - accounted)} were lost or counted twice. increment() runs "
        "beside reset() here: each must read and write the value in one step under the lock"
    )
