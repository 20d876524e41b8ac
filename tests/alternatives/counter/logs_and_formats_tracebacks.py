"""A correct counter that logs each call and formats stacks and tracebacks with the standard
library: logging and traceback read frames on its behalf, which the grader must allow."""

from __future__ import annotations

import logging
import threading
import traceback

log = logging.getLogger(__name__)


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
        log.info("increment %s", amount)
        traceback.format_stack(limit=2)
        try:
            raise ValueError("x")
        except ValueError:
            traceback.format_exc()
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
