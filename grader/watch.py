"""``python -m grader watch [NAME]``: regrade an exercise each time its module is saved.

Uses watchfiles (an optional dependency: ``pip install -e '.[watch]'``, or ``nox -s watch``), which
waits on the operating system's file events instead of polling. Each grading runs in this process
exactly like ``python -m grader --exercise NAME`` (its children are ended by the runner), and is
recorded for ``list``. Ctrl-C (or SIGTERM) stops the grading under way and ends the watch.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence
from pathlib import Path

from grader import catalog, cli, loop
from grader.render import Progress, score_table, terminal_width

INSTALL = "watch needs the watchfiles library: run `nox -s watch`, or `pip install -e '.[watch]'`"


def grade_once(target: Path, exercise: catalog.Exercise, *, display: str, hidden: Path | None) -> bool:
    """Grade one exercise, print its table, remember it; False when Ctrl-C interrupted it."""
    report = cli.grade(target, [exercise], seed=random.randrange(1, 2**31), hidden=hidden, progress=Progress())
    hints = catalog.hints(report.to_dict(), [exercise])
    print(score_table(report, hints=hints, replay_command=cli.replay_command(display)), flush=True)
    if report.interrupted:
        return False
    loop.record(target, [result.to_dict() for result in report.exercises])
    return True


def stamps(target: Path, files: set[str]) -> dict[str, int]:
    """Modification times of the watched modules (a save during a grading is not missed)."""
    result = {}
    for name in files:
        try:
            result[name] = (target / name).stat().st_mtime_ns
        except OSError:
            pass
    return result


def changed_exercises(changes: set[tuple[object, str]], names: set[str]) -> list[catalog.Exercise]:
    """The exercises among *names* whose module is in *changes*, in teaching order."""
    saved = {Path(path).name for _, path in changes}
    return [e for e in catalog.EXERCISES if e.name in names and e.filename in saved]


def watch_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader watch",
                                     description="Regrade an exercise each time you save its module.")
    parser.add_argument("name", nargs="?", metavar="NAME",
                        help="watch only this exercise (default: all; the next one from `list` is graded first)")
    parser.add_argument("--target", default="exercises", metavar="DIR",
                        help="the submission folder (default: exercises)")
    parser.add_argument("--hidden", metavar="DIR", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        import watchfiles
    except ImportError:
        print(f"grader: error: {INSTALL}", file=cli.sys.stderr)
        return 2
    try:
        target = cli.check_target(args.target)
        hidden = cli.check_hidden(args.hidden)
        chosen = cli.exercise_name(args.name) if args.name else None
    except cli.UsageError as exc:
        print(f"grader: error: {exc}", file=cli.sys.stderr)
        return 2
    names = {chosen} if chosen else {e.name for e in catalog.EXERCISES}
    upcoming = loop.next_exercise(loop.rows(target))
    first = catalog.get(chosen) if chosen else (upcoming.exercise if upcoming else None)
    rule = "-" * (terminal_width() - 2)
    watched = f"{chosen}.py" if chosen else "every module"
    files = {f"{name}.py" for name in names}
    try:
        before = stamps(target, files)
        if first is not None and not grade_once(target, first, display=args.target, hidden=hidden):
            return 130
        pending: set[tuple[object, str]] = {(None, str(target / name)) for name, stamp in stamps(target, files).items()
                   if stamp != before.get(name)}  # saved while the first grading ran
        print(f"\nwatching {watched} in {args.target}/: save to regrade; Ctrl-C to stop", flush=True)
        events = watchfiles.watch(target, watch_filter=lambda _, path: Path(path).name in files, recursive=False)
        while True:
            changes = pending or set(next(events))
            pending = set()
            for exercise in changed_exercises(changes, names):
                print(f"\n{rule}\n{exercise.filename} saved at {time.strftime('%H:%M:%S')}: grading\n{rule}",
                      flush=True)
                if not grade_once(target, exercise, display=args.target, hidden=hidden):
                    raise KeyboardInterrupt
            print(f"\nwatching {watched} in {args.target}/: save to regrade; Ctrl-C to stop", flush=True)
    except KeyboardInterrupt:
        print("\nwatch stopped", flush=True)
    return 0
