"""``python -m grader``: grade a submission folder, print the score table, write the report.

Exit status: 0 whenever grading happened, whatever the score (SPEC section 6); 2 with a one-line
error when it could not grade (no such folder, unknown exercise, bad option).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from grader import catalog
from grader.render import Progress, score_table
from grader.report import ExerciseResult, Report
from grader.runner import grade_exercise


class UsageError(Exception):
    """The command line cannot be graded; the message is printed as one line."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m grader",
        description="Grade a folder holding the five exercise modules of the concurrency kit.",
    )
    parser.add_argument("--target", default="exercises", metavar="DIR",
                        help="the submission folder to grade (default: exercises)")
    parser.add_argument("--json", metavar="PATH", help="also write the report as JSON (SPEC section 6)")
    parser.add_argument("--exercise", action="append", metavar="NAME", default=[],
                        help="grade only this exercise (repeatable); names: "
                             + ", ".join(e.name for e in catalog.EXERCISES))
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the stress tests' random choices (printed in the report)")
    parser.add_argument("--hidden", metavar="DIR", default=None,
                        help="folder of the hidden stress suites (default: the kit's own)")
    parser.add_argument("--fail-fast", action="store_true",
                        help="stop grading an exercise at its first lost point")
    parser.add_argument("--quiet", action="store_true", help="no progress line while grading")
    parser.add_argument("--verbose", action="store_true", help="show full diagnostics of lost points")
    return parser


def select_exercises(names: Sequence[str]) -> list[catalog.Exercise]:
    """The exercises to grade, in teaching order; UsageError for an unknown name."""
    try:
        wanted = {catalog.get(name).name for name in names}
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None
    return [e for e in catalog.EXERCISES if not wanted or e.name in wanted]


def check_target(value: str) -> Path:
    target = Path(value).resolve()
    if not target.is_dir():
        raise UsageError(f"no such folder: {value} (give the folder holding your exercise modules)")
    return target


def check_hidden(value: str | None) -> Path | None:
    if value is None:
        return None
    hidden = Path(value).resolve()
    if not hidden.is_dir():
        raise UsageError(f"no such folder for --hidden: {value}")
    return hidden


def grade(
    target: Path,
    exercises: Sequence[catalog.Exercise],
    *,
    seed: int,
    hidden: Path | None = None,
    progress: Progress | None = None,
    fail_fast: bool = False,
) -> Report:
    """Grade *exercises* of *target*; on Ctrl-C, return what was graded so far."""
    started = time.monotonic()
    report = Report(exercises=[], target=str(target), seed=seed)
    try:
        for exercise in exercises:
            result: ExerciseResult = grade_exercise(
                exercise, target, seed=seed, hidden_dir=hidden, progress=progress, fail_fast=fail_fast
            )
            report.exercises.append(result)
            if not any(t.hidden for t in result.tests) and any(c.hidden for c in exercise.checks):
                report.hidden_tests = False
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        if progress is not None:
            progress.clear()
    report.duration = time.monotonic() - started
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        target = check_target(args.target)
        exercises = select_exercises(args.exercise)
        hidden = check_hidden(args.hidden)
    except UsageError as exc:
        print(f"grader: error: {exc}", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.randrange(1, 2**31)
    progress = Progress(enabled=not args.quiet)
    report = grade(target, exercises, seed=seed, hidden=hidden, progress=progress, fail_fast=args.fail_fast)
    hints = {e.name: e.hint for e in exercises}
    print(score_table(report, hints=hints, verbose=args.verbose))
    if args.json:
        report.write_json(args.json)
    return 130 if report.interrupted else 0
