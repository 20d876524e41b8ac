"""The student edition: built from git's HEAD, it grades (practice stress checks included), and it
holds no solution code, no hidden test and no document the student does not have."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import catalog, edition, feedback, formats
from grader.report import ExerciseResult, Report
from tests.kit import MUTANTS, ROOT, SOLUTIONS

NAMES = [e.name for e in catalog.EXERCISES]
# The edition is built from git's HEAD: without a git checkout of the kit there is nothing to test.
pytestmark = pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                                reason="the student edition is built from git HEAD: needs git and a checkout "
                                       "of the kit")
# Words of the maintainers' and instructors' parts of the README: none belongs in the students'.
NOT_FOR_STUDENTS = ["nox -s tests", "mutant", "nox -s compat", "nox -s power", "For instructors",
                    "For maintainers", "instructors:start", "student_kit", "--submissions", "solutions/"]


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, text=True,
                          timeout=60).stdout


def committed_stub(name: str) -> str:
    return git(ROOT, "show", f"HEAD:exercises/{name}.py")


@pytest.fixture(scope="module")
def tried_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of the kit whose instructor tried the exercises: exercises/ holds worked answers."""
    clone = tmp_path_factory.mktemp("checkout") / "kit"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    for name in NAMES:
        shutil.copy(SOLUTIONS / f"{name}.py", clone / "exercises" / f"{name}.py")
    (clone / "exercises" / "notes.py").write_text("ANSWER = 42\n")
    return clone


@pytest.fixture(scope="module")
def built(tried_checkout: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, edition.Edition]:
    outdir = tmp_path_factory.mktemp("edition") / "kit"
    return outdir, edition.write_edition(outdir, root=tried_checkout)


@pytest.fixture(scope="module")
def student_kit(built: tuple[Path, edition.Edition]) -> Path:
    return built[0]


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


