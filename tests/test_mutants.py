"""Every buggy variant of our own loses points in its exercise; every alternative correct one doesn't.

Mutants live in tests/mutants/<exercise>/<mistake>.py (a full module, its docstring names the
mistake); alternative correct implementations in tests/alternatives/<exercise>/<style>.py. Each is
graded in a copy of solutions/ with only that module swapped in.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import catalog
from tests.kit import ALTERNATIVES, MUTANTS, case_files, grade, submission_with

NAMES = [e.name for e in catalog.EXERCISES]
MUTANT_CASES = [(name, path) for name in NAMES for path in case_files(MUTANTS, name)]
ALTERNATIVE_CASES = [(name, path) for name in NAMES for path in case_files(ALTERNATIVES, name)]


def _id(case: tuple[str, Path]) -> str:
    return f"{case[0]}/{case[1].stem}"


@pytest.mark.parametrize("name", NAMES)
def test_each_exercise_has_at_least_six_mutants(name: str) -> None:
    assert len(case_files(MUTANTS, name)) >= 6


@pytest.mark.parametrize("case", MUTANT_CASES, ids=[_id(c) for c in MUTANT_CASES])
def test_mutant_loses_points_in_its_exercise(case: tuple[str, Path], tmp_path: Path) -> None:
    name, path = case
    graded = grade(submission_with(tmp_path, {name: path}), tmp_path, "--exercise", name)
    assert graded.returncode == 0, graded.stderr[-3000:]
    exercise = graded.exercise(name)
    assert exercise["score"] < exercise["max_score"], f"{path.name} was not caught"
    for test in exercise["tests"]:
        if test["status"] != "passed":
            assert test["message"], f"{test['name']} lost points without a message"


@pytest.mark.parametrize("case", ALTERNATIVE_CASES, ids=[_id(c) for c in ALTERNATIVE_CASES])
def test_alternative_correct_implementation_scores_full_marks(case: tuple[str, Path], tmp_path: Path) -> None:
    name, path = case
    graded = grade(submission_with(tmp_path, {name: path}), tmp_path, "--exercise", name)
    exercise = graded.exercise(name)
    assert exercise["score"] == exercise["max_score"], graded.lost(name)
