"""The round trip a course runs, end to end: the instructor builds the student edition, a student
grades racy work in it and sees the race, the instructor collects the class's repositories and
grades them into a gradebook, feedback files and a class summary.

One test, kept under two minutes by grading only the counter (the exercise every step can show).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.kit import HOSTILE, MUTANTS, ROOT, SOLUTIONS

COPIED = shutil.ignore_patterns(".git", ".nox", "__pycache__", ".pytest_cache", ".ruff_cache", ".benchmarks",
                                ".mypy_cache", "*.pyc")
GIT = ["git", "-c", "user.name=Instructor", "-c", "user.email=instructor@example.org"]
NON_UTF8 = os.fsdecode(b"ren\xe9e")  # a Latin-1 folder name: not UTF-8


def run(*command: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          check=False)


def instructor_checkout(tmp_path: Path) -> Path:
    """The kit as committed, in a git checkout of its own, whose exercises/ the instructor then
    edited (tried the counter): the edition must not hand that answer out."""
    kit = tmp_path / "kit"
    shutil.copytree(ROOT, kit, ignore=COPIED)
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "the kit"]):
        assert run(*GIT, *step, cwd=kit).returncode == 0
    shutil.copy(SOLUTIONS / "counter.py", kit / "exercises" / "counter.py")
    return kit


def student_repository(edition: Path, folder: Path, counter: Path | None) -> Path:
    """A student's repository: the edition, with their counter.py (None: left untouched)."""
    shutil.copytree(edition, folder)
    (folder / ".git").mkdir()
    if counter is not None:
        shutil.copy(counter, folder / "exercises" / "counter.py")
    return folder


@pytest.mark.slow
def test_edition_practice_race_class_grading_feedback_and_summary(tmp_path: Path) -> None:
    # 1. The instructor builds the edition from a checkout whose exercises/ holds an answer.
    kit = instructor_checkout(tmp_path)
    edition = tmp_path / "edition"
    built = run(sys.executable, "-m", "grader.edition", edition, cwd=kit)
    assert built.returncode == 0, built.stderr
    assert (edition / "exercises" / "counter.py").read_text() == (ROOT / "exercises" / "counter.py").read_text(), \
        "the committed stub ships, not the instructor's answer"
    assert "exercises/counter.py" in built.stdout, "the edition says which edited file it left behind"
    assert not (edition / "solutions").exists() and not (edition / "grader" / "suites" / "hidden").exists()

    # 2. A student grades a racy counter inside the edition: the practice checks catch it.
    student = tmp_path / "student"
    shutil.copytree(edition, student)
    shutil.copy(MUTANTS / "counter" / "no_lock.py", student / "exercises" / "counter.py")
    graded = run(sys.executable, "-m", "grader", "--exercise", "counter", "--json", "report.json", "--quiet",
                 cwd=student)
    assert graded.returncode == 0, graded.stderr[-2000:]
    report = json.loads((student / "report.json").read_text())
    lost = [t for t in report["exercises"][0]["tests"] if t["status"] != "passed"]
    assert lost and all(t["tier"] != "hidden" for t in report["exercises"][0]["tests"])
    assert any(t["tier"] == "practice" and t["replay"] and "Thread-" in t["details"] for t in lost), lost
    assert "--replay" in graded.stdout

    # 3. The instructor collects the class's repositories and grades them with the full kit.
    klass = tmp_path / "class"
    student_repository(edition, klass / "ann_correct", SOLUTIONS / "counter.py")
    student_repository(edition, klass / "bo_racy", MUTANTS / "counter" / "no_lock.py")
    student_repository(edition, klass / "cy_broken", HOSTILE / "syntax_error.py")
    student_repository(edition, klass / "di_untouched", None)
    (klass / "ed_empty" / ".git").mkdir(parents=True)
    student_repository(edition, klass / NON_UTF8, SOLUTIONS / "counter.py")
    scores = tmp_path / "grades" / "scores.csv"
    proc = run(sys.executable, "-m", "grader", "--submissions", klass, "--csv", scores, "--exercise", "counter",
               "--jobs", "2", "--quiet", cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(scores, newline="", encoding="utf-8") as handle:
        rows = {row["submission"]: row for row in csv.DictReader(handle)}
    expected = {  # submission: (counter, status, found_in)
        "ann_correct": ("20", "graded", "exercises/"),
        "bo_racy": (None, "graded", "exercises/"),
        "cy_broken": ("0", "could not import", "exercises/"),
        "di_untouched": ("0", "not attempted", "exercises/"),
        "ed_empty": ("0", "empty", ""),
        "ren\\xe9e": ("20", "graded", "exercises/"),
    }
    assert list(rows) == list(expected)
    for who, (points, status, found_in) in expected.items():
        assert (rows[who]["status"], rows[who]["found_in"]) == (status, found_in), rows[who]
        if points is not None:
            assert rows[who]["counter"] == points, rows[who]
    assert 0 < float(rows["bo_racy"]["counter"]) < 20
    assert rows["cy_broken"]["problems"].startswith("counter: syntax error, counter.py line ")
    assert rows["di_untouched"]["problems"] == "counter: not attempted"

    # 4. One feedback file each, ready to hand back; the class summary beside the gradebook.
    reports = tmp_path / "grades" / "scores_reports"
    for who in expected:
        assert (reports / f"{who}.md").read_text(encoding="utf-8").startswith("# Concurrency kit: feedback for ")
    racy = (reports / "bo_racy.md").read_text(encoding="utf-8")
    assert "increments were lost" in racy and "```text" in racy and "--replay" in racy and "**Hint:**" in racy
    assert "the folder is empty" in (reports / "ed_empty.md").read_text()
    summary_md = (tmp_path / "grades" / "scores_summary.md").read_text(encoding="utf-8")
    assert "6 submissions" in summary_md and "| counter | 20 |" in summary_md
    page = (tmp_path / "grades" / "scores_summary.html").read_text(encoding="utf-8")
    assert page.count("Plotly.newPlot") == 3 and "<script src" not in page
    assert "ren\\xe9e" in page and "increments were lost" in page
