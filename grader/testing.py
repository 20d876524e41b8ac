"""Helpers shared by the grading suites in ``grader/suites``.

They follow CPython's own ``threading_helper``: named timeouts, start barriers so that threads
really contend, joins with a timeout that fail loudly instead of hanging, and detection of threads
left behind. Timeouts here are hang detectors only, never performance thresholds: each is many
times longer than the work it guards takes on a slow, busy machine.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TypeVar

import pytest

from grader import budgets

R = TypeVar("R")

TARGET_ENV = "GRADER_TARGET"

# Named timeouts (grader.budgets): SHORT for something that should happen at once, LONG for a
# whole stress scenario. Both below the catalog's per-run timeout, so a hang gets a precise message.
SHORT_TIMEOUT = budgets.SHORT_TIMEOUT
LONG_TIMEOUT = budgets.LONG_TIMEOUT


def target_dir() -> Path:
    """The submission folder being graded (set by the grader, or GRADER_TARGET by hand)."""
    value = os.environ.get(TARGET_ENV)
    if not value:
        raise RuntimeError(f"set {TARGET_ENV} to the submission folder to run the suites by hand")
    return Path(value).resolve()


def add_target_to_path() -> Path:
    """Make the submission importable, *after* everything else on sys.path.

    Appending (not prepending) means a submission folder holding ``pytest.py`` or ``grader/``
    cannot shadow the grader's own modules. Spawned child processes inherit sys.path.
    """
    folder = str(target_dir())
    if folder not in sys.path:
        sys.path.append(folder)
    return Path(folder)


def submission(name: str) -> ModuleType:
    """Return the student's module *name* (imported from the target folder)."""
    add_target_to_path()
    return importlib.import_module(name)


class ThreadOutcome:
    """Results and exceptions of the threads started by :func:`run_threads`."""

    def __init__(self, count: int) -> None:
        self.results: list[object] = [None] * count
        self.errors: list[tuple[int, BaseException]] = []
        self.lock = threading.Lock()


def run_threads(
    count: int,
    target: Callable[[int], R],
    *,
    timeout: float = LONG_TIMEOUT,
    what: str = "worker thread",
) -> list[R]:
    """Run ``target(i)`` in *count* threads released together by a barrier; return the results.

    The first exception raised in any thread is re-raised here (no exception is lost in a thread).
    A thread still running after *timeout* fails the test with a message that names a deadlock;
    the threads are daemons so a hang never blocks the grader's exit.
    """
    barrier = threading.Barrier(count)
    outcome = ThreadOutcome(count)

    def body(index: int) -> None:
        try:
            barrier.wait(timeout)
            outcome.results[index] = target(index)
        except BaseException as exc:  # noqa: BLE001 - every exception must reach the test
            with outcome.lock:
                outcome.errors.append((index, exc))

    threads = [
        threading.Thread(target=body, args=(i,), name=f"grader-{what}-{i}", daemon=True)
        for i in range(count)
    ]
    for thread in threads:
        thread.start()
    join_all(threads, timeout=timeout, what=what)
    if outcome.errors:
        raise outcome.errors[0][1]
    return outcome.results  # type: ignore[return-value]


def still_running(threads: Iterable[threading.Thread], timeout: float) -> list[threading.Thread]:
    """Join every thread within *timeout* seconds in total; return those still alive."""
    import time

    deadline = time.monotonic() + timeout
    stuck = []
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            stuck.append(thread)
    return stuck


def join_all(threads: Iterable[threading.Thread], *, timeout: float, what: str = "thread") -> None:
    """Join every thread within *timeout* seconds in total, or fail naming the stuck ones."""
    stuck = [thread.name for thread in still_running(threads, timeout)]
    if stuck:
        pytest.fail(
            f"{len(stuck)} {what}(s) did not finish within {timeout:g} s ({', '.join(stuck[:5])}): "
            "a deadlock, or a wait that is never woken up"
        )


def alive_threads_except(before: Sequence[threading.Thread]) -> list[threading.Thread]:
    """Threads alive now that were not alive in *before* (threads left behind)."""
    known = {id(t) for t in before}
    return [t for t in threading.enumerate() if id(t) not in known and t.is_alive()]


def threads_left_behind(before: Sequence[threading.Thread], grace: float = budgets.THREAD_EXIT_GRACE) -> list[str]:
    """Names of threads started since *before* that are still alive after a short grace join.

    The grace period lets a thread that is between its last statement and its exit finish; a
    thread that was really joined by the submission is already gone.
    """
    import time

    deadline = time.monotonic() + grace
    left = alive_threads_except(before)
    for thread in left:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [t.name for t in alive_threads_except(before)]


def call_within(fn: Callable[[], R], what: str, timeout: float = SHORT_TIMEOUT) -> R:
    """Return fn(), run in a daemon thread; fail clearly if it has not returned within *timeout*.

    For calls that must not block (or must stop blocking): a student's hang costs this check,
    with a message naming the call, instead of the whole run's timeout.
    """
    box: dict[str, object] = {}

    def body() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            box["error"] = exc

    thread = threading.Thread(target=body, daemon=True, name=f"grader-call-{what[:20]}")
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        pytest.fail(f"{what} did not return within {timeout:g} s: it blocks when it should not")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box.get("value")  # type: ignore[return-value]
