"""``python -m grader``: grade a submission folder, print the score table, write the report.

Exit status: 0 whenever grading happened, whatever the score (SPEC section 6); 2 with a one-line
error when it could not grade (no such folder, unknown exercise, bad option).
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from grader import batch, catalog, feedback, formats, integrity, interpreter, limits, loop, sandbox
from grader.budgets import REPLAY_TIMEOUT
from grader.render import PROSE_WIDTH, Progress, fit, fit_block, score_table, terminal_width
from grader.report import ExerciseResult, Report, write_text_atomic
from grader.runner import grade_exercise


class UsageError(Exception):
    """The command line cannot be graded; the message is printed as one line."""


COMMANDS = """other commands:
  python -m grader merge A.csv B.csv ... --out gradebook.csv
      join the gradebooks of --shard runs into one, and write its class summary beside it
  python -m grader.platforms gradescope autograder.zip | classroom50 OUTDIR
      the Gradescope autograder package, the Classroom 50 autograder (nox -s gradescope / classroom50)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m grader",
        description="Grade a folder holding the five exercise modules of the concurrency kit.",
        epilog=COMMANDS, formatter_class=argparse.RawDescriptionHelpFormatter,
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
    parser.add_argument("--sandbox", choices=sandbox.MODES, default="auto",
                        help="run each grading process under bubblewrap (bwrap), without (none), or "
                             "under bubblewrap where it works (auto, the default)")
    parser.add_argument("--no-state", action="store_true",
                        help="do not remember this grading for `list` (in .grader/ beside DIR)")
    parser.add_argument("--replay", metavar="ID",
                        help="re-run the thread schedule with this ID, printed in the feedback")
    scores = parser.add_argument_group("score files (they all agree with --json)")
    scores.add_argument("--gradescope", metavar="PATH", help="write Gradescope's results.json")
    scores.add_argument("--junit", metavar="PATH", help="write JUnit XML, for any CI's test view")
    scores.add_argument("--fail-under", type=percent, metavar="PERCENT",
                        help="exit 1 when the score is below PERCENT of the maximum (a CI gate)")
    scores.add_argument("--feedback", metavar="PATH",
                        help="write the feedback to hand back, as Markdown (score table, messages, timelines)")
    scores.add_argument("--classroom", action="store_true",
                        help="legacy, for GitHub Classroom (retired on 2026-08-28): print its 'result' "
                             "output and set it in $GITHUB_OUTPUT")
    cls = parser.add_argument_group("class-wide grading")
    cls.add_argument("--submissions", metavar="DIR",
                     help="grade every sub-folder of DIR as one submission (needs --csv)")
    cls.add_argument("--csv", metavar="PATH", help="gradebook: one row per submission; JSON reports beside it")
    cls.add_argument("--jobs", type=positive, default=None, metavar="N",
                     help="submissions graded at once (default: the number of cores)")
    cls.add_argument("--shard", metavar="K/N", help="grade only every N-th submission, starting at the K-th")
    return parser


def percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError("give a percentage between 0 and 100")
    return value


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("give at least 1")
    return value


def exercise_name(text: str) -> str:
    """The exercise *text* names: ``counter``, ``counter.py`` or ``exercises/counter.py`` alike."""
    name = Path(text).name.removesuffix(".py") if text.endswith(".py") else text
    try:
        return catalog.get(name).name
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None


def select_exercises(names: Sequence[str]) -> list[catalog.Exercise]:
    """The exercises to grade, in teaching order; UsageError for an unknown name."""
    wanted = {exercise_name(name) for name in names}
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
    mode: str = "auto",
) -> Report:
    """Grade *exercises* of *target*; on Ctrl-C, return what was graded so far.

    *mode* is the --sandbox choice; SandboxUnavailable when 'bwrap' cannot be had.
    """
    started = time.monotonic()
    report = Report(exercises=[], target=str(target), seed=seed, sandbox=sandbox.resolve(mode))
    guard = integrity.KitGuard()
    try:
        for exercise in exercises:
            guard.check(f"before grading {exercise.name}")  # KitChanged: an earlier exercise edited it
            result: ExerciseResult = grade_exercise(
                exercise, target, seed=seed, hidden_dir=hidden, progress=progress, fail_fast=fail_fast,
                sandbox=report.sandbox,
            )
            report.exercises.append(result)
            if not any(t.hidden for t in result.tests) and any(c.hidden for c in exercise.checks):
                report.hidden_tests = False
        guard.check("while grading the submission")  # no report from a grading that edited the kit
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        if progress is not None:
            progress.clear()
    report.duration = time.monotonic() - started
    return report


