"""The catalog is the one list of exercises: every other part must agree with it."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from grader import catalog
from grader.runner import gradable_checks, suite_files
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
    assert any(check.hidden and check.runs > 1 for check in exercise.checks), "no repeated hidden stress check"
    assert any(check.tier is catalog.PRACTICE for check in exercise.checks), "no practice stress check"


@pytest.mark.parametrize("exercise", catalog.EXERCISES, ids=NAMES)
def test_practice_checks_are_lighter_than_hidden_ones_and_cost_a_racy_submission(
    exercise: catalog.Exercise,
) -> None:
    practice = exercise.tier_checks([catalog.PRACTICE])
    hidden = exercise.tier_checks([catalog.HIDDEN])
    assert max(c.runs for c in practice) <= min(c.runs for c in hidden), "practice runs fewer times"
    assert sum(c.points for c in hidden) >= sum(c.points for c in practice), "the instructor's tier weighs more"
    assert all(c.stress and not c.hidden for c in practice)


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
    for tier in catalog.Tier:
        defined = _test_functions(exercise.suite(tier))
        assert defined == {c.test for c in exercise.tier_checks([tier])}, f"{tier.value} suite vs catalog"
    assert len({c.test for c in exercise.checks}) == len(exercise.checks), "test names must be unique"
    assert len({c.title for c in exercise.checks}) == len(exercise.checks), "titles must be unique"


@pytest.mark.parametrize("exercise", catalog.EXERCISES, ids=NAMES)
def test_without_a_hidden_suite_only_the_shipped_tiers_are_graded(
    exercise: catalog.Exercise, tmp_path: Path
) -> None:
    everything = suite_files(exercise)
    assert [f.parent.name for f in everything] == ["visible", "practice", "hidden"]
    assert gradable_checks(exercise, everything) == list(exercise.checks)
    shipped = [f for f in everything if f.parent.name != "hidden"]
    assert gradable_checks(exercise, shipped) == exercise.tier_checks([catalog.VISIBLE, catalog.PRACTICE])
    private = tmp_path / f"test_{exercise.name}.py"
    private.write_text("")
    assert suite_files(exercise, tmp_path)[-1] == private, "--hidden DIR replaces the kit's hidden suite"
    assert gradable_checks(exercise, suite_files(exercise, tmp_path)) == list(exercise.checks)


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


def test_shipped_spec_is_the_pinned_contract() -> None:
    """docs/SPEC.md ships to students; it must stay equal to the shared contract beside the repo."""
    pinned = ROOT.parent / "shared" / "SPEC.md"
    if not pinned.is_file():
        pytest.skip(f"no pinned contract at {pinned} (the CI clone has shared/ beside the repository)")
    assert (ROOT / "docs" / "SPEC.md").read_text(encoding="utf-8") == pinned.read_text(encoding="utf-8"), (
        "docs/SPEC.md differs from ../shared/SPEC.md: copy the pinned contract into docs/"
    )
