"""The pytest plugin that runs inside the grading child.

It turns the catalog into pytest settings (repetitions through pytest-repeat, per-run timeouts
through pytest-timeout's timer hooks), turns each run's outcome into one event on the channel, and
keeps the grading honest: a run counts as passed only when the test body itself ran to its end,
and the plugin checks after every run that the submission did not patch pytest, the grader or
builtins.
"""

from __future__ import annotations

import faulthandler
import functools
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Generator
from typing import Any

import pytest

from grader import preempt, stacks
from grader.budgets import BACKSTOP_GRACE, PARK_CONFIRM
from grader.catalog import Check, Exercise
from grader.channel import Sender
from grader.explain import Explanation
from grader.integrity import Snapshot
from grader.testing import POLL, QUIET, Hang


class GradingTimeout(BaseException):
    """Raised in the main thread when a run exceeds its time, or its threads are all blocked for
    good (BaseException: not caught by a submission's ``except Exception``)."""

    def __init__(self, details: str, message: str = "") -> None:
        super().__init__(details)
        self.details, self.message = details, message


class HangWatch:
    """Ends a run early whose threads are all blocked for good: the test's own (main) thread and
    every thread started since the child began (grader.stacks.stuck_signature).

    A thread of its own, started before the checks (so no check counts it as left behind) and
    idle between runs. When a run's threads have stayed blocked in the same waits for
    ``grader.testing.QUIET`` seconds, nothing can wake them any more: it sends the main thread
    the run's SIGALRM at once instead of letting the run wait out its whole timeout.
    """

    def __init__(self, known: Callable[[], set[int]]) -> None:
        self.known = known  # ids of threads that are not the run's (the baseline, parked ones)
        self.lock = threading.Lock()
        self.armed = threading.Event()
        self.horizon = 0.0
        self.fired = ""  # the stacks of the hang, once detected in this run
        self.generation = 0  # runs armed so far: what was seen in one run says nothing of the next
        self.main = threading.main_thread()
        self.thread = threading.Thread(target=self._loop, name="grader-hang-watch", daemon=True)
        self.thread.start()

    def arm(self, horizon: float) -> None:
        with self.lock:
            self.horizon, self.fired = horizon, ""
            self.generation += 1
            self.armed.set()

    def disarm(self) -> str:
        """Stop watching; the hang's stacks if the watch fired during this run."""
        with self.lock:
            self.armed.clear()
            return self.fired

    def _threads(self) -> list[threading.Thread]:
        known = self.known()
        return [self.main] + [t for t in threading.enumerate()
                              if id(t) not in known and t is not self.thread and t.is_alive()]

    def _loop(self) -> None:
        seen: object = None
        since = time.monotonic()
        while True:
            self.armed.wait()
            time.sleep(POLL)
            threads = self._threads()
            signature = (self.generation, stacks.stuck_signature(threads, horizon=self.horizon))
            now = time.monotonic()
            if signature[1] is None or signature != seen:
                seen, since = signature, now
                continue
            if now - since < QUIET:
                continue
            with self.lock:
                if self.armed.is_set() and not self.fired:
                    self.fired = stacks.format_threads(threads)
                    signal.pthread_kill(self.main.ident or 0, signal.SIGALRM)
            seen = None


class SubmissionAborted(Exception):
    """The submission raised SystemExit or KeyboardInterrupt inside a test."""


