"""What the student sees in the terminal: live progress while checks run, then the score table."""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Iterable
from typing import TextIO

from grader.report import ExerciseResult, ExerciseStatus, Report, Status, TestResult, failure_context
from grader.sanitize import control

MIN_WIDTH, MAX_WIDTH = 80, 120  # columns: narrower terminals get 80 anyway; wide ones no endless lines
PROSE_WIDTH = 100  # messages and hints: longer lines are hard to read, whatever the terminal
MAX_DETAIL_LINES = 40  # of a check's diagnostics (stacks, timeline), after wrapping


def terminal_width() -> int:
    """Columns to fill: the terminal's (or $COLUMNS), at least 80, at most 120."""
    return max(MIN_WIDTH, min(MAX_WIDTH, shutil.get_terminal_size((MIN_WIDTH, 24)).columns))


def fit(line: str, width: int, *, indent: str = "", comment_below: bool = False) -> list[str]:
    """*line* (prefixed by *indent*) as rows of at most *width* - 2 columns.

    Breaks go between words (so code breaks between tokens, not inside one); continuation rows
    are indented four more than the line. A code line with an end-of-line comment (``  # ...``,
    as in timelines) keeps the code whole on its row and puts the comment on the rows below
    (always with *comment_below*, so that the rows of one block look alike).
    """
    limit = width - 2
    text = indent + line.rstrip()
    if len(text) <= limit and not (comment_below and "  # " in text):
        return [text]
    lead = text[: len(text) - len(text.lstrip())]
    more = lead + "    "
    code, sep, comment = text.partition("  # ")
    if sep and len(code.rstrip()) <= limit:
        return [code.rstrip()] + _wrap("# " + comment, limit, more, more + "  ")
    return _wrap(text.strip(), limit, lead, more)


def fit_block(text: str, width: int, *, indent: str = "") -> list[str]:
    """Several lines (a stack, a timeline) fitted with fit(); if one commented line must move its
    comment below the code, all do, so the block stays aligned."""
    lines = text.splitlines()
    below = any(len(indent + line.rstrip()) > width - 2 and "  # " in line for line in lines)
    return [row for line in lines for row in fit(line, width, indent=indent, comment_below=below)]


def _wrap(text: str, limit: int, first: str, rest: str) -> list[str]:
    return textwrap.wrap(text, limit, initial_indent=first, subsequent_indent=rest,
                         break_on_hyphens=False) or [first.rstrip()]


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


def _shows_details(test: TestResult, verbose: bool) -> bool:
    return bool(test.details) and (verbose or test.status in (Status.TIMEOUT, Status.FAILED) or bool(test.replay))


def _groups(tests: Iterable[TestResult], verbose: bool) -> list[list[TestResult]]:
    """Lost checks, those with the same verdict and message (and nothing more to show) together.

    Untouched stubs fail every check with "not implemented yet"; --fail-fast leaves the rest
    "not run". One line per exercise says that, instead of one per check.
    """
    groups: list[list[TestResult]] = []
    by_key: dict[tuple[Status, str], list[TestResult]] = {}
    for test in tests:
        if test.status == Status.PASSED:
            continue
        if not test.message or _shows_details(test, verbose):
            groups.append([test])
            continue
        key = (test.status, test.message)
        if key not in by_key:
            by_key[key] = []
            groups.append(by_key[key])
        by_key[key].append(test)
    return groups


def _group_lines(group: list[TestResult], result: ExerciseResult, width: int) -> list[str]:
    points = _points(sum(t.max_score for t in group))
    first = group[0]
    count = f"all {len(group)}" if len(group) == len(result.tests) else str(len(group))
    if first.message.startswith("not run:"):
        reason = control(first.message.removeprefix("not run:").strip())
        return fit(f"- {count} checks not run, -{points}: {reason}", width, indent="    ")
    what = "" if first.message == result.message else f": {control(first.message)}"
    return fit(f"- {_status_word(first.status)} {count} checks, -{points}{what}", width, indent="    ")


