"""The student's loop around the grade: ``list`` (progress and what to do next) and ``hint`` (in steps).

Both read the catalog and a small state file that ``python -m grader`` writes after each grading:
``.grader/exercises.json`` beside the submission folder ``exercises/`` (so in the repository root;
the folder ignores itself in git). It is written only for a folder inside a project (its parent
holds noxfile.py, pyproject.toml or .git), never beside a folder in /tmp. The file only remembers
what the student last saw. It is never read for grading, so editing or deleting it changes nothing
but this listing and the hint steps.

This module imports only the standard library and the catalog, so ``nox -s list`` and
``nox -s hint`` run without a virtual environment.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader import catalog

STATE_VERSION = 1
NOT_STARTED, FAILING, PASSING = "not started", "failing", "passing"
NOT_IMPLEMENTED = "not implemented yet"  # the start of the verdict on a stub's unfinished function
UNATTEMPTED = ("not attempted", "not submitted")  # report.ExerciseStatus: the stub as received, no module


def state_file(target: Path) -> Path:
    """Where the last grading of *target* is remembered: ``.grader/<folder name>.json`` beside it
    (``exercises/`` and ``solutions/`` side by side keep separate files)."""
    folder = target.resolve()
    return folder.parent / ".grader" / f"{folder.name}.json"


def read_state(target: Path) -> dict[str, Any]:
    """The state file's content; an empty state when it is missing or unreadable (never an error)."""
    try:
        data = json.loads(state_file(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("version") == STATE_VERSION else {}


def write_state(target: Path, data: dict[str, Any]) -> None:
    """Write the state atomically (a temporary file, then os.replace); a failure is only a warning.

    The grade has been printed already: a read-only folder must not turn it into an error.
    """
    if not in_project(target):
        return
    path = state_file(target)
    data = {**data, "version": STATE_VERSION}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ignore = path.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# written by python -m grader: the last grading, for `list` and `hint`\n*\n",
                              encoding="utf-8")
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        print(f"grader: note: could not record this grading for `list` ({exc})", file=sys.stderr)


PROJECT_MARKERS = ("noxfile.py", "pyproject.toml", ".git")


def in_project(target: Path) -> bool:
    """True when *target* sits in a project folder (the kit's repository, a student's clone), the
    only place the state is written: grading a folder in /tmp or a class's folder leaves nothing
    beside it."""
    parent = target.resolve().parent
    return any((parent / marker).exists() for marker in PROJECT_MARKERS)


def source_hash(module: Path) -> str:
    try:
        return hashlib.sha256(module.read_bytes()).hexdigest()[:16]
    except OSError:
        return ""


def verdict(score: float, max_score: float, messages: Sequence[str], status: str = "graded") -> str:
    """not started / failing / passing, from one exercise's result."""
    if max_score and score >= max_score:
        return PASSING
    if status in UNATTEMPTED:
        return NOT_STARTED
    if score == 0 and messages and all(m.startswith(NOT_IMPLEMENTED) for m in messages):
        return NOT_STARTED
    return FAILING


def record(target: Path, exercises: Sequence[dict[str, Any]]) -> None:
    """Remember the results of *exercises* (the report's ``exercises`` entries) for ``list``.

    Exercises not graded this time keep their earlier entry.
    """
    data = read_state(target)
    entries = data.setdefault("exercises", {})
    now = time.time()
    for exercise in exercises:
        lost = [t.get("message", "") for t in exercise["tests"] if t.get("status") != "passed"]
        entries[exercise["name"]] = {
            "state": verdict(exercise["score"], exercise["max_score"], lost, str(exercise.get("status", ""))),
            "score": exercise["score"],
            "max_score": exercise["max_score"],
            "graded_at": now,
            "source": source_hash(target / f"{exercise['name']}.py"),
        }
    write_state(target, data)


# ---------------------------------------------------------------------------------------------
# list
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    exercise: catalog.Exercise
    state: str
    score: float | None
    max_score: float
    edited: bool  # the module changed since it was last graded


def rows(target: Path) -> list[Row]:
    entries = read_state(target).get("exercises", {})
    result = []
    for exercise in catalog.EXERCISES:
        entry = entries.get(exercise.name)
        if not isinstance(entry, dict) or entry.get("state") not in (NOT_STARTED, FAILING, PASSING):
            result.append(Row(exercise, NOT_STARTED, None, exercise.max_score, False))
            continue
        edited = bool(entry.get("source")) and entry["source"] != source_hash(target / exercise.filename)
        result.append(Row(exercise, entry["state"], entry.get("score"), entry.get("max_score", 0), edited))
    return result


def next_exercise(table: Sequence[Row]) -> Row | None:
    """The first exercise, in teaching order, that does not pass yet."""
    return next((row for row in table if row.state != PASSING), None)


def _points(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def list_text(target: Path, command: str) -> str:
    table = rows(target)
    lines = [f"  #  {'exercise':<30} {'state':<12} {'points':>9}"]
    for number, row in enumerate(table, 1):
        points = f"{_points(row.score)} / {_points(row.max_score)}"
        note = "  (edited since it was graded)" if row.edited else ""
        lines.append(f"  {number}  {row.exercise.name:<30} {row.state:<12} {points:>9}{note}")
    passing = sum(row.state == PASSING for row in table)
    lines.append(f"\n{passing} of {len(table)} exercises pass.")
    upcoming = next_exercise(table)
    if upcoming is None:
        lines.append("All done: every exercise passes the checks you can run.")
    else:
        name = upcoming.exercise.name
        where = _shown(target / upcoming.exercise.filename)
        lines.append(f"Next: {name} ({upcoming.exercise.title}), in {where}.")
        lines.append(f"  grade it:        {command} --exercise {name}")
        lines.append(f"  regrade on save: {_sub(command, 'watch')} {name}")
        lines.append(f"  a hint:          {_sub(command, 'hint')} {name}")
    return "\n".join(lines)


def _shown(path: Path) -> str:
    """*path* relative to the working folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _sub(command: str, sub: str) -> str:
    """``nox -s grade --`` -> ``nox -s watch --``; ``python -m grader`` -> ``python -m grader watch``."""
    if command.startswith("nox -s grade"):
        return f"nox -s {sub} --"
    return f"{command} {sub}"


# ---------------------------------------------------------------------------------------------
# hint
# ---------------------------------------------------------------------------------------------
def hint_steps(exercise: catalog.Exercise) -> tuple[str, ...]:
    """The catalog's hint as numbered steps: its summary first, then ever more concrete ones."""
    return (exercise.hint, *exercise.more_hints)


def hint_text(target: Path, name: str, *, show_all: bool, width: int) -> str:
    """Steps 1..n of *name*'s hint, one more than last time (all with *show_all*); remembered."""
    exercise = catalog.get(name)
    steps = hint_steps(exercise)
    data = read_state(target)
    shown = data.setdefault("hints", {})
    seen = shown.get(exercise.name, 0)
    count = len(steps) if show_all else min(len(steps), (seen if isinstance(seen, int) else 0) + 1)
    shown[exercise.name] = max(count, seen if isinstance(seen, int) else 0)
    write_state(target, data)
    lines = [f"{exercise.title} ({exercise.filename}): hint {count} of {len(steps)}"]
    for number, step in enumerate(steps[:count], 1):
        text = " ".join(step.split())
        lines += textwrap.wrap(text, width - 2, initial_indent=f"  {number}. ", subsequent_indent="     ")
    if count < len(steps):
        lines.append(f"(ask again for step {count + 1}, or add --all for every step)")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# entry points (python -m grader list | hint)
# ---------------------------------------------------------------------------------------------
def grade_command() -> str:
    """How the student grades: through nox when this runs in a nox session, else python -m grader."""
    return "nox -s grade --" if os.environ.get("NOX_CURRENT_SESSION") else "python -m grader"


def _width() -> int:
    return max(80, min(100, shutil.get_terminal_size((80, 24)).columns))


def _target(value: str) -> Path:
    target = Path(value)
    if not target.is_dir():
        print(f"grader: error: no such folder: {value} (give the folder holding your exercise modules)",
              file=sys.stderr)
        raise SystemExit(2)
    return target


def list_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader list",
                                     description="Each exercise with its state from the last grading, "
                                                 "and the one to do next.")
    parser.add_argument("--target", default="exercises", metavar="DIR",
                        help="the submission folder (default: exercises)")
    args = parser.parse_args(argv)
    print(list_text(_target(args.target), grade_command()))
    return 0


def hint_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader hint",
                                     description="The exercise's hint in steps: one more each time you ask.")
    parser.add_argument("name", nargs="?", metavar="NAME",
                        help="the exercise (default: the next one from `list`)")
    parser.add_argument("--all", action="store_true", help="show every step at once")
    parser.add_argument("--target", default="exercises", metavar="DIR",
                        help="the submission folder (default: exercises)")
    args = parser.parse_args(argv)
    target = _target(args.target)
    name = args.name
    if name is None:
        upcoming = next_exercise(rows(target))
        name = (upcoming.exercise if upcoming else catalog.EXERCISES[0]).name
    name = Path(name).name.removesuffix(".py") if name.endswith(".py") else name
    try:
        text = hint_text(target, name, show_all=args.all, width=_width())
    except KeyError as exc:
        print(f"grader: error: {exc.args[0]}", file=sys.stderr)
        return 2
    print(text)
    return 0
