"""Class-wide grading: one correct CSV row per submission, shards that merge into one gradebook."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from grader import batch, catalog
from grader.report import validate
from tests.kit import EXERCISES, HOSTILE, MUTANTS, run_cli, submission_with

GRADED = ["counter", "downloader"]  # two quick exercises keep the class run short


def make_class(root: Path) -> Path:
    """A class of five: correct, racy, syntax error, an empty folder, the untouched stubs."""
    klass = root / "class"
    klass.mkdir()
    for name, replacements in {
        "alice_correct": {},
        "bob_racy": {"counter": MUTANTS / "counter" / "no_lock.py"},
        "carol_broken": {"counter": HOSTILE / "syntax_error.py"},
    }.items():
        (root / "build" / name).mkdir(parents=True)
        folder = submission_with(root / "build" / name, replacements)
        shutil.move(folder, klass / name)
    (klass / "dave_empty").mkdir()
    shutil.copytree(EXERCISES, klass / "erin_stubs", ignore=shutil.ignore_patterns("__pycache__"))
    (klass / ".git").mkdir()  # not a submission
    return klass


def run_grader(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=600)


def read_csv(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as handle:
        return {row["submission"]: row for row in csv.DictReader(handle)}


@pytest.mark.slow
def test_a_class_gives_one_correct_row_per_submission_and_a_report_each(tmp_path: Path) -> None:
    klass = make_class(tmp_path)
    scores = tmp_path / "out" / "scores.csv"
    proc = run_grader("--submissions", str(klass), "--csv", str(scores), "--jobs", "2", "--fail-fast",
                      *[arg for name in GRADED for arg in ("--exercise", name)])
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = read_csv(scores)
    assert list(rows) == ["alice_correct", "bob_racy", "carol_broken", "dave_empty", "erin_stubs"]
    header = list(next(iter(rows.values())))
    assert header == ["submission", "downloader", "counter", "total", "max_score", "seconds", "status", "problems"]

    def score(who: str, column: str) -> float:
        return float(rows[who][column])

    assert (score("alice_correct", "total"), rows["alice_correct"]["status"]) == (40, "graded")
    assert score("bob_racy", "counter") < 20 and score("bob_racy", "downloader") == 20
    assert rows["bob_racy"]["status"] == "graded"
    assert score("carol_broken", "counter") == 0 and score("carol_broken", "downloader") == 20
    assert rows["carol_broken"]["status"] == "could not import"
    assert "counter: could not import" in rows["carol_broken"]["problems"]
    assert score("dave_empty", "total") == 0 and rows["dave_empty"]["status"] == "could not import"
    assert score("erin_stubs", "total") == 0
    for who, row in rows.items():
        report = json.loads((tmp_path / "out" / "scores_reports" / f"{who}.json").read_text())
        assert validate(report) == []
        assert report["score"] == score(who, "total")
        assert float(row["seconds"]) > 0
    assert "5/5 graded" in proc.stderr, "the progress bar shows how many are done"


def test_class_options_are_checked_before_grading(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    cases = [
        (["--submissions", str(tmp_path)], "--submissions needs --csv"),
        (["--submissions", str(tmp_path / "nope"), "--csv", "x.csv"], "no such folder for --submissions"),
        (["--submissions", str(tmp_path), "--csv", "x.csv", "--shard", "3/2"], "K must be between 1 and N"),
        (["--submissions", str(tmp_path), "--csv", "x.csv", "--shard", "a"], "--shard wants K/N"),
        (["--submissions", str(tmp_path), "--csv", "x.csv", "--json", "r.json"], "--json is for one submission"),
        (["--csv", "x.csv"], "--csv goes with --submissions"),
        (["--jobs", "0"], "give at least 1"),
    ]
    for args, message in cases:
        proc = run_grader(*args)
        assert proc.returncode == 2, args
        assert message in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_a_folder_without_submissions_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    proc = run_grader("--submissions", str(tmp_path), "--csv", str(tmp_path / "s.csv"))
    assert proc.returncode == 2 and "no submission folders" in proc.stderr


def test_shards_cover_every_submission_exactly_once() -> None:
    items = [Path(f"s{i:02}") for i in range(11)]
    for count in (1, 2, 3, 4):
        picked = [p for k in range(1, count + 1) for p in batch.Shard(k, count).pick(items)]
        assert sorted(picked) == items


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_merge_joins_shards_sorted_by_submission(tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", "submission,counter,total\nzoe,20,20\namy,0,0\n")
    b = write(tmp_path / "b.csv", "submission,counter,total\nkim,12,12\n")
    proc = run_grader("merge", str(a), str(b), "--out", str(tmp_path / "book.csv"))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "book.csv").read_text() == "submission,counter,total\namy,0,0\nkim,12,12\nzoe,20,20\n"


@pytest.mark.parametrize(
    ("second", "message"),
    [
        ("submission,counter,total\namy,1,1\n", "amy appears in more than one file"),
        ("submission,total\nkim,1\n", "has other columns"),
        ("name,total\nkim,1\n", "is not a gradebook CSV"),
    ],
    ids=["duplicate", "other-columns", "not-a-gradebook"],
)
def test_merge_refuses_files_that_do_not_fit(tmp_path: Path, second: str, message: str) -> None:
    a = write(tmp_path / "a.csv", "submission,counter,total\namy,0,0\n")
    b = write(tmp_path / "b.csv", second)
    with pytest.raises(batch.BatchError, match=message):
        batch.merge([a, b], None)


def test_a_grading_without_report_gets_an_error_row() -> None:
    row = batch.row_from_report("x", None, 1.0, catalog.EXERCISES, "the grader failed: boom")
    assert row["status"] == "error" and row["total"] == 0 and row["problems"] == "the grader failed: boom"
    assert row["max_score"] == catalog.max_score()


def test_the_worst_exercise_status_is_the_rows_status() -> None:
    report = {"score": 0, "max_score": 40, "exercises": [
        {"name": "counter", "score": 0, "status": "could not import"},
        {"name": "downloader", "score": 0, "status": "timed out"},
    ]}
    row = batch.row_from_report("x", report, 1.0, catalog.EXERCISES[:2])
    assert row["status"] == "timed out"
    assert row["problems"] == "counter: could not import; downloader: timed out"