class GraderPlugin:
    """Registered by ``grader.child``; one instance per child process."""

    def __init__(self, exercise: Exercise, only: set[str], sender: Sender, snapshot: Snapshot,
                 explainer: Callable[[], Explanation | None] | None = None) -> None:
        self.exercise = exercise
        # Searches for the interleaving behind the first failed stress check (grader.explain)
        self.explainer = explainer
        self.only = only
        self.sender = sender
        self.snapshot = snapshot
        self.failed_checks: set[str] = set()
        self.completed: set[str] = set()  # nodeids whose body ran to its last line
        self.outcomes: dict[str, tuple[str, str, str]] = {}  # nodeid -> (status, message, details)
        self.cases: dict[str, str] = {}  # nodeid -> its parametrised case, e.g. "amount=True"
        self.runs_of: dict[str, int] = {}  # check -> runs collected (repetitions x parametrised cases)
        self.in_run = False  # between pytest-timeout's set_timer and cancel_timer
        self.watch = HangWatch(lambda: self.baseline_threads)
        self.baseline_threads = {id(t) for t in threading.enumerate()}

    # -- collection: the catalog decides what runs, how often, how long ---------------------------
    def _check_of(self, name: str) -> Check | None:
        try:
            return self.exercise.check(name)
        except KeyError:
            return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        check = self._check_of(metafunc.function.__name__)
        if check is not None and check.runs > 1:
            metafunc.definition.add_marker(pytest.mark.repeat(check.runs))

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        order = {check.test: i for i, check in enumerate(self.exercise.checks)}
        keep = []
        for item in items:
            name = getattr(item, "originalname", item.name)
            check = self._check_of(name)
            if check is None or check.test not in self.only:
                continue
            item.add_marker(pytest.mark.timeout(check.timeout))
            self._wrap(item)
            keep.append(item)
        keep.sort(key=lambda item: order[getattr(item, "originalname", item.name)])
        items[:] = keep
        for item in keep:
            name = self._name(item)
            self.runs_of[name] = self.runs_of.get(name, 0) + 1

    def _wrap(self, item: pytest.Item) -> None:
        """Replace the test function by one that records that the body really finished."""
        original: Callable[..., Any] = item.obj  # type: ignore[attr-defined]
        nodeid = item.nodeid
        completed = self.completed

        @functools.wraps(original)
        def body(*args: Any, **kwargs: Any) -> Any:
            try:
                result = original(*args, **kwargs)
            except (SystemExit, KeyboardInterrupt) as exc:
                kind = type(exc).__name__
                raise SubmissionAborted(
                    f"the submission raised {kind} during the test: "
                    f"exercise code must not exit the program or simulate Ctrl-C"
                ) from None
            completed.add(nodeid)
            return result

        item.obj = body  # type: ignore[attr-defined]

    # -- timeouts: pytest-timeout's marker and hooks, our own handler -----------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_timeout_set_timer(self, item: pytest.Item, settings: Any) -> bool:
        timeout = float(settings.timeout)

        def on_alarm(signum: int, frame: Any) -> None:
            if not self.in_run:  # a hang watch's signal that arrived after its run ended
                return
            hang = self.watch.disarm()
            if hang:
                raise GradingTimeout(hang, "its threads are all blocked for good, each waiting for "
                                           "something only another blocked thread could do: a deadlock, "
                                           "or a wake-up that never comes")
            raise GradingTimeout(stacks.format_all_stacks(frame))

        signal.signal(signal.SIGALRM, on_alarm)
        self.in_run = True
        signal.setitimer(signal.ITIMER_REAL, timeout)
        self.watch.arm(timeout)
        faulthandler.dump_traceback_later(timeout + BACKSTOP_GRACE, exit=True, file=sys.stderr)
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_timeout_cancel_timer(self, item: pytest.Item) -> bool:
        self.in_run = False
        self.watch.disarm()
        signal.setitimer(signal.ITIMER_REAL, 0)
        faulthandler.cancel_dump_traceback_later()
        return True

    # -- running -------------------------------------------------------------------------------
    def _name(self, item: pytest.Item) -> str:
        return getattr(item, "originalname", item.name)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        name = self._name(item)
        if name in self.failed_checks:
            pytest.skip("this check already failed; its other repetitions are not needed")
        callspec = getattr(item, "callspec", None)
        run = callspec.params.get("__pytest_repeat_step_number", 0) if callspec else 0
        self.cases[item.nodeid] = case_of(item)
        self.sender.send("start", check=name, run=run + 1, of=self.runs_of.get(name, 1),
                         case=self.cases[item.nodeid])

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item,
                                  call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
        outcome = yield
        report = outcome.get_result()
        if report.skipped and call.when == "setup":
            self.outcomes[item.nodeid] = ("skipped", "", "")
            return
        if call.excinfo is not None and item.nodeid not in self.outcomes:
            status, message, details = describe_failure(call.excinfo, call.when)
            left = self._threads_left()
            if not details and left:
                # Threads of the failed run still wait somewhere: show where, in the student's code.
                details = "threads still running after the check:\n" + stacks.format_threads(left)
            self.outcomes[item.nodeid] = (status, message, details)

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        status, message, details = self.outcomes.pop(nodeid, ("", "", ""))
        if status == "skipped":
            return
        if not status:
            if nodeid in self.completed:
                status = "passed"
            else:
                status, message = "error", "the test did not run to its end (was pytest patched?)"
        tampering = self.snapshot.changes() or preempt.tampering()
        if tampering:
            self.sender.send("tampered", message=tampering)
            status, message = "error", tampering
        name = nodeid.split("::")[-1].split("[")[0]
        if status != "passed":
            self.failed_checks.add(name)
        self.sender.send("end", check=name, status=status, message=message, details=details,
                         case=self.cases.pop(nodeid, ""))
        if status != "passed" and self.explainer is not None and self._is_stress(name):
            self._explain(name)
        if status != "passed" and self._threads_left_running() and not self._park_blocked_threads():
            # Threads of the failed run are still busy (looping, or in a wait that may end): they
            # would disturb the next checks. End this child; the parent starts a fresh one.
            self.sender.send("restart")
            sys.stdout.flush()
            os._exit(0)

    def _is_stress(self, name: str) -> bool:
        check = self._check_of(name)
        return check is not None and check.stress

    def _explain(self, name: str) -> None:
        """Find and send the failing interleaving; once per child, bounded by the search budget."""
        explainer, self.explainer = self.explainer, None
        if explainer is None:
            return
        self.sender.send("explaining", check=name)
        try:
            found = explainer()
        except Exception as exc:  # noqa: BLE001 - an explanation is a bonus, never a verdict
            found = None
            print(f"[grader: the interleaving search failed: {type(exc).__name__}: {exc}]", file=sys.stderr)
        self.sender.send("explained", check=name, replay=found.replay_id if found else "",
                         text=found.text if found else "")

    def _threads_left(self) -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.is_alive() and id(t) not in self.baseline_threads]

    def _park_blocked_threads(self) -> bool:
        """True when every thread the failed run left is blocked for good in an untimed wait.

        Such threads wait on the failed check's own objects, which no later check touches: they
        take no CPU and change nothing, so grading goes on in this child (a fresh child costs
        seconds). They are not counted as left behind by later checks.
        """
        left = self._threads_left()
        first = stacks.stuck_signature(left, horizon=float("inf"))
        if first is None:
            return False
        time.sleep(PARK_CONFIRM)
        if stacks.stuck_signature(left, horizon=float("inf")) != first:
            return False
        self.baseline_threads |= {id(t) for t in left}
        return True

    def _threads_left_running(self) -> bool:
        return bool(self._threads_left())


