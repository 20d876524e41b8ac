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
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TypeVar

from grader import budgets, stacks

R = TypeVar("R")

TARGET_ENV = "GRADER_TARGET"

# Named timeouts (grader.budgets): SHORT for something that should happen at once, LONG for a
# whole stress scenario. Both below the catalog's per-run timeout, so a hang gets a precise message.
SHORT_TIMEOUT = budgets.SHORT_TIMEOUT
LONG_TIMEOUT = budgets.LONG_TIMEOUT
# How long every watched thread must stay blocked for good before the hang is reported, and how
# often they are looked at (grader.budgets).
QUIET = budgets.HANG_QUIET
POLL = budgets.HANG_POLL


class Hang(AssertionError):
    """A check's threads are blocked for good (or did not finish in time); *details* says where."""

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


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


class ThreadStartFailed(RuntimeError):
    """A thread of the check died before its body ran (an exception in its start-up).

    Not the submission's fault: before 3.12 this is how a settrace race ended a thread (see
    grader.preempt._LEGACY_SETTRACE). Reported as such rather than as the deadlock the remaining
    threads then look like.
    """


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
    timed_waits_fail: bool = False,
) -> list[R]:
    """Run ``target(i)`` in *count* threads released together by a barrier; return the results.

    The first exception raised in any thread is re-raised here (no exception is lost in a thread),
    as soon as the other threads have finished or are blocked for good: the check has failed
    either way, and the exception names the student's line. A thread still running after
    *timeout*, or all of them blocked for good, fails the test with a message that names a
    deadlock and shows where they wait; the threads are daemons so a hang never blocks the
    grader's exit.

    *timed_waits_fail*: the target's own waits have timeouts (``put(item, timeout=...)``) whose
    expiry raises, and so fails the check: threads blocked in such waits count as blocked for good
    too, so a lost wake-up is reported at once rather than when those timeouts expire.
    """
    barrier = threading.Barrier(count)
    outcome = ThreadOutcome(count)
    entered = [False] * count

    def body(index: int) -> None:
        entered[index] = True
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
    stuck, certain = wait_for(threads, timeout, stop=lambda: bool(outcome.errors),
                              horizon=0.0 if timed_waits_fail else None)
    if outcome.errors:
        raise outcome.errors[0][1]
    lost = [t.name for i, t in enumerate(threads) if not entered[i] and not t.is_alive()]
    if lost:  # the others then wait at the barrier for good: not the submission's deadlock
        raise ThreadStartFailed(f"{len(lost)} {what}(s) ended before running anything ({lost[0]}): "
                                "the thread failed to start, which is the grader's fault, not the "
                                "submission's")
    if stuck:
        raise _hang(stuck, certain, timeout, f"{len(stuck)} {what}(s)")
    return outcome.results  # type: ignore[return-value]


def wait_for(threads: Sequence[threading.Thread], timeout: float, quiet: float = QUIET,
             watch: Callable[[], Sequence[threading.Thread]] | None = None,
             stop: Callable[[], bool] | None = None,
             horizon: float | None = None) -> tuple[list[threading.Thread], bool]:
    """Join *threads* within *timeout* seconds; return (those still alive, whether they are
    blocked for good).

    Returns early, with True, once every watched thread (*watch()*, by default the threads still
    alive) has stayed blocked in the same wait, one that only another of them could end, for
    *quiet* seconds (grader.stacks.stuck_signature): nothing can wake them any more, so the
    outcome cannot change by waiting. Once *stop()* is true (the check has failed anyway), waits
    at most *quiet* seconds more, for the threads that are about to finish. A wait with a
    timeout of at least *horizon* seconds (default: *timeout*) counts as blocked for good.
    """
    deadline = time.monotonic() + timeout
    seen, since = None, time.monotonic()
    while True:
        alive = [t for t in threads if t.is_alive()]
        now = time.monotonic()
        if not alive or now >= deadline:
            return alive, False
        if stop is not None and stop():
            deadline, stop = min(deadline, now + quiet), None
        watched = [t for t in watch() if t.is_alive()] if watch is not None else alive
        signature = stacks.stuck_signature(watched, horizon=timeout if horizon is None else horizon)
        if signature is None or signature != seen:
            seen, since = signature, now
        elif now - since >= quiet:
            return alive, True
        alive[0].join(min(POLL, deadline - now))


def still_running(threads: Iterable[threading.Thread], timeout: float) -> list[threading.Thread]:
    """Join every thread within *timeout* seconds in total; return those still alive (early,
    when they are all blocked for good)."""
    return wait_for(list(threads), timeout)[0]


