"""Practice checks of producer_consumer_processes.py: order and clean-up, with forced switches.

They ship with the student edition. Handshakes go through files (grader/suites/process_work.py):
item 0 waits for item 1, so results come back out of order. The calling process's part of your
code (feeding, collecting, joining) is switched by force between bytecodes, as in your
instructor's grading, which runs more scenarios, more times.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from grader import budgets
from grader.preempt import preempted
from grader.suites import process_work
from grader.testing import call_within, submission

PIPELINE_TIMEOUT = budgets.PIPELINE_TIMEOUT  # process start-up is slow on a busy machine


@pytest.fixture
def mod() -> ModuleType:
    return submission("producer_consumer_processes")


@pytest.fixture
def marks(tmp_path: Path) -> Iterator[Path]:
    os.environ[process_work.MARKS_ENV] = str(tmp_path)
    try:
        yield tmp_path
    finally:
        os.environ.pop(process_work.MARKS_ENV, None)


def test_practice_results_in_input_order_under_preemption(mod: ModuleType, marks: Path) -> None:
    with preempted():
        results = call_within(
            lambda: mod.run_pipeline(range(6), process_work.zero_waits_for_one, workers=2, capacity=2),
            "run_pipeline", timeout=PIPELINE_TIMEOUT,
        )
    assert results == [x * 10 for x in range(6)], (
        f"results came back as {results}: item 1 finished before item 0, and run_pipeline must "
        "still return results in the order of the input"
    )


def test_practice_no_process_is_left_after_a_failure(mod: ModuleType) -> None:
    with preempted(), pytest.raises(mod.WorkerError):
        call_within(lambda: mod.run_pipeline(range(10), process_work.fail_on_three, workers=2),
                    "run_pipeline whose work raised", timeout=PIPELINE_TIMEOUT)
        pytest.fail("run_pipeline should raise WorkerError when work raises")
    alive = multiprocessing.active_children()
    for proc in alive:
        proc.kill()
        proc.join(5)
    assert not alive, f"after run_pipeline raised, {len(alive)} worker process(es) were still running"
