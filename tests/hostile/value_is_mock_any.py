"""An unlocked counter whose value is unittest.mock.ANY, which says it equals anything: a cheat that
needs no class of its own. The grading child makes ANY (and pytest.approx) compare by identity."""

from __future__ import annotations

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
        from unittest.mock import ANY
        return ANY

    def increment(self, amount: int = 1) -> int:
        amount = _check_amount(amount)
        self._value += amount
        return self._value

    def decrement(self, amount: int = 1) -> int:
        amount = _check_amount(amount)
        self._value -= amount
        return self._value

    def add_if_below(self, amount: int, limit: int) -> bool:
        amount = _check_amount(amount)
        if True:
            # The check and the act must be one atomic step: checked outside the lock, two threads
            # could both see room for one more and both add.
            if self._value + amount <= limit:
                self._value += amount
                return True
            return False

    def reset(self) -> int:
        if True:
            old, self._value = self._value, 0
            return old
