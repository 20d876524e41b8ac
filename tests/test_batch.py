"""Class-wide grading: one correct CSV row per submission, shards that merge into one gradebook."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from grader import batch, catalog
from grader.report import validate
from tests.kit import EXERCISES, HOSTILE, MUTANTS, SOLUTIONS, run_cli

GRADED = ["counter", "downloader"]  # two quick exercises keep the class run short


def repository(folder: Path, replacements: dict[str, Path], base: Path = SOLUTIONS, top: bool = False) -> Path:
    """A student's repository as collected: README, .git, and the modules in exercises/ (or at the top)."""
    modules = folder if top else folder / "exercises"
    modules.mkdir(parents=True)
    (folder / ".git").mkdir()
    (folder / "README.md").write_text("# my concurrency kit\n")
    for module in base.glob("*.py"):
        shutil.copy(module, modules / module.name)
    for name, source in replacements.items():
        if source is MISSING:
            (modules / f"{name}.py").unlink()
        else:
            shutil.copy(source, modules / f"{name}.py")
    return folder


MISSING = Path("/nonexistent/missing.py")
NON_UTF8 = os.fsdecode(b"f\xe9lix_top")  # a Latin-1 folder name: not UTF-8
GOLDEN = {  # submission -> (downloader, counter, status, found_in, a piece of problems)
    "alice_correct": (20, 20, "graded", "exercises/", ""),
    "carol_broken": (20, 0, "could not import", "exercises/", "counter: syntax error, counter.py line 3"),
    "dave_empty": (0, 0, "empty", "", "the folder is empty"),
    "erin_stubs": (0, 0, "not attempted", "exercises/", "counter: not attempted"),
    "f\\xe9lix_top": (20, 20, "graded", "top level", ""),
    "gus_partial": (20, 0, "graded", "exercises/", "counter: not submitted"),
}


def make_class(root: Path) -> Path:
    """Collected repositories: correct, racy, syntax error, empty, untouched, flat with a non-UTF-8
    name, one module missing."""
    klass = root / "class"
    repository(klass / "alice_correct", {})
    repository(klass / "bob_racy", {"counter": MUTANTS / "counter" / "no_lock.py"})
    repository(klass / "carol_broken", {"counter": HOSTILE / "syntax_error.py"})
    (klass / "dave_empty" / ".git").mkdir(parents=True)  # an empty clone: nothing but .git
    repository(klass / "erin_stubs", {}, base=EXERCISES)
    repository(klass / NON_UTF8, {}, top=True)
    repository(klass / "gus_partial", {"counter": MISSING})
    (klass / ".git").mkdir()  # not a submission
    return klass


def run_grader(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, timeout=600)


def read_csv(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["submission"]: row for row in csv.DictReader(handle)}


@pytest.mark.slow
def test_a_class_of_repositories_gives_one_correct_row_and_feedback_each(tmp_path: Path) -> None:
    klass = make_class(tmp_path)
    scores = tmp_path / "out" / "scores.csv"
    proc = run_grader("--submissions", str(klass), "--csv", str(scores), "--jobs", "2", "--fail-fast",
                      *[arg for name in GRADED for arg in ("--exercise", name)])
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = read_csv(scores)
    assert list(rows) == ["alice_correct", "bob_racy", "carol_broken", "dave_empty", "erin_stubs",
                          "f\\xe9lix_top", "gus_partial"]
    header = list(next(iter(rows.values())))
    assert header == ["submission", "downloader", "counter", "total", "max_score", "seconds", "status",
                      "found_in", "problems"]
    for who, (downloader, counter, status, found_in, problem) in GOLDEN.items():
        row = rows[who]
        got = (float(row["downloader"]), float(row["counter"]), row["status"], row["found_in"])
        assert got == (downloader, counter, status, found_in), (who, row)
        assert problem in row["problems"], (who, row["problems"])
    assert float(rows["bob_racy"]["counter"]) < 20 and float(rows["bob_racy"]["downloader"]) == 20
    assert rows["bob_racy"]["status"] == "graded"
    reports = tmp_path / "out" / "scores_reports"
    for who, row in rows.items():
        feedback = (reports / f"{who}.md").read_text(encoding="utf-8")
        assert feedback.startswith("# Concurrency kit: feedback for ")
        if row["status"] == "empty":
            assert not (reports / f"{who}.json").exists(), "an empty folder is not graded"
            assert "the folder is empty" in feedback
            continue
        report = json.loads((reports / f"{who}.json").read_text())
        assert validate(report) == []
        assert report["score"] == float(row["total"])
        assert float(row["seconds"]) > 0
        assert f"**Score: {row['total']} / {row['max_score']}**" in feedback
    bob = (reports / "bob_racy.md").read_text()
    assert "increments were lost" in bob and "**Hint:**" in bob
    assert "7/7 graded" in proc.stderr, "the progress bar shows how many are done"
    assert "f\\xe9lix_top" in proc.stdout