def _hang(stuck: Sequence[threading.Thread], certain: bool, timeout: float, who: str) -> Hang:
    """The failure for threads that hang, with where each of them waits."""
    names = ", ".join(t.name for t in stuck[:3]) + (", ..." if len(stuck) > 3 else "")
    if certain:
        message = (f"{who} blocked for good ({names}): each waits for something only another "
                   "blocked thread could do - a deadlock, or a wake-up that never comes")
    else:
        message = (f"{who} did not finish within {timeout:g} s ({names}): "
                   "a deadlock, a wait that is never woken up, or an endless loop")
    return Hang(message, stacks.format_threads(stuck))


def join_all(threads: Iterable[threading.Thread], *, timeout: float, what: str = "thread") -> None:
    """Join every thread within *timeout* seconds in total, or fail naming the stuck ones."""
    stuck, certain = wait_for(list(threads), timeout)
    if stuck:
        raise _hang(stuck, certain, timeout, f"{len(stuck)} {what}(s)")


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


def call_within(
    fn: Callable[[], R], what: str, timeout: float = SHORT_TIMEOUT, *, why: str | None = None
) -> R:
    """Return fn(), run in a daemon thread; fail clearly if it has not returned within *timeout*.

    For calls that must not block (or must stop blocking): a student's hang costs this check,
    with a message naming the call, *why* it must not block (the rule, in the student's words; a
    generic reason by default) and where its threads wait, instead of the whole run's timeout. When
    the call and every thread it started are blocked for good, it fails at once rather than at
    *timeout*.
    """
    box: dict[str, object] = {}
    before = {id(t) for t in threading.enumerate()}

    def body() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            box["error"] = exc

    thread = threading.Thread(target=body, daemon=True, name="grader-call")
    thread.start()

    def started() -> list[threading.Thread]:
        """The call and every thread started since it began: a hang needs all of them blocked."""
        return [t for t in threading.enumerate() if id(t) not in before]

    stuck, certain = wait_for([thread], timeout, watch=started)
    if stuck:
        if certain:
            how = ("is blocked for good, and so is every thread it started: "
                   + (why or "a deadlock, or a wake-up that never comes"))
        else:
            how = f"did not return within {timeout:g} s: {why or 'it blocks when it should not'}"
        others = [t for t in started() if t is not thread and t.is_alive()]
        raise Hang(f"{what} {how}", stacks.format_threads([thread, *others]))
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box.get("value")  # type: ignore[return-value]


class WakefulCondition(threading.Condition):
    """A Condition whose ``wait`` also returns as if notified every few milliseconds.

    Real code wakes a waiter whenever another caller notifies, also when what the waiter needs is
    still missing (another thread took the slot first, or ``notify_all`` woke everyone). The
    contract of ``wait`` allows that, which is why waits sit in ``while`` loops. This class makes it
    happen all the time, so a submission that waits again with its full timeout after each wake-up
    (instead of the time left) never times out, and one that checks with ``if`` instead of
    ``while`` acts on a wake-up without an item. Waits called from inside ``threading`` itself
    (``Event``, ``Semaphore``, ``Barrier``, ``wait_for``) behave normally: they re-check on their own,
    and ``Event.wait`` promises its return value.
    """

    WAKE_EVERY = 0.01

    def wait(self, timeout: float | None = None) -> bool:
        if sys._getframe(1).f_globals.get("__name__") == "threading":
            return super().wait(timeout)
        if timeout is not None and timeout <= self.WAKE_EVERY:
            return super().wait(timeout)
        super().wait(self.WAKE_EVERY)
        return True


def built_with_wakeful_conditions(module: ModuleType, build: Callable[[], R]) -> R:
    """Return build(), with every ``threading.Condition`` it creates a :class:`WakefulCondition`.

    Covers ``threading.Condition(...)`` and a ``Condition`` imported into *module* by name. Only
    objects created during build() are affected; the originals are restored at once.
    """
    saved_threading = threading.Condition
    saved_module = module.__dict__.get("Condition")
    threading.Condition = WakefulCondition  # type: ignore[misc]
    if saved_module is saved_threading:
        module.Condition = WakefulCondition  # type: ignore[attr-defined]
    try:
        return build()
    finally:
        threading.Condition = saved_threading  # type: ignore[misc]
        if saved_module is saved_threading:
            module.Condition = saved_module  # type: ignore[attr-defined]
