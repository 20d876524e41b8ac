"""The student edition: it grades, and it holds no solution code and no hidden test."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader import catalog, edition
from tests.kit import ROOT, SOLUTIONS


@pytest.fixture(scope="module")
def student_kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("edition") / "kit"
    proc = subprocess.run([sys.executable, "-m", "grader.edition", str(outdir)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return outdir


def text_files(folder: Path) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8", errors="replace") for p in folder.rglob("*") if p.is_file()}


def solution_bodies() -> list[str]:
    """Each solution function's body as source lines (three or more statements' worth)."""
    bodies = []
    for module in SOLUTIONS.glob("*.py"):
        source = module.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and len(node.body) >= 2:
                first = node.body[1] if isinstance(node.body[0], ast.Expr) else node.body[0]
                code = ast.get_source_segment(source, first)
                if code and len(code) > 25:
                    bodies.append(code.strip())
    return bodies


def test_edition_holds_what_students_need(student_kit: Path) -> None:
    for item in ("exercises", "grader", "noxfile.py", "pyproject.toml", "README.md",
                 ".github/workflows/grade.yml", "grader/suites/visible"):
        assert (student_kit / item).exists(), item
    assert {p.stem for p in (student_kit / "exercises").glob("*.py")} >= {e.name for e in catalog.EXERCISES}


def test_edition_holds_no_solutions_hidden_tests_or_kit_tests(student_kit: Path) -> None:
    for item in ("solutions", "tests", "grader/suites/hidden", "grader/power.py", ".ci",
                 ".github/workflows/class-grading.yml"):
        assert not (student_kit / item).exists(), f"{item} must not ship to students"
    hidden_tests = {c.test for e in catalog.EXERCISES for c in e.checks if c.hidden}
    everything = "\n".join(text_files(student_kit).values())
    # The catalog names every check (that is how the edition knows what it lacks); no code defines one.
    assert not [t for t in hidden_tests if f"def {t}(" in everything], "a hidden test's code is in the edition"


def test_edition_holds_no_solution_code(student_kit: Path) -> None:
    bodies = solution_bodies()
    assert len(bodies) > 20, "the search must look for something"
    files = text_files(student_kit)
    leaks = [(path.relative_to(student_kit), body[:60]) for body in bodies for path, text in files.items()
             if body in text]
    assert leaks == []


def test_edition_readme_keeps_the_commands_and_drops_the_instructors_section(student_kit: Path) -> None:
    readme = (student_kit / "README.md").read_text()
    assert "nox -s grade" in readme and "student edition" in readme
    assert "For instructors" not in readme and "instructors:start" not in readme


def test_edition_grades_the_visible_checks_and_says_where_the_rest_are(student_kit: Path) -> None:
    report = student_kit / "r.json"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-m", "grader", "--json", str(report), "--quiet",
                           "--exercise", "counter"], cwd=student_kit, capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(report.read_text())
    counter = catalog.get("counter")
    assert data["hidden_tests"] is False and data["score"] == 0
    assert [t["name"] for t in data["exercises"][0]["tests"]] == [c.title for c in counter.checks if not c.hidden]
    assert "hidden stress tests" in proc.stdout and "run when your instructor grades" in proc.stdout


def test_edition_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("keep me")
    with pytest.raises(edition.EditionError, match="not empty"):
        edition.write_edition(tmp_path)
    assert (tmp_path / "old.txt").read_text() == "keep me"


def test_edition_refuses_a_folder_inside_the_kit() -> None:
    with pytest.raises(edition.EditionError, match="inside the kit"):
        edition.check_outdir(ROOT / "build" / "student")
