"""Practice stress checks of counter.py: the hidden checks' forced switches, at a smaller size.

They ship with the student edition so that a race shows up where you work: each scenario runs
under ``grader.preempt.preempted()``, which forces thread switches between bytecodes of your own
code, and asserts an invariant that a race breaks whatever the timing. When one fails, the grader
searches for the interleaving behind it and prints it step by step with a ``--replay`` ID.
Your instructor's grading runs more scenarios, at other sizes, many more times.
"""

from __future__ import annotations

import threading
from types import ModuleType

import pytest

from grader.preempt import preempted
from grader.testing import run_threads, submission

THREADS = 4
CALLS = 150  # per thread


@pytest.fixture
def mod() -> ModuleType:
    return submission("counter")


def test_practice_increments_are_never_lost(mod: ModuleType) -> None:
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
    assert duplicates == 0, (
        f"increment() returned {duplicates} duplicate value(s) across threads: each call must return "
        "the value its own update produced, read while still holding the lock"
    )


def test_practice_increments_and_decrements_keep_the_balance(mod: ModuleType) -> None:
    start = 1_000
    counter = mod.Counter(start)

    def work(i: int) -> None:
        for _ in range(CALLS):
            if i % 2:
                counter.decrement(1)
            else:
                counter.increment(2)

    with preempted():
        run_threads(THREADS, work)
    expected = start + (THREADS // 2) * CALLS * (2 - 1)
    final = counter.value
    assert final == expected, (
        f"the value is {final}, it should be {expected}: {abs(final - expected)} worth of updates were "
        "lost when increment and decrement ran at once; every method must hold the same lock"
    )


def test_practice_add_if_below_and_reset_keep_every_count(mod: ModuleType) -> None:
    limit = 200
    counter = mod.Counter()
    with preempted():
        answers = run_threads(THREADS, lambda i: [counter.add_if_below(2, limit) for _ in range(CALLS // 2)])
    accepted = sum(1 for chunk in answers for ok in chunk if ok)
    final = counter.value
    assert final <= limit, (
        f"the value reached {final}, above the limit {limit}: two threads both saw room for one more "
        "and both added (check-then-act outside the lock)"
    )
    assert final == 2 * accepted == limit, (
        f"add_if_below returned True {accepted} times and the value is {final} (limit {limit}): "
        "an update was lost, or an answer does not match what was done"
    )

    counter = mod.Counter()
    collected: list[int] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        if i:
            for _ in range(CALLS):
                counter.increment()
        else:
            for _ in range(CALLS // 5):
                old = counter.reset()
                with lock:
                    collected.append(old)

    with preempted():
        run_threads(THREADS, work)
    total = (THREADS - 1) * CALLS
    accounted = sum(collected) + counter.value
    assert accounted == total, (
        f"the values returned by reset() plus the final value add up to {accounted}, but {total} "
        f"increments were made: {abs(total - accounted)} were lost or counted twice. increment() runs "
        "beside reset() here: each must read and write the value in one step under the lock"
    )
