"""Feedback that points at the bug: hangs show the student's blocked lines, at once."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from grader import catalog, stacks, testing
from tests.kit import HOSTILE, MUTANTS, grade, submission_with


@pytest.mark.slow
def test_a_deadlock_is_reported_as_one_with_the_students_blocked_line_in_the_default_table(tmp_path: Path) -> None:
    target = submission_with(tmp_path, {"counter": HOSTILE / "deadlock_in_reset.py"})
    graded = grade(target, tmp_path, "--exercise", "counter", "--seed", "3")
    visible = next(t for t in graded.exercise("counter")["tests"] if t["id"] == "test_counts_up_and_down_and_resets")
    assert visible["status"] == "timeout" and "blocked for good" in visible["message"], graded.lost("counter")
    assert "counter.py:" in visible["details"] and "in reset" in visible["details"]
    # the default (not --verbose) table shows where the student's thread waits, source line included
    assert "in reset" in graded.stdout and "with self._lock:" in graded.stdout, graded.stdout


@pytest.mark.slow
def test_a_lost_wake_up_names_the_waiting_line_in_the_default_table(tmp_path: Path) -> None:
    target = submission_with(tmp_path, {"producer_consumer_threads":
                                        MUTANTS / "producer_consumer_threads" / "notify_in_close.py"})
    graded = grade(target, tmp_path, "--exercise", "producer_consumer_threads", "--seed", "3")
    woken = next(t for t in graded.exercise("producer_consumer_threads")["tests"]
                 if t["id"] == "test_close_wakes_every_blocked_caller")
    assert woken["status"] != "passed"
    assert "producer_consumer_threads.py:" in woken["details"] and ".wait(" in woken["details"], woken
    assert ".wait(" in graded.stdout, graded.stdout


def test_threads_blocked_for_good_are_told_apart_from_threads_that_wait_with_a_timeout() -> None:
    cond = threading.Condition()
    release = threading.Event()

    def forever() -> None:
        with cond:
            cond.wait()

    def timed() -> None:
        release.wait(0.5)

    stuck = threading.Thread(target=forever, daemon=True)
    waiting = threading.Thread(target=timed, daemon=True)
    stuck.start()
    waiting.start()
    left, certain = testing.wait_for([stuck], 5.0)
    assert left == [stuck] and certain, "an untimed wait nobody can end is a hang"
    left, certain = testing.wait_for([waiting], 5.0)
    assert left == [] and not certain, "a timed wait is not a hang: it ends by itself"
    assert "threading.py" in stacks.format_threads([stuck]), "the call it is blocked in is shown"
    with cond:
        cond.notify_all()
    stuck.join(5)
    assert not stuck.is_alive()


def test_run_threads_reports_a_hang_with_where_each_thread_waits() -> None:
    lock = threading.Lock()
    lock.acquire()

    def blocked(i: int) -> None:
        with lock:
            pass

    with pytest.raises(testing.Hang) as caught:
        testing.run_threads(2, blocked, timeout=30)
    assert "blocked for good" in str(caught.value)
    assert "with lock:" in caught.value.details
    lock.release()


@pytest.mark.slow
def test_a_failing_parametrised_case_is_named_and_its_own_hint_shown(tmp_path: Path) -> None:
    target = submission_with(tmp_path, {"counter": MUTANTS / "counter" / "bool_accepted.py"})
    graded = grade(target, tmp_path, "--exercise", "counter", "--seed", "3",
                   "--gradescope", str(tmp_path / "gradescope.json"))
    lost = [t for t in graded.exercise("counter")["tests"] if t["status"] != "passed"]
    assert [t["id"] for t in lost] == ["test_bad_amounts_are_refused_and_change_nothing"], graded.lost("counter")
    assert lost[0]["failed_case"] == "amount=True"
    table = " ".join(graded.stdout.split())  # the table may wrap anywhere
    assert "fails for amount=True" in table and "failed in run" not in table, graded.stdout
    assert "bool is a subclass of int" in table, "the check's own hint, not the exercise's"
    assert "Hold one threading.Lock" not in table, "a validation bug gets no hint about locks"
    gradescope = json.loads((tmp_path / "gradescope.json").read_text())
    output = next(t["output"] for t in gradescope["tests"] if t["status"] == "failed")
    assert output.startswith("Fails for amount=True.") and "runs failed" not in output


def test_a_check_with_its_own_hint_does_not_get_the_exercises_hint() -> None:
    counter = catalog.get("counter")
    reset = counter.hint_for(["test_concurrent_resets_account_for_every_increment"])
    assert "increment() runs beside reset()" in reset and reset != counter.hint
    both = counter.hint_for(["test_concurrent_resets_account_for_every_increment", "test_increments_are_never_lost"])
    assert counter.hint in both and reset in both, "a check without a hint of its own brings the exercise's"
    assert counter.hint_for([]) == counter.hint


def test_timed_waits_count_as_blocked_for_good_only_when_a_timeout_fails_the_check_anyway() -> None:
    cond = threading.Condition()

    def lost(i: int) -> None:
        with cond:
            cond.wait(30)  # a put(timeout=...) whose wake-up never comes
        raise TimeoutError("buffer still full")

    with pytest.raises(testing.Hang) as caught:
        testing.run_threads(2, lost, timeout=20, timed_waits_fail=True)
    assert "blocked for good" in str(caught.value)
    with cond:
        cond.notify_all()


def test_joining_a_thread_outside_the_watched_group_is_not_a_hang() -> None:
    release = threading.Event()
    busy = threading.Thread(target=lambda: release.wait(30), daemon=True)  # may end any moment
    busy.start()
    joiner = threading.Thread(target=busy.join, daemon=True)
    joiner.start()
    left, certain = testing.wait_for([joiner], 2.0)
    assert left == [joiner] and not certain, "only a join of a thread that is itself blocked for good is a hang"
    release.set()
    joiner.join(5)
