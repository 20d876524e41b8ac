"""Class-wide grading: every sub-folder of a directory is one submission; one CSV row each.

A submission is what a student hands in, usually a clone of their repository: the modules are in
its ``exercises/`` folder (the student edition's layout) or at its top. :func:`locate` finds them
and says where. An empty folder is flagged ("empty") and not graded; a missing module is "not
submitted" and an untouched stub "not attempted" (decided by the grading itself, grader.runner).

Each submission is graded by its own ``python -m grader`` process, exactly as a single grading,
so one broken submission (or a grader crash on it) costs only its own row. Beside each JSON report
goes the Markdown feedback to hand back (grader.feedback), and beside the CSV the class summary
(grader.summary). ``--shard K/N`` spreads a class over a CI matrix; ``merge`` joins the shards' CSV
files into one gradebook.

Folder names are bytes on Linux and need not be UTF-8: a folder is always handled by its real
path, and shown (CSV, report file names, the terminal) by :func:`display_name`, which escapes the
bytes that are not text.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from grader import catalog, integrity, sanitize, stubs
from grader.budgets import SUBMISSION_TIMEOUT
from grader.report import ExerciseStatus, write_text_atomic

# The row's status is the worst of its attempted exercises' statuses, in this order.
STATUS_ORDER = [ExerciseStatus.TIMED_OUT.value, ExerciseStatus.IMPORT_ERROR.value, ExerciseStatus.GRADED.value]
UNATTEMPTED = {ExerciseStatus.NOT_SUBMITTED.value, ExerciseStatus.NOT_ATTEMPTED.value}
EMPTY = "empty"  # a row status only: the folder holds no file at all, so nothing was graded
EXERCISES_DIR = "exercises"
FOUND_IN_EXERCISES, FOUND_AT_TOP = "exercises/", "top level"
PROBLEM_WIDTH = 160  # characters of one exercise's problem in the CSV
SYNTAX_ERROR = re.compile(r"has a syntax error \((?P<file>.+?), line (?P<line>\d+)\): (?P<msg>.*)")


class BatchError(Exception):
    """A class-wide run that cannot start (bad --shard, empty folder, unreadable CSV)."""


@dataclass(frozen=True)
class Shard:
    """``K/N``: the K-th of N equal slices of the sorted submissions (K counts from 1)."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        try:
            k, n = (int(part) for part in text.split("/"))
        except ValueError:
            raise BatchError(f"--shard wants K/N, such as 2/4, not {text!r}") from None
        if not 1 <= k <= n:
            raise BatchError(f"--shard {text}: K must be between 1 and N")
        return cls(k, n)

    def pick(self, items: Sequence[Path]) -> list[Path]:
        return [item for i, item in enumerate(items) if i % self.count == self.index - 1]


def columns(exercises: Sequence[catalog.Exercise]) -> list[str]:
    return ["submission", *(e.name for e in exercises), "total", "max_score", "seconds", "status", "found_in",
            "problems"]


def display_name(name: str) -> str:
    """A folder name as readable text: bytes that are not UTF-8 as ``\\xe9``, controls escaped.

    ``os.listdir`` hands undecodable bytes back as lone surrogates (PEP 383); they cannot be
    written to a UTF-8 file or a terminal, so they are shown as escapes instead.
    """
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return sanitize.one_line(text) or "(no name)"


def submissions(root: Path) -> list[Path]:
    """The sub-folders of *root*, sorted by name; hidden folders (.git) are not submissions."""
    found = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))),
                   key=lambda p: os.fsencode(p.name))
    if not found:
        raise BatchError(f"no submission folders in {root}: put one folder per student in it")
    return found


def unique_names(folders: Sequence[Path]) -> dict[Path, str]:
    """Each folder's display name, made unique with "~2", "~3" when two escape to the same text."""
    names: dict[Path, str] = {}
    taken: set[str] = set()
    for folder in folders:
        name, n = display_name(folder.name), 1
        while name in taken:
            n += 1
            name = f"{display_name(folder.name)}~{n}"
        taken.add(name)
        names[folder] = name
    return names


@dataclass(frozen=True)
class Located:
    """Where a submission's modules are: ``target`` is graded; ``found_in`` says which layout."""

    folder: Path
    target: Path
    found_in: str  # "exercises/", "top level", or "" when no module was found anywhere
    empty: bool = False


def _is_visible_file(path: Path) -> bool:
    return path.is_file() and not path.name.startswith(".")


def is_empty(folder: Path) -> bool:
    """No file at all, hidden ones (.git, .DS_Store) aside, in the folder or below it."""
    for _dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        if any(not f.startswith(".") for f in filenames):
            return False
    return True