def grade_in(kit: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    """Grade inside the edition as a student would: from its folder, without the kit on the path."""
    report = kit / "r.json"
    report.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-m", "grader", "--json", str(report), "--quiet", *args], check=False,
                          cwd=kit, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc, json.loads(report.read_text())


def test_edition_of_an_edited_checkout_ships_the_committed_stubs(built: tuple[Path, edition.Edition]) -> None:
    kit, result = built
    for name in NAMES:
        assert (kit / "exercises" / f"{name}.py").read_text() == committed_stub(name), f"{name}.py is not the stub"
    assert not (kit / "exercises" / "notes.py").exists(), "an uncommitted file was shipped"
    assert set(result.not_shipped) >= {f"exercises/{n}.py" for n in NAMES} | {"exercises/notes.py"}


def test_edition_refuses_a_commit_whose_stubs_are_solved(tmp_path: Path) -> None:
    clone = tmp_path / "kit"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    shutil.copy(SOLUTIONS / "counter.py", clone / "exercises" / "counter.py")
    git(clone, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "my answers")
    with pytest.raises(edition.EditionError, match=r"exercises/counter.py at HEAD implements .*stubs only"):
        edition.write_edition(tmp_path / "out", root=clone)
    assert not (tmp_path / "out").exists()


def test_edition_without_git_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "kit"
    shutil.copytree(ROOT / "exercises", plain / "exercises")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    with pytest.raises(edition.EditionError, match="is not a git checkout"):
        edition.write_edition(tmp_path / "out", root=plain)
    git(plain, "init", "--quiet")
    with pytest.raises(edition.EditionError, match="has no commit yet"):
        edition.write_edition(tmp_path / "out", root=plain)
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    with pytest.raises(edition.EditionError, match="git is not installed"):
        edition.write_edition(tmp_path / "out", root=ROOT)


def test_edition_holds_what_students_need(student_kit: Path) -> None:
    for item in ("exercises", "grader", "noxfile.py", "pyproject.toml", "README.md", "docs/SPEC.md",
                 ".github/workflows/grade.yml", "grader/suites/visible", "grader/suites/practice"):
        assert (student_kit / item).exists(), item
    assert {p.stem for p in (student_kit / "exercises").glob("*.py")} == set(NAMES)
    assert (student_kit / "docs" / "SPEC.md").read_text() == git(ROOT, "show", "HEAD:docs/SPEC.md")


def test_edition_holds_no_solutions_hidden_tests_or_kit_tests(student_kit: Path) -> None:
    for item in ("solutions", "tests", "grader/suites/hidden", "grader/power.py", "grader/edition.py", ".ci",
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


def test_edition_readme_is_for_students_only(student_kit: Path) -> None:
    readme = (student_kit / "README.md").read_text()
    assert readme.startswith("# ") and "Student edition" in readme and "nox -s grade" in readme
    assert "practice" in readme and "docs/SPEC.md" in readme
    assert catalog.markdown_table() in readme
    assert [word for word in NOT_FOR_STUDENTS if word in readme] == []
    assert "<!--" not in readme.replace("<!-- catalog-table:start -->", "").replace("<!-- catalog-table:end -->", "")


def test_no_shipped_file_cites_a_document_the_student_does_not_have(student_kit: Path) -> None:
    spec = (student_kit / "docs" / "SPEC.md").read_text()
    sections = set(re.findall(r"^## (\d+)\.", spec, flags=re.MULTILINE))
    problems = []
    for path, text in text_files(student_kit).items():
        where = path.relative_to(student_kit)
        for cited in re.findall(r"(?<![\w/.])((?:docs/)?[\w./-]+\.md)\b", text):
            if not (student_kit / cited).is_file() and not (path.parent / cited).is_file():
                problems.append(f"{where} cites {cited}")
        for number in re.findall(r"SPEC(?:\.md)?(?:'s)? section (\d+)", text):
            if number not in sections:
                problems.append(f"{where} cites SPEC section {number}, which docs/SPEC.md lacks")
        if "../shared" in text:
            problems.append(f"{where} cites ../shared, which students do not have")
    assert problems == []
    stubs = [(student_kit / "exercises" / f"{n}.py").read_text() for n in NAMES]
    assert all("docs/SPEC.md" in stub for stub in stubs), "every stub points at the shipped contract"


def test_edition_grades_the_shipped_checks_and_says_what_the_instructor_grades(student_kit: Path) -> None:
    proc, data = grade_in(student_kit, "--exercise", "counter")
    counter = catalog.get("counter")
    shipped = counter.tier_checks([catalog.VISIBLE, catalog.PRACTICE])
    hidden_points = sum(c.points for c in counter.tier_checks([catalog.HIDDEN]))
    assert data["hidden_tests"] is False and data["score"] == 0
    assert [t["name"] for t in data["exercises"][0]["tests"]] == [c.title for c in shipped]
    assert data["not_graded"] == data["exercises"][0]["not_graded"] == hidden_points
    total = next(line for line in proc.stdout.splitlines() if line.startswith("TOTAL"))
    assert "%" not in total, "a grading of part of the checks must not show a percentage"
    assert f"{hidden_points:g} more points are graded by your instructor" in " ".join(proc.stdout.split())


def test_feedback_and_job_summary_of_a_partial_grading_say_what_the_instructor_grades(student_kit: Path) -> None:
    _proc, data = grade_in(student_kit, "--exercise", "semaphore_pool")
    hidden_points = sum(c.points for c in catalog.get("semaphore_pool").tier_checks([catalog.HIDDEN]))
    text = feedback.markdown(data, name="student")
    assert "(checks run here)" in text and "%" not in text.split("\n\n")[1]
    assert f"{hidden_points:g} more points are graded by your instructor" in text
    assert f"{hidden_points:g} more points are graded by your instructor" in formats.markdown_summary(
        report_from_json(data))


def report_from_json(data: dict) -> Report:
    exercises = [ExerciseResult(e["name"], e["title"], e["score"], e["max_score"], [], not_graded=e["not_graded"])
                 for e in data["exercises"]]
    return Report(exercises=exercises, target=data["target"], seed=data["seed"], hidden_tests=data["hidden_tests"])


def test_a_racy_counter_in_the_edition_loses_points_with_a_timeline(student_kit: Path) -> None:
    kit = student_kit.parent / "racy"
    shutil.copytree(student_kit, kit)
    shutil.copy(MUTANTS / "counter" / "no_lock.py", kit / "exercises" / "counter.py")
    proc, data = grade_in(kit, "--exercise", "counter")
    counter = data["exercises"][0]
    failed = [t for t in counter["tests"] if t["status"] != "passed"]
    assert failed and all(t["tier"] == "practice" for t in failed), [t["name"] for t in failed]
    assert counter["score"] == sum(c.points for c in catalog.get("counter").tier_checks([catalog.VISIBLE]))
    explained = [t for t in failed if t["replay"]]
    assert explained, "a failed practice check must lead to the interleaving search"
    assert "Thread-1" in explained[0]["details"] and "Thread-2" in explained[0]["details"]
    assert "--replay" in proc.stdout


def test_edition_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("keep me")
    with pytest.raises(edition.EditionError, match="not empty"):
        edition.write_edition(tmp_path)
    assert (tmp_path / "old.txt").read_text() == "keep me"


def test_edition_refuses_a_folder_inside_the_kit() -> None:
    with pytest.raises(edition.EditionError, match="inside the kit"):
        edition.check_outdir(ROOT / "build" / "student")


def test_edition_command_line_writes_the_edition_and_names_what_it_left_behind(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "grader.edition", str(tmp_path / "kit")], check=False, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "student edition of commit" in proc.stdout and (tmp_path / "kit" / "docs" / "SPEC.md").is_file()
    proc = subprocess.run([sys.executable, "-m", "grader.edition", str(tmp_path / "kit")], check=False, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.startswith("student_kit: error:") and "not empty" in proc.stderr
