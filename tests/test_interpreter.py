"""The report records the Python that graded: version, implementation, free-threaded build, GIL."""

from __future__ import annotations

import platform
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader import interpreter
from grader.report import Report
from tests.kit import SOLUTIONS, grade


def test_the_interpreter_is_described_as_it_is() -> None:
    info = interpreter.describe()
    assert info["implementation"] == platform.python_implementation()
    assert info["version"] == platform.python_version()
    assert info["free_threaded"] is bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    assert info["gil_enabled"] is getattr(sys, "_is_gil_enabled", lambda: True)()


def test_the_summary_line_names_build_and_gil() -> None:
    line = interpreter.summary({"implementation": "CPython", "version": "3.13.5", "free_threaded": True,
                                "gil_enabled": False, "platform": "linux"})
    assert line == "graded on CPython 3.13.5 (free-threaded build, GIL off)"
    assert "(default build, GIL on)" in interpreter.summary({**interpreter.describe(), "free_threaded": False,
                                                             "gil_enabled": True})


def test_the_json_report_and_the_terminal_say_which_python_graded(tmp_path: Path) -> None:
    graded = grade(SOLUTIONS, tmp_path, "--exercise", "counter")
    assert graded.report is not None
    assert graded.report["interpreter"] == interpreter.describe()
    assert interpreter.summary() in graded.stdout
    assert Report(exercises=[], target="x", seed=1).to_dict()["interpreter"] == interpreter.describe()


@pytest.mark.skipif(not interpreter.free_threaded(), reason="needs a free-threaded build (nox -s freethreaded)")
def test_on_a_free_threaded_build_the_report_says_so(tmp_path: Path) -> None:
    graded = grade(SOLUTIONS, tmp_path, "--exercise", "counter", env={"PYTHON_GIL": "0"})
    assert graded.report is not None and graded.report["interpreter"]["free_threaded"] is True
    assert graded.report["interpreter"]["gil_enabled"] is False
    assert "(free-threaded build, GIL off)" in graded.stdout


class _ChangingQueue:
    """A condition's waiter queue as another thread sees it on a free-threaded build: copying it
    raises while a running thread changes it (with the GIL the copy is atomic)."""

    def __init__(self, items: list[object], failures: int) -> None:
        self.items, self.failures = items, failures

    def __iter__(self) -> Iterator[object]:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("deque mutated during iteration")
        return iter(self.items)


def test_the_hang_detector_reads_a_changing_waiter_queue_without_failing_the_check() -> None:
    from grader import stacks

    waiter = object()
    assert stacks._queued(waiter, _ChangingQueue([waiter], failures=1)) is True
    assert stacks._queued(waiter, _ChangingQueue([waiter], failures=10)) is False, "still changing: not stuck"
    assert stacks._queued(waiter, _ChangingQueue([], failures=0)) is False