def locate(folder: Path, exercises: Sequence[catalog.Exercise] = catalog.EXERCISES) -> Located:
    """Find the exercise modules of a submission: in ``exercises/`` (a repository) or at the top.

    Where both hold modules, the place with more modules that are not the untouched stub wins
    (then more modules, then ``exercises/``): a student who copied their work to the top of the
    repository and left the stubs in ``exercises/`` is graded on their work. A folder holding
    nothing but one folder (a repository unpacked into its own directory) is looked into.
    """
    if is_empty(folder):
        return Located(folder, folder, "", empty=True)
    inner = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if len(inner) == 1 and inner[0].is_dir():
        nested = locate(inner[0], exercises)
        prefix = display_name(inner[0].name) + "/"
        found_in = prefix + (nested.found_in if nested.found_in == FOUND_IN_EXERCISES else "")
        return Located(folder, nested.target, found_in if nested.found_in else "")

    def weight(place: Path) -> tuple[int, int]:
        present = [e for e in exercises if (place / e.filename).is_file()]
        worked = [e for e in present if not stubs.is_untouched(place / e.filename, e.name)]
        return len(worked), len(present)

    candidates = [(weight(folder / EXERCISES_DIR), 1, folder / EXERCISES_DIR, FOUND_IN_EXERCISES),
                  (weight(folder), 0, folder, FOUND_AT_TOP)]
    best = max(candidates, key=lambda c: (c[0], c[1]))
    if best[0][1] == 0:  # no module anywhere: grade the top, every exercise is "not submitted"
        return Located(folder, folder, "")
    return Located(folder, best[2], best[3])


def problem_line(exercise: dict[str, Any]) -> str:
    """One exercise's problem for the CSV: the real first line, e.g. "syntax error, counter.py line 45"."""
    status = exercise.get("status", ExerciseStatus.GRADED.value)
    if status in UNATTEMPTED:
        return status
    message = sanitize.one_line((exercise.get("message") or "").splitlines()[0] if exercise.get("message") else "")
    syntax = SYNTAX_ERROR.search(message)
    if syntax:
        message = f"syntax error, {syntax['file']} line {syntax['line']}: {syntax['msg']}"
    elif not message:
        message = status
    if len(message) > PROBLEM_WIDTH:
        message = message[: PROBLEM_WIDTH - 3] + "..."
    return message


def row_status(statuses: Sequence[str]) -> str:
    """The row's status: the worst of the attempted exercises; else "not submitted"/"not attempted"."""
    attempted = [s for s in statuses if s not in UNATTEMPTED]
    if attempted:
        return min(attempted, key=lambda s: STATUS_ORDER.index(s) if s in STATUS_ORDER else -1)
    if statuses and all(s == ExerciseStatus.NOT_SUBMITTED.value for s in statuses):
        return ExerciseStatus.NOT_SUBMITTED.value
    return ExerciseStatus.NOT_ATTEMPTED.value if statuses else ExerciseStatus.GRADED.value


def empty_row(name: str, exercises: Sequence[catalog.Exercise]) -> dict[str, Any]:
    """The row of an empty folder: flagged, not graded, no time spent."""
    row: dict[str, Any] = {"submission": name, **{e.name: 0 for e in exercises}}
    row.update(total=0, max_score=sum(e.max_score for e in exercises), seconds="0.0", status=EMPTY,
               found_in="", problems="the folder is empty: nothing was handed in")
    return row


def row_from_report(name: str, report: dict[str, Any] | None, seconds: float,
                    exercises: Sequence[catalog.Exercise], error: str = "", found_in: str = "") -> dict[str, Any]:
    """One CSV row; a grading that produced no report gets 0 everywhere and status 'error'."""
    row: dict[str, Any] = {"submission": name, "seconds": f"{seconds:.1f}", "found_in": found_in}
    if report is None:
        row.update({e.name: 0 for e in exercises})
        row.update(total=0, max_score=sum(e.max_score for e in exercises), status="error",
                   problems=sanitize.one_line(error) or "the grader produced no report")
        return row
    statuses, problems = [], []
    for exercise in report["exercises"]:
        row[exercise["name"]] = exercise["score"]
        status = exercise.get("status", ExerciseStatus.GRADED.value)
        statuses.append(status)
        if status != ExerciseStatus.GRADED.value:
            problems.append(f"{exercise['name']}: {problem_line(exercise)}")
    if report.get("interrupted"):
        problems.append("grading was interrupted")
    row.update(total=report["score"], max_score=report["max_score"], status=row_status(statuses),
               problems="; ".join(problems))
    return row


def grade_one(located: Located, stem: str, reports: Path,
              args: Sequence[str]) -> tuple[dict[str, Any] | None, float, str]:
    """Grade one submission in its own grader process; (report, seconds, error)."""
    report_path = reports / f"{stem}.json"
    report_path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "grader", "--target", str(located.target), "--json", str(report_path),
               "--quiet", *args]
    started = time.monotonic()
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=SUBMISSION_TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, time.monotonic() - started, "the grader did not finish"
    seconds = time.monotonic() - started
    if not report_path.exists():
        last = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return None, seconds, f"the grader failed: {last}"
    return json.loads(report_path.read_text(encoding="utf-8")), seconds, ""