def _test_lines(test: TestResult, exercise_message: str, width: int, verbose: bool,
                replay_command: str) -> list[str]:
    context = failure_context(test)
    runs = f" [{context}]" if context else ""
    lines = fit(f"- {_status_word(test.status)} {test.name}, -{_points(test.max_score)}{runs}",
                width, indent="    ")
    if test.message and test.message != exercise_message:
        lines += _wrap(control(test.message), min(width, PROSE_WIDTH) - 2, " " * 8, " " * 8)
    if _shows_details(test, verbose):
        rows = fit_block(control(test.details), width, indent=" " * 6)
        if len(rows) > MAX_DETAIL_LINES:
            rows = rows[:MAX_DETAIL_LINES] + [" " * 6 + f"... ({len(rows) - MAX_DETAIL_LINES} more lines)"]
        lines += rows
    if test.replay and replay_command:  # on a row of its own, never broken: ready to copy
        lines += [" " * 8 + "to replay this schedule, run:", " " * 8 + replay_command.format(id=test.replay)]
    return lines


def exercise_block(result: ExerciseResult, *, verbose: bool = False, width: int = MIN_WIDTH,
                   replay_command: str = "") -> list[str]:
    """The table rows of one exercise: its score, then one line per lost point (or group of them)."""
    head = f"{result.name:<30} {_points(result.score):>6} / {_points(result.max_score):<6}"
    if result.score == result.max_score:
        return [head + " ok"]
    lines = [head.rstrip()]
    if result.message:
        lines += _wrap(control(result.message), min(width, PROSE_WIDTH) - 2, "    ! ", "      ")
    if result.status in (ExerciseStatus.NOT_SUBMITTED, ExerciseStatus.NOT_ATTEMPTED):
        return lines  # no check ran: one line says why, not one per check
    for group in _groups(result.tests, verbose):
        if len(group) > 1:
            lines += _group_lines(group, result, width)
        else:
            lines += _test_lines(group[0], result.message, width, verbose, replay_command)
    return lines


def hint_lines(hint: str, width: int, label: str = "hint: ") -> list[str]:
    """A hint from the catalog, re-wrapped to *width*: its paragraphs are separated by blank lines."""
    lines: list[str] = []
    pad = " " * (4 + len(label))
    paragraphs = dict.fromkeys(" ".join(p.split()) for p in hint.split("\n\n") if p.strip())  # once each
    for i, text in enumerate(paragraphs):
        lines += _wrap(text, width - 2, ("    " + label) if i == 0 else pad, pad)
    return lines


def score_table(report: Report, *, hints: dict[str, str] | None = None, verbose: bool = False,
                width: int | None = None, replay_command: str = "") -> str:
    """The whole table, ending in the total (and the hint of each exercise that lost points).

    *width* defaults to the terminal's (see terminal_width); no line is longer than width - 2.
    *replay_command* is the command that replays a found interleaving, with ``{id}`` for its ID.
    """
    width = width or terminal_width()
    bar = "=" * (width - 2)
    lines = [bar, f"{'exercise':<30} {'score':>6}   max", bar]
    for result in report.exercises:
        lines += exercise_block(result, verbose=verbose, width=width, replay_command=replay_command)
        untouched = result.status in (ExerciseStatus.NOT_SUBMITTED, ExerciseStatus.NOT_ATTEMPTED)
        if hints and result.score < result.max_score and result.name in hints and not untouched:
            lines += hint_lines(hints[result.name], min(width, PROSE_WIDTH))
    lines += [bar, total_line(report), bar]
    notes = []
    if report.not_graded:
        notes.append(not_graded_note(report))
    if report.interrupted:
        notes.append("Grading was interrupted: the exercises not listed were not graded.")
    notes.append(f"seed {report.seed} (--seed {report.seed} repeats this run's random choices)")
    for note in notes:
        lines += _wrap(note, min(width, PROSE_WIDTH) - 2, "", "")
    return "\n".join(lines)


def total_line(report: Report) -> str:
    """The TOTAL row; a percentage only when every check ran (never "100%" of a part)."""
    share = "(checks run here)" if report.not_graded else f"({report.percent:.0f}%)"
    return f"{'TOTAL':<30} {_points(report.score):>6} / {_points(report.max_score):<6} {share}"


def not_graded_note(report: Report) -> str:
    """What a partial grading (the student edition has no hidden suite) leaves to the instructor."""
    return (f"Checks run here: {_points(report.score)}/{_points(report.max_score)}; "
            f"{_points(report.not_graded)} more points are graded by your instructor "
            "(hidden stress checks: other sizes and scenarios, many more runs).")
