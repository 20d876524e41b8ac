"""grader.budgets keeps every limit in one place and in the order the grader relies on.

A hang detector that is not shorter than the timeout behind it never fires (the downloader suites'
20 s equalled the 20 s run timeout), and a search that may outlast what the parent waits for is cut
off half-way: these tests make such mistakes fail here instead of in a student's report.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from grader import budgets, catalog

SUITES = Path(budgets.__file__).resolve().parent / "suites"


def test_suite_hang_detectors_fire_before_the_run_timeout_of_every_check_using_them() -> None:
    fastest_run = min(check.timeout for exercise in catalog.EXERCISES for check in exercise.checks)
    for name in ("SHORT_TIMEOUT", "LONG_TIMEOUT", "DOWNLOAD_TIMEOUT", "RENDEZVOUS_TIMEOUT"):
        assert getattr(budgets, name) < fastest_run, name
    assert budgets.SHORT_TIMEOUT < budgets.LONG_TIMEOUT
    process_checks = catalog.get("producer_consumer_processes").checks
    assert budgets.PIPELINE_TIMEOUT < min(check.timeout for check in process_checks)
    assert budgets.RENDEZVOUS_TIMEOUT < budgets.PIPELINE_TIMEOUT


def test_every_run_with_its_backstop_and_kill_grace_fits_in_the_exercise_budget() -> None:
    for exercise in catalog.EXERCISES:
        for check in exercise.checks:
            worst = check.timeout + budgets.BACKSTOP_GRACE + budgets.KILL_GRACE
            assert worst < budgets.EXERCISE_BUDGET, (exercise.name, check.test)


def test_import_with_its_backstop_fits_in_the_start_grace() -> None:
    assert budgets.IMPORT_TIMEOUT + budgets.BACKSTOP_GRACE < budgets.START_GRACE < budgets.EXERCISE_BUDGET


def test_the_search_with_everything_that_may_overrun_it_fits_in_its_grace() -> None:
    assert budgets.SEARCH_BUDGET < budgets.SEARCH_WORST_CASE < budgets.EXPLAIN_GRACE < budgets.EXERCISE_BUDGET
    assert budgets.SEARCH_WORST_CASE >= budgets.SEARCH_BUDGET * (1 + budgets.SHRINK_SHARE) + budgets.SCHEDULE_WATCHDOG


def test_whole_command_timeouts_are_safety_nets_above_what_they_wrap() -> None:
    assert budgets.REPLAY_TIMEOUT > 3 * budgets.SCHEDULE_WATCHDOG
    assert budgets.SUBMISSION_TIMEOUT > len(catalog.EXERCISES) * budgets.EXERCISE_BUDGET


def test_probabilities_are_probabilities() -> None:
    for p in (budgets.SWITCH_PROBABILITY, *budgets.SEARCH_PROBABILITIES):
        assert 0 < p < 1


def test_sizes_keep_their_order() -> None:
    assert budgets.OUTPUT_TAIL <= budgets.OUTPUT_LIMIT <= budgets.FILE_SIZE


@pytest.mark.parametrize("path", sorted(SUITES.rglob("*.py")), ids=lambda p: str(p.relative_to(SUITES)))
def test_suites_take_their_timeouts_from_budgets(path: Path) -> None:
    """A number written straight into a suite escapes the order checked above."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and "TIMEOUT" in target.id:
                    pytest.fail(f"{path.name}: {target.id} = {node.value.value!r}; take it from grader.budgets")


def test_budgets_is_plain_data() -> None:
    """Only constants: no functions or classes whose behaviour could hide a limit."""
    tree = ast.parse(Path(budgets.__file__).read_text())
    kinds = {type(node).__name__ for node in tree.body}
    assert kinds <= {"Expr", "ImportFrom", "Assign"}, kinds
