"""Hidden checks of producer_consumer_processes.py: laziness, real parallelism, order, failures.

Process start-up costs tens of milliseconds, so these checks use handshakes instead of volume:
workers leave marker files that the test's lazy iterator counts, two items rendezvous to prove two
workers ran at once, item 0 waits for item 1 so results come back out of order. Each handshake is
deterministic for a correct program and has a generous timeout for a broken one.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from grader import budgets
from grader.suites import process_work
from grader.testing import call_within, submission

PIPELINE_TIMEOUT = budgets.PIPELINE_TIMEOUT  # process start-up is slow on a busy machine
ITEMS = 120


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


def run(mod: ModuleType, items, work, what: str = "run_pipeline", **kwargs):  # type: ignore[no-untyped-def]
    return call_within(lambda: mod.run_pipeline(items, work, **kwargs), what, timeout=PIPELINE_TIMEOUT)


def zombies_of_this_process() -> list[int]:
    """PIDs of finished children nobody joined (state Z): look before active_children() reaps them."""
    me = str(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] == "Z" and fields[1] == me:
            found.append(int(entry.name))
    return found


def assert_nothing_left(after: str) -> None:
    zombies = zombies_of_this_process()
    assert not zombies, f"after run_pipeline {after}, {len(zombies)} worker process(es) were never joined (zombies)"
    alive = multiprocessing.active_children()
    for proc in alive:
        proc.kill()
        proc.join(5)
    assert not alive, f"after run_pipeline {after}, {len(alive)} worker process(es) were still running"


def test_lazy_input_is_read_only_as_fast_as_workers_keep_up(mod: ModuleType, marks: Path) -> None:
    capacity, workers = 4, 2
    allowed = 2 * (capacity + workers) + 4
    worst = [0]

    def items() -> Iterator[int]:
        for n in range(ITEMS):
            worst[0] = max(worst[0], n - process_work.count_done())
            yield n

    results = run(mod, items(), process_work.mark_done, workers=workers, capacity=capacity)
    assert results == list(range(ITEMS)), "run_pipeline returned wrong results for a lazy input"
    assert worst[0] <= allowed, (
        f"the input was read {worst[0]} items ahead of the workers (capacity {capacity}, {workers} workers): "
        "feed the queue as the workers keep up, do not read the whole input first"
    )


def test_two_workers_really_run_at_the_same_time(mod: ModuleType, marks: Path) -> None:
    met = run(mod, [0, 1], process_work.rendezvous, "run_pipeline with two workers", workers=2, capacity=2)
    assert met == [True, True], (
        "with workers=2, the two items were never processed at the same time: the work must run "
        "in parallel worker processes, not one after the other"
    )


def test_workers_processes_share_the_work(mod: ModuleType, marks: Path) -> None:
    pids = run(mod, range(9), process_work.meet_three, "run_pipeline with three workers", workers=3, capacity=3)
    caller = os.getpid()
    assert caller not in pids, "work ran in the calling process: the workers must be separate processes"
    assert len(set(pids)) == 3, (
        f"with workers=3, work ran in {len(set(pids))} different process(es): start exactly `workers` "
        "worker processes (not a fixed number, not one per CPU)"
    )


def test_results_are_returned_in_input_order(mod: ModuleType, marks: Path) -> None:
    results = run(mod, range(6), process_work.zero_waits_for_one, workers=2, capacity=2)
    assert results == [x * 10 for x in range(6)], (
        f"results came back as {results}: item 1 finished before item 0, and run_pipeline must "
        "still return results in the order of the input"
    )


def test_a_dying_worker_raises_worker_error_and_nothing_is_left(mod: ModuleType) -> None:
    with pytest.raises(mod.WorkerError):
        run(mod, range(12), process_work.die_on_five, "run_pipeline whose worker died", workers=2, capacity=2)
        pytest.fail("a worker died (os._exit) but run_pipeline returned instead of raising WorkerError")
    assert_nothing_left("raised WorkerError")


def test_large_results_are_collected_without_deadlock(mod: ModuleType) -> None:
    results = run(mod, range(24), process_work.big_result, "run_pipeline with 512 KiB results", workers=2, capacity=4)
    assert len(results) == 24 and all(r[:1] == bytes([i]) for i, r in enumerate(results)), (
        "large results came back wrong or out of order"
    )


def test_no_process_is_left_running_or_unjoined(mod: ModuleType) -> None:
    for method in ("fork", "spawn"):
        run(mod, range(10), process_work.square, workers=2, start_method=method)
        assert_nothing_left(f"returned (start_method={method!r})")
        with pytest.raises(mod.WorkerError):
            run(mod, range(10), process_work.fail_on_three, workers=2, start_method=method)
            pytest.fail("run_pipeline should raise WorkerError when work raises")
        assert_nothing_left(f"raised (start_method={method!r})")
