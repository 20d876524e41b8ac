"""The score table a student reads: wrapped to the terminal, noise collapsed, pinned by a golden file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from grader.explain import short_source
from grader.render import fit, fit_block, score_table, terminal_width
from grader.report import ExerciseResult, ExerciseStatus, Report, Status, TestResult

GOLDEN = Path(__file__).parent / "golden"
# Fixed here rather than read from the catalog, so that editing a hint does not churn the golden file.
HINTS = {
    "downloader": "I/O-bound work releases the GIL while it waits, so threads overlap downloads.\n"
                  "Use concurrent.futures.ThreadPoolExecutor(max_workers=...).",
    "counter": "Hold one threading.Lock around every read-modify-write.",
    "semaphore_pool": "A threading.BoundedSemaphore(size) counts free slots.",
    "producer_consumer_threads": "Always wait in a `while` loop.\n\nWake everyone (notify_all) on close().",
}


def report_from_dict(data: dict[str, Any]) -> Report:
    exercises = [
        ExerciseResult(name=e["name"], title=e["title"], score=e["score"], max_score=e["max_score"],
                       status=ExerciseStatus(e["status"]), message=e["message"],
                       tests=[TestResult(**{**t, "status": Status(t["status"])}) for t in e["tests"]])
        for e in data["exercises"]
    ]
    return Report(exercises=exercises, target=data["target"], seed=data["seed"],
                  hidden_tests=data["hidden_tests"], interrupted=data["interrupted"])


def fixture_report() -> Report:
    return report_from_dict(json.loads((GOLDEN / "score_table_report.json").read_text(encoding="utf-8")))


def render(report: Report, width: int = 80) -> str:
    return score_table(report, hints=HINTS, width=width, replay_command="nox -s grade -- --replay {id}")


def test_the_score_table_at_80_columns_matches_the_golden_file() -> None:
    """Regenerate after an intended change: UPDATE_GOLDEN=1 pytest tests/test_render.py, then read the diff."""
    golden = GOLDEN / "score_table_80.txt"
    text = render(fixture_report()) + "\n"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("width", [80, 100, 120])
def test_no_line_of_the_table_is_wider_than_the_terminal(width: int) -> None:
    lines = render(fixture_report(), width).splitlines()
    assert max(len(line) for line in lines) <= width - 2
    assert any(len(line) > 80 for line in lines) or width == 80  # wider terminals are used


def test_checks_that_all_say_not_implemented_make_one_line() -> None:
    text = render(fixture_report())
    assert text.count("not implemented yet") == 1
    assert "FAILED all 10 checks, -20: not implemented yet: ResourcePool.__init__" in text


def test_checks_not_run_after_fail_fast_make_one_line() -> None:
    text = render(fixture_report())
    assert text.count("not run") == 1
    assert "8 checks not run, -15" in text


def test_the_replay_command_is_printed_whole_on_a_line_of_its_own() -> None:
    lines = render(fixture_report()).splitlines()
    assert "nox -s grade -- --replay inc.2x1.1-27-2" in [line.strip() for line in lines]


def test_a_timeline_that_does_not_fit_moves_every_comment_below_its_code() -> None:
    block = ("  Thread-1  counter.py:33   self._value += amount  # reads self._value = 0\n"
             "  Thread-2  counter.py:34   return self._value     # reads self._value = 1, writes self._value = 2")
    rows = fit_block(block, 80, indent=" " * 6)
    assert rows[0].endswith("self._value += amount") and rows[1].strip() == "# reads self._value = 0"
    assert all(len(row) <= 78 for row in rows)


def test_a_line_breaks_between_words_never_inside_one() -> None:
    words = ["the", "value", "is", "10466,", "it", "should", "be", "11000", "(start", "10000,", "+1996"]
    rows = fit(" ".join(words * 3), 80, indent="    ")
    assert len(rows) > 1 and all(len(row) <= 78 for row in rows)
    assert " ".join(row.strip() for row in rows).split() == words * 3


def test_long_source_is_shortened_at_a_token_boundary() -> None:
    assert short_source("self._items.append(item_with_a_rather_long_name)", 30) == "self._items.append( ..."
    assert short_source("x = 1", 30) == "x = 1"


@pytest.mark.parametrize(("columns", "expected"), [("40", 80), ("100", 100), ("300", 120)])
def test_the_width_is_the_terminals_within_80_to_120(monkeypatch: pytest.MonkeyPatch, columns: str,
                                                     expected: int) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    assert terminal_width() == expected