def grade_submission(folder: Path, stem: str, reports: Path, args: Sequence[str],
                     exercises: Sequence[catalog.Exercise]) -> dict[str, Any]:
    """Locate, grade and write the feedback of one submission; its CSV row."""
    from grader import feedback

    located = locate(folder, exercises)
    if located.empty:
        row = empty_row(stem, exercises)
        (reports / f"{stem}.json").unlink(missing_ok=True)
        write_text_atomic(reports / f"{stem}.md", feedback.empty_markdown(stem))
        return row
    report, seconds, error = grade_one(located, stem, reports, args)
    row = row_from_report(stem, report, seconds, exercises, error, located.found_in)
    text = feedback.markdown(report, name=stem, found_in=located.found_in, error=error,
                             hints=catalog.hints(report, exercises))
    write_text_atomic(reports / f"{stem}.md", text)
    return row


class BatchProgress:
    """'graded 7/30 submissions' on stderr, redrawn in place on a terminal."""

    def __init__(self, total: int, stream: TextIO = sys.stderr, enabled: bool = True) -> None:
        self.total, self.done, self.stream, self.enabled = total, 0, stream, enabled
        self.tty = stream.isatty()
        self._lock = threading.Lock()

    def step(self, name: str, total_score: Any) -> None:
        with self._lock:
            self.done += 1
            if not self.enabled:
                return
            width = 30
            filled = width * self.done // self.total
            bar = "#" * filled + "." * (width - filled)
            line = f"[{bar}] {self.done}/{self.total} graded, last: {name} ({total_score})"
            self.stream.write(("\r" + line.ljust(78)) if self.tty else line + "\n")
            if self.tty and self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()


def reports_folder(csv_path: Path) -> Path:
    """The per-submission JSON reports go beside the CSV, in ``<name>_reports/``."""
    return csv_path.with_name(f"{csv_path.stem}_reports")


def grade_class(root: Path, csv_path: Path, *, exercises: Sequence[catalog.Exercise], jobs: int,
                shard: Shard | None, grader_args: Sequence[str], quiet: bool = False) -> list[dict[str, Any]]:
    """Grade every submission under *root* (or one shard of them) and write the CSV."""
    everyone = submissions(root)
    names = unique_names(everyone)  # over the whole class, so shards agree on every name
    chosen = shard.pick(everyone) if shard is not None else everyone
    reports = reports_folder(csv_path)
    reports.mkdir(parents=True, exist_ok=True)
    progress = BatchProgress(len(chosen), enabled=not quiet)
    rows: dict[Path, dict[str, Any]] = {}
    guard = integrity.KitGuard()  # a grading that edits the kit stops the class (KitChanged)
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = {pool.submit(guard.call, names[folder], grade_submission, folder, names[folder], reports,
                               grader_args, exercises): folder
                   for folder in chosen}
        for future in as_completed(futures):
            folder = futures[future]
            rows[folder] = future.result()
            progress.step(names[folder], rows[folder]["total"])
    finally:
        # On Ctrl-C the gradings still running got the same SIGINT and stop within seconds; the
        # CSV then holds the submissions graded so far, and a rerun can finish the rest.
        pool.shutdown(wait=True, cancel_futures=True)
        ordered = [rows[folder] for folder in chosen if folder in rows]
        write_csv(csv_path, ordered, columns(exercises))
    return ordered


def write_csv(path: Path, rows: Sequence[dict[str, Any]], header: Sequence[str]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(header), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(path, buffer.getvalue())


def merge(paths: Sequence[Path], out: Path | None) -> str:
    """Join shard CSVs into one gradebook sorted by submission; refuse mismatched or duplicate rows."""
    header: list[str] | None = None
    rows: dict[str, dict[str, str]] = {}
    for path in paths:
        try:
            with open(path, newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                fields = list(reader.fieldnames or [])
                if "submission" not in fields:
                    raise BatchError(f"{path} is not a gradebook CSV: it has no 'submission' column")
                if header is not None and fields != header:
                    raise BatchError(f"{path} has other columns than {paths[0]}: grade all shards alike")
                header = fields
                for row in reader:
                    if row["submission"] in rows:
                        raise BatchError(f"{row['submission']} appears in more than one file (in {path} too)")
                    rows[row["submission"]] = row
        except OSError as exc:
            raise BatchError(f"cannot read {path}: {exc.strerror}") from None
    if header is None:
        raise BatchError("merge needs at least one CSV file")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows[name] for name in sorted(rows))
    if out is not None:
        write_text_atomic(out, buffer.getvalue())
    return buffer.getvalue()


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
