"""Work functions for the processes exercise's checks.

They live in an importable module (not in a test file) so that every start method can pickle
them by reference: a ``spawn`` or ``forkserver`` worker imports this module by name. Handshakes
between workers and the test go through files in a folder named by an environment variable, which
every start method passes on to the workers; they make the checks deterministic instead of timed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from grader import budgets

MARKS_ENV = "GRADER_PROCESS_MARKS"
RENDEZVOUS_TIMEOUT = budgets.RENDEZVOUS_TIMEOUT  # a second worker starts within a second or two
MARKER = "set by the parent"
parent_marker = "module default"  # a test sets this in the parent: fork copies it, spawn does not
MUTABLE_GLOBALS = ("parent_marker",)  # set by the checks themselves (grader.integrity.Snapshot)


def square(x: int) -> int:
    return x * x


def fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError(f"bad item {x}")
    return x


def die_on_five(x: int) -> int:
    if x == 5:
        os._exit(3)  # the worker process dies without a word
    return x


def big_result(x: int) -> bytes:
    return bytes([x % 256]) * (512 * 1024)


def whoami(x: int) -> tuple[int, int, str]:
    """(item, parent pid, marker): tells fork (marker copied) from spawn and forkserver."""
    return x, os.getppid(), parent_marker


def _marks() -> Path:
    return Path(os.environ[MARKS_ENV])


def mark_done(x: int) -> int:
    """Record that item *x* was processed (the lazy-input check counts these files)."""
    (_marks() / f"done-{x}").touch()
    return x


def count_done() -> int:
    return sum(1 for name in os.listdir(_marks()) if name.startswith("done-"))


def rendezvous(x: int) -> bool:
    """Arrive, then wait until another item has arrived too: True if they met (ran at once)."""
    folder = _marks()
    (folder / f"arrive-{x}").touch()
    deadline = time.monotonic() + RENDEZVOUS_TIMEOUT
    while time.monotonic() < deadline:
        if sum(1 for name in os.listdir(folder) if name.startswith("arrive-")) >= 2:
            return True
        time.sleep(0.005)
    return False


def zero_waits_for_one(x: int) -> int:
    """Item 0 finishes only after item 1 has finished, so results come back out of order."""
    folder = _marks()
    if x == 0:
        deadline = time.monotonic() + RENDEZVOUS_TIMEOUT
        while not (folder / "finished-1").exists() and time.monotonic() < deadline:
            time.sleep(0.005)
    elif x == 1:
        (folder / "finished-1").touch()
    return x * 10


def meet_three(x: int) -> int:
    """Arrive with this worker's pid, wait until three different workers have arrived; return the pid.

    With ``workers=3`` the first three items are taken by three processes that wait for each other,
    so every worker shows its pid; with fewer workers the meeting never happens (the pids say so).
    """
    global _waited  # noqa: PLW0603 - once per worker process: a second wait would only slow a wrong answer
    folder = _marks()
    (folder / f"pid-{os.getpid()}-{x}").touch()
    deadline = time.monotonic() + RENDEZVOUS_TIMEOUT
    while not _waited and time.monotonic() < deadline:
        if len({name.split("-")[1] for name in os.listdir(folder) if name.startswith("pid-")}) >= 3:
            break
        time.sleep(0.005)
    _waited = True
    return os.getpid()


_waited = False  # set in a worker once meet_three has waited there
