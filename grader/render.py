"""What the student sees in the terminal: live progress while checks run, then the score table."""

from __future__ import annotations

import shutil
import sys
import textwrap
from typing import TextIO

from grader.report import ExerciseResult, Report, Status
from grader.sanitize import control

BAR = "=" * 78


def _points(value: float) -> str:
    return f"{value:g}"


class Progress:
    """One line that says which exercise and check runs and how far it is.

    On a terminal the line is redrawn in place; in CI logs (not a terminal) one line is printed
    per check, so a log shows progress without thousands of lines.
    """

    def __init__(self, stream: TextIO = sys.stderr, enabled: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled
        self.tty = stream.isatty()
        self._last: tuple[str, str] | None = None

    def __call__(self, exercise: str, check: str, run: int, runs: int) -> None:
        if not self.enabled:
            return
        if self.tty:
            width = shutil.get_terminal_size((80, 20)).columns - 1
            line = f"  grading {exercise}: {check}  [{run}/{runs}]"
            self.stream.write("\r" + line[:width].ljust(width))
            self.stream.flush()
        elif (exercise, check) != self._last:
            self.stream.write(f"  grading {exercise}: {check} ({runs} run{'s' * (runs > 1)})\n")
            self.stream.flush()
        self._last = (exercise, check)

    def clear(self) -> None:
        if self.enabled and self.tty:
            width = shutil.get_terminal_size((80, 20)).columns - 1
            self.stream.write("\r" + " " * width + "\r")
            self.stream.flush()


def _status_word(status: Status) -> str:
    return {Status.FAILED: "FAILED", Status.ERROR: "ERROR", Status.TIMEOUT: "TIMEOUT"}.get(status, "ok")


def exercise_block(result: ExerciseResult, *, verbose: bool = False) -> list[str]:
    """The table rows of one exercise: its score, then one line per lost point."""
    head = f"{result.name:<30} {_points(result.score):>6} / {_points(result.max_score):<6}"
    if result.score == result.max_score:
        return [head + " ok"]
    lines = [head]
    if result.message:
        lines += textwrap.wrap(control(result.message), 74, initial_indent="    ! ", subsequent_indent="      ")
    for test in result.tests:
        if test.status == Status.PASSED:
            continue
        runs = f" [failed in run {test.runs}]" if test.runs > 1 else ""
        title = f"    - {_status_word(test.status)} {test.name}, -{_points(test.max_score)}{runs}"
        lines.append(title)
        if test.message and test.message != result.message:
            lines += textwrap.wrap(control(test.message), 72, initial_indent="        ", subsequent_indent="        ")
        if test.details and (verbose or test.status == Status.TIMEOUT or test.replay):
            lines += ["        " + row for row in control(test.details).splitlines()[:40]]
    return lines


def score_table(report: Report, *, hints: dict[str, str] | None = None, verbose: bool = False) -> str:
    """The whole table, ending in the total (and the hint of each exercise that lost points)."""
    lines = [BAR, f"{'exercise':<30} {'score':>6}   {'max':<6}", BAR]
    for result in report.exercises:
        lines += exercise_block(result, verbose=verbose)
        if hints and result.score < result.max_score and result.name in hints:
            lines += ["    hint: " + row if i == 0 else "          " + row
                      for i, row in enumerate(hints[result.name].splitlines())]
    lines += [BAR, f"{'TOTAL':<30} {_points(report.score):>6} / {_points(report.max_score):<6} "
              f"({report.percent:.0f}%)", BAR]
    if not report.hidden_tests:
        lines.append(
            "Only the visible tests ran. The hidden stress tests, which hammer your code with many\n"
            "threads to expose races, run when your instructor grades."
        )
    if report.interrupted:
        lines.append("Grading was interrupted: the exercises not listed were not graded.")
    lines.append(f"seed {report.seed}: run again with --seed {report.seed} to repeat these random choices")
    return "\n".join(lines)