def test_modules_are_found_in_exercises_or_at_the_top(tmp_path: Path) -> None:
    repo = repository(tmp_path / "repo", {})
    assert batch.locate(repo) == batch.Located(repo, repo / "exercises", "exercises/")
    flat = repository(tmp_path / "flat", {}, top=True)
    assert batch.locate(flat) == batch.Located(flat, flat, "top level")
    nested = tmp_path / "zip"
    repository(nested / "kit-main", {})
    assert batch.locate(nested).target == nested / "kit-main" / "exercises"
    assert batch.locate(nested).found_in == "kit-main/exercises/"
    # work copied to the top while exercises/ keeps the stubs: the work is graded
    both = repository(tmp_path / "both", {}, base=EXERCISES)
    for module in SOLUTIONS.glob("*.py"):
        shutil.copy(module, both / module.name)
    assert batch.locate(both).found_in == "top level"
    nothing = tmp_path / "notes"
    nothing.mkdir()
    (nothing / "notes.txt").write_text("todo")
    assert batch.locate(nothing) == batch.Located(nothing, nothing, "")
    hollow = tmp_path / "hollow"
    (hollow / ".git" / "objects").mkdir(parents=True)
    (hollow / "exercises").mkdir()
    assert batch.locate(hollow).empty


def test_folder_names_of_any_bytes_are_shown_escaped_and_kept_apart() -> None:
    assert batch.display_name(os.fsdecode(b"f\xe9lix")) == "f\\xe9lix"
    assert batch.display_name("zo\u00e9") == "zo\u00e9"
    assert batch.display_name("evil\x1b[2J") == "evil\\x1b[2J"
    names = batch.unique_names([Path(os.fsdecode(b"a\xe9")), Path("a\\xe9")])
    assert sorted(names.values()) == ["a\\xe9", "a\\xe9~2"]


def test_problems_carry_the_real_first_line() -> None:
    syntax = {"name": "counter", "status": "could not import",
              "message": "counter.py has a syntax error (counter.py, line 45): invalid syntax"}
    assert batch.problem_line(syntax) == "syntax error, counter.py line 45: invalid syntax"
    other = {"name": "counter", "status": "could not import",
             "message": "counter.py raised RuntimeError while being imported (line 3): boom\nmore"}
    assert batch.problem_line(other) == "counter.py raised RuntimeError while being imported (line 3): boom"
    assert batch.problem_line({"name": "counter", "status": "not submitted", "message": "x"}) == "not submitted"


def test_the_row_status_is_the_worst_attempted_exercise() -> None:
    assert batch.row_status(["graded", "not submitted"]) == "graded"
    assert batch.row_status(["not attempted", "not submitted"]) == "not attempted"
    assert batch.row_status(["not submitted", "not submitted"]) == "not submitted"
    assert batch.row_status(["graded", "could not import", "timed out"]) == "timed out"


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