CASE_VALUE_WIDTH = 30  # a parameter's repr longer than this is not shown in a case's name


def case_of(item: pytest.Item) -> str:
    """The parametrised case of *item* in a student's words ("amount=True"), "" when the test is
    not parametrised (pytest-repeat's repetition number is not a case). Parameters whose value
    does not read well (a class, a long object) are left out; the case id stands in for all."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return ""
    params = {k: v for k, v in callspec.params.items() if not k.startswith("__pytest_repeat")}
    if not params:
        return ""
    shown = [f"{key}={value!r}" for key, value in params.items()
             if isinstance(value, (bool, int, float, str, type(None))) and len(repr(value)) <= CASE_VALUE_WIDTH]
    if shown:
        return ", ".join(shown)
    ids = [part for part in callspec.id.split("-") if part]
    return f"case {ids[0]}" if ids else ""


def describe_failure(excinfo: pytest.ExceptionInfo[BaseException], when: str) -> tuple[str, str, str]:
    """(status, message, details) for a failed run, in a student's words."""
    exc = excinfo.value
    if isinstance(exc, GradingTimeout):
        return "timeout", exc.message, exc.details
    if isinstance(exc, Hang):
        return "timeout", str(exc), exc.details
    if isinstance(exc, AssertionError) or excinfo.typename == "Failed":
        text = str(exc)
        # pytest's assertion rewriting appends "\nassert <expression>": keep the author's message
        message = text.split("\nassert ", 1)[0].strip() if "\nassert " in text else text.strip()
        if not message or message.startswith("assert "):
            message = f"a check failed: {text.splitlines()[0] if text else 'assertion'}"
        return "failed", message, ""
    if isinstance(exc, (SubmissionAborted, preempt.SwitchingDisabled)):
        return ("failed" if isinstance(exc, preempt.SwitchingDisabled) else "error"), str(exc), ""
    where = stacks.student_location(excinfo.tb)
    if isinstance(exc, NotImplementedError):
        what = str(exc) or "this part"
        where = where.split(":", 2)[0] + ":" + where.split(":", 2)[1] if where.count(":") >= 2 else where
        message = f"not implemented yet: {what} still raises NotImplementedError"
    else:
        message = f"{type(exc).__name__}: {exc}".strip()
    if where:
        message += f" (at {where})"
    return ("failed" if when == "call" else "error"), message, ""