def stop_on_sigterm() -> None:
    """Treat SIGTERM (a CI job cancelled, ``kill``) like Ctrl-C: report, end the children, clean up.

    SIGINT gets Python's own Ctrl-C handler back explicitly: a process started with SIGINT
    ignored (a background job of a non-interactive shell, as some CI runners start their
    scripts) inherits that, and Python then leaves it ignored, so Ctrl-C and a CI's cancel
    (SIGINT first) would not stop the grading.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_interrupt)
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    stop_on_sigterm()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["merge"]:
        return merge_main(argv[1:])
    if argv[:1] in (["list"], ["hint"]):
        return loop.list_main(argv[1:]) if argv[0] == "list" else loop.hint_main(argv[1:])
    if argv[:1] == ["watch"]:
        from grader.watch import watch_main  # imports watchfiles, an optional dependency

        return watch_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        exercises = select_exercises(args.exercise)
        hidden = check_hidden(args.hidden)
        if args.submissions is not None:
            return class_main(args, exercises)
        check_batch_options(args)
        target = check_target(args.target)
        if args.replay is not None:
            check_replay_options(args)
            return replay_main(target, args.exercise, args.replay)
        mode = sandbox.resolve(args.sandbox)
        seed = args.seed if args.seed is not None else random.randrange(1, 2**31)
        progress = Progress(enabled=not args.quiet)
        report = grade(target, exercises, seed=seed, hidden=hidden, progress=progress,
                       fail_fast=args.fail_fast, mode=mode)
    except (UsageError, batch.BatchError, sandbox.SandboxUnavailable, integrity.KitChanged) as exc:
        print(f"grader: error: {exc}", file=sys.stderr)
        return 2
    hints = catalog.hints(report.to_dict(), exercises)  # per failed check where the catalog has one
    print(score_table(report, hints=hints, verbose=args.verbose, replay_command=replay_command(args.target)))
    for note in (interpreter.summary(report.interpreter), sandbox.describe(report.sandbox)):
        print("\n".join(fit(note, min(terminal_width(), PROSE_WIDTH))))
    write_score_files(report, args)
    if not args.no_state and not report.interrupted:
        loop.record(target, [exercise.to_dict() for exercise in report.exercises])
    if report.interrupted:
        return 130
    if args.fail_under is not None and report.percent < args.fail_under:
        print(f"grader: score {report.percent:.1f}% is below --fail-under {args.fail_under:g}%", file=sys.stderr)
        return 1
    return 0


def replay_command(target: str) -> str:
    """The command that replays an ID, ready to copy: the way this grading was started (nox or not)."""
    words = ["nox", "-s", "grade", "--"] if os.environ.get("NOX_CURRENT_SESSION") == "grade" else \
        ["python", "-m", "grader"]
    if Path(target).resolve() != Path("exercises").resolve():
        words += ["--target", shlex.quote(target)]
    return " ".join(words + ["--replay", "{id}"])


# Options --replay does not use: refused rather than silently ignored.
REPLAY_IGNORES = ("json", "gradescope", "junit", "fail_under", "classroom", "fail_fast", "seed", "hidden",
                  "verbose", "quiet")


def check_replay_options(args: argparse.Namespace) -> None:
    given = [f"--{name.replace('_', '-')}" for name in REPLAY_IGNORES if getattr(args, name) not in (None, False)]
    if given:
        raise UsageError(f"--replay runs one recorded schedule and takes only --target and --exercise; "
                         f"drop {', '.join(given)}")


def replay_exercise(replay_id: str) -> str:
    """The exercise a replay ID was found in: its scenario key says (``inc.2x1...`` is the counter's)."""
    from grader.explain import SCENARIOS
    from grader.replay_id import exercise_key

    key = exercise_key(replay_id)
    for exercise, scenarios in SCENARIOS.items():
        if any(scenario.key == key for scenario in scenarios):
            return exercise
    raise UsageError(f"{replay_id!r} is not a replay ID: copy it whole from the grader's feedback")


def replay_main(target: Path, names: Sequence[str], replay_id: str) -> int:
    """``--replay ID``: run one schedule again, in a child process of its own, and print it."""
    if len(names) > 1:
        raise UsageError("--replay replays one exercise: give at most one --exercise (the ID names it)")
    exercise = exercise_name(names[0]) if names else replay_exercise(replay_id)
    sandbox.become_subreaper()
    proc = subprocess.Popen(  # -I: a grader/ planted in the submission folder is not imported
        sandbox.python_command("grader.explain", "replay_main",
                               ["--target", str(target), "--exercise", exercise, "--replay", replay_id]),
        cwd=target, start_new_session=True, env={**os.environ, **sandbox.path_env()},
        stdout=subprocess.PIPE, text=True, errors="replace",
    )
    since = sandbox.start_time(proc.pid)
    try:
        out, _ = proc.communicate(timeout=REPLAY_TIMEOUT)
    except subprocess.TimeoutExpired:
        print(f"grader: the replay did not finish within {REPLAY_TIMEOUT:g} s", file=sys.stderr)
        return 0
    finally:
        limits.kill_session(proc.pid)
        proc.wait()
        sandbox.end_orphans(since)  # what the replayed code started and left, double forks too
    if out:  # the timeline, fitted to the terminal like the score table's
        print("\n".join(fit_block(out, terminal_width())))
    return proc.returncode


def write_score_files(report: Report, args: argparse.Namespace) -> None:
    """Every file asked for, all from the same report."""
    if args.json:
        report.write_json(args.json)
    if args.gradescope:
        formats.write_gradescope(report, args.gradescope)
    if args.junit:
        formats.write_junit(report, args.junit)
    formats.append_step_summary(report)
    if args.classroom:
        print(formats.emit_classroom(report))
    if args.feedback:
        write_text_atomic(Path(args.feedback), feedback.markdown(
            report.to_dict(), hints={e.name: e.hint for e in catalog.EXERCISES}))


def check_batch_options(args: argparse.Namespace) -> None:
    """Options that only make sense with --submissions."""
    for flag in ("csv", "jobs", "shard"):
        if getattr(args, flag) is not None:
            raise UsageError(f"--{flag} goes with --submissions DIR (class-wide grading)")


def class_main(args: argparse.Namespace, exercises: Sequence[catalog.Exercise]) -> int:
    """``--submissions DIR --csv PATH``: grade a whole class, one grader process per submission."""
    root = Path(args.submissions)
    if not root.is_dir():
        raise UsageError(f"no such folder for --submissions: {args.submissions}")
    if not args.csv:
        raise UsageError("--submissions needs --csv PATH for the gradebook")
    for flag in ("json", "gradescope", "junit", "classroom", "fail_under", "feedback"):
        if getattr(args, flag):
            raise UsageError(f"--{flag.replace('_', '-')} is for one submission; "
                             "class-wide grading writes one JSON report per submission beside the CSV")
    shard = batch.Shard.parse(args.shard) if args.shard else None
    forwarded = [arg for name in args.exercise for arg in ("--exercise", name)] + ["--no-state"]
    if args.seed is not None:
        forwarded += ["--seed", str(args.seed)]
    if args.hidden:
        forwarded += ["--hidden", str(Path(args.hidden).resolve())]
    if args.fail_fast:
        forwarded.append("--fail-fast")
    forwarded += ["--sandbox", sandbox.resolve(args.sandbox)]  # one mode for the whole class
    csv_path = Path(args.csv)
    try:
        rows = batch.grade_class(root.resolve(), csv_path, exercises=exercises,
                                 jobs=args.jobs or batch.default_jobs(), shard=shard,
                                 grader_args=forwarded, quiet=args.quiet)
    except KeyboardInterrupt:
        print("grader: interrupted; the CSV holds the submissions graded so far", file=sys.stderr)
        return 130
    for row in rows:
        print(f"{row['submission']:<30} {row['total']:>6} / {row['max_score']:<6} {row['status']}")
    print(f"{len(rows)} submissions graded: {csv_path} "
          f"(JSON reports and Markdown feedback in {batch.reports_folder(csv_path)})")
    print_summary(csv_path)
    return 0


def print_summary(csv_out: Path, sources: Sequence[Path] | None = None) -> None:
    """Write the class summary beside the gradebook (grader.summary) and say where."""
    try:
        from grader import summary
    except ImportError:  # the student edition leaves the instructors' summary out
        return
    written, note = summary.write(csv_out, sources)
    print("class summary: " + ", ".join(str(path) for path in written))
    if note:
        print(f"grader: note: {note}", file=sys.stderr)


def merge_main(argv: Sequence[str]) -> int:
    """``python -m grader merge A.csv B.csv ... [--out PATH]``: one gradebook from CI shards."""
    parser = argparse.ArgumentParser(prog="python -m grader merge",
                                     description="Join the gradebooks of --shard runs into one.")
    parser.add_argument("csv", nargs="+", metavar="CSV")
    parser.add_argument("--out", metavar="PATH", help="write here (default: print)")
    args = parser.parse_args(argv)
    try:
        text = batch.merge([Path(p) for p in args.csv], Path(args.out) if args.out else None)
    except batch.BatchError as exc:
        print(f"grader: error: {exc}", file=sys.stderr)
        return 2
    if not args.out:
        sys.stdout.write(text)
    else:
        print_summary(Path(args.out), [Path(p) for p in args.csv])
    return 0
