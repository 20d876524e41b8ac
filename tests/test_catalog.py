"""The catalog is the one list of exercises: every other part must agree with it."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from grader import catalog
from grader.runner import SUITES
from tests.kit import EXERCISES, ROOT, SOLUTIONS

NAMES = [e.name for e in catalog.EXERCISES]


def test_exercises_are_the_five_of_spec_in_teaching_order() -> None:
    assert NAMES == [
        "downloader",
        "counter",
        "semaphore_pool",
        "producer_consumer_threads",
        "producer_consumer_processes",
    ]


@pytest.mark.parametrize("exercise", catalog.EXERCISES, ids=NAMES)
def test_every_exercise_is_worth_twenty_points(exercise: catalog.Exercise) -> None:
    assert exercise.checks, f"{exercise.name} has no checks"
    assert exercise.max_score == 20
    assert all(check.points > 0 for check in exercise.checks)
    assert any(check.hidden and check.runs > 1 for check in exercise.checks), "no repeated stress check"


def _test_functions(path: Path) -> set[str]:
    if not path.exists():
        return set()
    tree = ast.parse(path.read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


@pytest.mark.parametrize("exercise", catalog.EXERCISES, ids=NAMES)
def test_checks_and_suite_functions_match_one_to_one(exercise: catalog.Exercise) -> None:
    visible = _test_functions(SUITES / "visible" / f"test_{exercise.name}.py")
    hidden = _test_functions(SUITES / "hidden" / f"test_{exercise.name}.py")
    assert visible == {c.test for c in exercise.checks if not c.hidden}
    assert hidden == {c.test for c in exercise.checks if c.hidden}
    assert len({c.title for c in exercise.checks}) == len(exercise.checks), "titles must be unique"


@pytest.mark.parametrize("name", NAMES)
def test_stub_and_solution_exist_and_import_cleanly(name: str) -> None:
    for folder in (EXERCISES, SOLUTIONS):
        path = folder / f"{name}.py"
        spec = importlib.util.spec_from_file_location(f"_{folder.name}_{name}", path)
        assert spec is not None and spec.loader is not None
        spec.loader.exec_module(importlib.util.module_from_spec(spec))


def test_readme_table_is_generated_from_the_catalog() -> None:
    readme = (ROOT / "README.md").read_text()
    assert catalog.markdown_table() in readme, (
        "README's exercise table is stale: paste the output of `python -m grader.catalog` "
        "between the catalog-table markers"
    )


def test_unknown_exercise_name_lists_the_valid_ones() -> None:
    with pytest.raises(KeyError, match="valid names: downloader, counter"):
        catalog.get("countr")
