"""Class-wide grading: every sub-folder of a directory is one submission; one CSV row each.

Each submission is graded by its own ``python -m grader`` process, exactly as a single grading,
so one broken submission (or a grader crash on it) costs only its own row. ``--shard K/N`` spreads
a class over a CI matrix; ``merge`` joins the shards' CSV files into one gradebook.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from grader import catalog
from grader.budgets import SUBMISSION_TIMEOUT
from grader.report import ExerciseStatus, write_text_atomic

STATUS_ORDER = [ExerciseStatus.TIMED_OUT.value, ExerciseStatus.IMPORT_ERROR.value, ExerciseStatus.GRADED.value]


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
    return ["submission", *(e.name for e in exercises), "total", "max_score", "seconds", "status", "problems"]


def submissions(root: Path) -> list[Path]:
    """The sub-folders of *root*, sorted by name; hidden folders (.git) are not submissions."""
    found = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    if not found:
        raise BatchError(f"no submission folders in {root}: put one folder per student in it")
    return found


def row_from_report(name: str, report: dict[str, Any] | None, seconds: float,
                    exercises: Sequence[catalog.Exercise], error: str = "") -> dict[str, Any]:
    """One CSV row; a grading that produced no report gets 0 everywhere and status 'error'."""
    row: dict[str, Any] = {"submission": name, "seconds": f"{seconds:.1f}"}
    if report is None:
        row.update({e.name: 0 for e in exercises})
        row.update(total=0, max_score=sum(e.max_score for e in exercises), status="error",
                   problems=error or "the grader produced no report")
        return row
    statuses, problems = [], []
    for exercise in report["exercises"]:
        row[exercise["name"]] = exercise["score"]
        statuses.append(exercise.get("status", ExerciseStatus.GRADED.value))
        if exercise.get("status", "graded") != "graded":
            problems.append(f"{exercise['name']}: {exercise.get('status')}")
    if report.get("interrupted"):
        problems.append("grading was interrupted")
    row.update(total=report["score"], max_score=report["max_score"],
               status=min(statuses, key=STATUS_ORDER.index) if statuses else "graded",
               problems="; ".join(problems))
    return row


def grade_one(folder: Path, reports: Path, args: Sequence[str]) -> tuple[dict[str, Any] | None, float, str]:
    """Grade one submission in its own grader process; (report, seconds, error)."""
    report_path = reports / f"{folder.name}.json"
    report_path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "grader", "--target", str(folder), "--json", str(report_path),
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
    chosen = submissions(root)
    if shard is not None:
        chosen = shard.pick(chosen)
    reports = reports_folder(csv_path)
    reports.mkdir(parents=True, exist_ok=True)
    progress = BatchProgress(len(chosen), enabled=not quiet)
    rows: dict[str, dict[str, Any]] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = {pool.submit(grade_one, folder, reports, grader_args): folder for folder in chosen}
        for future in as_completed(futures):
            folder = futures[future]
            report, seconds, error = future.result()
            rows[folder.name] = row_from_report(folder.name, report, seconds, exercises, error)
            progress.step(folder.name, rows[folder.name]["total"])
    finally:
        # On Ctrl-C the gradings still running got the same SIGINT and stop within seconds; the
        # CSV then holds the submissions graded so far, and a rerun can finish the rest.
        pool.shutdown(wait=True, cancel_futures=True)
        ordered = [rows[folder.name] for folder in chosen if folder.name in rows]
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
