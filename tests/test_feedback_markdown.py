"""The Markdown feedback file handed back to a student (grader.feedback): complete, readable, escaped."""

from __future__ import annotations

from typing import Any

from grader import feedback

HOSTILE = "boom <img src=x onerror=alert(1)> | **bold** \x1b[2J"
TIMELINE = ("lost update in Counter.increment (counter.py):\n"
            "  Thread-1  counter.py:33   self._value += amount  # reads self._value = 0\n"
            "  ``` a fence inside\n")


def check(name: str, status: str = "passed", message: str = "", **extra: Any) -> dict[str, Any]:
    return {"name": name, "status": status, "score": 3 if status == "passed" else 0, "max_score": 3,
            "runs": extra.pop("runs", 1), "failed_runs": 0 if status == "passed" else 1, "message": message,
            "hidden": False, "details": "", "replay": "", **extra}


def report(*exercises: dict[str, Any]) -> dict[str, Any]:
    return {"score": sum(e["score"] for e in exercises), "max_score": sum(e["max_score"] for e in exercises),
            "exercises": list(exercises), "seed": 42, "hidden_tests": True, "grader_version": "1.0.0"}


def exercise(name: str, *tests: dict[str, Any], status: str = "graded", message: str = "") -> dict[str, Any]:
    return {"name": name, "title": name.title(), "score": sum(t["score"] for t in tests),
            "max_score": 3 * len(tests), "status": status, "message": message, "tests": list(tests)}


def test_feedback_has_the_table_each_message_the_timeline_the_replay_and_the_hint() -> None:
    racy = check("no lost updates under stress", "failed", "412 of 2,000 increments were lost", runs=4, repetitions=200,
                 details=TIMELINE, replay="inc.2x1.1-27-2", tier="practice")
    text = feedback.markdown(report(exercise("counter", check("counts"), racy)), name="amy",
                             found_in="exercises/", hints={"counter": "Hold one lock."})
    assert text.startswith("# Concurrency kit: feedback for amy\n")
    assert "**Score: 3 / 6** (50%); modules graded in `exercises/`" in text
    assert "| Counter (`counter.py`) | 3 / 6 | 1 of 2 checks lost |" in text
    assert "FAILED: no lost updates under stress, -3 points (failed in run 4 of 200) (practice stress check)" in text
    assert "412 of 2,000 increments were lost" in text
    assert "````text\n" + TIMELINE.rstrip("\n") + "\n````" in text, "the timeline in a fence it cannot close"
    assert "nox -s grade -- --exercise counter --replay inc.2x1.1-27-2" in text
    assert "**Hint:** Hold one lock." in text and "Passed: counts." in text
    assert "nox -s grade -- --seed 42" in text


def test_submission_text_cannot_restyle_the_feedback() -> None:
    text = feedback.markdown(report(exercise("counter", check("counts", "failed", HOSTILE))), name="x\x1b[31m")
    assert "<img" not in text and "\x1b" not in text
    assert "&lt;img src=x onerror=alert(1)&gt; \\| \\*\\*bold\\*\\* \\\\x1b\\[2J" in text


def test_checks_lost_for_one_reason_are_said_once() -> None:
    reason = "counter.py has a syntax error (counter.py, line 3): expected ':'"
    broken = exercise("counter", check("a", "error", reason), check("b", "error", reason),
                      status="could not import", message=reason)
    text = feedback.markdown(report(broken))
    assert "ERROR: 2 checks, -6 points" in text and text.count("expected ':'") == 2  # the summary and the group
    assert "- a (-3)\n- b (-3)" in text


def test_not_submitted_and_empty_say_so_without_a_list_of_checks() -> None:
    missing = exercise("counter", check("a", "error", "m"), status="not submitted",
                       message="not submitted: there is no counter.py in the submission folder")
    text = feedback.markdown(report(missing))
    assert "not submitted: there is no counter.py" in text and "ERROR" not in text
    assert "the folder is empty" in feedback.empty_markdown("dave")
    assert "could not be graded" in feedback.markdown(None, name="erin", error="the grader failed: boom")
