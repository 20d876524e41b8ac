"""Gradescope's autograder package and the Classroom 50 autograder: built by one command, and they
grade a collected repository into each platform's own result format."""

from __future__ import annotations

import ast
import json
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from grader import platforms
from tests.kit import MUTANTS, ROOT, SOLUTIONS

# Classroom 50's result contract, restated from foundation50/classroom50 schemas/result-v1.schema.json
# (its required fields, their types and patterns): every autograder's result.json must satisfy it.
C50_TIMESTAMP = r"^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ$"
C50_REQUIRED: dict[str, tuple[type, str | None]] = {
    "schema": (str, r"^classroom50/result/v1$"), "classroom": (str, r"."), "assignment": (str, r"."),
    "assignment_type": (str, r"^(individual|group)$"), "owner": (str, r"."), "submission": (str, r"^submit/"),
    "commit": (str, r"."), "release": (str, r"."), "review": (str, r"."), "datetime": (str, C50_TIMESTAMP),
    "score": (int, None), "max-score": (int, None), "tests": (list, None),
}
C50_OPTIONAL = {"graded_at", "submitted_by"}
C50_TEST_REQUIRED = {"test-name": str, "passed": bool, "score": int, "max-score": int}


def c50_problems(result: dict[str, Any]) -> list[str]:
    problems = [f"unknown field {key}" for key in result if key not in C50_REQUIRED and key not in C50_OPTIONAL]
    for key, (kind, pattern) in C50_REQUIRED.items():
        value = result.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            problems.append(f"{key}: {value!r} is not {kind.__name__}")
        elif pattern and not re.search(pattern, value):
            problems.append(f"{key}: {value!r} does not match {pattern}")
        elif kind is int and value < 0:
            problems.append(f"{key} is negative")
    if "graded_at" in result and not re.search(C50_TIMESTAMP, str(result["graded_at"])):
        problems.append("graded_at is not a UTC timestamp")
    for i, test in enumerate(result.get("tests") or []):
        for key, kind in C50_TEST_REQUIRED.items():
            if not isinstance(test.get(key), kind) or (kind is int and isinstance(test.get(key), bool)):
                problems.append(f"tests[{i}].{key}: {test.get(key)!r} is not {kind.__name__}")
        if isinstance(test.get("score"), int) and test["score"] > test.get("max-score", 0):
            problems.append(f"tests[{i}]: score above max-score")
    if isinstance(result.get("score"), int) and result["score"] > result.get("max-score", 0):
        problems.append("score above max-score")
    return problems


def repository(folder: Path, counter: Path) -> Path:
    (folder / "exercises").mkdir(parents=True)
    (folder / "README.md").write_text("mine\n")
    shutil.copy(counter, folder / "exercises" / "counter.py")
    return folder


def test_gradescope_zip_has_its_scripts_at_the_root_and_the_full_kit(tmp_path: Path) -> None:
    zip_path = tmp_path / "autograder.zip"
    proc = subprocess.run(["nox", "-s", "gradescope", "--", str(zip_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        for script in ("setup.sh", "run_autograder"):
            assert (archive.getinfo(script).external_attr >> 16) & stat.S_IXUSR, f"{script} is not executable"
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
    assert {"kit/pyproject.toml", "kit/grader/cli.py", "kit/grader/stubs.json",
            "kit/grader/suites/hidden/test_counter.py"} <= names, "the full kit, hidden checks included"
    assert not any("__pycache__" in name or name.startswith("kit/solutions") for name in names)
    assert "bubblewrap" in setup and "pip install --quiet /autograder/source/kit" in setup
    assert run.startswith("#!/usr/bin/env bash") and "run-gradescope --root /autograder" in run


@pytest.mark.slow
def test_run_autograder_grades_a_repository_into_gradescope_results(tmp_path: Path) -> None:
    root = tmp_path / "autograder"
    repository(root / "submission", MUTANTS / "counter" / "no_lock.py")
    assert platforms.run_gradescope(root, ["--exercise", "counter", "--fail-fast"]) == 0
    results = json.loads((root / "results" / "results.json").read_text())
    assert 0 < results["score"] < 20, "the racy counter loses points"
    assert "Modules graded in exercises/." in results["output"]
    assert {t["visibility"] for t in results["tests"]} == {"visible", "after_due_date"}
    assert any("increments were lost" in t["output"] for t in results["tests"] if t["status"] == "failed")


def test_run_autograder_reports_an_empty_submission_as_one_visible_entry(tmp_path: Path) -> None:
    (tmp_path / "submission" / ".git").mkdir(parents=True)
    assert platforms.run_gradescope(tmp_path) == 0
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert results["score"] == 0 and "empty" in results["output"]
    assert results["tests"][0]["visibility"] == "visible"


def test_classroom50_autograder_is_a_stdlib_script_beside_the_kit(tmp_path: Path) -> None:
    outdir = tmp_path / "autograders" / "concurrency"
    assert platforms.main(["classroom50", str(outdir)]) == 0
    script = (outdir / "autograder.py").read_text()
    imported = {alias.name.split(".")[0] for node in ast.walk(ast.parse(script))
                if isinstance(node, ast.Import) for alias in node.names}
    assert imported <= set(sys.stdlib_module_names), "it runs before anything is installed"
    assert "run-classroom50" in script and (outdir / "kit" / "grader" / "suites" / "hidden").is_dir()


def test_classroom50_writes_a_valid_result_and_the_feedback_in_the_checkout(tmp_path: Path) -> None:
    checkout = repository(tmp_path / "checkout", SOLUTIONS / "counter.py")
    env = {"CLASSROOM": "cs101", "ASSIGNMENT": "concurrency", "SUBMISSION_TAG": "submit/2026-12-04T10-00-00Z-abc1234",
           "COMMIT_URL": "https://github.com/o/r/commit/abc", "RELEASE_URL": "https://github.com/o/r/releases/x",
           "USERNAME": "amy", "ASSIGNMENT_TYPE": "individual"}
    assert platforms.run_classroom50(checkout, ["--exercise", "counter"], environ=env) == 0
    result = json.loads((checkout / "result.json").read_text())
    assert c50_problems(result) == []
    assert (result["owner"], result["submission"], result["score"], result["max-score"]) == (
        "amy", env["SUBMISSION_TAG"], 20, 20)
    assert result["review"] == env["COMMIT_URL"], "no REVIEW_URL: the commit view"
    assert "**Score: 20 / 20**" in (checkout / "release-body.md").read_text()


def test_the_contract_check_itself_catches_a_wrong_result() -> None:
    bad = {"schema": "classroom50/result/v2", "score": 1.5, "tests": [{"test-name": "x", "passed": "yes"}]}
    problems = c50_problems(bad)
    assert any(p.startswith("schema") for p in problems) and any(p.startswith("score") for p in problems)
    assert any("tests[0].passed" in p for p in problems) and any(p.startswith("owner") for p in problems)
