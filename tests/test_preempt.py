"""The forced-preemption harness: it exposes an unlocked read-modify-write, spares correct code,
traces only the submission's frames, and cleans up after itself."""

from __future__ import annotations

import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader import preempt
from grader.testing import alive_threads_except, run_threads

FIXTURES = Path(__file__).resolve().parent / "fixtures"
THREADS, CALLS = 8, 500


@pytest.fixture
def racy() -> Iterator[object]:
    if preempt._harness() is None:  # once per process: a second call from outside the kit is refused
        preempt.configure(target=FIXTURES, seed=12345)
    sys.path.insert(0, str(FIXTURES))
    try:
        import racy_counter

        yield racy_counter
    finally:
        sys.path.remove(str(FIXTURES))


def hammer(counter: object) -> list[int]:
    """THREADS threads x CALLS increments, started together; all returned values."""
    results = run_threads(THREADS, lambda i: [counter.increment() for _ in range(CALLS)])  # type: ignore[attr-defined]
    return [value for chunk in results for value in chunk]


def test_unlocked_increment_loses_updates_under_forced_preemption(racy: object) -> None:
    """Nearly every block loses updates. Not every one: a block without a lost update was measured
    at under 1 in 300 on 3.10 to 3.13 (and 1 in 100 on 3.12.1), and a grading runs 15 of them, so
    one quiet block of 5 is chance; two would be a harness that stopped working."""
    exposed = 0
    for _ in range(5):
        counter = racy.Unlocked()  # type: ignore[attr-defined]
        with preempt.preempted():
            hammer(counter)
        exposed += counter.value < THREADS * CALLS
    assert exposed >= 4, f"the harness exposed a lost update in only {exposed} of 5 blocks"


def test_locked_increment_never_loses_an_update_under_forced_preemption(racy: object) -> None:
    for _ in range(5):
        counter = racy.Locked()  # type: ignore[attr-defined]
        with preempt.preempted():
            values = hammer(counter)
        assert counter.value == THREADS * CALLS
        assert sorted(values) == list(range(1, THREADS * CALLS + 1))


def test_switches_are_forced_only_inside_submission_frames(racy: object) -> None:
    """The standard library and the kit run at full speed; everything else is the submission's."""
    before = preempt.forced_switches()
    with preempt.preempted(probability=1.0):
        textwrap.wrap("many words " * 500, 40)  # pure-Python standard library code
        alive_threads_except(threading.enumerate())  # kit code
    assert preempt.forced_switches() == before
    with preempt.preempted(probability=1.0):
        racy.Unlocked().increment()  # type: ignore[attr-defined]
    assert preempt.forced_switches() > before


def test_trace_functions_are_restored_after_the_block(racy: object) -> None:
    previous = sys.gettrace()
    with preempt.preempted():
        assert sys.gettrace() is not None
    assert sys.gettrace() is previous
    assert threading._trace_hook is None  # type: ignore[attr-defined]


def test_every_thread_started_in_a_block_runs_whatever_the_switch_interval(racy: object) -> None:
    """Before 3.12 a thread started while another is inside ``sys.settrace`` dies before its target
    runs, and the grader's audit hook (Python code) runs inside settrace: a switch there killed
    worker threads of correct submissions under load. On those versions the block starts threads
    through grader.preempt._LegacyStart, which installs the hooks itself and tries again."""
    saved = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # a forced switch at nearly every chance: an open race shows at once
    try:
        for _ in range(150):
            counter = racy.Locked()  # type: ignore[attr-defined]
            with preempt.preempted():
                run_threads(THREADS, lambda i, c=counter: [c.increment() for _ in range(20)])  # ThreadStartFailed
            assert counter.value == THREADS * 20
    finally:
        sys.setswitchinterval(saved)


def test_a_block_without_a_single_forced_switch_is_reported(racy: object) -> None:
    """Thousands of traced instructions without one forced switch at p = 0.01 cannot happen by
    chance (below grader.budgets.NO_SWITCH_CHANCE): the random source was tampered with."""
    harness = preempt._harness()
    assert harness is not None
    real = harness.random
    harness.random = lambda: 1.0  # what a replaced random source would give the tracer
    try:
        with pytest.raises(preempt.SwitchingDisabled, match="followed by a forced switch"):
            with preempt.preempted():
                hammer(racy.Unlocked())  # type: ignore[attr-defined]
    finally:
        harness.random = real
