"""Visible checks of producer_consumer_processes.py: SPEC section 5, small inputs."""

from __future__ import annotations

import os
from types import ModuleType

import pytest

from grader import budgets
from grader.suites import process_work
from grader.testing import call_within, submission

PIPELINE_TIMEOUT = budgets.PIPELINE_TIMEOUT  # process start-up is slow on a busy machine


@pytest.fixture
def mod() -> ModuleType:
    return submission("producer_consumer_processes")


def run(mod: ModuleType, items, work, **kwargs):  # type: ignore[no-untyped-def]
    return call_within(lambda: mod.run_pipeline(items, work, **kwargs), "run_pipeline", timeout=PIPELINE_TIMEOUT)


def test_results_come_back_in_input_order(mod: ModuleType) -> None:
    results = run(mod, range(30), process_work.square, workers=2, capacity=4)
    expected = [x * x for x in range(30)]
    if results != expected:
        pairs = enumerate(zip(results, expected, strict=False))
        wrong = next((i for i, (a, b) in pairs if a != b), min(len(results), 30))
        got = results[wrong] if wrong < len(results) else "nothing"
        pytest.fail(
            f"run_pipeline(range(30), square) returned {len(results)} results; at position {wrong} it "
            f"returned {got}, expected {expected[wrong] if wrong < 30 else 'no more'}: results must be in input order"
        )
    assert run(mod, [], process_work.square) == [], "an empty input should give an empty list"


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_every_start_method_is_used_and_works(mod: ModuleType, method: str) -> None:
    process_work.parent_marker = process_work.MARKER
    try:
        results = run(mod, range(4), process_work.whoami, workers=2, start_method=method)
    finally:
        process_work.parent_marker = "module default"
    assert [r[0] for r in results] == [0, 1, 2, 3], f"start_method={method!r}: wrong results {results}"
    parents = {r[1] for r in results}
    markers = {r[2] for r in results}
    if method == "fork":
        assert markers == {process_work.MARKER}, "start_method='fork' was not used: the workers were not forked"
    elif method == "spawn":
        assert markers == {"module default"} and parents == {os.getpid()}, (
            "start_method='spawn' was not used: pass it to multiprocessing.get_context()"
        )
    else:
        assert os.getpid() not in parents, \
            "start_method='forkserver' was not used: the workers were not started by a fork server"


@pytest.mark.parametrize(("kwargs", "name"), [({"workers": 0}, "workers"), ({"capacity": 0}, "capacity")])
def test_sizes_below_one_are_refused(mod: ModuleType, kwargs: dict[str, int], name: str) -> None:
    with pytest.raises(ValueError):
        run(mod, range(3), process_work.square, **kwargs)
        pytest.fail(f"run_pipeline(..., {name}=0) should raise ValueError")


def test_an_exception_in_work_becomes_worker_error(mod: ModuleType) -> None:
    with pytest.raises(mod.WorkerError) as caught:
        run(mod, range(6), process_work.fail_on_three, workers=2)
        pytest.fail("run_pipeline should raise WorkerError when work raises")
    message = str(caught.value)
    assert "ValueError" in message and "bad item 3" in message, (
        f"WorkerError's message should contain the original exception's type and message "
        f"('ValueError', 'bad item 3'); it was {message!r}"
    )
