"""End to end: the reference solutions earn every point, the untouched stubs earn none."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader import catalog
from grader.report import validate
from tests.kit import EXERCISES, SOLUTIONS, Graded, grade


@pytest.fixture(scope="module")
def solutions_graded(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    return grade(SOLUTIONS, tmp_path_factory.mktemp("solutions"))


@pytest.fixture(scope="module")
def stubs_graded(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    return grade(EXERCISES, tmp_path_factory.mktemp("stubs"))


def test_solutions_score_full_marks(solutions_graded: Graded) -> None:
    assert solutions_graded.returncode == 0, solutions_graded.stderr[-3000:]
    report = solutions_graded.report
    assert report is not None
    lost = {e["name"]: solutions_graded.lost(e["name"]) for e in report["exercises"]}
    assert report["score"] == report["max_score"] == catalog.max_score(), lost


def test_report_follows_spec_section_6(solutions_graded: Graded) -> None:
    report = solutions_graded.report
    assert report is not None
    assert validate(report) == []
    assert [e["name"] for e in report["exercises"]] == [e.name for e in catalog.EXERCISES]
    for exercise in report["exercises"]:
        stress = [t for t in exercise["tests"] if t["runs"] > 1]
        assert stress, f"{exercise['name']}: no repeated stress test in the report"


def test_untouched_stubs_score_zero_and_grading_still_exits_0(stubs_graded: Graded) -> None:
    assert stubs_graded.returncode == 0, stubs_graded.stderr[-3000:]
    report = stubs_graded.report
    assert report is not None and validate(report) == []
    assert report["score"] == 0
    for exercise in report["exercises"]:
        for test in exercise["tests"]:
            assert test["status"] != "passed"
            assert test["message"], f"{exercise['name']}/{test['name']} lost points without a message"


def test_table_shows_every_exercise_and_the_total(stubs_graded: Graded) -> None:
    for exercise in catalog.EXERCISES:
        assert exercise.name in stubs_graded.stdout
    assert "TOTAL" in stubs_graded.stdout
    assert "not attempted: counter.py is still the stub you received" in stubs_graded.stdout


def test_untouched_stubs_are_not_attempted_and_missing_modules_not_submitted(
        stubs_graded: Graded, tmp_path: Path) -> None:
    assert stubs_graded.report is not None
    assert {e["status"] for e in stubs_graded.report["exercises"]} == {"not attempted"}
    folder = tmp_path / "only_downloader"
    folder.mkdir()
    shutil.copy(SOLUTIONS / "downloader.py", folder)
    graded = grade(folder, tmp_path, "--exercise", "counter")
    counter = graded.exercise("counter")
    assert (counter["status"], counter["score"]) == ("not submitted", 0)
    assert "there is no counter.py in the submission folder" in counter["message"]
    assert "not installed" not in graded.stdout


def test_one_exercise_can_be_graded_alone(tmp_path: Path) -> None:
    graded = grade(SOLUTIONS, tmp_path, "--exercise", "counter", "--seed", "7")
    assert graded.report is not None
    assert [e["name"] for e in graded.report["exercises"]] == ["counter"]
    assert graded.report["seed"] == 7
    assert "--seed 7" in graded.stdout


def test_a_module_that_links_outside_the_submission_is_not_graded(tmp_path: Path) -> None:
    """A symbolic link to the reference solution (or to a classmate's file) on the grading machine
    would be graded as the student's own work without the sandbox (which does not mount it)."""
    target = tmp_path / "submission"
    shutil.copytree(EXERCISES, target)
    (target / "counter.py").unlink()
    (target / "counter.py").symlink_to(SOLUTIONS / "counter.py")
    graded = grade(target, tmp_path, "--exercise", "counter", "--sandbox", "none")
    assert graded.exercise("counter")["score"] == 0
    assert "counter.py is a symbolic link leading outside the submission folder" in graded.exercise(
        "counter")["message"]


def test_a_link_to_something_not_importable_is_left_alone(tmp_path: Path) -> None:
    """A repository's exercises/ may link to its README or docs: that is not code, and is graded."""
    target = tmp_path / "submission"
    shutil.copytree(SOLUTIONS, target)
    (target / "README.md").symlink_to(SOLUTIONS.parent / "README.md")
    graded = grade(target, tmp_path, "--exercise", "counter", "--sandbox", "none")
    assert graded.exercise("counter")["score"] == 20
